"""The SQL of the SPC and funnel marts agrees with carepath.qi (numpy, tested against the
published vectors) on series built to reach every rule: shifts, trends, two in three, points
beyond the limits, ties and points on the mean, flat and one-point charts, every improvement
direction. The demo data, a few months long, reaches few of them.

The models' SQL is the one dbt compiled for the demo run; here it runs on a scratch warehouse
whose fct_monthly_indicators holds the built series, so the marts are judged on inputs chosen
to test them."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from carepath.qi import funnel as funnels
from carepath.qi.spc import xmr_chart

RULES = ["rule_astronomical", "rule_trend", "rule_two_of_three", "rule_shift"]
LIMITS = ["centre", "lower_limit", "upper_limit", "lower_near", "upper_near"]


def _months(count: int) -> list[date]:
    return [date(2020 + i // 12, i % 12 + 1, 1) for i in range(count)]


def _series(rng: np.random.Generator) -> list[list[float]]:
    """Series of every shape the rules care about."""
    built = []
    for _ in range(40):
        built.append(list(rng.normal(50, 5, rng.integers(2, 30))))
    for _ in range(30):  # small counts: many ties, points exactly on the mean
        built.append([float(x) for x in rng.poisson(3, rng.integers(5, 25))])
    for _ in range(20):  # a shift part-way through
        n, at = int(rng.integers(14, 30)), int(rng.integers(4, 10))
        built.append(list(rng.normal(20, 2, n) + np.where(np.arange(n) >= at, 4.0, 0.0)))
    for _ in range(30):  # a run rising or falling: one point short of a trend, or a trend
        n, start = int(rng.integers(12, 24)), int(rng.integers(0, 5))
        length = int(rng.integers(6, 9))
        y = rng.normal(0, 1, n)
        y[start:start + length] = rng.choice([-1.0, 1.0]) * (np.arange(length)
                                                            + rng.uniform(0, 0.3, length))
        built.append(list(y))
    for _ in range(20):  # spikes near and beyond the limits
        y = rng.normal(10, 1, int(rng.integers(10, 25)))
        for i in rng.choice(len(y), 3, replace=False):
            y[i] += rng.choice([-1.0, 1.0]) * rng.uniform(2, 6)
        built.append(list(y))
    built += [[7.0] * 12, [3.0], [1.0, 2.0], [5.0, 5.0, 5.0, 6.0]]
    return built


@pytest.fixture(scope="module")
def compiled(pipeline_run):
    settings, _ = pipeline_run
    folder = settings.data_dir / "dbt" / "target" / "compiled" / "carepath" / "models" / "marts"
    return {name: (folder / "qi" / f"{name}.sql").read_text()
            for name in ("fct_spc_points", "fct_funnel")}


def _scratch_warehouse(tmp_path, rows: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """A warehouse named as the compiled SQL names it, holding only fct_monthly_indicators."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create schema marts")
    con.register("built", rows)
    con.execute("""
        create table marts.fct_monthly_indicators as
        select
            cast(site_code as varchar) as site_code,
            cast(is_network_total as boolean) as is_network_total,
            cast(indicator_id as varchar) as indicator_id,
            cast(indicator_id as varchar) as indicator_label,
            cast(indicator_unit as varchar) as indicator_unit,
            cast(improvement_direction as varchar) as improvement_direction,
            cast(target_value as double) as target_value,
            cast(indicator_month as date) as indicator_month,
            cast(numerator as bigint) as numerator,
            cast(denominator as bigint) as denominator,
            cast(value as double) as value
        from built""")
    return con


def _chart_of(points: pd.DataFrame, site: str) -> pd.DataFrame:
    return points[points.site_code == site].reset_index(drop=True)


def _assert_same_chart(mine: pd.DataFrame, want: pd.DataFrame, site: str) -> None:
    """The SQL's points of one chart are the Python chart's: limits, rules, variation, and the
    latest point last."""
    assert len(mine) == len(want), site
    for column in LIMITS:
        np.testing.assert_allclose(mine[column], want[column], rtol=1e-9, atol=1e-9,
                                   err_msg=f"{site} {column}")
    for column in RULES:
        assert mine[column].tolist() == want[column].astype(bool).tolist(), (site, column)
    assert mine.variation.tolist() == want.variation.tolist(), site
    assert mine.is_latest_point.tolist() == [False] * (len(mine) - 1) + [True]


def test_xmr_points_agree_with_the_python_charts(tmp_path, compiled):
    rng = np.random.default_rng(20261124)
    directions = ["increase", "decrease", "neutral"]
    rows, expected = [], {}
    for number, values in enumerate(_series(rng)):
        direction = directions[number % 3]
        for month, value in zip(_months(len(values)), values, strict=True):
            rows.append({"site_code": f"S{number}", "is_network_total": False,
                         "indicator_id": "x", "indicator_unit": "days",
                         "improvement_direction": direction, "target_value": None,
                         "indicator_month": month, "numerator": None, "denominator": 30,
                         "value": value})
        if len(values) > 1:
            chart = xmr_chart(values, direction="decrease" if direction == "decrease"
                              else "increase")
            if direction == "neutral":
                chart["variation"] = chart.variation.where(
                    chart.variation == "common_cause", "special_cause_neither")
            expected[f"S{number}"] = chart
    con = _scratch_warehouse(tmp_path, pd.DataFrame(rows))
    got = con.execute(compiled["fct_spc_points"]).df().sort_values(["site_code",
                                                                     "indicator_month"])
    signals = {rule: 0 for rule in RULES}
    for site, want in expected.items():
        mine = _chart_of(got, site)
        _assert_same_chart(mine, want, site)
        for column in RULES:
            signals[column] += int(mine[column].sum())
    # The series reach every rule, or the agreement would prove little.
    assert all(count > 20 for count in signals.values()), signals
    lone = got[got.site_code == next(f"S{n}" for n, v in enumerate(_series(
        np.random.default_rng(20261124))) if len(v) == 1)]
    assert lone.variation.tolist() == ["common_cause"] and lone.is_degenerate.all()


def test_gaps_agree_with_the_python_charts(tmp_path, compiled):
    """Months without a value (gaps) in series that reach every rule: no moving range, trend,
    shift or two-in-three window spans a gap, in SQL as in carepath.qi."""
    rng = np.random.default_rng(20261207)
    rows, expected = [], {}
    broken = 0
    for number, values in enumerate(_series(rng)):
        if len(values) < 6:
            continue
        y = np.array(values, dtype=float)
        y[rng.choice(np.arange(1, len(y) - 1), int(rng.integers(1, 4)), replace=False)] = np.nan
        if np.count_nonzero(~np.isnan(y)) < 2:
            continue
        for month, value in zip(_months(len(y)), y, strict=True):
            rows.append({"site_code": f"G{number}", "is_network_total": False,
                         "indicator_id": "x", "indicator_unit": "days",
                         "improvement_direction": "increase", "target_value": None,
                         "indicator_month": month, "numerator": None, "denominator": 30,
                         "value": None if np.isnan(value) else float(value)})
        chart = xmr_chart(y)
        expected[f"G{number}"] = chart[chart.value.notna()].reset_index(drop=True)
        joined = xmr_chart(y[~np.isnan(y)])  # what a chart that ignored the gaps would say
        broken += int(not np.allclose(joined.upper_limit, expected[f"G{number}"].upper_limit))
    con = _scratch_warehouse(tmp_path, pd.DataFrame(rows))
    got = con.execute(compiled["fct_spc_points"]).df().sort_values(["site_code",
                                                                     "indicator_month"])
    for site, want in expected.items():
        _assert_same_chart(_chart_of(got, site), want, site)
    assert broken > 20, "the gaps changed no chart's limits: the comparison proves little"


def test_funnels_agree_with_the_python_funnels(tmp_path, compiled):
    rng = np.random.default_rng(7)
    rows, cases = [], {}
    months = _months(18)
    for number in range(25):
        indicator = f"p{number}"
        sites = int(rng.integers(2, 30))
        rate = rng.uniform(0.05, 0.95)
        direction = ["increase", "decrease", "neutral"][number % 3]
        totals = {}
        for site in range(sites):
            # Some sites far off the rest, so that some are outliers even after adjusting.
            site_rate = np.clip(rate + (rng.choice([-0.3, 0.3]) if rng.random() < 0.15
                                        else rng.normal(0, 0.02)), 0.01, 0.99)
            x = n = 0
            for month in months:
                denominator = int(rng.integers(0, 60))
                numerator = int(rng.binomial(denominator, site_rate))
                rows.append({"site_code": f"T{site:02d}", "is_network_total": False,
                             "indicator_id": indicator, "indicator_unit": "proportion",
                             "improvement_direction": direction, "target_value": None,
                             "indicator_month": month, "numerator": numerator,
                             "denominator": denominator,
                             "value": numerator / denominator if denominator else None})
                if month >= months[-12]:  # the latest 12 months are compared
                    x, n = x + numerator, n + denominator
            if n:
                totals[f"T{site:02d}"] = (x, n)
        cases[indicator] = totals
    con = _scratch_warehouse(tmp_path, pd.DataFrame(rows))
    got = con.execute(compiled["fct_funnel"]).df()
    outliers = 0
    for indicator, totals in cases.items():
        mine = got[got.indicator_id == indicator].sort_values("site_code")
        assert mine.site_code.tolist() == sorted(totals), indicator
        x = np.array([totals[s][0] for s in sorted(totals)], dtype=float)
        n = np.array([totals[s][1] for s in sorted(totals)], dtype=float)
        target = x.sum() / n.sum()
        spread = funnels.proportion_overdispersion(x, n)
        assert mine.target_proportion.iloc[0] == pytest.approx(target, rel=1e-12)
        assert mine.tau2.iloc[0] == pytest.approx(spread.tau2, rel=1e-9, abs=1e-15)
        for name, probability in (("95", funnels.ALERT), ("998", funnels.ALARM)):
            lower, upper = funnels.proportion_limits(target, n, probability)
            np.testing.assert_allclose(mine[f"lower_{name}"], lower, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(mine[f"upper_{name}"], upper, rtol=1e-9, atol=1e-12)
            lower, upper = funnels.overdispersed_proportion_limits(target, n, spread.tau2,
                                                                   probability)
            np.testing.assert_allclose(mine[f"adjusted_lower_{name}"], lower, rtol=1e-9,
                                       atol=1e-12)
            np.testing.assert_allclose(mine[f"adjusted_upper_{name}"], upper, rtol=1e-9,
                                       atol=1e-12)
        flagged = funnels.is_outlier(x / n, *funnels.overdispersed_proportion_limits(
            target, n, spread.tau2, funnels.ALARM))
        assert mine.is_outlier.tolist() == flagged.tolist(), indicator
        outliers += int(flagged.sum())
    assert outliers > 5, "no site stood out: the comparison proves little"
