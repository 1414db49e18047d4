"""The record of the latest load (`last_load.json`): when it finished and what became of each
file it judged. The DAG's load runs in a task whose log an operator rarely opens, so this record
is how `carepath status` (and `make pipeline`, which calls it) says file by file what the last
run loaded, rejected or held back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from carepath.ingest.loader import LoadReport
from carepath.settings import Settings


def record_load(settings: Settings, report: LoadReport) -> None:
    settings.last_load_path.write_text(json.dumps(
        {"finished_at": datetime.now(UTC).isoformat(timespec="seconds"), **report.as_dict()},
        indent=2, default=str) + "\n")


def last_load(settings: Settings) -> dict | None:
    path = settings.last_load_path
    return json.loads(path.read_text()) if path.exists() else None


def file_lines(record: dict) -> list[str]:
    """One line per file the load judged, and per file still arriving: every one, in the
    order judged."""
    lines = []
    for f in record["files"]:
        counts = (f" {f['rows_loaded']} rows loaded, {f['rows_quarantined']} quarantined"
                  if f["status"] == "loaded" else "")
        reason = f": {f['reason']}" if f.get("reason") else ""
        lines.append(f"{f['status']:<9} {f['source_file']}{counts}{reason}")
    lines += [f"{'waiting':<9} {w['file']}: {w['why']}" for w in record.get("waiting", [])]
    return lines
