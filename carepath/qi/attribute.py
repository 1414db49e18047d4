"""Attribute control charts: p (proportions), u (rates per unit of exposure), c (counts), and
Laney's p' and u' for large denominators.

Limits sit three sigma either side of the centre line, computed per point where the denominator
varies, and clamped to what the measure can be (a proportion between 0 and 1, a rate or count
not below 0). The centre line of each phase comes from its baseline points: all the phase's
points, or its first `baseline_points`, less the points excluded (a known data error still gets
its limits and flags, but does not move the centre line), as qicharts2 computes them.

With large denominators (roughly over 1000 per point) p and u limits become so narrow that every
point looks special: Laney's p' and u' widen them by the spread of the points' z-scores
(sigma_z = mean moving range of z / 1.128), which is 1 when the data vary as the binomial or
Poisson model expects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIGMAS = 3.0
D2 = 1.128  # the mean moving range of two normal points, in standard deviations


@dataclass(frozen=True)
class AttributeLimits:
    """Per point: the centre line, the sigma, and the limits."""

    centre: np.ndarray
    sigma: np.ndarray
    lower_limit: np.ndarray
    upper_limit: np.ndarray


def _baseline_mask(length: int, phases: np.ndarray, included: np.ndarray,
                   baseline_points: int | None) -> np.ndarray:
    mask = included.copy()
    if baseline_points is not None:
        for phase in np.unique(phases):
            positions = np.flatnonzero(phases == phase)
            mask[positions[baseline_points:]] = False
    return mask


def _inputs(values, denominators, phases, included):
    x = np.asarray(values, dtype=float)
    n = np.ones_like(x) if denominators is None else np.asarray(denominators, dtype=float)
    phases = np.zeros(len(x), dtype=int) if phases is None else np.asarray(phases)
    included = (np.ones(len(x), dtype=bool) if included is None
                else np.asarray(included, dtype=bool))
    return x, n, phases, included


def _chart(kind: str, values, denominators=None, *, phases=None, included=None,
           baseline_points: int | None = None, laney: bool = False) -> AttributeLimits:
    x, n, phases, included = _inputs(values, denominators, phases, included)
    baseline = _baseline_mask(len(x), phases, included, baseline_points)
    centre = np.empty(len(x))
    sigma = np.empty(len(x))
    for phase in np.unique(phases):
        here = phases == phase
        base = here & baseline
        if kind == "c":
            centre_value = x[base].mean()
            phase_sigma = np.full(here.sum(), np.sqrt(centre_value))
        else:
            centre_value = x[base].sum() / n[base].sum()
            spread = centre_value * (1 - centre_value) if kind == "p" else centre_value
            phase_sigma = np.sqrt(spread / n[here])
        if laney:
            rate = x / n
            z = (rate[base] - centre_value) / np.sqrt(
                (centre_value * (1 - centre_value) if kind == "p" else centre_value) / n[base])
            phase_sigma = phase_sigma * (np.mean(np.abs(np.diff(z))) / D2)
        centre[here] = centre_value
        sigma[here] = phase_sigma
    lower = np.maximum(0.0, centre - SIGMAS * sigma)
    upper = centre + SIGMAS * sigma
    if kind == "p":
        upper = np.minimum(1.0, upper)
    return AttributeLimits(centre, sigma, lower, upper)


def p_chart(numerators, denominators, **options) -> AttributeLimits:
    """Proportions x/n: centre sum(x)/sum(n), sigma sqrt(p(1-p)/n_i). `laney=True` for p'."""
    return _chart("p", numerators, denominators, **options)


def u_chart(counts, exposures, **options) -> AttributeLimits:
    """Rates per unit of exposure: centre sum(x)/sum(n), sigma sqrt(u/n_i). `laney=True` for u'."""
    return _chart("u", counts, exposures, **options)


def c_chart(counts, **options) -> AttributeLimits:
    """Counts in equal opportunities: centre mean(c), sigma sqrt(c)."""
    options.pop("laney", None)
    return _chart("c", counts, None, **options)
