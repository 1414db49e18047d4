"""Count a file's data rows independently of the loader, and find the line each row starts on.

The loader trusts DuckDB's CSV reader to read a file; this module checks it. A line-break count
is enough for most files (one record per line); when it disagrees with the rows read (quoted line
breaks inside a value, blank lines), Python's csv module reads the file once more, counts the
records and notes the physical line each one starts on, so that a quarantined row points at the
line an operator will find in an editor.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

# A header cell or value of any size must not stop the count (Python's default is 128 kB).
csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class RecordCount:
    data_rows: int
    # The line each data row starts on (header = line 1 + skip_lines), or None when every row
    # is one line and row k simply starts on line k + 1 + skip_lines.
    start_lines: list[int] | None = None


def count_line_breaks(path: Path) -> int:
    count = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 23), b""):
            count += chunk.count(b"\n")
    return count


def read_records(path: Path, encoding: str, delimiter: str, skip_lines: int) -> RecordCount:
    """Python's csv module's view of the file: data rows (blank lines are not rows) and the
    line each starts on. Raises UnicodeDecodeError or csv.Error when the file cannot be read."""
    starts: list[int] = []
    with path.open(encoding=encoding, newline="") as fh:
        for _ in range(skip_lines):
            fh.readline()
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True,
                            strict=False)
        header_seen = False
        lines_before = skip_lines
        for record in reader:
            first_line = lines_before + 1
            lines_before = reader.line_num + skip_lines
            if not record:
                continue
            if not header_seen:
                header_seen = True
                continue
            starts.append(first_line)
    return RecordCount(len(starts), starts)


def count_records(path: Path, encoding: str, delimiter: str, skip_lines: int,
                  rows_read: int) -> RecordCount:
    """The file's data rows, checked against `rows_read` (the loader's count). The cheap count
    of line breaks decides when it agrees; otherwise the csv module reads the file."""
    if count_line_breaks(path) - skip_lines - 1 == rows_read:
        return RecordCount(rows_read)
    return read_records(path, encoding, delimiter, skip_lines)


def rows_in_unloadable_file(path: Path, encoding: str, delimiter: str,
                            skip_lines: int) -> int | None:
    """For the ledger of a rejected file: its data rows where the file can be read at all."""
    try:
        return read_records(path, encoding, delimiter, skip_lines).data_rows
    except (OSError, UnicodeError, csv.Error, LookupError):
        return None
