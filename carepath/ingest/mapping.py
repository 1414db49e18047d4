"""Per-site mapping files: how one site's own layout becomes the canonical contract.

A mapping file (`mappings/<SITE>.yml`) names the site's delimiter, encoding, timestamp format and
time zone, and per extract its column names and code values. A site that already sends the
canonical layout needs only the file-level settings. Adding a site is adding a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from carepath.contract import CODE_SETS, COLUMNS, EXTRACTS, column_names

CANONICAL_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class ExtractMapping:
    columns: dict[str, str]  # canonical name -> the site's column header
    codes: dict[str, dict[str, str]]  # canonical column -> {site value: canonical code}
    drop: tuple[str, ...] = ()  # site columns dropped at the door (e.g. direct identifiers)

    def source_column(self, canonical: str) -> str:
        return self.columns.get(canonical, canonical)


@dataclass(frozen=True)
class SiteMapping:
    site_code: str
    site_name: str
    delimiter: str = ","
    encoding: str = "utf-8"
    timestamp_format: str = CANONICAL_TIMESTAMP_FORMAT
    timezone: str = "Europe/London"
    skip_lines: int = 0  # preamble lines some exports write above the header
    extracts: dict[str, ExtractMapping] = field(default_factory=dict)
    path: Path | None = None

    def extract(self, name: str) -> ExtractMapping:
        return self.extracts.get(name) or ExtractMapping(columns={}, codes={})


def _parse(path: Path) -> SiteMapping:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read mapping: {exc}") from exc
    if not isinstance(doc, dict) or "site_code" not in doc:
        raise MappingError(f"{path}: a mapping needs at least `site_code`")
    file_opts = doc.get("file") or {}
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
        delimiter=file_opts.get("delimiter", ","),
        encoding=file_opts.get("encoding", "utf-8"),
        timestamp_format=file_opts.get("timestamp_format", CANONICAL_TIMESTAMP_FORMAT),
        timezone=file_opts.get("timezone", "Europe/London"),
        skip_lines=int(file_opts.get("skip_lines", 0)),
        extracts=extracts,
        path=path,
    )


def load_mappings(mappings_dir: Path) -> dict[str, SiteMapping]:
    mappings: dict[str, SiteMapping] = {}
    for path in sorted(mappings_dir.glob("*.yml")):
        mapping = _parse(path)
        if mapping.site_code != path.stem:
            raise MappingError(f"{path}: site_code {mapping.site_code!r} must match the file name")
        mappings[mapping.site_code] = mapping
    return mappings


def site_columns(mapping: SiteMapping, extract: str) -> list[str]:
    """The header a site's file carries for an extract, in contract order."""
    em = mapping.extract(extract)
    return [em.source_column(c.name) for c in COLUMNS[extract]]
