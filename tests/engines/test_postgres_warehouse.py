"""PostgreSQL as the whole warehouse: the same landed files loaded, gated, built and published
there give every mart DuckDB gives, row for row, with the loader's guarantees intact."""

from __future__ import annotations

import inspect
import os
import shutil
import time
from datetime import date

import pandas as pd
import pandas.testing as pdt
import psycopg
import pytest
from streamlit.testing.v1 import AppTest
from support.extract_files import write_rows
from support.mart_parity import MartRows, compare_marts
from support.paths import ROOT
from support.postgres_server import create_database
from support.sign_in import sign_in
from support.warehouse_marts import duckdb_marts, postgres_marts

from carepath.ingest.loader import load_new_files
from carepath.ingest.pseudonym import ENV_VAR
from carepath.pipeline import run_pipeline
from carepath.publish import reader
from carepath.publish.published_copy import PublishedFile, PublishedSchemas
from carepath.settings import load_settings
from carepath.status import published_status
from carepath.store import PostgresStore

# Stamped by the clock when a run loaded the rows, so two loads of the same files differ there
# and nowhere else.
LOAD_TIME_COLUMNS = frozenset({"loaded_at", "quarantined_at", "released_at"})


def _rows(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as con:
        return con.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def postgres_run(tmp_path_factory, demo_landing, postgres_server, pipeline_run):
    """The demo data run through the whole pipeline with PostgreSQL as the warehouse, under the
    DuckDB run's pseudonymisation key (so the two warehouses hold the same pseudonyms)."""
    url = create_database(postgres_server, "demo")
    data = tmp_path_factory.mktemp("postgres-pipeline")
    shutil.copytree(demo_landing, data / "landing")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CAREPATH_WAREHOUSE", url)
        settings = load_settings(data)
        settings.secret_key_path.parent.mkdir(parents=True)
        shutil.copy(pipeline_run[0].secret_key_path, settings.secret_key_path)
        started = time.perf_counter()
        summary = run_pipeline(settings)
        seconds = time.perf_counter() - started
        assert summary.ok, summary.render()
        again = run_pipeline(settings)
    assert not settings.warehouse_path.exists() and not settings.published_path.exists()
    return url, settings, summary, again, seconds


def test_every_mart_built_on_postgres_equals_duckdbs(pipeline_run, postgres_run,
                                                     record_property):
    duckdb_settings, duckdb_summary = pipeline_run
    url, _, summary, _, seconds = postgres_run
    record_property("engine_seconds", round(seconds, 1))
    print(f"PostgreSQL end to end (load, gate, dbt build, publish): {seconds:.1f} s")
    assert summary.load.rows_loaded == duckdb_summary.load.rows_loaded > 0
    assert summary.load.rows_quarantined == duckdb_summary.load.rows_quarantined > 0
    expected = duckdb_marts(duckdb_settings.warehouse_path)
    actual = postgres_marts(url)
    assert len(expected) >= 20 and sum(len(m.rows) for m in expected.values()) > 1000
    assert compare_marts(expected, actual, LOAD_TIME_COLUMNS) == []


def test_the_published_schemas_hold_the_marts_the_build_made(postgres_run):
    url, settings, _, _, _ = postgres_run
    status, ok = published_status(settings)
    assert ok and "published_marts" in status and "freshness: up to date" in status
    assert compare_marts(postgres_marts(url, "marts"), postgres_marts(url, "published_marts")) == []
    [(fingerprint, ledger)] = _rows(
        url, "select dbt_fingerprint, ledger_state from published_ops.publication")
    assert fingerprint and ledger
    assert _rows(url, "select count(*) from published_ops.loaded_files") == _rows(
        url, "select count(*) from ops.loaded_files")


def test_a_second_run_loads_nothing_and_rebuilds_nothing(postgres_run):
    url, _, summary, again, _ = postgres_run
    assert again.load.files == [] and again.load.already_loaded == len(summary.load.files)
    assert again.build is None and again.published_to is None
    [(raw_rows,)] = _rows(url, "select (select count(*) from raw.referrals) "
                               "+ (select count(*) from raw.sessions) "
                               "+ (select count(*) from raw.outcomes)")
    assert raw_rows == summary.load.rows_loaded


def test_no_patient_identifier_reaches_any_postgres_table(postgres_run):
    url, _, _, _, _ = postgres_run
    columns = _rows(url, """
        select table_schema, table_name, column_name from information_schema.columns
        where data_type in ('character varying', 'text', 'json')
          and table_schema not in ('information_schema', 'pg_catalog')""")
    assert len(columns) > 30
    for schema, table, column in columns:
        [(hits,)] = _rows(url, f'select count(*) from {schema}."{table}" '
                               f'where "{column}"::text ~ %s', ["(ASH|BRA|CAR|DEN)[0-9]{7}"])
        assert hits == 0, f"{schema}.{table}.{column} holds a raw identifier"
    keys = _rows(url, "select patient_key from raw.referrals limit 5")
    assert len(keys) == 5 and all(len(k) == 64 for (k,) in keys)


def _warehouse_rows(url: str | None, settings, sql: str) -> list[tuple]:
    if url:
        return _rows(url, sql)
    import duckdb

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _on_engine(engine: str, name: str, tmp_path, postgres_server, monkeypatch):
    """The warehouse URL (None for DuckDB) and the settings of a data folder on `engine`."""
    url = create_database(postgres_server, name) if engine == "postgres" else None
    if url:
        monkeypatch.setenv("CAREPATH_WAREHOUSE", url)
    return url, load_settings(tmp_path / engine)


def _write_hostile_deliveries(landing) -> tuple[str, str]:
    """Sessions that arrive before their referrals (held, then released), with cells no
    extract should carry: a NUL, a quote, a line break, a non-Latin name."""
    sessions = write_rows(landing, "ASH", "sessions", "ASH_sessions_1.csv", [
        {"session_id": "S-1"},
        {"session_id": "S-2", "discipline": "physio\x00therapist"},
        {"session_id": "S-3", "referral_id": 'T-"R2', "mode": "in\nperson"},
        {"session_id": "S-4", "discipline": "физиотерапевт"},
    ])
    referrals = write_rows(landing, "ASH", "referrals", "ASH_referrals_1.csv", [{}])
    return (str(sessions.relative_to(landing)), str(referrals.relative_to(landing)))


def test_held_and_hostile_rows_end_the_same_on_postgres_as_on_duckdb(tmp_path, postgres_server,
                                                                     monkeypatch):
    monkeypatch.setenv(ENV_VAR, "k" * 64)  # one key for both warehouses: the same pseudonyms
    # Written once, copied with their times: a delivery's order key includes its arrival.
    source = tmp_path / "deliveries"
    deliveries = _write_hostile_deliveries(source)
    outcomes = {}
    for engine in ("duckdb", "postgres"):
        url, settings = _on_engine(engine, "hostile", tmp_path, postgres_server, monkeypatch)
        settings.landing_dir.mkdir(parents=True)
        for delivery in deliveries:  # the sessions first: held until the referral arrives
            (settings.landing_dir / delivery).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / delivery, settings.landing_dir / delivery)
            load_new_files(settings, create_key=True)
        # The PostgreSQL run wrote no DuckDB warehouse: it really ran there.
        assert settings.warehouse_path.exists() == (url is None)
        outcomes[engine] = {
            table: MartRows(("row",), _warehouse_rows(url, settings, sql))
            for table, sql in {
                "raw.sessions": "select session_id, discipline, mode, _line_number "
                                "from raw.sessions",
                "ops.quarantine": "select line_number, rule, offending_value, row_json, "
                                  "released_at is not null, released_with_delivery_id "
                                  "from ops.quarantine",
                "ops.loaded_files": "select delivery_id, source_file, rows_loaded, "
                                    "rows_quarantined, rows_released from ops.loaded_files",
            }.items()}
        monkeypatch.delenv("CAREPATH_WAREHOUSE", raising=False)
    duckdb_side, postgres_side = outcomes["duckdb"], outcomes["postgres"]
    # Every session was held at first; the clean one reached raw once its referral arrived.
    assert [r[2:4] for r in duckdb_side["ops.loaded_files"].rows if "sessions" in r[1]] == [
        (1, 3)]
    assert [r[0] for r in duckdb_side["raw.sessions"].rows] == ["S-1"]
    assert any("\u2400" in (r[2] or "") for r in duckdb_side["ops.quarantine"].rows)
    for table in duckdb_side:
        assert sorted(map(repr, postgres_side[table].rows)) == sorted(
            map(repr, duckdb_side[table].rows)), table


def _referral_version(referral_id: str, received_day: int) -> dict:
    return {"referral_id": referral_id, "referred_at": "2026-03-01T09:00:00",
            "received_at": f"2026-03-{received_day:02d}T10:00:00",
            "triaged_at": "2026-03-12T11:00:00", "first_offered_at": "2026-03-13T09:00:00",
            "first_seen_at": "2026-03-20T09:30:00"}


def test_corrected_referrals_move_sessions_the_same_on_postgres_as_on_duckdb(
        tmp_path, postgres_server, monkeypatch):
    """Run by run: T-R1's receipt corrected to after a session (withdrawn from raw), then to
    before it (released again); T-R9's sessions held until it comes, then one held for its
    receipt instead."""
    monkeypatch.setenv(ENV_VAR, "k" * 64)
    source = tmp_path / "deliveries"
    runs = [
        [write_rows(source, "ASH", "referrals", "ASH_referrals_1.csv",
                    [_referral_version("T-R1", 3)]),
         write_rows(source, "ASH", "sessions", "ASH_sessions_1.csv", [
             {"session_id": "S-4", "scheduled_at": "2026-03-04T09:30:00"},
             {"session_id": "S-12", "scheduled_at": "2026-03-12T09:30:00"},
             {"session_id": "S-9-4", "referral_id": "T-R9",
              "scheduled_at": "2026-03-04T09:30:00"}])],
        [write_rows(source, "ASH", "referrals", "ASH_referrals_2.csv",
                    [_referral_version("T-R1", 8), _referral_version("T-R9", 6)])],
        [write_rows(source, "ASH", "referrals", "ASH_referrals_3.csv",
                    [_referral_version("T-R1", 2)])],
    ]
    for arrival, path in enumerate(p for run in runs for p in run):
        moment = time.time() - 7200 + arrival * 60
        os.utime(path, (moment, moment))
    states = {}
    for engine in ("duckdb", "postgres"):
        url, settings = _on_engine(engine, "corrected", tmp_path, postgres_server, monkeypatch)
        states[engine] = []
        for run in runs:
            for path in run:
                target = settings.landing_dir / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
            load_new_files(settings, create_key=True)
            states[engine].append({table: sorted(_warehouse_rows(url, settings, sql))
                                   for table, sql in {
                "raw": "select session_id from raw.sessions",
                "held": "select line_number, rule, offending_value, row_json "
                        "from ops.quarantine where released_at is null",
                "ledger": "select source_file, rows_loaded, rows_quarantined, rows_released "
                          "from ops.loaded_files where extract = 'sessions'",
            }.items()})
        monkeypatch.delenv("CAREPATH_WAREHOUSE", raising=False)
    first, corrected, again = states["duckdb"]
    assert [r[0] for r in first["raw"]] == ["S-12", "S-4"]
    assert [r[0] for r in corrected["raw"]] == ["S-12"]
    assert sorted(r[:2] for r in corrected["held"]) == [
        (2, "unexpected_rows_expectation(attended_before_receipt)"),
        (4, "unexpected_rows_expectation(attended_before_receipt)")]
    assert corrected["ledger"] == [("ASH/sessions/ASH_sessions_1.csv", 1, 2, 0)]
    assert [r[0] for r in again["raw"]] == ["S-12", "S-4"]
    # S-4 is back in raw by release; S-9-4 is still held for T-R9's receipt.
    assert again["ledger"] == [("ASH/sessions/ASH_sessions_1.csv", 2, 1, 1)]
    assert states["postgres"] == states["duckdb"]


def test_a_batch_that_fails_midway_leaves_postgres_as_it_was(data_dir, postgres_server,
                                                              monkeypatch):
    url = create_database(postgres_server, "midway")
    monkeypatch.setenv("CAREPATH_WAREHOUSE", url)
    data_dir = load_settings(data_dir.data_dir)
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_1.csv",
               [{}, {"referral_id": "T-R2", "priority": "asap"}])
    real_insert = PostgresStore.insert_selected

    def insert_then_fail(self, stage, table, *args, **kwargs):
        real_insert(self, stage, table, *args, **kwargs)
        if table.startswith("raw."):
            raise RuntimeError("the machine died after the raw rows were sent")

    monkeypatch.setattr(PostgresStore, "insert_selected", insert_then_fail)
    with pytest.raises(RuntimeError, match="machine died"):
        load_new_files(data_dir, create_key=True)
    assert _rows(url, "select count(*) from raw.referrals") == [(0,)]
    assert _rows(url, "select count(*) from ops.quarantine") == [(0,)]
    assert _rows(url, "select count(*) from ops.loaded_files") == [(0,)]
    monkeypatch.setattr(PostgresStore, "insert_selected", real_insert)
    [loaded] = load_new_files(data_dir).files
    assert (loaded.rows_loaded, loaded.rows_quarantined) == (1, 1)
    assert _rows(url, "select count(*) from raw.referrals") == [(1,)]


def _reader_calls(published, sample) -> dict[str, pd.DataFrame]:
    """Every query the dashboard reads, with the arguments a page passes."""
    chosen = reader.Selection(sites=(sample["site"],), month_from=sample["month"],
                              month_to=sample["month"], priorities=("routine",))
    calls = {
        "sites": (), "filter_options": (), "site_performance": (chosen,),
        "waiting_list_monthly": (chosen,), "waiting_list_wait_bands": (chosen,),
        "monthly_indicator_series": (("referrals_received", "waiting_list_month_end"), chosen),
        "adherence_by_programme": (chosen,), "outcome_change_by_instrument": (),
        "waiting_now_by_site": (), "longest_waiters": (200, reader.EVERYTHING, True),
        "referrals": (chosen, 500, True), "adherence_referrals": (reader.EVERYTHING, 500),
        "registry_referrals": (reader.EVERYTHING, 500), "registry_completeness": (chosen,),
        "disagreeing_questionnaire_totals": (), "delivery_status": (),
        "quarantine_rules": (), "rejected_files": (), "bottlenecks": (10,),
        "quarantined_rows": (sample["quarantined_site"], sample["quarantined_delivery"],
                             sample["quarantined_rule"]),
        "spc_points": (sample["site"], "referrals_received", chosen),
        "spc_summary": (None, "referrals_received"), "spc_summaries": (chosen,),
        "funnel": ("prop_seen_within_target",), "indicators": (), "access_targets": (),
        "rows_loaded_by_site": (), "code_labels": (),
    }
    return {name: getattr(reader, name)(published, *args) for name, args in calls.items()}


def test_the_dashboard_reads_the_same_frames_from_postgres_as_from_duckdb(pipeline_run,
                                                                         postgres_run):
    duckdb_settings, _ = pipeline_run
    url, _, _, _, _ = postgres_run
    from_duckdb = PublishedFile(duckdb_settings.published_path)
    quarantined = reader.quarantine_rules(from_duckdb).iloc[0]
    months = reader.filter_options(from_duckdb).query("dimension == 'month'").value
    sample = {"site": reader.sites(from_duckdb).site_code.iloc[0],
              "month": date.fromisoformat(sorted(months)[len(months) // 2] + "-01"),
              "quarantined_site": quarantined.site_code,
              "quarantined_delivery": int(quarantined.delivery_id),
              "quarantined_rule": quarantined.rule}
    expected = _reader_calls(from_duckdb, sample)
    actual = _reader_calls(PublishedSchemas(url), sample)
    queries = {name for name, f in inspect.getmembers(reader, inspect.isfunction)
               if f.__module__ == reader.__name__ and not name.startswith("_")}
    # Every query but the publication's own time, which differs by design.
    assert queries - set(expected) == {"published_at"}
    assert sum(len(frame) for frame in expected.values()) > 500
    for name, frame in expected.items():
        ignored = [c for c in frame.columns if c in LOAD_TIME_COLUMNS]
        pdt.assert_frame_equal(actual[name].drop(columns=ignored),
                               frame.drop(columns=ignored), check_exact=False, rtol=1e-9,
                               obj=name)


PAGES = ["views/overview.py", "views/bottlenecks.py", "views/referral_pathway.py",
         "views/waiting_list.py", "views/adherence.py", "views/outcomes.py",
         "views/data_quality.py"]


def _pages_as_shown(monkeypatch, data_dir, warehouse_url: str | None) -> dict[str, list]:
    """Every page of the real app (Streamlit's AppTest), signed in as the all-sites user: its
    tiles and its tables as shown (after disclosure control), less the load-time columns."""
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(data_dir))
    if warehouse_url:
        monkeypatch.setenv("CAREPATH_WAREHOUSE", warehouse_url)
    else:
        monkeypatch.delenv("CAREPATH_WAREHOUSE", raising=False)
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    at = sign_in(at)
    shown = {}
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        tables = [df.value.drop(columns=[c for c in df.value.columns if c in LOAD_TIME_COLUMNS])
                  for df in at.dataframe]
        shown[page] = [[(m.label, m.value) for m in at.metric], tables]
    return shown


def test_every_dashboard_page_shows_the_same_on_postgres_as_on_duckdb(pipeline_run, postgres_run,
                                                                     dashboard_users,
                                                                     monkeypatch):
    duckdb_settings, _ = pipeline_run
    url, postgres_settings, _, _, _ = postgres_run
    monkeypatch.setenv("CAREPATH_USERS_FILE", str(dashboard_users))
    expected = _pages_as_shown(monkeypatch, duckdb_settings.data_dir, None)
    actual = _pages_as_shown(monkeypatch, postgres_settings.data_dir, url)
    assert sum(len(tables) for _, tables in expected.values()) >= 15
    for page, (metrics, tables) in expected.items():
        assert actual[page][0] == metrics, page
        assert len(actual[page][1]) == len(tables), page
        for number, (left, right) in enumerate(zip(actual[page][1], tables, strict=True)):
            pdt.assert_frame_equal(left, right, check_exact=False, rtol=1e-9,
                                   obj=f"{page} table {number}")
