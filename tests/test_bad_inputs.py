"""The bad-input matrix (tests/fixtures/bad_inputs): each bad file is rejected whole or has
exactly its bad rows quarantined, with the expected reason, and every file reconciles."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from carepath.ingest.loader import load_new_files

MATRIX = Path(__file__).resolve().parent / "fixtures" / "bad_inputs"
CASES = yaml.safe_load((MATRIX / "cases.yml").read_text())


def test_the_matrix_has_at_least_25_cases_each_with_its_file():
    assert len(CASES) >= 25
    for case in CASES:
        assert len([p for p in (MATRIX / case).rglob("*") if p.is_file()]) == 1, case


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(case, data_dir):
    expected = CASES[case]
    shutil.copytree(MATRIX / "_base", data_dir.landing_dir, dirs_exist_ok=True)
    base = load_new_files(data_dir, create_key=True)
    assert [f.rows_loaded for f in base.files] == [1]
    shutil.copytree(MATRIX / case, data_dir.landing_dir, dirs_exist_ok=True)

    [outcome] = load_new_files(data_dir).files
    assert outcome.status == expected["status"], outcome.reason
    con = duckdb.connect(str(data_dir.warehouse_path), read_only=True)
    try:
        if expected["status"] == "rejected":
            assert expected["reason"] in outcome.reason
            assert outcome.source_file == next(
                str(p.relative_to(MATRIX / case)) for p in (MATRIX / case).rglob("*.*"))
            assert outcome.rows_loaded == 0
            return
        assert [outcome.rows_in_file, outcome.rows_loaded, outcome.rows_quarantined] == \
            expected["rows"]
        rows = con.execute("select line_number, rule, source_file from ops.quarantine "
                           "order by line_number, rule").fetchall()
        got: dict[int, list[str]] = {}
        for line, rule, source in rows:
            assert source == outcome.source_file
            got.setdefault(line, []).append(rule)
        assert got == {int(k): sorted(v) for k, v in (expected.get("quarantined") or {}).items()}
        in_raw = con.execute(f"select count(*) from raw.{outcome.extract} where _source_file = ?",
                             [outcome.source_file]).fetchall()[0][0]
        assert in_raw == outcome.rows_loaded
    finally:
        con.close()
