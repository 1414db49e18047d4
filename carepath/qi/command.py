"""`carepath qi spc` and `carepath qi funnel`: the charts on an analyst's own CSV, one row out
per point (or group), written formula-safe (carepath.publish.csv_export)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from carepath.publish.csv_export import formula_safe_csv
from carepath.qi import funnel
from carepath.qi.spc import attribute_chart, xmr_chart


def _columns(frame: pd.DataFrame, path: Path, *names: str | None) -> None:
    missing = [n for n in names if n is not None and n not in frame.columns]
    if missing:
        raise ValueError(f"{path}: no column(s) {', '.join(missing)}; it has "
                         + ", ".join(frame.columns))


def spc(input_path: Path, date: str, chart: str, output: Path, value: str | None = None,
        numerator: str | None = None, denominator: str | None = None,
        phase_dates: list[str] | None = None, direction: str = "increase",
        target: float | None = None) -> pd.DataFrame:
    """Points in date order; a new phase starts at each of `phase_dates` (a documented change)."""
    frame = pd.read_csv(input_path)
    if chart == "xmr":
        if value is None:
            raise ValueError("an xmr chart needs --value")
        _columns(frame, input_path, date, value)
    else:
        if numerator is None or (chart != "c" and denominator is None):
            raise ValueError(f"a {chart} chart needs --numerator"
                             + ("" if chart == "c" else " and --denominator"))
        _columns(frame, input_path, date, numerator, denominator)
    frame[date] = pd.to_datetime(frame[date])
    frame = frame.sort_values(date).reset_index(drop=True)
    changes = np.sort(pd.to_datetime(phase_dates or []).values)
    phases = np.searchsorted(changes, frame[date].values, side="right") + 1
    if chart == "xmr":
        result = xmr_chart(frame[value], phases, direction=direction, target=target)
    else:
        result = attribute_chart(chart, frame[numerator],
                                 None if chart == "c" else frame[denominator], phases,
                                 direction=direction, target=target)
    result.insert(0, date, frame[date].dt.date)
    output.write_bytes(formula_safe_csv(result))
    return result


def funnel_plot(input_path: Path, group: str, numerator: str, denominator: str, kind: str,
                output: Path) -> pd.DataFrame:
    """One row per group: its value, the 95% and 99.8% limits at its denominator, and whether
    it is an outlier. Proportions: Wilson limits around the pooled proportion, overdispersion-
    adjusted limits, flagged outside the adjusted 99.8% limit. Ratios (observed/expected):
    exact Poisson limits at the expected count, flagged by PHE's significance of the ratio."""
    frame = pd.read_csv(input_path)
    _columns(frame, input_path, group, numerator, denominator)
    grouped = frame.groupby(group, sort=True)[[numerator, denominator]].sum()
    x, n = grouped[numerator].to_numpy(float), grouped[denominator].to_numpy(float)
    result = pd.DataFrame({group: grouped.index, "numerator": x, "denominator": n,
                           "value": x / n})
    if kind == "proportion":
        target = x.sum() / n.sum()
        result["target"] = target
        for probability, name in ((funnel.ALERT, "95"), (funnel.ALARM, "998")):
            result[f"lower_{name}"], result[f"upper_{name}"] = funnel.proportion_limits(
                target, n, probability)
        od = funnel.proportion_overdispersion(x, n, target)
        result["phi"], result["tau2"] = od.phi, od.tau2
        lower, upper = funnel.overdispersed_proportion_limits(target, n, od.tau2, funnel.ALARM)
        result["lower_998_adjusted"], result["upper_998_adjusted"] = lower, upper
        result["significance"] = funnel.proportion_significance(x, n, target)
        result["is_outlier"] = funnel.is_outlier(result["value"], lower, upper)
    elif kind == "ratio":
        result["target"] = 1.0
        for probability, name in ((funnel.ALERT, "95"), (funnel.ALARM, "998")):
            result[f"lower_{name}"], result[f"upper_{name}"] = funnel.poisson_ratio_limits(
                n, probability)
        result["significance"] = funnel.ratio_significance(x, n)
        result["is_outlier"] = result["significance"].str.endswith("(0.001)")
    else:
        raise ValueError(f"unknown funnel type {kind!r}: proportion or ratio")
    output.write_bytes(formula_safe_csv(result))
    return result
