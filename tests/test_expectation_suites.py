"""The GX suites in expectations/: well-formed, complete against the contract, and effective."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from carepath.contract import CODE_SETS, COLUMNS, EXTRACTS
from carepath.validate.gate import ValidationGate
from carepath.warehouse import stage_columns

SUITES = Path(__file__).resolve().parents[1] / "expectations"


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


def test_gate_fails_a_bad_duckdb_table_and_passes_a_good_one(tmp_path):
    """The GX SQL engine on DuckDB fails every expectation as shipped (GX #11579); the gate's
    fix must let a failing expectation fail for the data, and a passing one pass."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema stage; create schema raw")
    con.execute("create table raw.referrals as select 'ASH' as site_code, 'R1' as referral_id")
    cols = ", ".join(f"{n} {t}" for n, t in stage_columns("sessions"))
    con.execute(f"create table stage.sessions ({cols})")
    good = ("1, 'f.csv', {line}, 'S{line}', 'R1', 'k', 'ASH', 'treatment', "
            "timestamp '2026-01-05 10:00', '{status}', 30, 'in_person', 'physiotherapist', "
            "NULL, 'ASH'")
    con.execute(f"insert into stage.sessions values ({good.format(line=2, status='attended')})")
    gate = ValidationGate(con, SUITES)
    try:
        clean = gate.validate("sessions")
        assert clean.expectations_evaluated == len(_suite("sessions")["expectations"])
        assert clean.row_failures == [] and clean.file_problems == []
        con.execute(f"insert into stage.sessions values "
                    f"({good.format(line=3, status='no_show')})")
        dirty = gate.validate("sessions")
    finally:
        gate.close()
        con.close()
    assert [(f.delivery_id, f.line_number, f.rule, f.offending_value)
            for f in dirty.row_failures] == [
        (1, 3, "expect_column_values_to_be_in_set(status)", "status=no_show")]
