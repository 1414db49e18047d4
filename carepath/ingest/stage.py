"""Read one landed file into `stage.<extract>` in canonical form, or reject the whole file.

The file is read by DuckDB (no pandas): every cell as text, then renamed, recoded, parsed and
pseudonymised in one SELECT built from the site's mapping. A cell that does not parse becomes
NULL and its column is named in `_parse_failures`; whether that sinks the row is the Great
Expectations suite's decision, not this module's.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from carepath.contract import COLUMNS, EXTRACTS
from carepath.ingest.mapping import SiteMapping
from carepath.ingest.pseudonym import SQL_FUNCTION
from carepath.warehouse import SQL_TYPES, stage_columns


class FileRejected(Exception):
    """The whole file is refused; the message names the file and the problem."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.problem = problem


@dataclass(frozen=True)
class LandedFile:
    path: Path
    relative: str  # the path under the landing folder, as the ledger and lineage record it
    site_code: str
    extract: str


def classify(path: Path, landing_dir: Path, mappings: dict[str, SiteMapping]) -> LandedFile:
    """Check where the file landed: `<landing>/<SITE>/<extract>/<name>.csv`."""
    parts = path.relative_to(landing_dir).parts
    if len(parts) != 3:
        raise FileRejected(path, "not in <landing>/<site_code>/<extract>/<file>.csv")
    site, extract, _ = parts
    if site not in mappings:
        raise FileRejected(path, f"unknown site {site!r}: no mapping file mappings/{site}.yml")
    if extract not in EXTRACTS:
        raise FileRejected(path, f"unknown extract type {extract!r}; expected one of {EXTRACTS}")
    if path.stat().st_size == 0:
        raise FileRejected(path, "empty file")
    return LandedFile(path, str(path.relative_to(landing_dir)), site, extract)


# Headers that look like direct identifiers. Such a column must be dropped explicitly in the
# mapping (extracts.<extract>.drop); otherwise the whole file is refused, so that a site that
# starts sending names or NHS numbers is noticed rather than silently ignored.
_IDENTIFIER_HEADER = re.compile(
    r"(^|_)(name|surname|forename|first_?name|last_?name|given_?name|family_?name|dob|"
    r"date_?of_?birth|birth_?date|nhs|nhs_?no|nhs_?number|chi|address|addr|street|postcode|"
    r"post_?code|zip|phone|telephone|mobile|email|e_?mail)($|_)")


def looks_like_identifier(header: str) -> bool:
    return bool(_IDENTIFIER_HEADER.search(re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")))


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_header(landed: LandedFile, mapping: SiteMapping) -> list[str]:
    try:
        with landed.path.open(encoding=mapping.encoding, newline="") as fh:
            for _ in range(mapping.skip_lines):
                fh.readline()
            header = next(csv.reader(fh, delimiter=mapping.delimiter), None)
    except (UnicodeDecodeError, LookupError) as exc:
        raise FileRejected(landed.path, f"not readable as {mapping.encoding}: {exc}") from exc
    if not header:
        raise FileRejected(landed.path, "no header row")
    return [h.lstrip("\ufeff").strip() for h in header]


def _cell(source: str | None) -> str:
    return "NULL" if source is None else f"nullif(trim({_ident(source)}), '')"


def _typed(expr: str, kind: str, fmt: str, timezone: str) -> str:
    if kind == "timestamp":
        parsed = f"try_strptime({expr}, {_sql_str(fmt)})"
        # With an offset in the data, convert to the site's local wall-clock time: the
        # metrics count local calendar days.
        return f"timezone({_sql_str(timezone)}, {parsed})" if "%z" in fmt else parsed
    if kind in ("number", "integer"):
        return f"try_cast({expr} as {SQL_TYPES[kind]})"
    return expr


def stage_select(landed: LandedFile, mapping: SiteMapping, header: list[str],
                 delivery_id: int) -> str:
    em = mapping.extract(landed.extract)
    present = set(header)
    missing = [c.name for c in COLUMNS[landed.extract]
               if c.required and em.source_column(c.name) not in present]
    if missing:
        raise FileRejected(landed.path, "missing required column(s): " + ", ".join(
            f"{em.source_column(m)!r} ({m})" for m in missing))
    mapped = {em.source_column(c.name) for c in COLUMNS[landed.extract]}
    identifiers = [h for h in header
                   if h not in mapped and h not in em.drop and looks_like_identifier(h)]
    if identifiers:
        raise FileRejected(landed.path, "carries direct identifier column(s) "
                           + ", ".join(repr(h) for h in identifiers)
                           + f"; remove them at source or list them under "
                           f"extracts.{landed.extract}.drop in the site's mapping")

    selects, failures = [], []
    for col in COLUMNS[landed.extract]:
        source = em.source_column(col.name)
        cell = _cell(source if source in present else None)
        if col.name in em.codes:
            cases = " ".join(f"when {_sql_str(k)} then {_sql_str(v)}"
                             for k, v in em.codes[col.name].items())
            cell = f"case {cell} {cases} else {cell} end"
        if col.name == "patient_id":
            selects.append(f"{SQL_FUNCTION}({cell})")
            continue
        typed = _typed(cell, col.type, mapping.timestamp_format, mapping.timezone)
        selects.append(typed)
        if typed != cell:
            failures.append(f"case when {cell} is not null and {typed} is null "
                            f"then {_sql_str(col.name)} end")
    parse_failures = (f"nullif(concat_ws(', ', {', '.join(failures)}), '')"
                      if failures else "NULL")
    columns = ", ".join(f"{_sql_str(h)}: 'VARCHAR'" for h in header)
    reader = (f"read_csv({_sql_str(str(landed.path))}, header=true, auto_detect=false, "
              f"delim={_sql_str(mapping.delimiter)}, quote='\"', escape='\"', "
              f"encoding={_sql_str(mapping.encoding)}, skip={mapping.skip_lines}, "
              f"columns={{{columns}}})")
    # Column order must match stage_columns(): lineage, canonical, then the gate's helpers.
    return (f"select {delivery_id}, {_sql_str(landed.relative)}, "
            f"row_number() over () + 1, {', '.join(selects)}, {parse_failures}, "
            f"{_sql_str(landed.site_code)} from {reader}")


def create_stage(con: duckdb.DuckDBPyConnection, extract: str) -> None:
    cols = ", ".join(f"{name} {kind}" for name, kind in stage_columns(extract))
    con.execute(f"create or replace table stage.{extract} ({cols})")


def stage_file(con: duckdb.DuckDBPyConnection, landed: LandedFile, mapping: SiteMapping,
               delivery_id: int) -> int:
    """Append the file to `stage.<extract>` as delivery `delivery_id`; returns its row count."""
    header = read_header(landed, mapping)
    sql = stage_select(landed, mapping, header, delivery_id)
    try:
        con.execute(f"insert into stage.{landed.extract} {sql}")
    except duckdb.Error as exc:
        raise FileRejected(landed.path, f"unreadable: {str(exc).splitlines()[0]}") from exc
    return con.execute(f"select count(*) from stage.{landed.extract} where _delivery_id = ?",
                       [delivery_id]).fetchall()[0][0]
