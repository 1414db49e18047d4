"""Per-site mapping files: how one site's own layout becomes the canonical contract.

A mapping file (`mappings/<SITE>.yml`) names the site's delimiter, encoding, timestamp format and
time zone, how its file names carry the delivery, and per extract its column names and code
values. A site that already sends the canonical layout needs only the file-level settings. Adding
a site is adding a file.

A mapping that cannot be used stops only its own site: the loader rejects that site's files with
the mapping's problem and retries them once the mapping file changes.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import regex
import yaml

from carepath.contract import CODE_SETS, COLUMNS, EXTRACTS, column_names
from carepath.ingest.mapping_shape import MappingShapeError, check_mapping_shape

CANONICAL_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"

# The encodings a site may send (the spellings on the left are the ones sites write). A file
# not in UTF-8 is decoded by Python's codec into a UTF-8 copy that DuckDB reads
# (stage.utf8_copy), so no DuckDB extension is needed.
SUPPORTED_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-16": "utf-16", "utf16": "utf-16",
                       "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1",
                       "windows-1252": "windows-1252", "cp1252": "windows-1252"}
# Encodings in which every byte is a character: a UTF-8 file would pass as one, garbled.
SINGLE_BYTE_ENCODINGS = ("latin-1", "windows-1252")


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class ExtractMapping:
    columns: dict[str, str]  # canonical name -> the site's column header
    codes: dict[str, dict[str, str]]  # canonical column -> {site value: canonical code}
    drop: tuple[str, ...] = ()  # site columns dropped at the door (e.g. direct identifiers)

    def source_column(self, canonical: str) -> str:
        return self.columns.get(canonical, canonical)


# A site's name pattern is searched with this time limit: a pattern that backtracks without end
# (`(a+)+$`) must cost its own file, not the run.
NAME_MATCH_SECONDS = 1.0


class NamePatternTooSlow(ValueError):
    """The site's name_pattern did not finish on a file name within the time limit."""


@dataclass(frozen=True)
class FileNaming:
    """How a site's file names carry the delivery: a regular expression searched in the name,
    with optional named groups `delivered` (the delivery date, in `delivered_format`), `period`
    (the month the data covers, YYYY-MM) and `version` (a number; a higher one is a resend).
    Patterns are compiled by the `regex` module, whose searches take a time limit (Python's
    `re` syntax, which it accepts, has none)."""

    pattern: regex.Pattern | None = None
    delivered_format: str = "%Y-%m-%d"

    def parse(self, file_name: str) -> NameFacts:
        try:
            match = (self.pattern.search(file_name, timeout=NAME_MATCH_SECONDS)
                     if self.pattern else None)
        except TimeoutError as exc:
            raise NamePatternTooSlow(
                f"the site's file.name_pattern ran over {NAME_MATCH_SECONDS:g} s on this name "
                "and was stopped: simplify the pattern (nested repeats such as (a+)+ backtrack "
                "without end)") from exc
        if match is None:
            return NameFacts()
        groups = match.groupdict()
        delivered = period = version = None
        if groups.get("delivered"):
            try:
                delivered = datetime.strptime(groups["delivered"], self.delivered_format).date()
            except ValueError:
                delivered = None
        if groups.get("period") and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", groups["period"]):
            period = groups["period"]
        if groups.get("version") and groups["version"].isdigit():
            version = int(groups["version"])
        return NameFacts(delivered, period, version)


@dataclass(frozen=True)
class NameFacts:
    delivered_on: date | None = None
    period: str | None = None
    version: int | None = None


# Without a pattern of its own, a site's file names are searched for a month `YYYY-MM` and an
# optional `_v<N>` after it (the demo sites write `<SITE>_<extract>_<YYYY-MM>.csv`).
DEFAULT_NAMING = FileNaming(regex.compile(
    r"(?<!\d)(?P<period>\d{4}-(?:0[1-9]|1[0-2]))(?:_v(?P<version>\d+))?(?!\d)"))


@dataclass(frozen=True)
class SiteMapping:
    site_code: str
    site_name: str
    delimiter: str = ","
    encoding: str = "utf-8"
    timestamp_format: str = CANONICAL_TIMESTAMP_FORMAT
    timezone: str = "Europe/London"
    skip_lines: int = 0  # preamble lines some exports write above the header
    naming: FileNaming = DEFAULT_NAMING
    # The shape of the site's hospital numbers (a regular expression): a cell matching it is
    # withheld and its row quarantined (identifier_values.py).
    hospital_number_pattern: str | None = None
    extracts: dict[str, ExtractMapping] = field(default_factory=dict)
    path: Path | None = None

    def extract(self, name: str) -> ExtractMapping:
        return self.extracts.get(name) or ExtractMapping(columns={}, codes={})


def _file_options(path: Path, opts: dict) -> dict:
    """Check the file-level settings here, so that a bad one names the mapping, not a crash."""
    delimiter = opts.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
        raise MappingError(f"{path}: file.delimiter must be one character other than a quote "
                           f"or a line break, not {delimiter!r}")
    encoding = str(opts.get("encoding", "utf-8")).lower()
    if encoding not in SUPPORTED_ENCODINGS:
        raise MappingError(f"{path}: file.encoding {encoding!r} is not supported; use one of "
                           f"{sorted(set(SUPPORTED_ENCODINGS.values()))}")
    codecs.lookup(SUPPORTED_ENCODINGS[encoding])
    timezone = opts.get("timezone", "Europe/London")
    try:
        zoneinfo.ZoneInfo(str(timezone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise MappingError(f"{path}: file.timezone {timezone!r} is not a known IANA time zone") \
            from exc
    fmt = opts.get("timestamp_format", CANONICAL_TIMESTAMP_FORMAT)
    if not isinstance(fmt, str) or "%" not in fmt:
        raise MappingError(f"{path}: file.timestamp_format {fmt!r} is not a strftime format")
    try:
        skip = int(opts.get("skip_lines", 0))
    except (TypeError, ValueError) as exc:
        raise MappingError(f"{path}: file.skip_lines must be a whole number") from exc
    if skip < 0:
        raise MappingError(f"{path}: file.skip_lines must not be negative")
    naming = DEFAULT_NAMING
    if opts.get("name_pattern"):
        try:
            pattern = regex.compile(str(opts["name_pattern"]))
        except regex.error as exc:
            raise MappingError(f"{path}: file.name_pattern is not a regular expression: {exc}") \
                from exc
        unknown = set(pattern.groupindex) - {"delivered", "period", "version"}
        if unknown:
            raise MappingError(f"{path}: file.name_pattern has unknown groups {sorted(unknown)}; "
                               "use delivered, period and version")
        naming = FileNaming(pattern, str(opts.get("delivered_format", "%Y-%m-%d")))
    hospital = opts.get("hospital_number_pattern")
    if hospital is not None:
        hospital = str(hospital)
        try:
            compiled = re.compile(hospital)
        except re.error as exc:
            raise MappingError(f"{path}: file.hospital_number_pattern is not a regular "
                               f"expression: {exc}") from exc
        if compiled.fullmatch(""):
            raise MappingError(f"{path}: file.hospital_number_pattern matches an empty value; "
                               "give the shape of a hospital number, e.g. '[A-Z][0-9]{7}'")
    return {"delimiter": delimiter, "encoding": SUPPORTED_ENCODINGS[encoding],
            "timestamp_format": fmt, "timezone": str(timezone), "skip_lines": skip,
            "naming": naming, "hospital_number_pattern": hospital}


def _parse(path: Path) -> SiteMapping:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read mapping: {exc}") from exc
    try:
        check_mapping_shape(doc)
    except MappingShapeError as exc:
        raise MappingError(f"{path}: {exc}") from exc
    file_opts = doc.get("file") or {}
    options = _file_options(path, file_opts)
    extracts: dict[str, ExtractMapping] = {}
    for name, spec in (doc.get("extracts") or {}).items():
        if name not in EXTRACTS:
            raise MappingError(f"{path}: unknown extract {name!r}; expected one of {EXTRACTS}")
        spec = spec or {}
        columns = {str(k): str(v) for k, v in (spec.get("columns") or {}).items()}
        unknown = set(columns) - set(column_names(name))
        if unknown:
            raise MappingError(f"{path}: {name}: not canonical columns: {sorted(unknown)}")
        codes = {str(col): {str(k): str(v) for k, v in values.items()}
                 for col, values in (spec.get("codes") or {}).items()}
        for col, values in codes.items():
            bad = set(values.values()) - set(CODE_SETS.get(col, ()))
            if bad:
                raise MappingError(f"{path}: {name}.{col}: maps to unknown codes {sorted(bad)}")
        extracts[name] = ExtractMapping(columns, codes, tuple(spec.get("drop") or ()))
    return SiteMapping(
        site_code=str(doc["site_code"]),
        site_name=str(doc.get("site_name", doc["site_code"])),
        **options,
        extracts=extracts,
        path=path,
    )


def _parse_site(path: Path) -> SiteMapping:
    mapping = _parse(path)
    if mapping.site_code != path.stem:
        raise MappingError(f"{path}: site_code {mapping.site_code!r} must match the file name")
    return mapping


def load_mappings(mappings_dir: Path) -> dict[str, SiteMapping]:
    """Every site's mapping; the first unusable one raises (for tools that need them all)."""
    return {path.stem: _parse_site(path) for path in sorted(mappings_dir.glob("*.yml"))}


@dataclass(frozen=True)
class SiteMappings:
    """What the loader knows of each site: its mapping, or why it has none that works, and a
    fingerprint of the mapping file so that files rejected under it are retried when it changes."""

    usable: dict[str, SiteMapping]
    problems: dict[str, str]
    fingerprints: dict[str, str]

    def fingerprint(self, site_code: str | None) -> str:
        return self.fingerprints.get(site_code or "", "no mapping")


def load_site_mappings(mappings_dir: Path) -> SiteMappings:
    usable, problems, fingerprints = {}, {}, {}
    for path in sorted(mappings_dir.glob("*.yml")):
        site = path.stem
        try:
            fingerprints[site] = hashlib.sha256(path.read_bytes()).hexdigest()
            usable[site] = _parse_site(path)
        except (OSError, MappingError) as exc:
            problems[site] = f"the site's mapping is unusable: {exc}"
        except (TypeError, ValueError, AttributeError) as exc:  # a shape the checks missed
            problems[site] = (f"the site's mapping is unusable: {path}: "
                              f"{type(exc).__name__}: {exc}")
    return SiteMappings(usable, problems, fingerprints)


def site_columns(mapping: SiteMapping, extract: str) -> list[str]:
    """The header a site's file carries for an extract, in contract order."""
    em = mapping.extract(extract)
    return [em.source_column(c.name) for c in COLUMNS[extract]]
