"""`carepath check`: what the pipeline would do with a site's files, without writing anything.

A data manager onboarding a site runs its first files through the site's mapping and the gate
before they are delivered for real. The files are loaded, exactly as a run would load them, into
a scratch data folder that is deleted afterwards: the real landing folder, warehouse, ledger and
key are never touched. The report says, per file, whether it would load, how many rows, and
which rows the gate would quarantine (by rule, with their line numbers), or why the file would
be rejected.

One difference from a real run is stated in the report: the scratch warehouse knows only the
referrals in the files checked, so a session or outcome of a referral sent earlier is reported
as held for its referral (rule `known_referral`), as a run would hold it if the referral were
indeed unknown.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from carepath.contract import EXTRACTS
from carepath.ingest.ledger import FileOutcome
from carepath.settings import Patience, Settings, load_settings
from carepath.warehouse import open_read_only

LINES_SHOWN = 10
VALUES_SHOWN = 3


class _ScratchSettings(Settings):
    """A scratch data folder that judges files at once: they were written before the check."""

    @property
    def patience(self) -> Patience:
        return Patience(settle_seconds=0.0, incomplete_after_seconds=0.0)


@dataclass
class QuarantineRule:
    rule: str
    description: str
    lines: list[int]
    values: list[str]  # a few of the values it found (already pseudonymised and withheld)


@dataclass
class FileCheck:
    path: Path
    extract: str
    outcome: FileOutcome
    quarantine: list[QuarantineRule] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.outcome.status == "loaded" and not self.outcome.rows_quarantined


@dataclass
class CheckReport:
    site_code: str
    files: list[FileCheck]

    @property
    def clean(self) -> bool:
        return all(f.clean for f in self.files)

    def render(self) -> str:
        lines = [f"carepath check: site {self.site_code}, {len(self.files)} file(s); nothing "
                 "was written"]
        for checked in self.files:
            outcome = checked.outcome
            head = f"{checked.path} ({checked.extract})"
            if outcome.status == "loaded":
                lines.append(f"{head}: would load {outcome.rows_loaded:,} of "
                             f"{outcome.rows_in_file:,} rows; {outcome.rows_quarantined:,} "
                             "would be quarantined")
            elif outcome.status == "rejected":
                lines.append(f"{head}: would be rejected: {outcome.reason}")
            else:
                lines.append(f"{head}: {outcome.status}: {outcome.reason}")
            for rule in checked.quarantine:
                shown = ", ".join(str(n) for n in rule.lines[:LINES_SHOWN])
                more = len(rule.lines) - LINES_SHOWN
                lines.append(f"  {rule.rule}: {rule.description} - {len(rule.lines):,} row(s), "
                             f"line(s) {shown}" + (f" and {more:,} more" if more > 0 else ""))
                if rule.values:
                    lines.append("    found: " + "; ".join(rule.values))
        if any("known_referral" in r.rule for f in self.files for r in f.quarantine):
            lines.append("Held for their referral: only the referrals in the files checked are "
                         "known here; rows of referrals the warehouse already holds would load.")
        lines.append("All rows would load." if self.clean
                     else "Fix the mapping or the files, then check again.")
        return "\n".join(lines)


def extract_of(path: Path, given: str | None) -> str:
    """The extract a file holds: as given, else named by its folder or in its file name."""
    if given:
        if given not in EXTRACTS:
            raise ValueError(f"--extract must be one of {', '.join(EXTRACTS)}, not {given!r}")
        return given
    if path.parent.name in EXTRACTS:
        return path.parent.name
    named = [e for e in EXTRACTS if e in path.name.lower()]
    if len(named) != 1:
        raise ValueError(f"{path}: cannot tell which extract it holds from its folder or name; "
                         f"give --extract ({', '.join(EXTRACTS)})")
    return named[0]


def check_files(site_code: str, paths: list[Path], extract: str | None = None,
                settings: Settings | None = None) -> CheckReport:
    """Load `paths` as site `site_code`'s delivery into a scratch data folder and report."""
    from carepath.ingest.loader import load_new_files

    settings = settings or load_settings()
    placed: dict[str, tuple[Path, str]] = {}
    with tempfile.TemporaryDirectory(prefix="carepath-check-") as tmp:
        scratch = _ScratchSettings(data_dir=Path(tmp) / "data",
                                   project_dir=settings.project_dir)
        for path in paths:
            if not path.is_file():
                raise ValueError(f"{path}: no such file")
            kind = extract_of(path, extract)
            relative = f"{site_code}/{kind}/{len(placed):04d}_{path.name}"
            target = scratch.landing_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            placed[relative] = (path, kind)
        report = load_new_files(scratch, create_key=True)
        quarantine = _quarantine_by_file(scratch)
        outcomes = {o.source_file: o for o in report.files}
        checks = [FileCheck(path, kind, outcomes[relative], quarantine.get(relative, []))
                  for relative, (path, kind) in placed.items()]
    return CheckReport(site_code, checks)


def _quarantine_by_file(scratch: Settings) -> dict[str, list[QuarantineRule]]:
    if not scratch.warehouse_path.exists():
        return {}
    with open_read_only(scratch.warehouse_path) as con:
        rows = con.execute(
            "select source_file, rule, any_value(rule_description), "
            "list(distinct line_number order by line_number), "
            "list(distinct offending_value order by offending_value) "
            "filter (where offending_value is not null) "
            "from ops.quarantine group by source_file, rule order by source_file, rule"
        ).fetchall()
    found: dict[str, list[QuarantineRule]] = {}
    for source_file, rule, description, lines, values in rows:
        found.setdefault(source_file, []).append(
            QuarantineRule(rule, description, lines, (values or [])[:VALUES_SHOWN]))
    return found
