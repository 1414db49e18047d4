"""The ledger (`ops.loaded_files`): one row for every landing entry judged, and what became of it.

It answers, for each run, which entries need no work: a file already recorded with the same path,
size and modification time is not even hashed again, so a run with nothing new costs in
proportion to the folder listing, not to the bytes ever landed. A file whose bytes were already
loaded under another name, or by another site, is recorded as a duplicate of it. A file rejected
under a site's mapping is tried again once that mapping file changes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from carepath.ingest.delivery_order import named_order
from carepath.ingest.discover import LandingEntry
from carepath.ingest.mapping import NameFacts


@dataclass
class FileOutcome:
    source_file: str
    site_code: str | None
    extract: str | None
    status: str  # loaded | rejected | duplicate | ignored
    rows_in_file: int | None = None
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Recorded:
    """The latest ledger row of one landed path."""

    delivery_id: int
    file_sha256: str | None
    status: str
    file_size: int | None
    file_mtime_ns: int | None
    mapping_sha256: str | None


class Ledger:
    """The ledger as a run sees it. `store` is the warehouse (carepath.store): its SQL here is
    read the same way by DuckDB and PostgreSQL."""

    def __init__(self, store):
        self._con = store
        self._next_id = store.execute(
            "select coalesce(max(delivery_id), 0) + 1 from ops.loaded_files").fetchall()[0][0]
        rows = store.execute("""
            select source_file, delivery_id, file_sha256, status, file_size, file_mtime_ns,
                   mapping_sha256
            from (
                select *, row_number() over (
                    partition by source_file order by delivery_id desc) as attempt
                from ops.loaded_files
            ) as attempts
            where attempt = 1""").fetchall()
        self._by_path = {r[0]: Recorded(*r[1:]) for r in rows}
        # The bytes already taken in (loaded), with the newest delivery that carried them.
        self._loaded_sha: dict[str, Carrier] = {}
        for sha, source, site, extract, delivered_on, period, version in store.execute("""
                select file_sha256, source_file, site_code, extract, delivered_on,
                       data_period, delivery_version
                from ops.loaded_files
                where status = 'loaded'
                order by delivery_id""").fetchall():
            self.note_loaded(sha, Carrier(source, site, extract,
                                          named_order(NameFacts(delivered_on, period, version))))

    def take_id(self) -> int:
        """Ids count on from the ledger's maximum: one process writes at a time (run lock)."""
        self._next_id += 1
        return self._next_id - 1

    def unchanged(self, entry: LandingEntry, mapping_sha256: str) -> bool:
        """True when the entry needs no work: recorded with the same size and modification time,
        and not a rejection that the site's changed mapping may now accept."""
        seen = self._by_path.get(entry.relative)
        if seen is None or (seen.file_size, seen.file_mtime_ns) != (entry.size, entry.mtime_ns):
            return False
        return not (seen.status == "rejected" and seen.mapping_sha256 != mapping_sha256)

    def loaded_as(self, sha: str) -> Carrier | None:
        """The newest delivery that carried these bytes into the warehouse, if any."""
        return self._loaded_sha.get(sha)

    def note_loaded(self, sha: str, carrier: Carrier) -> None:
        known = self._loaded_sha.get(sha)
        if known is None or carrier.named_order > known.named_order:
            self._loaded_sha[sha] = carrier

    def record(self, delivery_id: int, entry: LandingEntry, outcome: FileOutcome,
               sha: str | None = None, mapping_sha256: str | None = None,
               facts: NameFacts | None = None, delivered_at: datetime | None = None) -> None:
        arrived = (datetime.fromtimestamp(entry.mtime_ns / 1e9)
                   if entry.mtime_ns is not None else None)
        self._con.execute(
            "insert into ops.loaded_files (delivery_id, file_sha256, source_file, site_code, "
            "extract, status, reason, rows_in_file, rows_loaded, rows_quarantined, file_size, "
            "file_mtime_ns, file_modified_at, delivered_at, delivered_on, data_period, "
            "delivery_version, mapping_sha256, loaded_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [delivery_id, sha, outcome.source_file, outcome.site_code, outcome.extract,
             outcome.status, outcome.reason, outcome.rows_in_file, outcome.rows_loaded,
             outcome.rows_quarantined, entry.size, entry.mtime_ns, arrived, delivered_at,
             facts.delivered_on if facts else None, facts.period if facts else None,
             facts.version if facts else None, mapping_sha256])
        self._by_path[entry.relative] = Recorded(delivery_id, sha, outcome.status, entry.size,
                                                 entry.mtime_ns, mapping_sha256)


@dataclass(frozen=True)
class Carrier:
    """A loaded file that carried some bytes, and what its name says of its delivery."""

    source_file: str
    site_code: str | None
    extract: str | None
    named_order: tuple  # carepath.ingest.delivery_order.named_order

    def is_older_than(self, site: str | None, extract: str | None, named: tuple) -> bool:
        """Whether a file of `site` and `extract` whose name places it at `named` is a later
        delivery of this one's data: the same bytes resent as a newer delivery."""
        return (site, extract) == (self.site_code, self.extract) and named > self.named_order


def landed_site_and_extract(relative: str) -> tuple[str | None, str | None]:
    parts = Path(relative).parts
    return (parts[0] if len(parts) > 1 else None, parts[1] if len(parts) > 2 else None)
