"""Statistical disclosure control for what the dashboard shows and exports.

A count from 1 to `min_count` - 1 could single out a patient, so it is shown as "<5" (for the
default `min_count` of 5), and a rate, median or other figure computed over so few is withheld.
Zero is shown: it discloses nothing about a person. The marts keep the true figures (analysts
with access to the warehouse need them); only what reaches a screen or a download is
suppressed, and nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd


def is_small(value: object, min_count: int) -> bool:
    """A count that must not be shown: from 1 to min_count - 1."""
    return value is not None and not pd.isna(value) and 0 < float(value) < min_count


def small_label(min_count: int) -> str:
    return f"<{min_count}"


def count_text(value: object, min_count: int) -> str:
    """A count as shown: '<5' when small, '' when missing, else with thousands separators."""
    if value is None or pd.isna(value):
        return ""
    return small_label(min_count) if is_small(value, min_count) else f"{value:,.0f}"


def _any_small(frame: pd.DataFrame, counts: str | Sequence[str], min_count: int) -> pd.Series:
    columns = [counts] if isinstance(counts, str) else list(counts)
    small = pd.Series(False, index=frame.index)
    for column in columns:
        small |= frame[column].map(lambda v: is_small(v, min_count)).astype(bool)
    return small


def suppress(frame: pd.DataFrame, counts: Iterable[str] = (),
             over: Mapping[str, str | Sequence[str]] | None = None,
             min_count: int = 5) -> pd.DataFrame:
    """`frame` as it may be shown: each column of `counts` as text with small counts as '<5';
    each column in `over` (a figure: the count columns it is computed from, its denominator
    and, for a proportion, its numerator, which the figure times the denominator would give
    away) withheld (missing) on rows where any of them is small. Columns not named are left
    as they are."""
    shown = frame.copy()
    for figure, over_counts in (over or {}).items():
        shown[figure] = shown[figure].where(~_any_small(frame, over_counts, min_count))
    for column in counts:
        shown[column] = frame[column].map(lambda v: count_text(v, min_count))
    return shown


def shown_rows(frame: pd.DataFrame, counts: str | Sequence[str],
               min_count: int = 5) -> pd.DataFrame:
    """The rows of a chart's data that may be drawn: those where none of `counts` is small (a
    point's position would show the figure a table withholds)."""
    return frame[~_any_small(frame, counts, min_count)]


def indicator_counts(unit: str, value: str = "value", numerator: str = "numerator",
                     denominator: str = "denominator") -> tuple[str, ...]:
    """The columns an indicator's figure is judged by, by its unit: a count by its own value;
    a proportion by its numerator and denominator (the one gives the other away); a median or
    percentile in days by the pathways it is taken over."""
    if unit == "count":
        return (value,)
    if unit == "proportion":
        return (numerator, denominator)
    return (denominator,)
