"""An XmR chart as a table: one row per point with its phase's limits, the rules that flag it,
its variation type, and the chart's variation and assurance icons (Making Data Count).

Phases rebase the limits at documented process changes (each phase has its own baseline and its
rules read only its own points); excluded points (known data errors) keep their row and flags
but do not move the limits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carepath.qi import rules
from carepath.qi.xmr import LIMIT_CONSTANT, xmr_limits

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


def xmr_chart(values, phases=None, excluded=None, *, baseline_points: int | None = None,
              screen_moving_ranges: bool = False, direction: rules.Direction = "increase",
              target: float | None = None, mode: rules.TwoInThreeMode = "mdc_2023",
              shift_length: int = rules.SHIFT_LENGTH,
              constant: float = LIMIT_CONSTANT) -> pd.DataFrame:
    """One row per value: phase, centre line, limits, near lines, each rule's flag, the point's
    variation type; the last row of the chart carries the variation and assurance icons."""
    y = np.asarray(values, dtype=float)
    phases = np.zeros(len(y), dtype=int) if phases is None else np.asarray(phases)
    excluded = (np.zeros(len(y), dtype=bool) if excluded is None
                else np.asarray(excluded, dtype=bool))
    frames = []
    for phase in pd.unique(phases):
        here = np.flatnonzero(phases == phase)
        points = y[here]
        baseline = np.where(excluded[here], np.nan, points)
        limits = xmr_limits(baseline, baseline_points, screen_moving_ranges, constant)
        side = rules.relative_to_mean(points, limits.mean)
        near = rules.near_limits(points, limits, mode)
        frame = pd.DataFrame({
            "phase": phase, "value": points, "is_excluded": excluded[here],
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
            "variation": rules.point_types(points, limits, direction, mode, shift_length),
        }, index=here)
        frames.append(frame)
    chart = pd.concat(frames).sort_index()
    last = chart.iloc[-1]
    chart["variation_icon"] = None
    chart["assurance_icon"] = None
    chart.loc[chart.index[-1], "variation_icon"] = VARIATION_ICONS[(last.variation, direction)]
    chart.loc[chart.index[-1], "assurance_icon"] = assurance(
        last.lower_limit, last.upper_limit, target, direction)
    return chart.reset_index(drop=True)
