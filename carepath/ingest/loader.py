"""Load landed files into the warehouse: every entry judged, every row accounted for.

A run walks the landing folder (discover.py) and takes each entry the ledger has not settled.
Files of one extract are staged together in canonical form, the Great Expectations gate judges
all their rows at once, and the batch commits in one transaction: passing rows to
`raw.<extract>`, failing rows to `ops.quarantine` with every rule they failed, and each file to
the ledger. Referrals go first; then the rules that compare a session or outcome with its
referral are judged again for the referrals that arrived or changed (referral_rules.py), so
rows held for them are released and rows a correction now fails are withdrawn; then sessions
and outcomes. A crash before a batch's commit leaves the warehouse as
it was and its files unrecorded, so the next run takes them again.

A problem with one file (unreadable, malformed, a site without a usable mapping) rejects that
file with the reason and the run goes on with the others. Every loaded file reconciles:
rows in file (counted independently) = rows loaded + rows quarantined.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from time import perf_counter
from typing import Protocol

import duckdb

from carepath.contract import EXTRACTS
from carepath.ingest import pseudonym
from carepath.ingest.delivery_order import DeliveryOrder, named_order
from carepath.ingest.discover import LandingEntry, file_sha256, scan_landing
from carepath.ingest.identifier_headers import load_identifier_headers
from carepath.ingest.ledger import Carrier, FileOutcome, Ledger, landed_site_and_extract
from carepath.ingest.mapping import (
    NameFacts,
    NamePatternTooSlow,
    SiteMapping,
    SiteMappings,
    load_site_mappings,
)
from carepath.ingest.records import rows_in_unloadable_file
from carepath.ingest.referral_rules import (
    REFERRAL_CHECKED_EXTRACTS,
    expose_referrals,
    rejudge_referral_rules,
)
from carepath.ingest.stage import Delivery, FileRejected, create_stage, drop_stage, stage_files
from carepath.settings import Settings
from carepath.store import NUL_STAND_IN, Store, open_store
from carepath.validate.gate import ValidationGate, Verdict
from carepath.warehouse import (
    LINEAGE,
    QUARANTINE_COLUMNS,
    canonical_columns,
    ensure_schema,
    ensure_stage_schema,
)

log = logging.getLogger(__name__)



@dataclass
class LoadReport:
    files: list[FileOutcome]
    already_loaded: int
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (file, why) for next run
    rows_released: int = 0  # held rows of earlier files that reached raw
    rows_withdrawn: int = 0  # rows in raw a corrected referral sent back to the quarantine
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files) + self.rows_released

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files) + self.rows_withdrawn

    @property
    def files_rejected(self) -> int:
        return sum(f.status == "rejected" for f in self.files)

    def as_dict(self) -> dict:
        return {"files": [f.as_dict() for f in self.files], "already_loaded": self.already_loaded,
                "waiting": [{"file": f, "why": why} for f, why in self.waiting],
                "rows_loaded": self.rows_loaded, "rows_quarantined": self.rows_quarantined,
                "rows_released": self.rows_released, "rows_withdrawn": self.rows_withdrawn,
                "files_rejected": self.files_rejected,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


@dataclass
class _Candidate:
    entry: LandingEntry
    sha: str
    mapping: SiteMapping
    mapping_sha256: str
    delivery: Delivery
    name_facts: NameFacts  # what the file name says of the delivery
    rows_in_file: int = 0


class _Run:
    """One load: the store, the staging connection, ledger, mappings and settings every step
    needs. On DuckDB the store and the staging connection are one database."""

    def __init__(self, store: Store, con: duckdb.DuckDBPyConnection, settings: Settings,
                 mappings: SiteMappings, seconds: dict[str, float]):
        self.store = store
        self.con = con
        self.seconds = seconds
        self.settings = settings
        self.mappings = mappings
        self.ledger = Ledger(store)
        self.outcomes: list[FileOutcome] = []
        self.earliest = datetime.combine(settings.earliest_plausible_date, time())
        self.tolerance = timedelta(days=settings.future_tolerance_days)
        # A broken list stops the run (IdentifierConfigError): files must never load unchecked.
        self.identifiers = load_identifier_headers(settings.direct_identifiers_path)
        # The work folder's links hold raw identifiers: whatever a killed run left goes first.
        shutil.rmtree(settings.work_dir, ignore_errors=True)
        settings.work_dir.mkdir(parents=True, exist_ok=True)

    def settle(self, entry: LandingEntry, outcome: FileOutcome,
               delivery_id: int | None = None, **facts) -> None:
        """Record an entry that is not loaded (rejected, duplicate, ignored), in its own
        transaction so that it is never judged again unless it changes."""
        if outcome.status == "rejected":
            log.warning("rejected %s: %s", outcome.source_file, outcome.reason)
        self.ledger.record(delivery_id or self.ledger.take_id(), entry, outcome, **facts)
        self.outcomes.append(outcome)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Adds the wall time of the block to the phase (the benchmark reports them)."""
        start = perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + perf_counter() - start

    def read_link(self, delivery_id: int, entry: LandingEntry) -> Path:
        """A hard link (or copy) of the landed file under a plain name: DuckDB reads a path as a
        glob pattern, so a site's `*.csv` or `sessions[1].csv` must never reach it."""
        link = self.settings.work_dir / f"delivery-{delivery_id}.csv"
        link.unlink(missing_ok=True)
        source = entry.path.resolve()
        try:
            os.link(source, link)
        except OSError:
            shutil.copyfile(source, link)
        return link


def _judge_entry(run: _Run, entry: LandingEntry) -> _Candidate | None:
    """Settle an entry that will not be loaded; return the ones to stage."""
    site, extract = landed_site_and_extract(entry.relative)
    mapping_sha = run.mappings.fingerprint(site)
    if entry.kind in ("ignored", "refused", "misplaced"):
        status = "ignored" if entry.kind == "ignored" else "rejected"
        run.settle(entry, FileOutcome(entry.relative, site, extract, status, reason=entry.reason),
                   mapping_sha256=mapping_sha)
        return None
    try:
        sha = file_sha256(entry.path)
    except OSError as exc:
        run.settle(entry, FileOutcome(entry.relative, site, extract, "rejected",
                                      reason=f"unreadable: {exc.strerror or exc}"),
                   mapping_sha256=mapping_sha)
        return None
    first = run.ledger.loaded_as(sha)
    if first is not None and not _resent_as_newer(run, first, site, extract, entry):
        run.settle(entry, FileOutcome(entry.relative, site, extract, "duplicate",
                                      reason=f"same bytes as {first.source_file}"), sha=sha)
        return None
    problem = _placement_problem(run, site, extract, entry)
    mapping = run.mappings.usable.get(site) if site else None
    if problem is None and mapping is None:
        problem = run.mappings.problems.get(site)
    if problem is not None:
        rows = (rows_in_unloadable_file(entry.path, mapping.encoding, mapping.delimiter,
                                        mapping.skip_lines) if mapping else None)
        run.settle(entry, FileOutcome(entry.relative, site, extract, "rejected", rows,
                                      reason=problem), sha=sha, mapping_sha256=mapping_sha)
        return None
    try:
        facts = mapping.naming.parse(Path(entry.relative).name)
    except NamePatternTooSlow as exc:
        run.settle(entry, FileOutcome(entry.relative, site, extract, "rejected",
                                      reason=str(exc)), sha=sha, mapping_sha256=mapping_sha)
        return None
    arrived = datetime.fromtimestamp(entry.mtime_ns / 1e9)
    delivered_at = (datetime.combine(facts.delivered_on, time(23, 59, 59))
                    if facts.delivered_on else arrived)
    delivery_id = run.ledger.take_id()
    delivery = Delivery(delivery_id, entry.relative, site, extract,
                        run.read_link(delivery_id, entry), delivered_at,
                        DeliveryOrder.of(facts, arrived, entry.relative))
    # The same bytes twice in one run load once.
    run.ledger.note_loaded(sha, Carrier(entry.relative, site, extract, named_order(facts)))
    return _Candidate(entry, sha, mapping, mapping_sha, delivery, facts)


def _resent_as_newer(run: _Run, first: Carrier, site: str | None, extract: str | None,
                     entry: LandingEntry) -> bool:
    """Whether a file with the bytes of an earlier delivery is that data sent again as a newer
    delivery of the same site and extract (its name gives a later date, period or version): it
    is loaded as that newer delivery, so that the data it resends is current again, whatever
    the deliveries between them said. Under any other name the same bytes are a duplicate."""
    mapping = run.mappings.usable.get(site) if site else None
    if mapping is None:
        return False
    try:
        facts = mapping.naming.parse(Path(entry.relative).name)
    except NamePatternTooSlow:
        return False
    return first.is_older_than(site, extract, named_order(facts))


def _placement_problem(run: _Run, site: str | None, extract: str | None,
                       entry: LandingEntry) -> str | None:
    if site not in run.mappings.usable and site not in run.mappings.problems:
        return f"unknown site {site!r}: no mapping file mappings/{site}.yml"
    if extract not in EXTRACTS:
        return f"unknown extract type {extract!r}; expected one of {EXTRACTS}"
    if entry.size == 0:
        return "empty file"
    return None


def _ledger_facts(candidate: _Candidate) -> dict:
    delivery = candidate.delivery
    return {"sha": candidate.sha, "mapping_sha256": candidate.mapping_sha256,
            "facts": candidate.name_facts, "delivered_at": delivery.delivered_at}


def _reject_candidate(run: _Run, candidate: _Candidate, problem: str) -> None:
    mapping = candidate.mapping
    rows = rows_in_unloadable_file(candidate.delivery.read_path, mapping.encoding,
                                   mapping.delimiter, mapping.skip_lines)
    delivery = candidate.delivery
    run.settle(candidate.entry, FileOutcome(delivery.relative, delivery.site_code,
                                            delivery.extract, "rejected", rows, reason=problem),
               delivery_id=delivery.delivery_id, **_ledger_facts(candidate))


def _commit_batch(run: _Run, staged: list[_Candidate], verdict: Verdict) -> None:
    """One transaction for the batch: passing rows to raw, failing rows to quarantine, every
    file to the ledger. One commit, not one per file: a run of hundreds of files would
    otherwise spend more time committing than reading. A kill before the commit leaves none of
    the batch recorded, so the next run takes it all again."""
    con, store = run.con, run.store
    extract = staged[0].delivery.extract
    stored = [name for name, _ in canonical_columns(extract)]
    lineage = [name for name, _ in LINEAGE]
    failures = verdict.failures_table
    store.execute("begin transaction")
    try:
        store.insert_selected(con, "ops.quarantine", QUARANTINE_COLUMNS, f"""
            select s._delivery_id, s._source_file, f.line_number, s._landed_site_code, ?,
                   f.rule, f.description, replace(f.offending_value, chr(0), '{NUL_STAND_IN}'),
                   to_json(struct_pack({', '.join([*lineage, *stored])}))::VARCHAR,
                   current_timestamp::TIMESTAMP
            from {failures} as f
            inner join stage.{extract} as s
                on s._delivery_id = f.delivery_id and s._line_number = f.line_number""",
                               [extract])
        store.insert_selected(con, f"raw.{extract}", [*lineage, *stored, "_loaded_at"], f"""
            select {', '.join([*lineage, *stored])}, current_timestamp::TIMESTAMP
            from stage.{extract} as s
            where not exists (select 1 from {failures} as f
                              where f.delivery_id = s._delivery_id
                                and f.line_number = s._line_number)""")
        quarantined = dict(con.execute(
            f"select delivery_id, count(distinct line_number) from {failures} "
            "group by delivery_id").fetchall())
        for candidate in staged:
            delivery = candidate.delivery
            held = quarantined.get(delivery.delivery_id, 0)
            outcome = FileOutcome(delivery.relative, delivery.site_code, extract, "loaded",
                                  candidate.rows_in_file, candidate.rows_in_file - held, held)
            run.ledger.record(delivery.delivery_id, candidate.entry, outcome,
                              **_ledger_facts(candidate))
            run.outcomes.append(outcome)
            log.info("%s: loaded (%d rows, %d quarantined)", outcome.source_file,
                     outcome.rows_loaded, outcome.rows_quarantined)
        store.execute("commit")
    except BaseException:
        store.execute("rollback")
        raise


def _load_extract(run: _Run, gate: ValidationGate, extract: str,
                  candidates: list[_Candidate]) -> None:
    """Stage a batch of new files of one extract, judge them in one suite run, commit it."""
    create_stage(run.con, extract)
    by_site: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        by_site.setdefault(candidate.delivery.site_code, []).append(candidate)
    staged: list[_Candidate] = []
    for site_candidates in by_site.values():
        with run.timed("stage (read, map, parse, pseudonymise, count)"):
            results = stage_files(run.con, [c.delivery for c in site_candidates],
                                  site_candidates[0].mapping, run.earliest, run.tolerance,
                                  run.identifiers)
        for candidate in site_candidates:
            result = results[candidate.delivery.delivery_id]
            if isinstance(result, FileRejected):
                _reject_candidate(run, candidate, result.problem)
                continue
            candidate.rows_in_file = result
            staged.append(candidate)
    if staged:
        if extract in REFERRAL_CHECKED_EXTRACTS and run.store.dialect == "postgres":
            # The gate's known-referral rules read raw.referrals beside the staged rows.
            with run.timed("copy referrals for the gate"):
                expose_referrals(run.store, run.con)
        verdict = gate.validate(extract)
        for phase, seconds in verdict.seconds.items():
            run.seconds[phase] = run.seconds.get(phase, 0.0) + seconds
        with run.timed("commit (raw, quarantine, ledger)"):
            _commit_batch(run, staged, verdict)
        run.con.execute(f"drop table if exists {verdict.failures_table}")
    drop_stage(run.con, extract)


class LoadProgress(Protocol):
    """What a caller hears of a load as it goes (carepath.run_progress shows it)."""

    def files_found(self, count: int) -> None: ...

    def files_loaded(self, count: int) -> None: ...


def load_new_files(settings: Settings, create_key: bool = False,
                   progress: LoadProgress | None = None) -> LoadReport:
    """Judge every landing entry the ledger has not settled; returns what happened to each.
    `progress` hears how many files are to be loaded, and each extract's batch as it lands."""
    mappings = load_site_mappings(settings.mappings_dir)
    report = LoadReport([], 0)
    with open_store(settings) as (store, con):
        con.execute("set enable_progress_bar = false")
        ensure_schema(store)
        ensure_stage_schema(con)
        # A key is created only for a warehouse that holds no pseudonyms yet: a lost key next to
        # an existing warehouse must stop the run, not start a second set of pseudonyms.
        recorded = pseudonym.recorded_fingerprint(store)
        key = pseudonym.load_key(settings.secret_key_path, create=create_key and recorded is None)
        pseudonym.check_key(store, key, recorded)
        pseudonym.register(con, key)
        run = _Run(store, con, settings, mappings, report.seconds)
        batches: dict[str, list[_Candidate]] = {e: [] for e in EXTRACTS}
        with run.timed("scan and hash"):
            for entry in scan_landing(settings.landing_dir, settings.patience):
                site, _ = landed_site_and_extract(entry.relative)
                if entry.kind == "waiting":
                    report.waiting.append((entry.relative, entry.reason))
                    continue
                if run.ledger.unchanged(entry, mappings.fingerprint(site)):
                    report.already_loaded += 1
                    continue
                candidate = _judge_entry(run, entry)
                if candidate is not None:
                    batches[candidate.delivery.extract].append(candidate)
        if progress is not None:
            progress.files_found(sum(len(batch) for batch in batches.values()))
        gate = ValidationGate(con, settings.expectations_dir, settings.gx_dir / "data_docs")
        try:
            for extract in EXTRACTS:
                if batches[extract]:
                    _load_extract(run, gate, extract, batches[extract])
                    if progress is not None:
                        progress.files_loaded(len(batches[extract]))
                if extract == "referrals":
                    with run.timed("judge again against new referrals"):
                        rejudged = rejudge_referral_rules(store, con, settings.expectations_dir)
                    report.rows_released = rejudged.released
                    report.rows_withdrawn = rejudged.withdrawn
        finally:
            gate.close()
            shutil.rmtree(settings.work_dir, ignore_errors=True)
        with run.timed("checkpoint"):
            store.checkpoint()
    report.files = run.outcomes
    return report
