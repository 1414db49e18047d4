"""The record of the latest dbt build (`last_build.json`): when it finished, whether it passed,
and, when it failed, which tests on which rows. A failed build publishes nothing, so this record
is how `carepath status` and the dashboard say why the publication is older than the data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from carepath.settings import Settings


def record_build(settings: Settings, report_fields: dict) -> None:
    settings.last_build_path.write_text(json.dumps(
        {"finished_at": datetime.now(UTC).isoformat(timespec="seconds"), **report_fields},
        indent=2, default=str) + "\n")


def last_build(settings: Settings) -> dict | None:
    path = settings.last_build_path
    return json.loads(path.read_text()) if path.exists() else None


def needs_full_refresh(settings: Settings, fingerprint: str) -> bool:
    """Incremental models keep what earlier builds computed, so they may build incrementally
    only on top of a build that passed with this same dbt project. After a change to the models,
    or a build that failed part-way, everything is rebuilt from the raw history."""
    build = last_build(settings)
    return (build is None or not build.get("success")
            or build.get("project_fingerprint") != fingerprint)


def failed_build(settings: Settings) -> dict | None:
    """The latest build's record when it failed (it published nothing), else None."""
    build = last_build(settings)
    return None if build is None or build.get("success") else build
