"""Anhøj's runs analysis, as qicharts2 reports it for every chart part (Anhøj & Olesen, PLoS ONE
2014;9:e113825).

A run chart needs no limits: a process that changes shows itself by runs (consecutive points on
one side of the centre line) that are too long, or by too few crossings of the centre line. Only
the useful points count: those not on the centre line (they neither extend nor break a run) and
not excluded. With n useful points, the longest run should not exceed round(log2(n)) + 3
(Schilling 2012) and the crossings should be at least the 5th percentile of Binomial(n - 1, 0.5)
(Chen 2010); either failure is a runs signal. Both thresholds grow with n: a fixed run length
(as the Making Data Count shift rule uses) flags chance runs ever more often as a series grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class RunsAnalysis:
    observations: int  # the included points, useful or not (qicharts2's n.obs)
    useful: int  # the included points off the centre line (n.useful)
    # None without useful points, when there is nothing to judge (qicharts2's NA).
    longest_run: int | None
    longest_run_max: int | None
    crossings: int | None
    crossings_min: int | None
    signal: bool


def runs_analysis(values, centre, included=None) -> RunsAnalysis:
    """The runs analysis of one chart part: `values` against `centre` (one value or one per
    point); missing values and points not `included` are left out, as qicharts2 leaves them."""
    y = np.asarray(values, dtype=float)
    included = (np.ones(len(y), dtype=bool) if included is None
                else np.asarray(included, dtype=bool))
    sides = np.sign(y - np.asarray(centre, dtype=float))[included]
    sides = sides[(sides != 0) & ~np.isnan(sides)]
    useful = len(sides)
    if useful == 0:
        return RunsAnalysis(int(included.sum()), 0, None, None, None, None, False)
    # A new run starts wherever the side changes; each change is one crossing.
    starts = np.flatnonzero(np.diff(sides) != 0) + 1
    run_lengths = np.diff(np.concatenate([[0], starts, [useful]]))
    longest_run = int(run_lengths.max())
    crossings = len(starts)
    longest_run_max = int(np.round(np.log2(useful))) + 3
    crossings_min = int(stats.binom.ppf(0.05, useful - 1, 0.5))
    return RunsAnalysis(int(included.sum()), useful, longest_run, longest_run_max, crossings,
                        crossings_min,
                        longest_run > longest_run_max or crossings < crossings_min)
