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

from carepath.warehouse import LINEAGE, canonical_columns

KNOWN_REFERRAL_RULE = "unexpected_rows_expectation(known_referral)"
HOLDING_EXTRACTS = ("sessions", "outcomes")


def release_held_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Release every held row whose referral is now known; returns how many reached raw.
    One transaction."""
    released = 0
    con.execute("begin transaction")
    try:
        for extract in HOLDING_EXTRACTS:
            released += _release(con, extract)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return released


def _release(con: duckdb.DuckDBPyConnection, extract: str) -> int:
    columns = [*LINEAGE, *canonical_columns(extract)]
    struct = "{" + ", ".join(f'"{name}": "{kind}"' for name, kind in columns) + "}"
    names = ", ".join(name for name, _ in columns)
    # The known_referral reasons that no longer hold: their referral is in raw now.
    con.execute(f"""
        create or replace temp table resolved as
        with held as (
            select delivery_id, line_number, json_transform(row_json, '{struct}') as held_row
            from ops.quarantine
            where extract = ? and rule = ? and released_at is null
        )

        select h.delivery_id, h.line_number, h.held_row,
               min(r._delivery_id) as referral_delivery
        from held as h
        inner join raw.referrals as r
            on r.site_code = h.held_row.site_code and r.referral_id = h.held_row.referral_id
        group by h.delivery_id, h.line_number, h.held_row""", [extract, KNOWN_REFERRAL_RULE])
    if not con.execute("select count(*) from resolved").fetchall()[0][0]:
        return 0
    con.execute("""
        update ops.quarantine as q
        set released_at = current_timestamp, released_with_delivery_id = r.referral_delivery
        from resolved as r
        where q.delivery_id = r.delivery_id and q.line_number = r.line_number
          and q.rule = ? and q.released_at is null""", [KNOWN_REFERRAL_RULE])
    # Rows no other reason holds go to raw.
    con.execute("""
        create or replace temp table releasable as
        select r.* from resolved as r
        where not exists (
            select 1 from ops.quarantine as q
            where q.delivery_id = r.delivery_id and q.line_number = r.line_number
              and q.released_at is null)""")
    count = con.execute("select count(*) from releasable").fetchall()[0][0]
    if count:
        con.execute(f"""
            insert into raw.{extract} ({names}, _loaded_at)
            select unnest(held_row), current_timestamp from releasable""")
        con.execute("""
            update ops.loaded_files as f
            set rows_loaded = f.rows_loaded + r.n,
                rows_quarantined = f.rows_quarantined - r.n,
                rows_released = f.rows_released + r.n
            from (select delivery_id, count(*) as n from releasable group by delivery_id) as r
            where f.delivery_id = r.delivery_id""")
    con.execute("drop table releasable")
    con.execute("drop table resolved")
    return count
