"""Hostile values in a site's file never reach a document the product writes.

The Great Expectations data docs are HTML the dashboard offers for download: a value a site sent
must not be written into them at all (not even escaped), so markup cannot run there and a stray
identifier cannot be read there. The rows themselves are quarantined by the gate as usual.
"""

from __future__ import annotations

import shutil

import duckdb
from support.extract_files import write_rows
from support.paths import ROOT

from carepath.ingest.loader import load_new_files
from carepath.pipeline import run_pipeline
from carepath.publish import reader
from carepath.publish.csv_export import formula_safe_csv

MARKER = "hostile-7f3a"
MARKUP = f"<img src=x onerror=alert('{MARKER}')>"


def test_values_a_site_sent_are_not_written_into_the_data_docs(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-03.csv", [
        {"referral_id": "OK-1"},
        {"referral_id": "BAD-1", "priority": f"<script>{MARKER}</script>"},
    ])
    write_rows(data_dir.landing_dir, "ASH", "sessions", "ASH_sessions_2026-03.csv", [
        {"session_id": "S-1", "referral_id": "OK-1", "status": MARKUP},
    ])
    report = load_new_files(data_dir, create_key=True)

    assert report.rows_quarantined == 2
    docs = data_dir.gx_dir / "data_docs"
    written = [p for p in docs.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in written), "the load must have built the data docs"
    for path in written:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert MARKER not in text, f"{path.relative_to(docs)} carries a value from the file"


# Identifier-looking values, each in a column where it does not belong. NHS numbers with valid
# check digits (943 476 5919 is NHS Digital's published example; the others computed here).
NHS_NUMBER = "943 476 5919"
IDENTIFIERS = {
    "nhs_in_priority": ("referrals", {"referral_id": "ID-1", "priority": NHS_NUMBER}),
    "email_in_reason": ("referrals", {"referral_id": "ID-2",
                                      "referral_reason": "jo.bloggs@example.org"}),
    "phone_in_cancer_type": ("referrals", {"referral_id": "ID-3",
                                           "cancer_type": "07700 900123"}),
    "postcode_in_referral_id": ("referrals", {"referral_id": "LS1 4AP"}),
    "hospital_number_in_programme": ("referrals", {"referral_id": "ID-5",
                                                   "programme_type": "K7654321"}),
    "nhs_as_a_number": ("referrals", {"referral_id": "ID-6", "planned_weeks": "4010232137"}),
    "unspaced_postcode_in_cancer_type": ("referrals", {"referral_id": "ID-7",
                                                       "cancer_type": "SW1A1AA"}),
    "nhs_in_session_id": ("sessions", {"session_id": "401-023-2137", "referral_id": "OK-1"}),
    "phone_in_mode": ("sessions", {"session_id": "S-2", "referral_id": "OK-1",
                                   "mode": "+44 20 7946 0018"}),
    "email_in_items": ("outcomes", {"measure_id": "M-1", "referral_id": "OK-1",
                                    "instrument": "pain_nrs", "value": "",
                                    "item_responses": "call me: jo.bloggs@example.org"}),
}
# The reader queries whose results the dashboard shows as tables with a CSV download.
DASHBOARD_TABLES = ["site_performance", "waiting_now_by_site", "longest_waiters",
                    "disagreeing_questionnaire_totals", "delivery_status", "quarantine_rules",
                    "rejected_files", "referrals", "waiting_list_monthly",
                    "registry_completeness", "spc_summaries"]
RAW_VALUES = ["943 476 5919", "9434765919", "jo.bloggs", "07700 900123", "LS1 4AP", "K7654321",
              "4010232137", "401-023-2137", "7946 0018", "PAT-HOSTILE-1", "SW1A1AA"]


def _every_text_in(path) -> list[str]:
    """Every value of every table in a DuckDB file, as text."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        cells = []
        for schema, table in tables:
            for row in con.execute(f'select * from "{schema}"."{table}"').fetchall():
                cells.extend(str(v) for v in row if v is not None)
        return cells
    finally:
        con.close()


def test_identifier_looking_values_are_withheld_everywhere(data_dir, tmp_path, monkeypatch):
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", mappings)
    ash = mappings / "ASH.yml"
    ash.write_text(ash.read_text().replace(
        "file:\n", "file:\n  hospital_number_pattern: '[A-Z][0-9]{7}'\n", 1))
    monkeypatch.setenv("CAREPATH_MAPPINGS_DIR", str(mappings))
    monkeypatch.setenv("CAREPATH_PSEUDONYM_KEY", "hostile-values-key-" + "e" * 32)
    rows = {"referrals": [{"referral_id": "OK-1", "patient_id": "PAT-HOSTILE-1"}],
            "sessions": [], "outcomes": []}
    for extract, row in IDENTIFIERS.values():
        rows[extract].append(row)
    for extract, extract_rows in rows.items():
        write_rows(data_dir.landing_dir, "ASH", extract, f"ASH_{extract}_2026-03.csv",
                   extract_rows)

    summary = run_pipeline(data_dir)

    assert summary.ok, summary.render()
    assert summary.load.rows_loaded == 1, "only the clean referral loads"
    assert summary.load.rows_quarantined == len(IDENTIFIERS)
    reasons = {r[0] for r in _quarantine_offending_values(data_dir)}
    for kind in ("an NHS number", "an email address", "a phone number", "a postcode",
                 "a hospital number"):
        assert any(f"(looks like {kind})" in reason for reason in reasons), kind
    stored = "\n".join(_every_text_in(data_dir.warehouse_path))
    published = "\n".join(_every_text_in(data_dir.published_path))
    # Every other file the run wrote: the data docs, dbt's target and logs, the build record.
    written = {p: p.read_bytes().decode("utf-8", errors="replace")
               for p in data_dir.data_dir.rglob("*")
               if p.is_file() and p.suffix != ".duckdb" and "landing" not in p.parts
               and "secrets" not in p.parts}
    assert any("data_docs" in p.parts for p in written) and any("dbt" in p.parts for p in written)
    for value in RAW_VALUES:
        assert value not in stored, f"{value!r} is stored in the warehouse"
        assert value not in published, f"{value!r} is published"
        for path, text in written.items():
            assert value not in text, f"{value!r} is written into {path}"
    # What the dashboard offers as CSV: every table its pages read, as the pages write it.
    exports = "\n".join(formula_safe_csv(getattr(reader, query)(data_dir.published_path))
                        .decode("utf-8") for query in DASHBOARD_TABLES)
    assert "expect_column_values_to_be_null(_parse_failures)" in exports, \
        "the exports must hold the quarantine of the hostile rows"
    for value in RAW_VALUES:
        assert value not in exports, f"{value!r} is in a dashboard CSV export"
    assert "[withheld: looks like an NHS number]" in stored


def _quarantine_offending_values(settings) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute("select offending_value from ops.quarantine").fetchall()
    finally:
        con.close()
