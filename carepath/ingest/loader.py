"""Load landed files into the warehouse, one atomic transaction per file.

For each file the ledger has not seen (by SHA-256): stage it in canonical form, let the Great
Expectations gate judge every row, then in one transaction append the passing rows to
`raw.<extract>`, the failing rows to `ops.quarantine` with the rule that failed, and the file to
`ops.loaded_files`. A crash anywhere before the commit leaves the warehouse as it was and the
file unrecorded, so the next run picks it up again. Every file reconciles:
rows in file = rows loaded + rows quarantined.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from carepath.ingest import pseudonym
from carepath.ingest.discover import file_sha256, landed_files
from carepath.ingest.mapping import SiteMapping, load_mappings
from carepath.contract import EXTRACTS
from carepath.ingest.stage import FileRejected, LandedFile, classify, create_stage, stage_file
from carepath.settings import Settings
from carepath.validate.gate import RowFailure, ValidationGate
from carepath.warehouse import LINEAGE, canonical_columns, connect, ensure_schema

log = logging.getLogger(__name__)


@dataclass
class FileOutcome:
    source_file: str
    site_code: str | None
    extract: str | None
    status: str  # loaded | rejected
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rejection_reason: str | None = None


@dataclass
class LoadReport:
    files: list[FileOutcome]
    already_loaded: int

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def files_rejected(self) -> int:
        return sum(f.status == "rejected" for f in self.files)

    def as_dict(self) -> dict:
        return {"files": [asdict(f) for f in self.files], "already_loaded": self.already_loaded,
                "rows_loaded": self.rows_loaded, "rows_quarantined": self.rows_quarantined,
                "files_rejected": self.files_rejected}


def _known_checksums(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select file_sha256 from ops.loaded_files").fetchall()}


class _DeliveryIds:
    """Hands out delivery ids in load order. One process writes the warehouse at a time, so
    counting on from the ledger's maximum is safe; ids of a run that died are simply unused."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._next = con.execute(
            "select coalesce(max(delivery_id), 0) + 1 from ops.loaded_files").fetchall()[0][0]

    def take(self) -> int:
        self._next += 1
        return self._next - 1


def _record(con: duckdb.DuckDBPyConnection, delivery_id: int, sha: str, path: Path,
            outcome: FileOutcome) -> None:
    con.execute(
        "insert into ops.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
        [delivery_id, sha, outcome.source_file, outcome.site_code, outcome.extract, outcome.status,
         outcome.rejection_reason, outcome.rows_in_file, outcome.rows_loaded,
         outcome.rows_quarantined, datetime.fromtimestamp(path.stat().st_mtime)])


def _commit_file(con: duckdb.DuckDBPyConnection, sha: str, outcome: FileOutcome,
                 delivery_id: int, path: Path, failures: list[RowFailure]) -> None:
    """One transaction: passing rows to raw, failing rows to quarantine, the file to the ledger."""
    extract = outcome.extract
    stored = ", ".join(name for name, _ in canonical_columns(extract))
    lineage = ", ".join(name for name, _ in LINEAGE)
    con.execute("begin transaction")
    try:
        con.execute("create or replace temp table failed_lines (line_number BIGINT, "
                    "rule VARCHAR, description VARCHAR, offending_value VARCHAR)")
        if failures:
            con.executemany("insert into failed_lines values (?, ?, ?, ?)",
                            [(f.line_number, f.rule, f.description, f.offending_value)
                             for f in failures])
        con.execute(f"""
            insert into ops.quarantine
            select s._delivery_id, s._source_file, f.line_number, s.site_code, ?, f.rule,
                   f.description, f.offending_value,
                   to_json(struct_pack({lineage}, {stored}))::VARCHAR, current_timestamp
            from failed_lines f
            join stage.{extract} s on s._delivery_id = ? and s._line_number = f.line_number""",
                    [extract, delivery_id])
        con.execute(f"""
            insert into raw.{extract} ({lineage}, {stored}, _loaded_at)
            select {lineage}, {stored}, current_timestamp
            from stage.{extract}
            where _delivery_id = ?
              and _line_number not in (select line_number from failed_lines)""",
                    [delivery_id])
        outcome.rows_quarantined = len({f.line_number for f in failures})
        outcome.rows_loaded = outcome.rows_in_file - outcome.rows_quarantined
        _record(con, delivery_id, sha, path, outcome)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _rejected(relative: str, problem: str) -> FileOutcome:
    parts = Path(relative).parts
    log.warning("rejected %s: %s", relative, problem)
    return FileOutcome(relative, parts[0] if len(parts) > 1 else None,
                       parts[1] if len(parts) > 2 else None, "rejected", rejection_reason=problem)


def _load_extract(con: duckdb.DuckDBPyConnection, gate: ValidationGate, ids: _DeliveryIds,
                  extract: str, batch: list[tuple[Path, str, LandedFile]],
                  mappings: dict[str, SiteMapping]) -> list[FileOutcome]:
    """Stage a batch of new files of one extract, judge them in one suite run, commit each."""
    create_stage(con, extract)
    staged: list[tuple[Path, str, int, FileOutcome]] = []
    outcomes: list[FileOutcome] = []
    for path, sha, landed in batch:
        delivery_id = ids.take()
        try:
            rows = stage_file(con, landed, mappings[landed.site_code], delivery_id)
        except FileRejected as exc:
            outcome = _rejected(landed.relative, exc.problem)
            _record(con, delivery_id, sha, path, outcome)
            outcomes.append(outcome)
            continue
        staged.append((path, sha, delivery_id,
                       FileOutcome(landed.relative, landed.site_code, extract, "loaded", rows)))
    if not staged:
        return outcomes
    verdict = gate.validate(extract)
    by_delivery: dict[int, list[RowFailure]] = {}
    for failure in verdict.row_failures:
        by_delivery.setdefault(failure.delivery_id, []).append(failure)
    for path, sha, delivery_id, outcome in staged:
        if verdict.file_problems:
            outcome = _rejected(outcome.source_file, "; ".join(verdict.file_problems))
            _record(con, delivery_id, sha, path, outcome)
        else:
            _commit_file(con, sha, outcome, delivery_id, path, by_delivery.get(delivery_id, []))
        log.info("%s: %s (%d loaded, %d quarantined)", outcome.source_file, outcome.status,
                 outcome.rows_loaded, outcome.rows_quarantined)
        outcomes.append(outcome)
    return outcomes


def load_new_files(settings: Settings, create_key: bool = False) -> LoadReport:
    """Load every landed file not yet in the ledger; returns what happened to each."""
    mappings = load_mappings(settings.mappings_dir)
    key = pseudonym.load_key(settings.secret_key_path, create=create_key)
    landing = settings.landing_dir
    outcomes: list[FileOutcome] = []
    already = 0
    with connect(settings.warehouse_path) as con:
        ensure_schema(con)
        pseudonym.register(con, key)
        known = _known_checksums(con)
        ids = _DeliveryIds(con)
        batches: dict[str, list[tuple[Path, str, LandedFile]]] = {e: [] for e in EXTRACTS}
        for path in landed_files(landing):
            sha = file_sha256(path)
            if sha in known:
                already += 1
                continue
            known.add(sha)  # the same bytes landed twice in one run load once
            try:
                landed = classify(path, landing, mappings)
            except FileRejected as exc:
                outcome = _rejected(str(path.relative_to(landing)), exc.problem)
                _record(con, ids.take(), sha, path, outcome)
                outcomes.append(outcome)
                continue
            batches[landed.extract].append((path, sha, landed))
        gate = ValidationGate(con, settings.expectations_dir, settings.gx_dir / "data_docs")
        try:
            for extract in EXTRACTS:
                if batches[extract]:
                    outcomes += _load_extract(con, gate, ids, extract, batches[extract], mappings)
        finally:
            gate.close()
    return LoadReport(outcomes, already)
