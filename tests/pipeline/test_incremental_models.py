"""Incremental dbt builds give exactly what a full refresh gives on the same data.

The staging models, the intermediate models that summarise sessions per referral, and the
outcome side (scored questionnaires, scored measures, registry pairs) are incremental: each
build recomputes only the records (or referrals) that rows loaded since the previous build
touched. Here a network's files arrive month by month with a build after each month, then a
corrected referral is resent, an older version of it arrives late (and must not win), a session
for an old referral arrives months late, a corrected session moves from one referral to another
(the one it left must lose it), a referral arrives after its sessions, a questionnaire is
corrected to a plain total (its scales must go), and a corrected measure moves to another
referral, leaving the first with none (its registry rows must go). Every staging, intermediate
and mart row must then equal a `dbt build --full-refresh` of the same warehouse.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
from support.extract_files import write_rows

from carepath.generate import generate
from carepath.pipeline import run_pipeline
from carepath.settings import load_settings
from carepath.transform.dbt_build import run_dbt

SCHEMAS = ("staging", "intermediate", "marts")
INCREMENTAL_MODELS = [
    ("staging", "stg_referrals"), ("staging", "stg_sessions"), ("staging", "stg_outcomes"),
    ("intermediate", "int_referrals_with_rtt_clock"),
    ("intermediate", "int_programme_sessions_aggregated_to_referrals"),
    ("intermediate", "int_waiting_cancellations_aggregated_to_referrals"),
    ("intermediate", "int_questionnaire_items_scored_to_scales"),
    ("intermediate", "int_outcomes_scored"),
    ("intermediate", "int_outcome_measures_paired_to_referrals"),
]
NTX_ITEMS = "0;1;2;3;4;0;1;2;3;4;0"


def _snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where list_contains(?, schema_name) union all "
            "select schema_name, view_name from duckdb_views() "
            "where list_contains(?, schema_name) order by all",
            [list(SCHEMAS), list(SCHEMAS)]).fetchall()
        return {f"{schema}.{name}": sorted(con.execute(
            f"select * from {schema}.{name}").fetchall(), key=repr)
            for schema, name in tables}
    finally:
        con.close()


def _materialisation(warehouse: Path, schema: str, name: str) -> str:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        is_table = con.execute("select count(*) from duckdb_tables() where schema_name = ? "
                               "and table_name = ?", [schema, name]).fetchone()[0]
        return "table" if is_table else "view"
    finally:
        con.close()


def _programme_sessions(warehouse: Path) -> dict[str, int]:
    """Attended programme sessions per test referral (ids starting T-), as the build left them."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return dict(con.execute(
            "select referral_id, sessions_attended "
            "from intermediate.int_programme_sessions_aggregated_to_referrals "
            "where referral_id like 'T-%'").fetchall())
    finally:
        con.close()


def _outcome_rows(warehouse: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """Test measures with scored scales, and (referral, instrument) registry pairs of test
    referrals, as the build left them."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        scored = {row[0] for row in con.execute(
            "select measure_id from intermediate.int_questionnaire_items_scored_to_scales "
            "where measure_id like 'T-%'").fetchall()}
        pairs = set(con.execute(
            "select referral_id, instrument from marts.fct_outcome_registry "
            "where referral_id like 'T-%'").fetchall())
        return scored, pairs
    finally:
        con.close()


def test_incremental_builds_equal_a_full_refresh(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREPATH_PSEUDONYM_KEY", "incremental-test-key-0123456789abcdef")
    generated = tmp_path / "generated"
    generate(generated, sites=2, months=3, scale=0.3, seed=7)
    settings = load_settings(tmp_path / "data")
    files = sorted(generated.rglob("*.csv"))
    months = sorted({re.search(r"\d{4}-\d{2}", p.name).group() for p in files})
    for month in months:
        for path in files:
            if month in path.name:
                dest = settings.landing_dir / path.relative_to(generated)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
        assert run_pipeline(settings).ok

    landing = settings.landing_dir
    write_rows(landing, "ASH", "referrals", "ASH_referrals_2026-03.csv",
               [{"referral_id": "T-R1"}, {"referral_id": "T-R2", "priority": "routine"}])
    write_rows(landing, "ASH", "sessions", "ASH_sessions_2026-03.csv",
               [{"session_id": "T-R1-S001"}, {"session_id": "T-R2-S001", "referral_id": "T-R2"},
                {"session_id": "T-R3-S001", "referral_id": "T-R3"}])
    write_rows(landing, "ASH", "outcomes", "ASH_outcomes_2026-03.csv",
               [{"measure_id": "T-M1"},
                {"measure_id": "T-M2", "referral_id": "T-R2", "instrument": "fact_gog_ntx",
                 "value": "24", "item_responses": NTX_ITEMS},
                {"measure_id": "T-M3", "referral_id": "T-R2"}])
    assert run_pipeline(settings).ok
    programme = _programme_sessions(settings.warehouse_path)
    assert programme["T-R2"] == 1 and "T-R3" not in programme
    scored, pairs = _outcome_rows(settings.warehouse_path)
    assert scored == {"T-M2"}
    assert pairs == {("T-R1", "tug"), ("T-R2", "tug"), ("T-R2", "fact_gog_ntx")}
    # A correction: the later delivery says T-R2 is urgent ...
    write_rows(landing, "ASH", "referrals", "ASH_referrals_2026-11.csv",
               [{"referral_id": "T-R2", "priority": "urgent"}])
    # ... the session booked under T-R2 belonged to T-R1, and T-R3 arrives after its session.
    write_rows(landing, "ASH", "sessions", "ASH_sessions_2026-11.csv",
               [{"session_id": "T-R2-S001", "referral_id": "T-R1"}])
    write_rows(landing, "ASH", "referrals", "ASH_referrals_2026-10.csv",
               [{"referral_id": "T-R3", "first_seen_at": ""}])
    # The questionnaire is corrected to a plain total, and both of T-R2's measures belonged
    # to T-R1: T-R2 is left with none.
    write_rows(landing, "ASH", "outcomes", "ASH_outcomes_2026-11.csv",
               [{"measure_id": "T-M2", "referral_id": "T-R1", "instrument": "fact_gog_ntx",
                 "value": "20", "item_responses": ""},
                {"measure_id": "T-M3", "referral_id": "T-R1",
                 "assessed_at": "2026-03-21T10:00:00"}])
    assert run_pipeline(settings).ok
    # ... an older delivery of it, arriving last, must not undo that; and a session of March
    # arrives months late.
    write_rows(landing, "ASH", "referrals", "ASH_referrals_2026-02.csv",
               [{"referral_id": "T-R2", "priority": "routine"}])
    write_rows(landing, "ASH", "sessions", "ASH_sessions_2026-12.csv",
               [{"session_id": "T-R1-S002", "scheduled_at": "2026-03-27T09:30:00"}])
    write_rows(landing, "ASH", "outcomes", "ASH_outcomes_2026-02.csv",
               [{"measure_id": "T-M3", "referral_id": "T-R2"}])
    summary = run_pipeline(settings)
    assert summary.ok, summary.render()

    for schema, model in INCREMENTAL_MODELS:
        assert _materialisation(settings.warehouse_path, schema, model) == "table"
    incremental = _snapshot(settings.warehouse_path)
    latency = {row[1]: row for row in incremental["marts.fct_referral_latency"]
               if row[1] in ("T-R1", "T-R2")}
    assert latency["T-R2"][2] == "urgent", "the correction must win over the late older version"
    sessions = {row[1] for row in incremental["staging.stg_sessions"]}
    assert {"T-R1-S001", "T-R1-S002", "T-R2-S001"} <= sessions
    programme = _programme_sessions(settings.warehouse_path)
    assert programme["T-R1"] == 3, "the moved session and the late one count for T-R1"
    assert programme["T-R2"] == 0, "T-R2 must lose the session that moved away"
    assert programme["T-R3"] == 1, "a referral arriving after its session counts it"
    scored, pairs = _outcome_rows(settings.warehouse_path)
    assert scored == set(), "a questionnaire corrected to a plain total has no scales"
    assert pairs == {("T-R1", "tug"), ("T-R1", "fact_gog_ntx")}, \
        "T-R2 must lose the registry rows of the measures that moved away"

    report = run_dbt(settings, "build", "--full-refresh", echo=False)
    assert report.success, report.failures
    refreshed = _snapshot(settings.warehouse_path)
    assert sorted(incremental) == sorted(refreshed)
    for table, rows in refreshed.items():
        assert incremental[table] == rows, f"{table}: the incremental build differs"
