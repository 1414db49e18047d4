"""Release rows held only because their referral had not arrived yet.

A session or outcome may land before the referral it belongs to (a site sends its extracts on
different days, or a referral is corrected in a later file). The gate quarantines it under the
`known_referral` rule. Once the referral is in the warehouse that reason no longer holds: its
quarantine row is marked released (when, and with which referrals file). If no other reason
holds the row, it is inserted into raw from its quarantined copy and its file's ledger row moves
it from rows_quarantined to rows_loaded (counting it in rows_released). A month-by-month load
therefore ends with the same raw rows, and the same reasons still holding, as one load of all
the files.
"""

from __future__ import annotations

import duckdb

from carepath.store import DuckDBStore, PostgresStore, Store
from carepath.warehouse import LINEAGE, canonical_columns

KNOWN_REFERRAL_RULE = "unexpected_rows_expectation(known_referral)"
HOLDING_EXTRACTS = ("sessions", "outcomes")
# What the gate's rules read of the referrals already loaded (expectations/*.json).
REFERRAL_COLUMNS = (("site_code", "VARCHAR"), ("referral_id", "VARCHAR"),
                    ("received_at", "TIMESTAMP"),
                    *(c for c in LINEAGE if c[0] != "_delivery_id"))


def release_held_rows(store: Store) -> int:
    """Release every held row whose referral is now known; returns how many reached raw.
    One transaction."""
    released = 0
    store.execute("begin transaction")
    try:
        for extract in HOLDING_EXTRACTS:
            released += _release(store, extract)
        store.execute("commit")
    except BaseException:
        store.execute("rollback")
        raise
    return released


def expose_referrals(store: Store, stage: duckdb.DuckDBPyConnection) -> None:
    """Make `raw.referrals` readable where files are staged, for the gate's rules that check a
    session or outcome against its referral. On DuckDB it is there already; from PostgreSQL
    the columns those rules read are copied into the staging database (every version: the
    rules pick the newest themselves)."""
    if isinstance(store, DuckDBStore):
        return
    columns = ", ".join(name for name, _ in REFERRAL_COLUMNS)
    copied = store.scratch_file("referrals.csv")
    try:
        store.copy_out(f"select {columns} from raw.referrals", copied)
        types = ", ".join(f"'{name}': '{kind}'" for name, kind in REFERRAL_COLUMNS)
        stage.execute("create schema if not exists raw")
        stage.execute(f"""
            create or replace table raw.referrals as
            select * from read_csv('{str(copied).replace("'", "''")}', header = false,
                                   auto_detect = false, columns = {{{types}}},
                                   allow_quoted_nulls = false)""")
    finally:
        copied.unlink(missing_ok=True)


def _release(store: Store, extract: str) -> int:
    columns = [*LINEAGE, *canonical_columns(extract)]
    names = ", ".join(name for name, _ in columns)
    # The known_referral reasons that no longer hold: their referral is in raw now. The held
    # row is read back from its JSON copy, with the types of the raw table it goes to.
    if isinstance(store, PostgresStore):
        store.execute(_RESOLVED_ON_POSTGRES, [extract, KNOWN_REFERRAL_RULE])
        held_columns = ", ".join(f"held.{name}" for name, _ in columns)
        insert = f"""
            insert into raw.{extract} ({names}, _loaded_at)
            select {held_columns}, localtimestamp
            from releasable as r
            cross join lateral json_populate_record(null::raw.{extract}, r.row_json::json)
                as held"""
    else:
        struct = "{" + ", ".join(f'"{name}": "{kind}"' for name, kind in columns) + "}"
        store.execute(_RESOLVED_ON_DUCKDB.replace("{struct}", struct),
                      [extract, KNOWN_REFERRAL_RULE])
        insert = f"""
            insert into raw.{extract} ({names}, _loaded_at)
            select unnest(json_transform(row_json, '{struct}')), localtimestamp
            from releasable"""
    store.execute("""
        update ops.quarantine as q
        set released_at = localtimestamp, released_with_delivery_id = r.referral_delivery
        from resolved as r
        where q.delivery_id = r.delivery_id and q.line_number = r.line_number
          and q.rule = ? and q.released_at is null""", [KNOWN_REFERRAL_RULE])
    # Rows no other reason holds go to raw.
    store.execute("""
        create temp table releasable as
        select r.* from resolved as r
        where not exists (
            select 1 from ops.quarantine as q
            where q.delivery_id = r.delivery_id and q.line_number = r.line_number
              and q.released_at is null)""")
    count = store.execute("select count(*) from releasable").fetchall()[0][0]
    if count:
        store.execute(insert)
        store.execute("""
            update ops.loaded_files as f
            set rows_loaded = f.rows_loaded + r.n,
                rows_quarantined = f.rows_quarantined - r.n,
                rows_released = f.rows_released + r.n
            from (select delivery_id, count(*) as n from releasable group by delivery_id) as r
            where f.delivery_id = r.delivery_id""")
    store.execute("drop table releasable")
    store.execute("drop table resolved")
    return count


_RESOLVED_ON_DUCKDB = """
    create temp table resolved as
    with held as (
        select delivery_id, line_number, row_json,
               json_transform(row_json, '{struct}') as held_row
        from ops.quarantine
        where extract = ? and rule = ? and released_at is null
    )

    select h.delivery_id, h.line_number, h.row_json, min(r._delivery_id) as referral_delivery
    from held as h
    inner join raw.referrals as r
        on r.site_code = h.held_row.site_code and r.referral_id = h.held_row.referral_id
    group by h.delivery_id, h.line_number, h.row_json"""

# The same on PostgreSQL. A key is read from the row's JSON copy as the JSON string literal
# after its name (in DuckDB's to_json text a quote inside a value is always escaped, so
# `"referral_id":"` only begins the key's own value), then unescaped as JSON unless it holds an
# escaped NUL: PostgreSQL's JSON functions refuse any document holding one, and text cannot hold
# one (such a key could match no referral anyway; a row with a NUL anywhere failed the
# control-character rule too, which keeps it from raw).
_RESOLVED_ON_POSTGRES = r"""
    create temp table resolved as
    with held as (
        select delivery_id, line_number, row_json,
               substring(row_json from '"site_code":("([^"\\]|\\.)*")') as site_literal,
               substring(row_json from '"referral_id":("([^"\\]|\\.)*")') as referral_literal
        from ops.quarantine
        where extract = ? and rule = ? and released_at is null
    ),

    keyed as (
        select delivery_id, line_number, row_json,
               case when strpos(site_literal, '\u0000') = 0
                   then site_literal::json #>> '{}' end as site_code,
               case when strpos(referral_literal, '\u0000') = 0
                   then referral_literal::json #>> '{}' end as referral_id
        from held
    )

    select h.delivery_id, h.line_number, h.row_json, min(r._delivery_id) as referral_delivery
    from keyed as h
    inner join raw.referrals as r
        on r.site_code = h.site_code and r.referral_id = h.referral_id
    group by h.delivery_id, h.line_number, h.row_json"""
