"""Free text a site typed into a code column (a name, an honorific, an address, a phone number)
is never stored or shown: its row is quarantined under the code-set rule with the value withheld
as `[withheld: free text, N characters]`, in the warehouse, the published copy, the data docs
and `carepath check`'s report. A value that looks like a code (one short token) is kept, so a
data manager can map it."""

from __future__ import annotations

import subprocess

import duckdb
from support.extract_files import write_rows
from support.paths import BIN

from carepath.contract import CODE_SETS, COLUMNS
from carepath.pipeline import run_pipeline

FREE_TEXT = ["Mrs Jane Doe", "Dr. A. N. Other", "12 Acacia Avenue, Leeds LS1 4AB",
             "call 07700 900123", "Mr Smith (son) to phone back", "Ms O'Brien"]
CODE_LIKE = "dna_b"


def _rows(extract: str) -> list[dict]:
    """One row per code column of the extract, each with free text in it; one with a value that
    looks like a code."""
    key = {"referrals": "referral_id", "sessions": "session_id", "outcomes": "measure_id"}[extract]
    columns = [c.name for c in COLUMNS[extract] if c.type == "code" and c.name in CODE_SETS]
    rows = [{key: f"FT-{extract[0]}{i}", column: FREE_TEXT[i % len(FREE_TEXT)]}
            for i, column in enumerate(columns)]
    return [*rows, {key: f"CODE-{extract[0]}", columns[-1]: CODE_LIKE}]


def _text_anywhere(path, needles: list[str]) -> list[tuple[str, str]]:
    """(table.column, needle) for every text column of every table holding a needle."""
    found = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute("""
            select schema_name, table_name, column_name from duckdb_columns()
            where data_type = 'VARCHAR' and schema_name not in ('information_schema',
                                                                'pg_catalog')""").fetchall()
        for schema, table, column in columns:
            for needle in needles:
                [(hits,)] = con.execute(
                    f'select count(*) from "{schema}"."{table}" '
                    f'where contains("{column}", ?)', [needle]).fetchall()
                if hits:
                    found.append((f"{schema}.{table}.{column}", needle))
    finally:
        con.close()
    return found


def test_free_text_in_every_code_column_is_withheld_everywhere(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-03.csv",
               [{"referral_id": "T-R1"}, *_rows("referrals")])
    write_rows(data_dir.landing_dir, "ASH", "sessions", "ASH_sessions_2026-03.csv",
               _rows("sessions"))
    write_rows(data_dir.landing_dir, "ASH", "outcomes", "ASH_outcomes_2026-03.csv",
               _rows("outcomes"))
    summary = run_pipeline(data_dir)
    assert summary.load.rows_loaded == 1, summary.render()

    con = duckdb.connect(str(data_dir.warehouse_path), read_only=True)
    try:
        shown = dict(con.execute("""
            select offending_value, count(*) from ops.quarantine
            where rule like 'expect_column_values_to_be_in_set(%' group by all""").fetchall())
    finally:
        con.close()
    withheld = {v for v in shown if v.split("=", 1)[1].startswith("[withheld: ")}
    sent = sum(len(_rows(e)) - 1 for e in ("referrals", "sessions", "outcomes"))
    assert sum(shown[v] for v in withheld) == sent, shown
    assert "[withheld: free text, 12 characters]" in {v.split("=", 1)[1] for v in withheld}
    # The one-token value is kept for the data manager to map.
    assert any(v.endswith("=" + CODE_LIKE) for v in shown), shown

    needles = [*FREE_TEXT, "Jane Doe", "Acacia", "07700"]
    assert _text_anywhere(data_dir.warehouse_path, needles) == []
    assert _text_anywhere(data_dir.published_path, needles) == []
    for path in (data_dir.gx_dir / "data_docs").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [n for n in needles if n in text], path

    checked = subprocess.run(
        [str(BIN / "carepath"), "check", "--site", "ASH",
         str(data_dir.landing_dir / "ASH" / "referrals" / "ASH_referrals_2026-03.csv")],
        capture_output=True, text=True, timeout=600)
    assert checked.returncode == 1, checked.stdout[-2000:] + checked.stderr[-2000:]
    assert "expect_column_values_to_be_in_set" in checked.stdout, checked.stdout[-2000:]
    assert not [n for n in needles if n in checked.stdout + checked.stderr]
