"""Hostile values in a site's file never reach a document the product writes.

The Great Expectations data docs are HTML the dashboard offers for download: a value a site sent
must not be written into them at all (not even escaped), so markup cannot run there and a stray
identifier cannot be read there. The rows themselves are quarantined by the gate as usual.
"""

from __future__ import annotations

from support.extract_files import write_rows

from carepath.ingest.loader import load_new_files

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
