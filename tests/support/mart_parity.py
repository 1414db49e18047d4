"""Row-for-row comparison of the marts built on two engines.

Each engine's rows arrive as plain Python values; they are normalised to what a reader of the
mart sees (a number, a text, a date, a time, a flag, nothing), sorted on that, and compared
value by value. Floating-point figures may differ in their last bits between engines (sums and
medians over the same rows in another order), so they compare to a relative 1e-9; nothing else
has any tolerance, and a value of one kind never equals one of another (a count never equals
its text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class MartRows:
    columns: tuple[str, ...]
    rows: list[tuple]


@dataclass
class MartDifference:
    mart: str
    problems: list[str] = field(default_factory=list)

    def render(self) -> str:
        return f"{self.mart}:\n    " + "\n    ".join(self.problems)


def normalise(value):
    """A value as (kind, comparable): dates and times as ISO text, every number as a float
    (integers of any width and decimals alike), so engines that type a count as INTEGER,
    BIGINT, HUGEINT or NUMERIC agree."""
    if value is None:
        return ("null", "")
    if isinstance(value, bool):
        return ("flag", value)
    if isinstance(value, int | float | Decimal):
        return ("number", float(value))
    if isinstance(value, datetime):
        return ("time", value.isoformat(sep=" ", timespec="microseconds"))
    if isinstance(value, date):
        return ("date", value.isoformat())
    return ("text", str(value))


def _sort_key(row: tuple) -> tuple:
    # Numbers sort on nine significant digits, so that last-bit differences do not reorder rows.
    return tuple((kind, f"{v:.9e}" if kind == "number" and math.isfinite(v) else str(v))
                 for kind, v in row)


def _same(a: tuple, b: tuple) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "number":
        return math.isclose(a[1], b[1], rel_tol=RELATIVE_TOLERANCE, abs_tol=RELATIVE_TOLERANCE)
    return a[1] == b[1]


def compare_mart(mart: str, expected: MartRows, actual: MartRows,
                 examples: int = 5) -> MartDifference | None:
    """None when `actual` holds exactly `expected`'s rows (in any order); else what differs."""
    difference = MartDifference(mart)
    if expected.columns != actual.columns:
        difference.problems.append(f"columns differ: {expected.columns} vs {actual.columns}")
        return difference
    if len(expected.rows) != len(actual.rows):
        difference.problems.append(f"{len(expected.rows)} rows vs {len(actual.rows)}")
    left = sorted((tuple(map(normalise, r)) for r in expected.rows), key=_sort_key)
    right = sorted((tuple(map(normalise, r)) for r in actual.rows), key=_sort_key)
    for number, (a, b) in enumerate(zip(left, right, strict=False)):
        unequal = [(col, x[1], y[1]) for col, x, y in zip(expected.columns, a, b, strict=True)
                   if not _same(x, y)]
        if unequal:
            difference.problems.append(f"sorted row {number}: " + ", ".join(
                f"{col} {x!r} vs {y!r}" for col, x, y in unequal))
            if len(difference.problems) >= examples:
                break
    return difference if difference.problems else None


def without_columns(rows: MartRows, ignored: frozenset[str]) -> MartRows:
    keep = [i for i, name in enumerate(rows.columns) if name not in ignored]
    return MartRows(tuple(rows.columns[i] for i in keep),
                    [tuple(row[i] for i in keep) for row in rows.rows])


def compare_marts(expected: dict[str, MartRows], actual: dict[str, MartRows],
                  ignored_columns: frozenset[str] = frozenset()) -> list[str]:
    """Every difference between two engines' marts, rendered; empty when all are equal.
    `ignored_columns` are left out of every mart on both sides."""
    expected = {m: without_columns(r, ignored_columns) for m, r in expected.items()}
    actual = {m: without_columns(r, ignored_columns) for m, r in actual.items()}
    problems = []
    for mart in sorted(set(expected) | set(actual)):
        if mart not in actual:
            problems.append(f"{mart}: missing from the second engine")
        elif mart not in expected:
            problems.append(f"{mart}: only on the second engine")
        else:
            difference = compare_mart(mart, expected[mart], actual[mart])
            if difference:
                problems.append(difference.render())
    return problems
