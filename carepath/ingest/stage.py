"""Read landed files into `stage.<extract>` in canonical form, or reject a file whole.

Files are read by DuckDB (no pandas), those of one site sharing a header in one scan: every cell
as text, then renamed, recoded, parsed and pseudonymised in one SELECT built from the site's
mapping. A cell that does not parse becomes
NULL and its column is named in `_parse_failures`; whether that sinks the row is the Great
Expectations suite's decision, not this module's.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from carepath.contract import CODE_SETS, COLUMNS, IDENTIFIER_COLUMNS, MAX_IDENTIFIER_LENGTH
from carepath.ingest.delivery_order import DeliveryOrder
from carepath.ingest.identifier_headers import IdentifierHeaders
from carepath.ingest.identifier_values import identifier_kind_sql, mask
from carepath.ingest.mapping import SINGLE_BYTE_ENCODINGS, SiteMapping
from carepath.ingest.pseudonym import SQL_FUNCTION
from carepath.ingest.records import count_line_breaks, count_records
from carepath.warehouse import SQL_TYPES, stage_columns


class FileRejected(Exception):
    """The whole file is refused; the message names the file and the problem."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.problem = problem


@dataclass(frozen=True)
class Delivery:
    """One landed file as the loader reads it."""

    delivery_id: int
    relative: str  # the path under the landing folder, as the ledger and lineage record it
    site_code: str  # the site folder it landed in
    extract: str
    read_path: Path  # a link with a plain name: the reader never sees the site's file name
    delivered_at: datetime  # the delivery's own date: the plausible window ends after it
    order: DeliveryOrder  # places this delivery among the site's others (newest wins)
    # What DuckDB scans: the file itself when it is UTF-8, else its UTF-8 copy (utf8_copy).
    scan_path: Path | None = None

    @property
    def scanned(self) -> Path:
        return self.scan_path or self.read_path


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_str_or_null(text: str | None) -> str:
    return "cast(null as varchar)" if text is None else _sql_str(text)


def _sql_date(day: date | None) -> str:
    return "cast(null as date)" if day is None else f"DATE '{day.isoformat()}'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# A header cell longer than this is not a column name: reject the file rather than carry it.
MAX_HEADER_CELL = 1024


def read_header(delivery: Delivery, mapping: SiteMapping) -> list[str]:
    try:
        with delivery.read_path.open(encoding=mapping.encoding, newline="",
                                     errors=_decode_errors(mapping)) as fh:
            for _ in range(mapping.skip_lines):
                fh.readline()
            header = next(csv.reader(fh, delimiter=mapping.delimiter), None)
    except (UnicodeError, LookupError) as exc:
        raise FileRejected(delivery.read_path,
                           f"not readable as {mapping.encoding}: {exc}") from exc
    except (OSError, csv.Error) as exc:
        raise FileRejected(delivery.read_path, f"header unreadable: {exc}") from exc
    if not header:
        raise FileRejected(delivery.read_path, "no header row")
    header = [h.lstrip("\ufeff").strip() for h in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise FileRejected(delivery.read_path, "duplicated column name(s): "
                           + ", ".join(repr(h) for h in duplicated))
    return header


def check_not_utf8_at_single_byte_site(delivery: Delivery, mapping: SiteMapping) -> None:
    """Refuse a file that is UTF-8 at a site whose mapping says Latin-1 (or Windows-1252).
    Every byte sequence is valid Latin-1, so such a file would load with each accented letter
    turned into two (`JosÃ©`), giving the patient a second pseudonym without a word. A file with
    bytes above 127 that all decode as UTF-8 is UTF-8: Latin-1 text with accents almost never
    does."""
    if mapping.encoding not in SINGLE_BYTE_ENCODINGS:
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    beyond_ascii = False
    try:
        with delivery.read_path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                beyond_ascii = beyond_ascii or not chunk.isascii()
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return  # not UTF-8: Latin-1 as the mapping says
    except OSError as exc:
        raise FileRejected(delivery.read_path, f"unreadable: {exc.strerror or exc}") from exc
    if beyond_ascii:
        raise FileRejected(delivery.read_path, "the file is UTF-8 (its accented letters decode "
                           f"as UTF-8), but the site's mapping says {mapping.encoding}: set "
                           "file.encoding to utf-8 in the mapping, or send the file in "
                           f"{mapping.encoding}")


def _c1_for_undefined(error: UnicodeDecodeError) -> tuple[str, int]:
    return chr(error.object[error.start]), error.start + 1


_C1_FOR_UNDEFINED = "carepath_c1_for_undefined"
codecs.register_error(_C1_FOR_UNDEFINED, _c1_for_undefined)


def _decode_errors(mapping: SiteMapping) -> str:
    """How a site's bytes decode: strictly, except that a byte a single-byte encoding leaves
    undefined (five in Windows-1252) becomes the C1 control of its value, which holds its row
    under the control-character rule instead of rejecting the file."""
    return _C1_FOR_UNDEFINED if mapping.encoding in SINGLE_BYTE_ENCODINGS else "strict"


def utf8_copy(delivery: Delivery, mapping: SiteMapping) -> Path:
    """The file as DuckDB scans it: UTF-8. A file in another encoding is decoded by Python's
    codec (UTF-16 in either byte order by its BOM; every Latin-1 byte, including 0x80-0x9F,
    which DuckDB's own Latin-1 reader refuses for the whole file) into a copy beside its link
    in the work folder. A character that then fails a rule costs its row, not the file."""
    if mapping.encoding == "utf-8":
        return delivery.read_path
    copy = delivery.read_path.with_name(f"{delivery.read_path.stem}.utf-8.csv")
    decoder = codecs.getincrementaldecoder(mapping.encoding)(_decode_errors(mapping))
    try:
        with delivery.read_path.open("rb") as source, \
                copy.open("w", encoding="utf-8", newline="") as target:
            for chunk in iter(lambda: source.read(1 << 22), b""):
                target.write(decoder.decode(chunk))
            target.write(decoder.decode(b"", final=True))
    except UnicodeError as exc:
        copy.unlink(missing_ok=True)
        raise FileRejected(delivery.read_path,
                           f"not readable as {mapping.encoding}: {exc}") from exc
    return copy


def _cell(source: str | None) -> str:
    return "NULL" if source is None else f"nullif(trim({_ident(source)}), '')"


# What a number may look like in an extract. DuckDB's own casts are lenient: '45.7' becomes the
# integer 46, '0x2D' becomes 45 and '1e2' becomes 100; a cell that is not written like this does
# not parse, so its row is quarantined rather than loaded as a number nobody sent.
_INTEGER_TEXT = "[+-]?[0-9]+"
_NUMBER_TEXT = "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)"
# Control characters (NUL, tab, carriage return, ...) belong in no cell of an extract: in an id
# they would make a second patient or referral that looks like the first.
_CONTROL_CHARACTER = "[\\x00-\\x1f\\x7f]"
# The C1 controls, U+0080-U+009F. In a single-byte file they are what a Windows-1252 character
# (a curly quote, a dash) becomes when the mapping says Latin-1, so the reason says so.
_C1_CONTROL = "[\\x{0080}-\\x{009f}]"
# Characters no one sees: format characters (zero-width spaces and joiners, byte order marks,
# direction overrides and isolates: Unicode category Cf) and the line and paragraph separators.
_INVISIBLE = "[\\p{Cf}\\x{0085}\\x{2028}\\x{2029}]"


def _c1_reason(mapping: SiteMapping) -> str:
    if mapping.encoding == "latin-1":
        return (" (a byte from 0x80 to 0x9F, a control character in Latin-1: if the site "
                "sends Windows-1252, set file.encoding to windows-1252)")
    return " (control character)"


def _identifier(cell: str) -> str:
    """SQL: an identifier cell as one id typed any way reads: Unicode NFC (a composed and a
    decomposed é are one letter), invisible characters removed, spaces trimmed; empty is NULL."""
    return (f"nullif(trim(regexp_replace(nfc_normalize({cell}), {_sql_str(_INVISIBLE)}, '', "
            f"'g')), '')")


def _too_long(col_name: str, cell: str) -> tuple[str, str]:
    """SQL: an identifier over MAX_IDENTIFIER_LENGTH characters withheld (a mask says how long
    it was), and its row's parse failure naming why."""
    over = f"length({cell}) > {MAX_IDENTIFIER_LENGTH}"
    masked = (f"case when {over} then '[withheld: ' || length({cell}) || ' characters, over the "
              f"{MAX_IDENTIFIER_LENGTH} an id may have]' else {cell} end")
    failure = (f"case when {over} then "
               f"{_sql_str(f'{col_name} (longer than {MAX_IDENTIFIER_LENGTH} characters)')} end")
    return masked, failure


def _typed(expr: str, kind: str, fmt: str, timezone: str) -> str:
    if kind == "timestamp":
        if "%z" not in fmt:
            return f"try_strptime({expr}, {_sql_str(fmt)})"
        # `Z` (Zulu) is the offset +00:00, which the parser does not read as one.
        zulu = f"regexp_replace({expr}, '[Zz]$', '+00:00')"
        parsed = f"try_strptime({zulu}, {_sql_str(fmt)})"
        # With an offset in the data, convert to the site's local wall-clock time: the
        # metrics count local calendar days.
        return f"timezone({_sql_str(timezone)}, {parsed})"
    if kind in ("number", "integer"):
        pattern = _INTEGER_TEXT if kind == "integer" else _NUMBER_TEXT
        return (f"case when regexp_full_match({expr}, {_sql_str(pattern)}) "
                f"then try_cast({expr} as {SQL_TYPES[kind]}) end")
    return expr


def _instant(cell: str, typed: str, fmt: str, timezone: str) -> str:
    """SQL: the instant (as UTC) a timestamp cell names: from its offset when the format has
    one, else its local reading in the site's zone."""
    if "%z" in fmt:
        zulu = f"regexp_replace({cell}, '[Zz]$', '+00:00')"
        return f"timezone('UTC', try_strptime({zulu}, {_sql_str(fmt)}))"
    return f"timezone('UTC', timezone({_sql_str(timezone)}, {typed}))"


def _nonexistent_local_time(col_name: str, local: str, timezone: str) -> str:
    """SQL: a parse failure naming a wall-clock time the site's zone skipped (01:30 on the
    Sunday the clocks go forward, in London). No instant had that reading, so it is a typing
    error, and which hour was meant cannot be known: the row is held, not guessed at. Such a
    time does not survive the round trip to an instant and back."""
    zone = _sql_str(timezone)
    reason = f"{col_name} (a local time that does not exist: the clocks went forward)"
    return (f"case when timezone({zone}, timezone({zone}, {local})) != {local} "
            f"then {_sql_str(reason)} end")


def check_header(delivery: Delivery, mapping: SiteMapping, header: list[str],
                 identifiers: IdentifierHeaders) -> None:
    """Refuse a file whose header lacks a required column, holds a cell that is no column name,
    or carries a direct identifier (config/direct_identifiers.yml) the mapping does not drop."""
    em = mapping.extract(delivery.extract)
    present = set(header)
    missing = [c.name for c in COLUMNS[delivery.extract]
               if c.required and em.source_column(c.name) not in present]
    if missing:
        raise FileRejected(delivery.read_path, "missing required column(s): " + ", ".join(
            f"{em.source_column(m)!r} ({m})" for m in missing))
    empty = [str(i) for i, h in enumerate(header, start=1) if not h]
    if empty:
        raise FileRejected(delivery.read_path, f"header cell(s) {', '.join(empty)} empty: every "
                           "column needs a name (a delimiter too many in the header line?)")
    too_long = [h for h in header if len(h) > MAX_HEADER_CELL]
    if too_long:
        raise FileRejected(delivery.read_path, f"a header cell is {len(too_long[0])} characters "
                           f"long (over {MAX_HEADER_CELL}): not a column name")
    mapped = {em.source_column(c.name) for c in COLUMNS[delivery.extract]}
    found = [(h, identifiers.kind_of(h)) for h in header if h not in mapped and h not in em.drop]
    found = [(h, kind) for h, kind in found if kind is not None]
    if found:
        raise FileRejected(delivery.read_path, "carries direct identifier column(s) "
                           + ", ".join(f"{h!r} ({kind})" for h, kind in found)
                           + f"; remove them at source or list them under "
                           f"extracts.{delivery.extract}.drop in the site's mapping")


def _canonical_selects(extract: str, mapping: SiteMapping,
                       header: list[str]) -> tuple[list[str], str, list[str], list[str]]:
    """The canonical columns as SQL over the site's columns, the `_parse_failures` column, and
    the screening columns the scan computes first (what identifier each cell looks like), and
    each timestamp's instant."""
    em = mapping.extract(extract)
    present = set(header)
    selects, failures, screens, instants = [], [], [], []
    for col in COLUMNS[extract]:
        source = em.source_column(col.name)
        cell = _cell(source if source in present else None)
        if col.name in em.codes:
            cases = " ".join(f"when {_sql_str(k)} then {_sql_str(v)}"
                             for k, v in em.codes[col.name].items())
            cell = f"case {cell} {cases} else {cell} end"
        if col.name in IDENTIFIER_COLUMNS:
            cell = _identifier(cell)
        if col.type in ("string", "code"):
            # Typed cells need no scan of their own: a control character fails their parse.
            failures.append(f"case when regexp_matches({cell}, '{_CONTROL_CHARACTER}') "
                            f"then {_sql_str(col.name + ' (control character)')} end")
            failures.append(f"case when regexp_matches({cell}, '{_C1_CONTROL}') "
                            f"then {_sql_str(col.name + _c1_reason(mapping))} end")
        if col.name in IDENTIFIER_COLUMNS:
            cell, failure = _too_long(col.name, cell)
            failures.append(failure)
        if col.name == "patient_id":
            selects.append(f"{SQL_FUNCTION}({cell})")
            continue
        if source in present and col.type != "timestamp":
            cell = _screened(col, cell, mapping, screens, failures)
        typed = _typed(cell, col.type, mapping.timestamp_format, mapping.timezone)
        selects.append(typed)
        if col.type == "timestamp":
            instants.append(_instant(cell, typed, mapping.timestamp_format, mapping.timezone))
        if typed != cell:
            failures.append(f"case when {cell} is not null and {typed} is null "
                            f"then {_sql_str(col.name)} end")
        if col.type == "timestamp" and "%z" not in mapping.timestamp_format:
            failures.append(_nonexistent_local_time(col.name, typed, mapping.timezone))
    parse_failures = (f"nullif(concat_ws(', ', {', '.join(failures)}), '')"
                      if failures else "NULL")
    return selects, parse_failures, screens, instants


def _screened(col, cell: str, mapping: SiteMapping, screens: list[str],
              failures: list[str]) -> str:
    """`cell` with a value that looks like a patient identifier withheld: the scan names its
    kind in a screening column, the row fails with `<column> (looks like <kind>)`, and the cell
    becomes a mask (text) or NULL (a number, which a mask would only make fail its parse too).
    A code in the contract's set is no identifier, so only other codes are screened."""
    kind = identifier_kind_sql(cell, mapping.hospital_number_pattern)
    if col.type == "code" and col.name in CODE_SETS:
        codes = ", ".join(_sql_str(c) for c in CODE_SETS[col.name])
        kind = f"case when {cell} in ({codes}) then NULL else {kind} end"
    screen = _ident(f"_carepath_looks_like:{col.name}")
    screens.append(f"{kind} as {screen}")
    failures.append(f"case when {screen} is not null then "
                    f"{_sql_str(col.name + ' (looks like ')} || {screen} || ')' end")
    withheld = mask(screen) if col.type in ("string", "code") else "NULL"
    screened = f"case when {screen} is null then {cell} else {withheld} end"
    if col.type == "code" and col.name in CODE_SETS:
        screened = _free_text_withheld(screened, codes)
    return screened


# What a mistyped or unmapped code looks like: one short token. Anything else in a code column
# (a name, an address, a sentence) is free text a site typed, which may say who the patient is.
_CODE_LIKE = "[^\\s]{1,32}"


def _free_text_withheld(cell: str, codes: str) -> str:
    """SQL: a code column's value outside its code set kept only when it looks like a code; free
    text becomes `[withheld: free text, N characters]`, so the row still fails the code-set rule
    and its reason, but nothing the site typed is stored or shown (quarantine, published copy,
    `carepath check`)."""
    return (f"case when {cell} in ({codes}) or regexp_full_match({cell}, '{_CODE_LIKE}') "
            f"or starts_with({cell}, '[withheld: ') then {cell} "
            f"else '[withheld: free text, ' || length({cell}) || ' characters]' end")


def stage_select(deliveries: list[Delivery], mapping: SiteMapping, header: list[str],
                 earliest: datetime, future_tolerance: timedelta,
                 rows_before: list[int] | None = None) -> str:
    """One SELECT reading files of one site and extract that share a header, in one scan.
    `rows_before[i]`: data rows of the files before file i in the scan (none for one file)."""
    extract = deliveries[0].extract
    selects, parse_failures, screens, instants = _canonical_selects(extract, mapping, header)
    screening = ", ".join(["*", *screens])
    columns = ", ".join(f"{_sql_str(h)}: 'VARCHAR'" for h in header)
    paths = ", ".join(_sql_str(str(d.scanned)) for d in deliveries)
    reader = (f"read_csv([{paths}], header=true, auto_detect=false, "
              f"delim={_sql_str(mapping.delimiter)}, quote='\"', escape='\"', "
              f"encoding='utf-8', skip={mapping.skip_lines}, "
              f"columns={{{columns}}}, max_line_size=67108864, filename='_carepath_file')")
    rows_before = rows_before or [0] * len(deliveries)
    files = ", ".join(
        f"({_sql_str(str(d.scanned))}, {d.delivery_id}, {_sql_str(d.relative)}, "
        f"{_sql_date(d.order.delivered_on)}, {_sql_str_or_null(d.order.data_period)}, "
        f"{d.order.version}, TIMESTAMP {_sql_str(d.order.arrived_at.isoformat(sep=' '))}, "
        f"TIMESTAMP {_sql_str((d.delivered_at + future_tolerance).isoformat(sep=' '))}, {before})"
        for d, before in zip(deliveries, rows_before, strict=True))
    # Column order must match stage_columns(): lineage, canonical, then the gate's helpers.
    # Rows come in file order, so row k (1-based) of a file is at scan position
    # k + rows_before; in a file whose rows are one line each it starts on line
    # k + 1 + skip_lines (check_row_count() renumbers a file whose values hold line breaks).
    return f"""
        with files (read_path, delivery_id, relative, delivered_on, data_period,
                    delivery_version, arrived_at, latest_plausible_at, rows_before) as (
            values {files}
        ),

        scanned as (
            select *, row_number() over () as _position from {reader}
        ),

        screened as (
            select {screening} from scanned
        )

        select f.delivery_id, f.relative, s._position - f.rows_before + 1 + {mapping.skip_lines},
               f.delivered_on, f.data_period, f.delivery_version, f.arrived_at,
               {', '.join(selects)}, {parse_failures},
               {_sql_str(deliveries[0].site_code)},
               TIMESTAMP {_sql_str(earliest.isoformat(sep=' '))}, f.latest_plausible_at,
               {', '.join(instants)}
        from screened as s
        inner join files as f on s._carepath_file = f.read_path"""


def create_stage(con: duckdb.DuckDBPyConnection, extract: str) -> None:
    cols = ", ".join(f"{name} {kind}" for name, kind in stage_columns(extract))
    con.execute(f"create or replace table stage.{extract} ({cols})")


def drop_stage(con: duckdb.DuckDBPyConnection, extract: str) -> None:
    con.execute(f"drop table if exists stage.{extract}")


def stage_files(con: duckdb.DuckDBPyConnection, deliveries: list[Delivery],
                mapping: SiteMapping, earliest: datetime, future_tolerance: timedelta,
                identifiers: IdentifierHeaders) -> dict[int, int | FileRejected]:
    """Append files of one site and extract to `stage.<extract>`. Files sharing a header are
    read in one scan (hundreds of small files cost one statement, not hundreds); a group that
    fails, or whose files are not one row per line, is read again file by file, so that only a
    bad file is refused and line numbers stay exact. Returns, per delivery id, its row count
    (checked independently) or why the file is refused."""
    results: dict[int, int | FileRejected] = {}
    groups: dict[tuple[str, ...], list[Delivery]] = {}
    for delivery in deliveries:
        try:
            check_not_utf8_at_single_byte_site(delivery, mapping)
            header = read_header(delivery, mapping)
            check_header(delivery, mapping, header, identifiers)
            delivery = replace(delivery, scan_path=utf8_copy(delivery, mapping))
        except FileRejected as exc:
            results[delivery.delivery_id] = exc
            continue
        except Exception as exc:  # one file's surprise must not stop the run
            results[delivery.delivery_id] = FileRejected(
                delivery.read_path, f"header could not be read: {_first_line(exc)}")
            continue
        groups.setdefault(tuple(header), []).append(delivery)
    for header, group in groups.items():
        if len(group) > 1:
            staged = _stage_lines_group(con, group, mapping, list(header), earliest,
                                        future_tolerance)
            if staged is not None:
                results.update(staged)
                continue
        for delivery in group:
            try:
                results[delivery.delivery_id] = _stage_one(con, delivery, mapping, list(header),
                                                           earliest, future_tolerance)
            except FileRejected as exc:
                results[delivery.delivery_id] = exc
    return results


def _staged_counts(con: duckdb.DuckDBPyConnection, table: str, ids: list[int]) -> dict[int, int]:
    return dict(con.execute(
        f"select _delivery_id, count(*) from {table} "
        "where list_contains(?, _delivery_id) group by _delivery_id", [ids]).fetchall())


def _stage_lines_group(con: duckdb.DuckDBPyConnection, group: list[Delivery],
                       mapping: SiteMapping, header: list[str], earliest: datetime,
                       future_tolerance: timedelta) -> dict[int, int] | None:
    """Stage files in one scan when each holds one row per line: the line breaks counted
    beforehand give every file's place in the scan, and the rows read must match them (the
    independent count). None, with nothing staged, when the group must go file by file."""
    table = f"stage.{group[0].extract}"
    ids = [d.delivery_id for d in group]
    expected = [max(count_line_breaks(d.scanned) - mapping.skip_lines - 1, 0) for d in group]
    rows_before = [sum(expected[:i]) for i in range(len(group))]
    try:
        con.execute(f"insert into {table} " + stage_select(
            group, mapping, header, earliest, future_tolerance, rows_before))
    except Exception:  # any failure at all: the files are tried one by one
        con.execute(f"delete from {table} where list_contains(?, _delivery_id)", [ids])
        return None
    counts = _staged_counts(con, table, ids)
    if [counts.get(i, 0) for i in ids] != expected:
        con.execute(f"delete from {table} where list_contains(?, _delivery_id)", [ids])
        return None
    return dict(zip(ids, expected, strict=True))


def _stage_one(con: duckdb.DuckDBPyConnection, delivery: Delivery, mapping: SiteMapping,
               header: list[str], earliest: datetime, future_tolerance: timedelta) -> int:
    """Stage one file, or none of it: any failure removes its rows and raises."""
    table = f"stage.{delivery.extract}"
    try:
        try:
            con.execute(f"insert into {table} "
                        + stage_select([delivery], mapping, header, earliest, future_tolerance))
        except duckdb.Error as exc:
            raise FileRejected(delivery.read_path,
                               f"unreadable: {str(exc).splitlines()[0]}") from exc
        rows = _staged_counts(con, table, [delivery.delivery_id]).get(delivery.delivery_id, 0)
        check_row_count(con, delivery, mapping, rows)
    except Exception as exc:
        # Whatever went wrong costs this file only: the others of the run load.
        con.execute(f"delete from {table} where _delivery_id = ?", [delivery.delivery_id])
        if isinstance(exc, FileRejected):
            raise
        raise FileRejected(delivery.read_path, f"could not be read: {_first_line(exc)}") from exc
    return rows


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def check_row_count(con: duckdb.DuckDBPyConnection, delivery: Delivery, mapping: SiteMapping,
                    rows_read: int) -> None:
    """Hold the reader to an independent count of the file's data rows; where values hold line
    breaks, renumber the staged rows to the physical line each starts on."""
    try:
        counted = count_records(delivery.scanned, "utf-8", mapping.delimiter,
                                mapping.skip_lines, rows_read)
    except (UnicodeError, csv.Error) as exc:
        raise FileRejected(delivery.read_path, f"rows cannot be counted: {exc}") from exc
    if counted.data_rows != rows_read:
        raise FileRejected(delivery.read_path,
                           f"{counted.data_rows} data rows by an independent count, but "
                           f"{rows_read} read: the file is not consistently delimited")
    if counted.start_lines is None:
        return
    con.execute("create or replace temp table record_lines (record BIGINT, line BIGINT)")
    con.executemany("insert into record_lines values (?, ?)",
                    list(enumerate(counted.start_lines, start=1)))
    con.execute(f"""
        update stage.{delivery.extract} as s set _line_number = r.line
        from record_lines as r
        where s._delivery_id = ? and s._line_number - 1 - ? = r.record""",
                [delivery.delivery_id, mapping.skip_lines])
    con.execute("drop table record_lines")
