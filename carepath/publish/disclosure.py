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


WITHHELD = "withheld"


def complements(frame: pd.DataFrame, column: str, groups: Sequence[str],
                min_count: int = 5) -> pd.Series:
    """The cells of `column` withheld so that a small one cannot be worked out by subtraction
    (complementary suppression): where the rows of a group (the same values of `groups`; the
    whole frame for none) add up to a total shown elsewhere and some are small, the smallest
    other non-zero counts of the group are withheld too, until at least two cells are hidden
    and together they hold at least `min_count` (else the total less the shown cells would say
    what the hidden ones add up to, and two small cells of 1 and 1 could be read off a total
    of 2). Network rows (is_network_total) are the totals, not cells."""
    withheld = pd.Series(False, index=frame.index)
    cells = frame[~frame.is_network_total] if "is_network_total" in frame else frame
    parts = cells.groupby(list(groups), dropna=False) if groups else [(None, cells)]
    for _, part in parts:
        values = part[column].astype(float)
        small = values.map(lambda v: is_small(v, min_count)).astype(bool)
        if not small.any():
            continue
        hidden = values[small]
        for index, value in values[~small & (values.fillna(0) > 0)].sort_values().items():
            if len(hidden) >= 2 and hidden.sum() >= min_count:
                break
            withheld[index] = True
            hidden[index] = value
    return withheld


def suppress(frame: pd.DataFrame, counts: Iterable[str] = (),
             over: Mapping[str, str | Sequence[str]] | None = None,
             min_count: int = 5, complete_within: Sequence[str] | None = None
             ) -> pd.DataFrame:
    """`frame` as it may be shown: each column of `counts` as text with small counts as '<5';
    each column in `over` (a figure: the count columns it is computed from, its denominator
    and, for a proportion, its numerator, which the figure times the denominator would give
    away) withheld (missing) on rows where any of them is small. With `complete_within` (the
    columns whose rows add up to a total shown elsewhere; [] for the whole table), a count that
    would give a small one away by subtraction shows as "withheld", and figures over it are
    withheld too (`complements`). Columns not named are left as they are."""
    shown = frame.copy()
    counts = list(counts)
    # The counts a figure is computed over can be worked out by subtraction too (a proportion
    # times its denominator is its numerator): their complements hide the figure as well.
    judged = dict.fromkeys(counts + [c for over_counts in (over or {}).values()
                                     for c in ([over_counts] if isinstance(over_counts, str)
                                               else over_counts)])
    withheld = ({c: complements(frame, c, complete_within, min_count) for c in judged}
                if complete_within is not None else {})
    for figure, over_counts in (over or {}).items():
        hidden = _any_small(frame, over_counts, min_count)
        for column in [over_counts] if isinstance(over_counts, str) else over_counts:
            hidden |= withheld.get(column, False)
        shown[figure] = shown[figure].where(~hidden)
    for column in counts:
        shown[column] = frame[column].map(lambda v: count_text(v, min_count))
        if column in withheld:
            shown.loc[withheld[column], column] = WITHHELD
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
