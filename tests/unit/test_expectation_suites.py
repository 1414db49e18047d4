"""The GX suites in expectations/: well-formed, complete against the contract, and effective."""

from __future__ import annotations

import json

import duckdb
import pytest
from support.paths import ROOT

from carepath.contract import CODE_SETS, COLUMNS, EXTRACTS
from carepath.ingest.delivery_order import NEWEST_FIRST
from carepath.validate.gate import ValidationGate
from carepath.warehouse import ensure_schema, ensure_stage_schema, stage_columns

SUITES = ROOT / "expectations"


def _suite(extract: str) -> dict:
    return json.loads((SUITES / f"{extract}.json").read_text())


def _stored(name: str) -> str:
    return "patient_key" if name == "patient_id" else name


@pytest.mark.parametrize("extract", EXTRACTS)
def test_suite_loads_as_a_gx_expectation_suite(extract):
    import great_expectations as gx

    suite = gx.ExpectationSuite(**_suite(extract))
    assert suite.name == f"{extract}_gate"
    assert len(suite.expectations) == len(_suite(extract)["expectations"])


@pytest.mark.parametrize("extract", EXTRACTS)
def test_every_required_column_and_code_set_is_checked(extract):
    expectations = _suite(extract)["expectations"]
    not_null = {e["kwargs"]["column"] for e in expectations
                if e["type"] == "expect_column_values_to_not_be_null"}
    in_set = {e["kwargs"]["column"]: e["kwargs"]["value_set"] for e in expectations
              if e["type"] == "expect_column_values_to_be_in_set"}
    for col in COLUMNS[extract]:
        if col.required:
            assert _stored(col.name) in not_null, col.name
        if col.type == "code":
            assert in_set[col.name] == list(CODE_SETS[col.name]), col.name


@pytest.mark.parametrize("extract", EXTRACTS)
def test_suites_only_name_columns_the_stage_table_has(extract):
    staged = {name for name, _ in stage_columns(extract)}
    for e in _suite(extract)["expectations"]:
        kwargs = e["kwargs"]
        named = [kwargs.get(k) for k in ("column", "column_A", "column_B") if kwargs.get(k)]
        named += kwargs.get("column_list", [])
        if "row_condition" in kwargs:
            named.append(kwargs["row_condition"]["column"]["name"])
            assert kwargs["row_condition"]["parameter"] in CODE_SETS["instrument"]
        assert set(named) <= staged, (e["type"], named)
        assert e.get("description"), f"{e['type']} needs a description: it is the quarantine reason"


def test_every_instrument_has_a_plausible_range():
    ranged = {e["kwargs"]["row_condition"]["parameter"] for e in _suite("outcomes")["expectations"]
              if "row_condition" in e["kwargs"]}
    assert ranged == set(CODE_SETS["instrument"])


def test_a_session_is_judged_against_its_referrals_newest_delivery():
    """The attended-before-received rule reads a referral's current version in the loader's
    own delivery order, the one dbt's staging keeps too."""
    queries = [e["kwargs"].get("unexpected_rows_query", "")
               for e in _suite("sessions")["expectations"]]
    ordered = [q for q in queries if "row_number() over" in q and "raw.referrals" in q]
    assert ordered and all(f"order by {NEWEST_FIRST}, _line_number desc" in q for q in ordered)


def _stage_sessions(con, rows: list[tuple[int, str, int | None]]) -> None:
    """Stage sessions rows (line, status, delivered minutes) of one good referral."""
    ensure_schema(con)
    ensure_stage_schema(con)
    con.execute("delete from raw.referrals")
    con.execute("insert into raw.referrals (_delivery_id, _source_file, _line_number, "
                "_delivery_version, _arrived_at, site_code, referral_id, received_at) "
                "values (1, 'r.csv', 2, 1, timestamp '2026-01-03', 'ASH', 'R1', "
                "timestamp '2026-01-02 09:00')")
    cols = ", ".join(f"{n} {t}" for n, t in stage_columns("sessions"))
    con.execute(f"create or replace table stage.sessions ({cols})")
    con.executemany(
        "insert into stage.sessions values (1, 'f.csv', ?, NULL, NULL, 1, "
        "timestamp '2026-01-06', 'S' || ?, 'R1', 'p', 'ASH', "
        "'treatment', timestamp '2026-01-05 10:00', ?, ?, 'in_person', 'physiotherapist', "
        "NULL, 'ASH', timestamp '2000-01-01', timestamp '2026-02-01', "
        "timestamp '2026-01-05 10:00')",
        [(line, line, status, minutes) for line, status, minutes in rows])


def test_gate_fails_a_bad_duckdb_table_and_passes_a_good_one(tmp_path):
    """The GX SQL engine on DuckDB fails every expectation as shipped (GX #11579); the gate's
    fix must let a failing expectation fail for the data, and a passing one pass."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    _stage_sessions(con, [(2, "attended", 30)])
    gate = ValidationGate(con, SUITES)
    try:
        clean = gate.validate("sessions")
        assert clean.expectations_evaluated == len(_suite("sessions")["expectations"])
        assert clean.rows_failed_by_rule == {}
        _stage_sessions(con, [(2, "attended", 30), (3, "no_show", 30)])
        dirty = gate.validate("sessions")
        named = con.execute(f"select delivery_id, line_number, rule, offending_value "
                            f"from {dirty.failures_table}").fetchall()
    finally:
        gate.close()
        con.close()
    assert named == [(1, 3, "expect_column_values_to_be_in_set(status)", "status=no_show")]


def test_gate_names_every_failing_row_beyond_any_sample_cap(tmp_path):
    """GX lists at most 20 failing rows per expectation on SQL (partial_unexpected_count) even
    with the COMPLETE format; the gate must name all of them, and agree with GX's count."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    bad_status = [(line, "BOGUS", 30) for line in range(2, 2502)]
    too_long = [(line, "attended", 900) for line in range(2502, 2527)]
    _stage_sessions(con, [*bad_status, *too_long, (2527, "attended", 45)])
    gate = ValidationGate(con, SUITES)
    try:
        verdict = gate.validate("sessions")
        per_rule = dict(con.execute(f"select rule, count(distinct line_number) "
                                    f"from {verdict.failures_table} group by rule").fetchall())
    finally:
        gate.close()
        con.close()
    expected = {"expect_column_values_to_be_in_set(status)": 2500,
                "expect_column_values_to_be_between(delivered_minutes)": 25}
    assert per_rule == expected
    assert verdict.rows_failed_by_rule == expected
