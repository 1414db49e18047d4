"""The pipeline's steps, shared by the Airflow DAG (one task each) and `carepath run`.

load -> build -> publish. A build is needed whenever the published marts are older than the
warehouse (its ledger changed since the publication, whether or not the run that changed it got
as far as publishing) or than the dbt project; otherwise it is skipped, so re-running is quick and
idempotent. Every step holds the data folder's run lock; a failed build publishes nothing and
leaves its reason in `last_build.json` for `carepath status` and the dashboard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from carepath.ingest.load_record import record_load
from carepath.ingest.loader import LoadProgress, LoadReport, load_new_files
from carepath.publish.publication import (
    current_publication,
    ledger_state,
    publish,
    published_copy_damaged,
    rows_in_warehouse,
)
from carepath.run_lock import run_lock
from carepath.settings import Settings
from carepath.transform.build_record import needs_full_refresh, record_build
from carepath.transform.dbt_build import DbtReport, build_marts, project_fingerprint

log = logging.getLogger(__name__)

NOTHING_LOADED = ("nothing loaded yet: no file has reached the warehouse, so the marts are "
                  "built empty (files still arriving are loaded by the next run)")


class PipelineFailed(RuntimeError):
    pass


def load_step(settings: Settings, create_key: bool = False, wait: bool = True) -> dict:
    with run_lock(settings.lock_path, wait=wait):
        report = load_new_files(settings, create_key=create_key)
        record_load(settings, report)
        return report.as_dict()


def staleness(settings: Settings) -> list[str]:
    """Why the publication does not show the warehouse as it is now (empty: it does)."""
    published = current_publication(settings)
    if published is None:
        return ["nothing is published yet"]
    if published_copy_damaged(settings):
        return ["the published copy is damaged (its checksum differs from the one recorded "
                "at publication)"]
    reasons = []
    if published.ledger_state != ledger_state(settings):
        reasons.append("rows were loaded or released since the publication")
    if published.dbt_fingerprint != project_fingerprint(settings.dbt_project_dir):
        reasons.append("the dbt project changed since the publication")
    return reasons


def needs_build(settings: Settings, force: bool = False) -> bool:
    return force or bool(staleness(settings))


def _build(settings: Settings, force: bool = False,
           progress: RunProgress | None = None) -> DbtReport:
    """dbt build, in full when forced or when the incremental models cannot build on the
    previous build, and its record (what passed, with which project) for the next build and
    `carepath status`. With `progress`, dbt's output goes to its log file only and the nodes
    it finishes are counted there; without, it is echoed (a DAG task's log keeps it)."""
    fingerprint = project_fingerprint(settings.dbt_project_dir)
    full = force or needs_full_refresh(settings, fingerprint)
    report = build_marts(settings, full_refresh=full, echo=progress is None,
                         on_node=progress.node_done if progress is not None else None)
    record_build(settings, {**report.as_dict(), "project_fingerprint": fingerprint})
    return report


def build_step(settings: Settings, wait: bool = True, force: bool = False) -> dict:
    """Build the marts; `force` (the DAG's force_build) rebuilds every model from raw."""
    with run_lock(settings.lock_path, wait=wait):
        report = _build(settings, force)
    if not report.success:
        # Nothing is published from a failed build: the dashboard keeps the last good copy.
        raise PipelineFailed("dbt build failed; marts not published:\n  "
                             + "\n  ".join(report.failures or ["see dbt logs"]))
    return report.as_dict()


def publish_step(settings: Settings, run_info: dict, wait: bool = True) -> str:
    with run_lock(settings.lock_path, wait=wait):
        return str(publish(settings, project_fingerprint(settings.dbt_project_dir),
                           ledger_state(settings), run_info))


@dataclass
class RunSummary:
    load: LoadReport
    build: DbtReport | None = None
    published_to: str | None = None
    errors: list[str] = field(default_factory=list)
    nothing_loaded: bool = False  # no row has reached the warehouse: the marts are empty

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"load": self.load.as_dict(), "build": self.build.as_dict() if self.build else None,
                "published_to": self.published_to, "errors": self.errors,
                "nothing_loaded": self.nothing_loaded}

    def render(self) -> str:
        by_status: dict[str, int] = {}
        for f in self.load.files:
            by_status[f.status] = by_status.get(f.status, 0) + 1
        lines = [
            "carepath run summary",
            f"  files: {len(self.load.files)} new ("
            + (", ".join(f"{n} {status}" for status, n in sorted(by_status.items())) or "none")
            + f"), {self.load.already_loaded} already in the ledger, "
            f"{len(self.load.waiting)} still arriving",
            f"  rows: {self.load.rows_loaded} loaded ({self.load.rows_released} released from "
            f"quarantine), {self.load.rows_quarantined} quarantined"
            + (f" ({self.load.rows_withdrawn} withdrawn from raw: a corrected referral now "
               "fails them)" if self.load.rows_withdrawn else ""),
        ]
        for f in self.load.files:
            if f.status == "rejected":
                lines.append(f"    rejected {f.source_file}: {f.reason}")
        for name, why in self.load.waiting:
            lines.append(f"    waiting {name}: {why}")
        if self.nothing_loaded:
            lines.append(f"  {NOTHING_LOADED}")
        if self.build is None:
            lines.append("  dbt: skipped (the publication is up to date)")
        else:
            lines.append(f"  dbt: {'passed' if self.build.success else 'FAILED'}, "
                         f"{self.build.tests_passed} tests passed, "
                         f"{self.build.tests_failed} failed"
                         + (f" (its output: {self.build.log_file})"
                            if self.build.log_file else ""))
        lines.append(f"  published: {self.published_to or 'unchanged'}")
        lines += [f"  error: {e}" for e in self.errors]
        return "\n".join(lines)


class RunProgress(LoadProgress, Protocol):
    """What a caller hears of a run as it goes (carepath.run_progress shows it)."""

    def step(self, name: str) -> None: ...

    def node_done(self, done: int, total: int) -> None: ...


def run_pipeline(settings: Settings, force_build: bool = False, wait: bool = False,
                 progress: RunProgress | None = None) -> RunSummary:
    """Everything the DAG does, in one process, for use without a scheduler. Raises RunLocked
    when another run holds the data folder (unless `wait`). `progress` hears each step."""
    with run_lock(settings.lock_path, wait=wait):
        if progress is not None:
            progress.step("load")
        summary = RunSummary(load=load_new_files(settings, create_key=True, progress=progress))
        record_load(settings, summary.load)
        summary.nothing_loaded = rows_in_warehouse(settings) == 0
        if not needs_build(settings, force_build):
            return summary
        if progress is not None:
            progress.step("build")
        summary.build = _build(settings, force_build, progress)
        if not summary.build.success:
            summary.errors.append("dbt build failed; marts not published (the dashboard keeps "
                                  "the last good publication)")
            summary.errors += summary.build.failures
            return summary
        if progress is not None:
            progress.step("publish")
        summary.published_to = publish_step(settings, summary.as_dict())
    return summary
