"""XmR (individuals and moving range) limits, as Making Data Count and NHSRplotthedots draw them.

The centre line is the mean of the baseline points; the process limits sit 2.66 average moving
ranges either side of it (2.66 = 3/d2, d2 = 1.128 for ranges of two, rounded as Making Data
Count rounds it), and the "near" lines two thirds of the way out (the 2-sigma lines of the
two-in-three rule). Moving ranges may be screened first (Nelson 1982): a range at or above
3.267 average ranges comes from a special cause and would widen the limits, so it is dropped and
the average taken again. Making Data Count's own tool does not screen, and neither does this
module unless asked: board reports then match the tool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LIMIT_CONSTANT = 2.66  # Making Data Count: 3 / 1.128, rounded
SCREENING_CONSTANT = 3.267  # D4 for ranges of two: the upper limit of the moving range chart
NEAR_FRACTION = 2 / 3  # the 2-sigma lines of 3-sigma limits
# Fewer baseline points than this give trial limits (NHSRplotthedots' threshold).
MIN_POINTS_FOR_LIMITS = 13


@dataclass(frozen=True)
class XmrLimits:
    mean: float
    average_moving_range: float
    lower_limit: float
    upper_limit: float
    lower_near: float  # the 2-sigma line below the mean
    upper_near: float
    baseline_points: int
    is_trial: bool  # too few baseline points: show the limits, with a warning
    # The moving ranges are all zero (after screening): the limits collapse onto the mean and
    # no point can be classified. A data-quality finding, not a signal.
    is_degenerate: bool


def xmr_limits(values, baseline_points: int | None = None, screen_moving_ranges: bool = False,
               constant: float = LIMIT_CONSTANT) -> XmrLimits:
    """Limits from the first `baseline_points` values (all, by default). A NaN is a gap (a
    period without a value, or an excluded point): it is no point, and no moving range spans
    it, so the values either side are never taken as consecutive. A baseline whose points are
    all apart has no moving range: its average is NaN and the chart degenerate. `constant` is
    2.66 for Making Data Count; qicharts2 uses 3/1.128."""
    y = np.asarray(values, dtype=float)
    present = np.flatnonzero(~np.isnan(y))
    if baseline_points is not None:
        present = present[:baseline_points]
    if len(present) < 2:
        raise ValueError(f"XmR limits need at least 2 values, not {len(present)}")
    mean = float(np.mean(y[present]))
    moving_ranges = np.abs(np.diff(y[:present[-1] + 1]))
    moving_ranges = moving_ranges[~np.isnan(moving_ranges)]
    average = float(np.mean(moving_ranges)) if len(moving_ranges) else float("nan")
    if screen_moving_ranges and len(moving_ranges):
        kept = moving_ranges[moving_ranges < SCREENING_CONSTANT * average]
        average = float(np.mean(kept)) if len(kept) else 0.0
    half_width = constant * average
    near = NEAR_FRACTION * half_width
    return XmrLimits(mean=mean, average_moving_range=average, lower_limit=mean - half_width,
                     upper_limit=mean + half_width, lower_near=mean - near,
                     upper_near=mean + near, baseline_points=len(present),
                     is_trial=len(present) < MIN_POINTS_FOR_LIMITS,
                     is_degenerate=not average > 0.0)


@dataclass(frozen=True)
class MovingRangeLimits:
    moving_ranges: np.ndarray  # one per point; NaN at the first, which has no predecessor
    centre: float  # the average moving range of the baseline
    lower_limit: float  # 0: D3 is 0 for ranges of two
    upper_limit: float


def moving_range_limits(values, baseline_points: int | None = None) -> MovingRangeLimits:
    """The moving range chart drawn under the X chart, as qicharts2 draws it (chart='mr'): the
    ranges between consecutive points, centred on the average range of the first
    `baseline_points` points, with an upper limit of 3.267 (D4) average ranges. A range above
    it is a jump between two points large enough to widen the X limits; the same constant
    screens such ranges out of them (`screen_moving_ranges`)."""
    y = np.asarray(values, dtype=float)
    moving_ranges = np.concatenate([[np.nan], np.abs(np.diff(y))])
    centre = float(np.nanmean(moving_ranges[1:baseline_points]))
    return MovingRangeLimits(moving_ranges, centre, 0.0, SCREENING_CONSTANT * centre)
