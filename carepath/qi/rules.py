"""Making Data Count special-cause rules on an XmR chart, one function per rule.

Each rule reads the points of one phase against that phase's limits (carepath.qi.xmr). A NaN
is a gap (a period without a value): it is no point, flags nothing, and no run or window of
any rule passes through it.

* astronomical: a point beyond a process limit (strictly);
* shift: a run of 7 (configurable) or more points on one side of the mean; a point on the
  mean breaks the run; every point of the run is flagged;
* trend: 7 or more points each strictly above (or below) the one before; a tie breaks it;
* two in three: two of three consecutive points near a limit (beyond the 2-sigma line), all
  three on the same side of the mean; only the near points are flagged. Making Data Count
  changed this in November 2023 to count points beyond the limit as near too (`mdc_2023`, the
  default); NHSRplotthedots counts only points between the line and the limit (`ptd`).

A point's type follows Making Data Count's precedence (astronomical, then trend, then two in
three, then shift) and, with the measure's improvement direction, says improvement or concern.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from carepath.qi.xmr import XmrLimits

SHIFT_LENGTH = 7
TREND_LENGTH = 7
TwoInThreeMode = Literal["mdc_2023", "ptd"]
Direction = Literal["increase", "decrease"]


def relative_to_mean(y, mean: float) -> np.ndarray:
    """-1, 0 or 1 per point: below, on or above the mean (0 for a gap, which breaks a run as a
    point on the mean does)."""
    return np.nan_to_num(np.sign(np.asarray(y, dtype=float) - mean)).astype(int)


def shift_ends(side, length: int = SHIFT_LENGTH) -> np.ndarray:
    """1 at each point that is the `length`th or later of consecutive points on one side."""
    side = np.asarray(side, dtype=int)
    out = np.zeros(len(side), dtype=int)
    run = 0
    for i, s in enumerate(side):
        run = run + 1 if s != 0 and i > 0 and s == side[i - 1] else (1 if s != 0 else 0)
        out[i] = int(run >= length)
    return out


def trend_ends(y, length: int = TREND_LENGTH) -> np.ndarray:
    """1 (rising) or -1 (falling) at each point that ends `length` or more points, each strictly
    above (below) the one before; 0 elsewhere."""
    y = np.asarray(y, dtype=float)
    out = np.zeros(len(y), dtype=int)
    steps = np.nan_to_num(np.sign(np.diff(y))).astype(int)  # no step into or out of a gap
    run = 0
    for i, step in enumerate(steps, start=1):
        run = run + 1 if step != 0 and i > 1 and step == steps[i - 2] else (1 if step else 0)
        if run >= length - 1:
            out[i] = step
    return out


def part_of(ends, length: int) -> np.ndarray:
    """1 at every point of a run that `ends` marks at its last points: each marked point and
    the `length - 1` before it."""
    ends = np.asarray(ends, dtype=int)
    out = np.zeros(len(ends), dtype=int)
    for i in np.flatnonzero(ends):
        out[max(0, i - length + 1):i + 1] = 1
    return out


def near_limits(y, limits: XmrLimits, mode: TwoInThreeMode = "mdc_2023") -> np.ndarray:
    """1 where a point is beyond a 2-sigma line (and, in `ptd` mode, not beyond the limit)."""
    y = np.asarray(y, dtype=float)
    near = (y > limits.upper_near) | (y < limits.lower_near)
    if mode == "ptd":
        near &= ~astronomical(y, limits).astype(bool)
    return near.astype(int)


def in_two_of_three(near, side) -> np.ndarray:
    """1 at every point inside some window of three consecutive points of which two or more are
    near a limit and all three lie on the same side of the mean."""
    near, side = np.asarray(near, dtype=int), np.asarray(side, dtype=int)
    out = np.zeros(len(near), dtype=int)
    for start in range(len(near) - 2):
        window = slice(start, start + 3)
        if near[window].sum() >= 2 and abs(side[window].sum()) == 3:
            out[window] = 1
    return out


def two_of_three(near, side) -> np.ndarray:
    """1 at the near points of a two-in-three signal (the rule flags only those)."""
    return in_two_of_three(near, side) & np.asarray(near, dtype=int)


def astronomical(y, limits: XmrLimits) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    return ((y > limits.upper_limit) | (y < limits.lower_limit)).astype(int)


def point_types(y, limits: XmrLimits, direction: Direction = "increase",
                mode: TwoInThreeMode = "mdc_2023",
                shift_length: int = SHIFT_LENGTH) -> list[str]:
    """Each point's variation type: `common_cause`, `special_cause_improvement` or
    `special_cause_concern`, the first rule that flags it (in Making Data Count's precedence)
    deciding its side. A degenerate chart (no variation) classifies nothing."""
    y = np.asarray(y, dtype=float)
    if limits.is_degenerate:
        return ["common_cause"] * len(y)
    side = relative_to_mean(y, limits.mean)
    trends = trend_ends(y)
    in_trend = part_of(trends != 0, TREND_LENGTH)
    trend_side = _trend_direction_of_each_point(trends)
    near = near_limits(y, limits, mode)
    flags = [
        (astronomical(y, limits), side),
        (in_trend, trend_side),
        (two_of_three(near, side), side),
        (part_of(shift_ends(side, shift_length), shift_length), side),
    ]
    up = 1 if direction == "increase" else -1
    types = []
    for i in range(len(y)):
        signal = next((sides[i] for flagged, sides in flags if flagged[i]), 0)
        types.append("common_cause" if signal == 0 else
                     "special_cause_improvement" if signal == up else "special_cause_concern")
    return types


def _trend_direction_of_each_point(trends: np.ndarray) -> np.ndarray:
    """Back-fills each trend's direction (1 rising, -1 falling) over its points."""
    out = np.zeros(len(trends), dtype=int)
    for i in np.flatnonzero(trends):
        out[max(0, i - TREND_LENGTH + 1):i + 1] = trends[i]
    return out
