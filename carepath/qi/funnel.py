"""Funnel plots for comparing sites (Spiegelhalter, Stat Med 2005;24:1185).

Each site is one point: its proportion (or observed/expected ratio) against its denominator
(or expected count), between control limits around the target that narrow as the denominator
grows. 95% limits (z = 1.959964) are the alert, 99.8% (z = 3.090232) the alarm.

Proportions use Wilson-score limits by default, as Public Health England's Fingertips and
PHEindicatormethods draw them; the normal approximation and the exact binomial (interpolated)
are options. Ratios use exact Poisson limits, and a site's ratio is judged by its own
confidence interval: exact chi-squared below 10 observed events, Byar's approximation from 10.

Sites differ for reasons no funnel models (case mix, coding), so with many large sites most
fall outside the limits. The overdispersion adjustment widens the limits by the between-site
variance; a site is flagged only outside the adjusted 99.8% limit, a point on it not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

ALERT = 0.975  # two-sided 95%
ALARM = 0.999  # two-sided 99.8%
# The z of each, to the six decimals Spiegelhalter's funnel papers and FunnelPlotR use.
Z = {ALERT: 1.959964, ALARM: 3.090232}
ProportionMethod = Literal["wilson", "normal", "exact"]


def proportion_limits(target: float, denominators, probability: float,
                      method: ProportionMethod = "wilson") -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits (as proportions) at each denominator, for a two-sided
    `probability` of 0.975 (95% limits) or 0.999 (99.8%)."""
    n = np.asarray(denominators, dtype=float)
    z = Z.get(probability) or stats.norm.ppf(probability)
    if method == "wilson":
        a = target * (n / z**2 + 1)
        length = 1 / z**2 + 1 / n
        d = np.sqrt(64 * a**2 - 64 * length * target
                    * (n * (target * (n / z**2 + 2) - 1) + z**2 * (target - 1)))
        lower, upper = (a - d / 8) / length / n, (a + d / 8) / length / n
    elif method == "normal":
        half = z * np.sqrt(target * (1 - target) / n)
        lower, upper = target - half, target + half
    elif method == "exact":
        lower = _exact_binomial(target, n, 1 - probability)
        upper = _exact_binomial(target, n, probability)
    else:
        raise ValueError(f"unknown method {method!r}: wilson, normal or exact")
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


def _exact_binomial(target: float, n: np.ndarray, p: float) -> np.ndarray:
    """The interpolated binomial quantile over n: r_p is the smallest r with F(r) >= p, and
    the limit is (r_p - alpha) / n with alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1))."""
    r = stats.binom.ppf(p, n, target)
    at, below = stats.binom.cdf(r, n, target), stats.binom.cdf(r - 1, n, target)
    alpha = np.where(at > below, (at - p) / np.where(at > below, at - below, 1.0), 0.0)
    return (r - alpha) / n


def proportion_significance(numerators, denominators, target: float | None = None,
                            method: ProportionMethod = "wilson") -> list[str]:
    """Each site as PHE labels it: `High (0.001)` or `Low (0.001)` beyond the 99.8% limit,
    `High (0.025)` or `Low (0.025)` beyond the 95% limit, else `Not significant`. The target
    defaults to the pooled proportion sum(x)/sum(n)."""
    x = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    target = x.sum() / n.sum() if target is None else target
    value = x / n
    labels = []
    bands = [(ALARM, "0.001", proportion_limits(target, n, ALARM, method)),
             (ALERT, "0.025", proportion_limits(target, n, ALERT, method))]
    for i, v in enumerate(value):
        label = "Not significant"
        for _, level, (lower, upper) in bands:
            if v > upper[i]:
                label = f"High ({level})"
                break
            if v < lower[i]:
                label = f"Low ({level})"
                break
        labels.append(label)
    return labels


def exact_poisson_interval(observed, probability: float) -> tuple[np.ndarray, np.ndarray]:
    """The exact (Garwood) interval of a Poisson mean after `observed` events: the means under
    which so many events or more (fewer or as few) have probability 1 - `probability`. PHE's
    ratio funnel is drawn through them: for O events, the expected count at which O/E sits on
    the lower limit is the upper bound, and on the upper limit the lower bound."""
    o = np.asarray(observed, dtype=float)
    return (np.where(o > 0, stats.chi2.ppf(1 - probability, 2 * o) / 2, 0.0),
            stats.chi2.ppf(probability, 2 * o + 2) / 2)


def ratio_interval(observed, expected, probability: float) -> tuple[np.ndarray, np.ndarray]:
    """The confidence interval of observed/expected: exact chi-squared below 10 observed
    events, Byar's approximation from 10 (as PHEindicatormethods computes it)."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    z = stats.norm.ppf(probability)
    exact_lower, exact_upper = exact_poisson_interval(o, probability)
    byar_lower = o * (1 - 1 / (9 * np.maximum(o, 1)) - z / (3 * np.sqrt(np.maximum(o, 1))))**3
    byar_upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1)))**3
    lower = np.where(o < 10, exact_lower, byar_lower) / e
    upper = np.where(o < 10, exact_upper, byar_upper) / e
    return lower, upper


def ratio_significance(observed, expected, target: float = 1.0) -> list[str]:
    """Each site's ratio judged against `target` by its own interval, in PHE's labels."""
    labels = []
    alarm, alert = ratio_interval(observed, expected, ALARM), ratio_interval(
        observed, expected, ALERT)
    for i in range(len(np.atleast_1d(observed))):
        label = "Not significant"
        for level, (lower, upper) in (("0.001", alarm), ("0.025", alert)):
            if lower[i] > target:
                label = f"High ({level})"
                break
            if upper[i] < target:
                label = f"Low ({level})"
                break
        labels.append(label)
    return labels


def poisson_ratio_limits(expected, probability: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson funnel limits for an observed/expected ratio at expected count E:
    chi2(1-p; 2E) / 2E and chi2(p; 2E + 2) / 2E."""
    e = np.asarray(expected, dtype=float)
    return (stats.chi2.ppf(1 - probability, 2 * e) / (2 * e),
            stats.chi2.ppf(probability, 2 * e + 2) / (2 * e))


@dataclass(frozen=True)
class Overdispersion:
    """Spiegelhalter's additive random-effects adjustment (QSHC 2005;14:347), as FunnelPlotR
    computes it for proportions: z-scores on the arcsine-square-root scale, winsorised at their
    10th and 90th percentiles; phi, their mean square; tau2, the between-site variance that
    phi beyond 1 implies (0 when the sites vary no more than chance)."""

    z: np.ndarray
    winsorised_z: np.ndarray
    phi: float
    tau2: float


def proportion_overdispersion(numerators, denominators, target: float | None = None,
                              trim: float = 0.1) -> Overdispersion:
    x = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    target = x.sum() / n.sum() if target is None else target
    s = 1 / (2 * np.sqrt(n))
    z = (np.arcsin(np.sqrt(x / n)) - np.arcsin(np.sqrt(target))) / s
    low, high = np.percentile(z, [100 * trim, 100 * (1 - trim)])  # R's quantile type 7
    winsorised = np.clip(z, low, high)
    sites = len(z)
    phi = float(np.mean(winsorised**2))
    weights = 1 / s**2
    tau2 = 0.0
    if sites * phi > sites - 1:
        tau2 = max(0.0, (sites * phi - (sites - 1))
                   / (weights.sum() - (weights**2).sum() / weights.sum()))
    return Overdispersion(z, winsorised, phi, tau2)


def overdispersed_proportion_limits(target: float, denominators, tau2: float,
                                    probability: float) -> tuple[np.ndarray, np.ndarray]:
    """Limits widened by the between-site variance: sin^2(asin(sqrt(target)) -/+
    z * sqrt(s_i^2 + tau2)), s_i = 1 / (2 sqrt(n_i)), within [0, 1]."""
    n = np.asarray(denominators, dtype=float)
    z = Z.get(probability) or stats.norm.ppf(probability)
    centre = np.arcsin(np.sqrt(target))
    half = z * np.sqrt(1 / (4 * n) + tau2)
    lower = np.sin(np.clip(centre - half, 0.0, np.pi / 2))**2
    upper = np.sin(np.clip(centre + half, 0.0, np.pi / 2))**2
    return lower, upper


def is_outlier(values, lower, upper) -> np.ndarray:
    """Outside the limits; a point on a limit is not an outlier (FunnelPlotR's bounds)."""
    values = np.asarray(values, dtype=float)
    return (values < lower) | (values > upper)
