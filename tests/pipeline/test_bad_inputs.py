"""The bad-input matrix (tests/fixtures/bad_inputs): each case lands on top of _base/ (one good
ASH referral) and every entry it brings ends as expected: rejected whole with its reason, loaded
with exactly its bad rows quarantined under the expected rules, a duplicate, or ignored. Every
loaded file reconciles with an independent count of its data rows.

A case is a folder laid out like a landing folder. `cases.yml` gives, per case, either one
expectation (the case's only file) or `files:` (landing path -> expectation); `setup:` names
entries git cannot carry (a named pipe, a symbolic link), made before the load; a case folder's
`_mappings/` holds mapping files that replace or add to the project's for that case. A loaded
file's expectation may also name `quarantine_site_code`, the site its quarantined rows count
under (the folder it landed in, whatever the rows claim), and `offending`, a fragment of the
offending values its quarantined rows show (the reason a data manager reads).
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from support.paths import FIXTURES, ROOT

from carepath.ingest.loader import load_new_files
from carepath.ingest.mapping import load_site_mappings
from carepath.settings import Settings

MATRIX = FIXTURES / "bad_inputs"
CASES = yaml.safe_load((MATRIX / "cases.yml").read_text())
PROJECT_MAPPINGS = ROOT / "mappings"


def _case_files(case: str) -> list[str]:
    root = MATRIX / case
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and "_mappings" not in p.relative_to(root).parts)


def _expected_files(case: str) -> dict[str, dict]:
    spec = CASES[case]
    if "files" in spec:
        return spec["files"]
    [only] = _case_files(case)
    return {only: spec}


def _setup(landing: Path, outside: Path, steps: list[str]) -> None:
    for step in steps:
        if step == "fifo":
            (landing / "ASH" / "sessions").mkdir(parents=True, exist_ok=True)
            os.mkfifo(landing / "ASH" / "sessions" / "pipe.csv")
        elif step == "name_not_utf8":
            folder = landing / "ASH" / "sessions"
            folder.mkdir(parents=True, exist_ok=True)
            good = (folder / "good.csv").read_text()
            (folder / os.fsdecode(b"s\xff.csv")).write_text(good.replace("S-GOOD", "S-NAME"))
        elif step == "symlink_out":
            target = outside / "elsewhere.csv"
            target.write_text("session_id\nS1\n")
            (landing / "ASH" / "sessions").mkdir(parents=True, exist_ok=True)
            (landing / "ASH" / "sessions" / "link.csv").symlink_to(target)
        elif step == "symlinked_folder":
            (landing / "ASH" / "sessions").mkdir(parents=True, exist_ok=True)
            (landing / "ASH" / "sessions" / "linked").symlink_to(landing / "ASH" / "referrals")
        else:
            raise ValueError(f"unknown setup step {step!r}")


def _landed_name(recorded: str) -> str:
    """The file's own name from the ledger's: bytes that are not UTF-8 are recorded escaped
    (`\\xff`), the rest as they are."""
    if "\\x" not in recorded:
        return recorded
    return os.fsdecode(recorded.encode("ascii").decode("unicode_escape").encode("latin-1"))


def _data_rows(path: Path, encoding: str, delimiter: str, skip: int) -> int:
    # A byte the encoding leaves undefined is a row's problem, not the count's.
    with path.open(encoding=encoding, newline="", errors="replace") as fh:
        for _ in range(skip):
            fh.readline()
        return sum(1 for record in csv.reader(fh, delimiter=delimiter) if record) - 1


def test_the_matrix_covers_at_least_60_cases_each_with_its_files():
    assert len(CASES) >= 60
    for case in CASES:
        assert (MATRIX / case).is_dir(), case
        if "files" not in CASES[case]:
            assert len(_case_files(case)) == 1, case


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(case, data_dir: Settings, tmp_path, monkeypatch):
    spec = CASES[case]
    if (MATRIX / case / "_mappings").is_dir():
        mappings = tmp_path / "mappings"
        shutil.copytree(PROJECT_MAPPINGS, mappings)
        shutil.copytree(MATRIX / case / "_mappings", mappings, dirs_exist_ok=True)
        monkeypatch.setenv("CAREPATH_MAPPINGS_DIR", str(mappings))
    shutil.copytree(MATRIX / "_base", data_dir.landing_dir, dirs_exist_ok=True)
    base = load_new_files(data_dir, create_key=True)
    assert [f.rows_loaded for f in base.files] == [1]
    shutil.copytree(MATRIX / case, data_dir.landing_dir, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("_mappings"))
    _setup(data_dir.landing_dir, tmp_path, spec.get("setup", []))

    report = load_new_files(data_dir)
    # Every entry is judged once: the next run finds nothing left to judge.
    assert load_new_files(data_dir).files == []
    got = {f.source_file: f for f in report.files}
    expected = _expected_files(case)
    assert sorted(got) == sorted(expected), [(f.source_file, f.status, f.reason)
                                             for f in report.files]
    con = duckdb.connect(str(data_dir.warehouse_path), read_only=True)
    try:
        for name, want in expected.items():
            outcome = got[name]
            assert outcome.status == want["status"], (name, outcome.reason)
            if "reason" in want:
                assert want["reason"] in (outcome.reason or ""), (name, outcome.reason)
            if outcome.status != "loaded":
                assert outcome.rows_loaded == 0
                if "rows_in_file" in want:
                    assert outcome.rows_in_file == want["rows_in_file"], name
                continue
            assert [outcome.rows_in_file, outcome.rows_loaded, outcome.rows_quarantined] == \
                want["rows"], name
            mapping = load_site_mappings(data_dir.mappings_dir).usable[outcome.site_code]
            assert outcome.rows_in_file == _data_rows(
                data_dir.landing_dir / _landed_name(name), mapping.encoding, mapping.delimiter,
                mapping.skip_lines), name
            quarantined: dict[int, list[str]] = {}
            for line, rule in con.execute(
                    "select line_number, rule from ops.quarantine where source_file = ? "
                    "order by line_number, rule", [name]).fetchall():
                quarantined.setdefault(line, []).append(rule)
            if "quarantine_site_code" in want:
                sites = {r[0] for r in con.execute(
                    "select distinct site_code from ops.quarantine where source_file = ?",
                    [name]).fetchall()}
                assert sites == {want["quarantine_site_code"]}, name
            assert quarantined == {int(k): sorted(v)
                                   for k, v in (want.get("quarantined") or {}).items()}, name
            if "offending" in want:
                shown = " | ".join(v for (v,) in con.execute(
                    "select offending_value from ops.quarantine where source_file = ?",
                    [name]).fetchall())
                assert want["offending"] in shown, (name, shown)
            in_raw = con.execute(f"select count(*) from raw.{outcome.extract} "
                                 f"where _source_file = ?", [name]).fetchall()[0][0]
            assert in_raw == outcome.rows_loaded, name
    finally:
        con.close()
