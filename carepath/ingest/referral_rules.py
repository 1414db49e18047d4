"""Judge again, when a referral arrives or is corrected, every rule that compares a row with it.

The gate judges a session or outcome against the referrals the warehouse holds when the row
arrives: is there such a referral (`known_referral`), was an attended session on or after the
current version's receipt (`attended_before_receipt`). A referral may land after its sessions,
or be corrected by a later delivery, and the verdict given on arrival is then no longer the one
the data gives. So once a run has loaded referrals, each such rule (in the suites: a query rule
that reads `raw.referrals`) is judged again over every row of every referral that changed since
the last judging, wherever the row is now:

- a reason that no longer holds is marked released (when, and with which referrals file);
- a row that now fails a rule it was not held for gains that reason;
- a row in raw that now fails is withdrawn from raw to the quarantine;
- a held row that no reason holds any more goes to raw.

Each file's ledger row moves its rows between rows_loaded and rows_quarantined as they move
(rows_released counts its rows in raw that came there by release). Loading month by month, or
sessions before their referrals, therefore ends with the raw rows and the reasons that hold of
one load of all the files.

The rules are the suites' own queries, run in DuckDB over the rows gathered from wherever the
warehouse is (on PostgreSQL they are copied into the staging database, as for the gate), and
the verdicts are written back in the warehouse's transaction. `ops.referral_rules_judged`
records the newest referrals delivery judged, in that same transaction, so a run killed between
loading referrals and judging again judges them at the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from carepath.store import NUL_STAND_IN, DuckDBStore, Store
from carepath.validate.gate import load_suite_document, query_check, rule_name
from carepath.warehouse import LINEAGE, QUARANTINE_COLUMNS, canonical_columns

# The extracts whose rows the gate checks against the referrals already loaded.
REFERRAL_CHECKED_EXTRACTS = ("sessions", "outcomes")
# What the gate's rules read of the referrals already loaded (expectations/*.json).
REFERRAL_COLUMNS = (("site_code", "VARCHAR"), ("referral_id", "VARCHAR"),
                    ("received_at", "TIMESTAMP"), *LINEAGE)
# The rows judged again: where each is now, the referral delivery that made it so, the site
# folder its file landed in, and its quarantined copy (for a held row).
CANDIDATE_COLUMNS = (("_in_raw", "BOOLEAN"), ("_referral_delivery", "BIGINT"),
                     ("_landed_site_code", "VARCHAR"), ("_held_json", "VARCHAR"))
HELD_REASON_COLUMNS = (("delivery_id", "BIGINT"), ("line_number", "BIGINT"),
                       ("site_code", "VARCHAR"), ("rule", "VARCHAR"), ("row_json", "VARCHAR"))


@dataclass(frozen=True)
class ReferralRule:
    rule: str
    description: str
    query: str  # the suite's query, `{batch}` standing for the rows judged


@dataclass
class Rejudged:
    released: int = 0  # held rows that reached raw
    withdrawn: int = 0  # rows in raw sent back to the quarantine


def referral_rules(expectations_dir: Path, extract: str) -> list[ReferralRule]:
    """The extract's rules that compare a row with its referral: its query rules that read
    `raw.referrals`. They may read the row's stored columns (lineage and canonical)."""
    doc = load_suite_document(expectations_dir / f"{extract}.json")
    rules = []
    for expectation in doc.get("expectations", []):
        kwargs = expectation.get("kwargs", {})
        query = kwargs.get("unexpected_rows_query", "")
        if expectation.get("type") == "unexpected_rows_expectation" and "raw.referrals" in query:
            rule = rule_name(expectation["type"], kwargs, expectation.get("meta"))
            rules.append(ReferralRule(rule, expectation.get("description") or rule, query))
    return rules


def rejudge_referral_rules(store: Store, con: duckdb.DuckDBPyConnection,
                           expectations_dir: Path) -> Rejudged:
    """Judge again the referral rules over the rows of every referral loaded since the last
    judging; one transaction."""
    rules = {extract: referral_rules(expectations_dir, extract)
             for extract in REFERRAL_CHECKED_EXTRACTS}
    outcome = Rejudged()
    store.execute("begin transaction")
    try:
        [(through,)] = store.execute(
            "select coalesce(max(through_delivery_id), 0) from ops.referral_rules_judged"
        ).fetchall()
        [(newest,)] = store.execute("select max(_delivery_id) from raw.referrals").fetchall()
        if newest is not None and newest > through:
            expose_referrals(store, con)
            for extract in (e for e in REFERRAL_CHECKED_EXTRACTS if rules[e]):
                released, withdrawn = _rejudge(store, con, extract, rules[extract], through)
                outcome.released += released
                outcome.withdrawn += withdrawn
            store.execute("delete from ops.referral_rules_judged")
            store.execute("insert into ops.referral_rules_judged (through_delivery_id, judged_at) "
                          "values (?, localtimestamp)", [newest])
        store.execute("commit")
    except BaseException:
        store.execute("rollback")
        raise
    finally:
        for table in _SCRATCH_TABLES:
            con.execute(f"drop table if exists {table}")
    return outcome


def expose_referrals(store: Store, stage: duckdb.DuckDBPyConnection) -> None:
    """Make `raw.referrals` readable where the rules run (the staging database). On DuckDB it
    is there already; from PostgreSQL the columns the rules read are copied in (every version:
    the rules pick the newest themselves)."""
    if isinstance(store, DuckDBStore):
        return
    stage.execute("create schema if not exists raw")
    columns = ", ".join(name for name, _ in REFERRAL_COLUMNS)
    _into_stage(store, stage, "raw.referrals", f"select {columns} from raw.referrals",
                REFERRAL_COLUMNS, temporary=False)


_SCRATCH_TABLES = ("rejudge_raw_rows", "rejudge_held_reasons", "rejudge_candidates",
                   "rejudge_failures", "rejudge_releases", "rejudge_new_reasons", "rejudge_moves")


def _rejudge(store: Store, con: duckdb.DuckDBPyConnection, extract: str,
             rules: list[ReferralRule], through: int) -> tuple[int, int]:
    stored = [*LINEAGE, *canonical_columns(extract)]
    names = ", ".join(name for name, _ in stored)
    _gather_candidates(store, con, extract, stored, through)
    _judge(con, extract, rules)
    rule_names = ", ".join(_sql_str(r.rule) for r in rules)
    _decide(con, extract, names, rule_names)
    # Written back: the ledger first (it reads which withdrawn rows came by release), then the
    # rows themselves.
    _ship(store, con, "rejudge_moves", (("delivery_id", "BIGINT"), ("line_number", "BIGINT"),
                                        ("direction", "VARCHAR")))
    _ship(store, con, "rejudge_releases", (("delivery_id", "BIGINT"), ("line_number", "BIGINT"),
                                           ("rule", "VARCHAR"), ("referral_delivery", "BIGINT")))
    store.execute(_MOVE_LEDGER_COUNTS)
    store.execute(f"""
        delete from raw.{extract} as r
        using rejudge_moves as m
        where m.direction = 'withdrawn'
          and m.delivery_id = r._delivery_id and m.line_number = r._line_number""")
    store.execute("""
        update ops.quarantine as q
        set released_at = localtimestamp, released_with_delivery_id = r.referral_delivery
        from rejudge_releases as r
        where q.delivery_id = r.delivery_id and q.line_number = r.line_number
          and q.rule = r.rule and q.released_at is null""")
    store.insert_selected(con, "ops.quarantine", QUARANTINE_COLUMNS,
                          f"select {', '.join(QUARANTINE_COLUMNS)} from rejudge_new_reasons")
    store.insert_selected(con, f"raw.{extract}", [*(n for n, _ in stored), "_loaded_at"], f"""
        select {names}, current_timestamp::TIMESTAMP
        from rejudge_candidates as c
        where exists (select 1 from rejudge_moves as m
                      where m.direction = 'released' and m.delivery_id = c._delivery_id
                        and m.line_number = c._line_number)""")
    [moves] = con.execute("""
        select count(*) filter (where direction = 'released'),
               count(*) filter (where direction = 'withdrawn')
        from rejudge_moves""").fetchall()
    if not isinstance(store, DuckDBStore):
        store.execute("drop table rejudge_moves")
        store.execute("drop table rejudge_releases")
    return moves


def _gather_candidates(store: Store, con: duckdb.DuckDBPyConnection, extract: str,
                       stored: list[tuple[str, str]], through: int) -> None:
    """`rejudge_candidates`: every row, in raw or held, of a referral loaded after `through`,
    typed as raw stores it."""
    names = ", ".join(name for name, _ in stored)
    s_names = ", ".join(f"s.{name}" for name, _ in stored)
    _into_stage(store, con, "rejudge_raw_rows", f"""
        select {s_names} from raw.{extract} as s
        where exists (select 1 from raw.referrals as r
                      where r.site_code = s.site_code and r.referral_id = s.referral_id
                        and r._delivery_id > {int(through)})""", stored)
    # The held rows' keys are inside their JSON copies: all of the extract's are read, and
    # matched to the changed referrals once typed.
    _into_stage(store, con, "rejudge_held_reasons", f"""
        select delivery_id, line_number, site_code, rule, row_json from ops.quarantine
        where extract = {_sql_str(extract)} and released_at is null""", HELD_REASON_COLUMNS)
    struct = "{" + ", ".join(f'"{name}": "{kind}"' for name, kind in stored) + "}"
    con.execute(f"""
        create or replace temp table rejudge_candidates as
        with changed as (
            select site_code, referral_id, max(_delivery_id) as referral_delivery
            from raw.referrals
            group by site_code, referral_id
            having max(_delivery_id) > {int(through)}
        ),

        held as (
            select delivery_id, line_number, min(site_code) as landed_site_code,
                   min(row_json) as row_json
            from rejudge_held_reasons
            group by delivery_id, line_number
        ),

        held_rows as (
            select landed_site_code, row_json, unnest(json_transform(row_json, '{struct}'))
            from held
        ),

        gathered as (
            select true as _in_raw, site_code as _landed_site_code, null::VARCHAR as _held_json,
                   {names}
            from rejudge_raw_rows
            union all
            select false, landed_site_code, row_json, {names}
            from held_rows
        )

        select gathered._in_raw, changed.referral_delivery as _referral_delivery,
               gathered._landed_site_code, gathered._held_json,
               {', '.join(f'gathered.{name}' for name, _ in stored)}
        from gathered
        inner join changed
            on changed.site_code = gathered.site_code
           and changed.referral_id = gathered.referral_id""")


def _judge(con: duckdb.DuckDBPyConnection, extract: str, rules: list[ReferralRule]) -> None:
    """`rejudge_failures`: each candidate's failed referral rules, named as the gate names
    them, with the offending values rendered as the gate renders them."""
    con.execute("create or replace temp table rejudge_failures (delivery_id BIGINT, "
                "line_number BIGINT, rule VARCHAR, description VARCHAR, offending_value VARCHAR)")
    for rule in rules:
        # Substituted as the gate does (str.format), so `{{`/`}}` stay literal braces.
        check = query_check(con, extract, rule.rule, rule.description,
                            rule.query.format(batch="rejudge_candidates"))
        con.execute(f"""
            insert into rejudge_failures
            select distinct _delivery_id, _line_number, ?, ?,
                   replace({check.rendered}, chr(0), '{NUL_STAND_IN}')
            from {check.source} as failing""", [check.rule, check.description])


def _decide(con: duckdb.DuckDBPyConnection, extract: str, names: str, rule_names: str) -> None:
    """From the reasons held before and the failures found now: the reasons released
    (`rejudge_releases`), the reasons added (`rejudge_new_reasons`), and the rows that move
    (`rejudge_moves`: released to raw, or withdrawn from it)."""
    con.execute(f"""
        create or replace temp table rejudge_releases as
        select h.delivery_id, h.line_number, h.rule, c._referral_delivery as referral_delivery
        from rejudge_held_reasons as h
        inner join rejudge_candidates as c
            on c._delivery_id = h.delivery_id and c._line_number = h.line_number
        where h.rule in ({rule_names})
          and not exists (select 1 from rejudge_failures as f
                          where f.delivery_id = h.delivery_id
                            and f.line_number = h.line_number and f.rule = h.rule)""")
    con.execute(f"""
        create or replace temp table rejudge_new_reasons as
        select c._delivery_id as delivery_id, c._source_file as source_file,
               c._line_number as line_number, c._landed_site_code as site_code,
               {_sql_str(extract)} as extract, f.rule, f.description as rule_description,
               f.offending_value,
               coalesce(c._held_json, to_json(struct_pack({names}))::VARCHAR) as row_json,
               current_timestamp::TIMESTAMP as quarantined_at
        from rejudge_failures as f
        inner join rejudge_candidates as c
            on c._delivery_id = f.delivery_id and c._line_number = f.line_number
        where not exists (select 1 from rejudge_held_reasons as h
                          where h.delivery_id = f.delivery_id
                            and h.line_number = f.line_number and h.rule = f.rule)""")
    con.execute("""
        create or replace temp table rejudge_moves as
        with reasons_after as (
            select delivery_id, line_number, rule from rejudge_held_reasons
            except
            select delivery_id, line_number, rule from rejudge_releases
            union
            select delivery_id, line_number, rule from rejudge_new_reasons
        ),

        held_after as (
            select distinct delivery_id, line_number from reasons_after
        )

        select c._delivery_id as delivery_id, c._line_number as line_number,
               case when c._in_raw then 'withdrawn' else 'released' end as direction
        from rejudge_candidates as c
        where c._in_raw = exists (select 1 from held_after as a
                                  where a.delivery_id = c._delivery_id
                                    and a.line_number = c._line_number)""")


# A withdrawn row that had come to raw by release leaves rows_released too.
_MOVE_LEDGER_COUNTS = """
    update ops.loaded_files as f
    set rows_loaded = f.rows_loaded + d.released - d.withdrawn,
        rows_quarantined = f.rows_quarantined - d.released + d.withdrawn,
        rows_released = f.rows_released + d.released - d.withdrawn_after_release
    from (
        select m.delivery_id,
               sum(case when m.direction = 'released' then 1 else 0 end) as released,
               sum(case when m.direction = 'withdrawn' then 1 else 0 end) as withdrawn,
               sum(case when m.direction = 'withdrawn' and exists (
                       select 1 from ops.quarantine as q
                       where q.delivery_id = m.delivery_id and q.line_number = m.line_number
                         and q.released_at is not null) then 1 else 0 end)
                   as withdrawn_after_release
        from rejudge_moves as m
        group by m.delivery_id
    ) as d
    where f.delivery_id = d.delivery_id"""


def _into_stage(store: Store, con: duckdb.DuckDBPyConnection, table: str, sql: str,
                columns: tuple | list, temporary: bool = True) -> None:
    """The rows of `sql` on the warehouse as `table` where the rules run. On DuckDB they are
    one database; from PostgreSQL the rows travel as CSV (an empty text quoted, a null bare)."""
    kind = "temp table" if temporary else "table"
    if isinstance(store, DuckDBStore):
        con.execute(f"create or replace {kind} {table} as {sql}")
        return
    copied = store.scratch_file(f"{table}.csv")
    try:
        store.copy_out(sql, copied)
        types = ", ".join(f"'{name}': '{kind_}'" for name, kind_ in columns)
        con.execute(f"""
            create or replace {kind} {table} as
            select * from read_csv({_sql_str(str(copied))}, header = false, auto_detect = false,
                                   columns = {{{types}}}, allow_quoted_nulls = false,
                                   max_line_size = 67108864)""")
    finally:
        copied.unlink(missing_ok=True)


def _ship(store: Store, con: duckdb.DuckDBPyConnection, table: str,
          columns: tuple[tuple[str, str], ...]) -> None:
    """A decision table made where the rules run, readable by the warehouse's own statements:
    on DuckDB it already is; to PostgreSQL it is copied into a temporary table of the same
    name, dropped at the transaction's end."""
    if isinstance(store, DuckDBStore):
        return
    store.execute(f"create temp table {table} ("
                  + ", ".join(f"{name} {kind}" for name, kind in columns) + ") on commit drop")
    names = [name for name, _ in columns]
    store.insert_selected(con, table, names, f"select {', '.join(names)} from {table}")


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
