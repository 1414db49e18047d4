"""An XmR chart as a table: one row per point with its phase's limits, the rules that flag it,
its variation type, and the chart's variation and assurance icons (Making Data Count).

Phases rebase the limits at documented process changes (each phase has its own baseline and its
rules read only its own points); excluded points (known data errors) keep their row and flags
but do not move the limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carepath.qi import attribute, rules
from carepath.qi.xmr import LIMIT_CONSTANT, MIN_POINTS_FOR_LIMITS, xmr_limits

# Making Data Count's icons, by the latest point's variation type and the improvement direction.
VARIATION_ICONS = {
    ("common_cause", "increase"): "common_cause",
    ("common_cause", "decrease"): "common_cause",
    ("special_cause_improvement", "increase"): "improvement_high",
    ("special_cause_improvement", "decrease"): "improvement_low",
    ("special_cause_concern", "increase"): "concern_low",
    ("special_cause_concern", "decrease"): "concern_high",
}


def assurance(lower_limit: float, upper_limit: float, target: float | None,
              direction: rules.Direction) -> str | None:
    """Whether the process will meet the target (None without a target): `consistently_passing`
    when the whole band between the limits is on the good side of it, `consistently_failing`
    when the whole band is on the bad side, `hit_and_miss` when the target lies inside it."""
    if target is None or np.isnan(target):
        return None
    good_low, good_high = ((lower_limit, upper_limit) if direction == "increase"
                           else (-upper_limit, -lower_limit))
    aim = target if direction == "increase" else -target
    if good_low > aim:
        return "consistently_passing"
    if good_high < aim:
        return "consistently_failing"
    return "hit_and_miss"


@dataclass(frozen=True)
class Band:
    """Limits point by point (attribute charts), read by the rules as XmR limits are."""

    mean: np.ndarray
    lower_limit: np.ndarray
    upper_limit: np.ndarray
    lower_near: np.ndarray
    upper_near: np.ndarray
    is_trial: bool
    is_degenerate: bool


def _rows(points: np.ndarray, limits, direction, mode, shift_length) -> dict:
    side = rules.relative_to_mean(points, limits.mean)
    near = rules.near_limits(points, limits, mode)
    return {
        "centre": limits.mean, "lower_limit": limits.lower_limit,
        "upper_limit": limits.upper_limit, "lower_near": limits.lower_near,
        "upper_near": limits.upper_near, "is_trial_limits": limits.is_trial,
        "is_degenerate": limits.is_degenerate,
        "rule_astronomical": rules.astronomical(points, limits).astype(bool),
        "rule_trend": rules.part_of(rules.trend_ends(points) != 0,
                                    rules.TREND_LENGTH).astype(bool),
        "rule_two_of_three": rules.two_of_three(near, side).astype(bool),
        "rule_shift": rules.part_of(rules.shift_ends(side, shift_length),
                                    shift_length).astype(bool),
        # A gap (NaN) is no point: it has no variation type.
        "variation": [None if np.isnan(value) else kind for value, kind in zip(
            points, rules.point_types(points, limits, direction, mode, shift_length),
            strict=True)],
    }


def _with_icons(chart: pd.DataFrame, direction, target) -> pd.DataFrame:
    """The icons go on the latest point: the last row with a value (a gap has none)."""
    chart = chart.sort_index()
    chart["variation_icon"] = None
    chart["assurance_icon"] = None
    latest = chart.index[chart.value.notna()]
    if len(latest):
        last = chart.loc[latest[-1]]
        chart.loc[latest[-1], "variation_icon"] = VARIATION_ICONS[(last.variation, direction)]
        chart.loc[latest[-1], "assurance_icon"] = assurance(
            last.lower_limit, last.upper_limit, target, direction)
    return chart.reset_index(drop=True)


def _phases_and_exclusions(length: int, phases, excluded):
    phases = np.zeros(length, dtype=int) if phases is None else np.asarray(phases)
    excluded = (np.zeros(length, dtype=bool) if excluded is None
                else np.asarray(excluded, dtype=bool))
    return phases, excluded


def xmr_chart(values, phases=None, excluded=None, *, baseline_points: int | None = None,
              screen_moving_ranges: bool = False, direction: rules.Direction = "increase",
              target: float | None = None, mode: rules.TwoInThreeMode = "mdc_2023",
              shift_length: int = rules.SHIFT_LENGTH,
              constant: float = LIMIT_CONSTANT) -> pd.DataFrame:
    """One row per value: phase, centre line, limits, near lines, each rule's flag, the point's
    variation type; the latest point carries the variation and assurance icons. A NaN value is
    a gap: its row stays, with no flag and no variation type, and no moving range or run
    spans it (carepath.qi.xmr, carepath.qi.rules)."""
    y = np.asarray(values, dtype=float)
    phases, excluded = _phases_and_exclusions(len(y), phases, excluded)
    frames = []
    for phase in pd.unique(phases):
        here = np.flatnonzero(phases == phase)
        points = y[here]
        limits = xmr_limits(np.where(excluded[here], np.nan, points), baseline_points,
                            screen_moving_ranges, constant)
        frames.append(pd.DataFrame({
            "phase": phase, "value": points, "is_excluded": excluded[here],
            **_rows(points, limits, direction, mode, shift_length)}, index=here))
    return _with_icons(pd.concat(frames), direction, target)


def attribute_chart(chart: str, numerators, denominators=None, phases=None, excluded=None, *,
                    baseline_points: int | None = None, direction: rules.Direction = "increase",
                    target: float | None = None, mode: rules.TwoInThreeMode = "mdc_2023",
                    shift_length: int = rules.SHIFT_LENGTH) -> pd.DataFrame:
    """The same table for a p, p' (`pp`), u, u' (`up`) or c chart; the value is x/n (x for c),
    the near lines two sigma from the centre."""
    x = np.asarray(numerators, dtype=float)
    n = np.ones_like(x) if denominators is None else np.asarray(denominators, dtype=float)
    phases, excluded = _phases_and_exclusions(len(x), phases, excluded)
    family = {"p": attribute.p_chart, "pp": attribute.p_chart, "u": attribute.u_chart,
              "up": attribute.u_chart}
    options = {"phases": phases, "included": ~excluded, "baseline_points": baseline_points}
    if chart == "c":
        band = attribute.c_chart(x, **options)
    elif chart in family:
        band = family[chart](x, n, laney=chart in ("pp", "up"), **options)
    else:
        raise ValueError(f"unknown chart {chart!r}: xmr, p, pp, u, up or c")
    values = x / n
    frames = []
    for phase in pd.unique(phases):
        here = np.flatnonzero(phases == phase)
        sigma = band.sigma[here]
        centre = band.centre[here]
        limits = Band(centre, band.lower_limit[here], band.upper_limit[here],
                      centre - 2 * sigma, centre + 2 * sigma,
                      is_trial=len(here) < MIN_POINTS_FOR_LIMITS,
                      is_degenerate=bool((sigma == 0).all()))
        frames.append(pd.DataFrame({
            "phase": phase, "value": values[here], "numerator": x[here],
            "denominator": n[here], "is_excluded": excluded[here],
            **_rows(values[here], limits, direction, mode, shift_length)}, index=here))
    return _with_icons(pd.concat(frames), direction, target)
