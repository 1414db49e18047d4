"""The engine parity comparison (support.mart_parity) finds what differs and only that."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from support.mart_parity import MartRows, compare_marts

COLUMNS = ("site_code", "month", "pathways", "median_days", "is_late")
ROWS = [("ASH", date(2026, 1, 1), 12, 30.5, False), ("BRA", date(2026, 1, 1), 7, None, True)]


def _marts(rows, columns=COLUMNS) -> dict[str, MartRows]:
    return {"fct_example": MartRows(columns, rows)}


def test_the_same_rows_in_another_order_and_width_are_equal():
    # Another engine's types for the same values: a bigint as a decimal, a double a bit off.
    other = [("BRA", date(2026, 1, 1), Decimal(7), None, True),
             ("ASH", date(2026, 1, 1), 12, 30.5 * (1 + 1e-12), False)]
    assert compare_marts(_marts(ROWS), _marts(other)) == []


def test_a_changed_value_is_found_with_its_column():
    other = [ROWS[0], ("BRA", date(2026, 1, 1), 8, None, True)]
    [problem] = compare_marts(_marts(ROWS), _marts(other))
    assert "fct_example" in problem and "pathways 7.0 vs 8.0" in problem


def test_a_value_of_another_kind_is_not_equal():
    for changed in (("ASH", "2026-01-01", 12, 30.5, False),  # a date as text
                    ("ASH", date(2026, 1, 1), "12", 30.5, False),  # a count as text
                    ("ASH", date(2026, 1, 1), 12, 30.5, None),  # a flag missing
                    ("ASH", datetime(2026, 1, 1), 12, 30.5, False)):  # a date as a time
        assert compare_marts(_marts(ROWS), _marts([changed, ROWS[1]])), changed


def test_a_relative_difference_beyond_the_tolerance_is_found():
    other = [("ASH", date(2026, 1, 1), 12, 30.5 * (1 + 1e-7), False), ROWS[1]]
    assert compare_marts(_marts(ROWS), _marts(other))


def test_missing_rows_marts_and_columns_are_found():
    assert "2 rows vs 1" in compare_marts(_marts(ROWS), _marts(ROWS[:1]))[0]
    assert "missing from the second engine" in compare_marts(_marts(ROWS), {})[0]
    renamed = ("site_code", "month", "pathways", "median_days", "late")
    assert "columns differ" in compare_marts(_marts(ROWS), _marts(ROWS, renamed))[0]


def test_ignored_columns_are_left_out_on_both_sides():
    other = [(*row[:4], not row[4]) for row in ROWS]
    assert compare_marts(_marts(ROWS), _marts(other))
    assert compare_marts(_marts(ROWS), _marts(other), frozenset({"is_late"})) == []
