"""The chart tables: phases rebase the limits, excluded points keep their flags, points beyond
the limits are flagged as qicharts2 flags them (its sigma.signal), and the Making Data Count
icons follow the latest point and the target."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from support.paths import FIXTURES

from carepath.qi.spc import assurance, attribute_chart, xmr_chart
from carepath.qi.xmr import xmr_limits

VECTORS = FIXTURES / "qi_vectors"
PTD = json.loads((VECTORS / "spc_ptd_xmr_rnorm20_seed123.json").read_text())


def _qicharts2(name: str) -> list[dict]:
    with (VECTORS / name).open() as fh:
        return list(csv.DictReader(fh))


def test_each_phase_has_its_own_limits_as_plot_the_dots_facets_do():
    """The facet rows of the NHSRplotthedots snapshot: the same 20 points split in two."""
    [first, last] = [c for c in PTD["cases"] if c["name"].startswith("facet")]
    y = first["y"] + last["y"]
    chart = xmr_chart(y, phases=[1] * 10 + [2] * 10, screen_moving_ranges=True)
    for phase, case in ((1, first), (2, last)):
        rows = chart[chart.phase == phase]
        assert rows.centre.iloc[0] == pytest.approx(case["expected"]["mean"], abs=0.005)
        assert rows.upper_limit.iloc[0] == pytest.approx(case["expected"]["upl"], abs=0.005)
        assert rows.is_trial_limits.all()
    assert (chart.variation == "common_cause").all()


def test_an_outlier_is_flagged_and_the_icon_follows_the_latest_point():
    case = next(c for c in PTD["cases"] if c["name"] == "r2_point15_set_to_10_screened")
    chart = xmr_chart(case["y"], screen_moving_ranges=True)
    assert chart.variation.tolist()[14] == "special_cause_improvement"
    assert chart.rule_astronomical.tolist()[14]
    assert (chart.drop(index=14).variation == "common_cause").all()
    assert chart.variation_icon.iloc[-1] == "common_cause"
    assert chart.variation_icon.iloc[:-1].isna().all()

    falling = xmr_chart(case["y"][:14] + [-10.0], screen_moving_ranges=True)
    assert falling.variation_icon.iloc[-1] == "concern_low"
    assert xmr_chart(case["y"][:14] + [-10.0], screen_moving_ranges=True,
                     direction="decrease").variation_icon.iloc[-1] == "improvement_low"


def test_an_excluded_point_keeps_its_flag_but_not_its_weight():
    y = [5.0, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 40]
    chart = xmr_chart(y, excluded=[False] * 13 + [True])
    assert chart.centre.iloc[0] == pytest.approx(xmr_limits(y[:13]).mean)
    assert chart.variation.iloc[-1] == "special_cause_improvement"


def test_a_gap_keeps_its_row_without_a_variation_and_the_icon_goes_to_the_latest_point():
    nan = float("nan")
    y = [5.0, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 40, nan]
    chart = xmr_chart(y)
    assert len(chart) == len(y)
    assert pd.isna(chart.variation.iloc[-1])
    assert not chart.iloc[-1][["rule_astronomical", "rule_trend", "rule_two_of_three",
                               "rule_shift"]].any()
    assert chart.variation_icon.iloc[-2] == "improvement_high"  # 40 is the latest point
    assert pd.isna(chart.variation_icon.iloc[-1])


def test_points_beyond_the_i_chart_limits_are_qicharts2s_sigma_signals():
    rows = _qicharts2("spc_qicharts2_i_chart_montgomery_ex6.5_freeze20.csv")
    chart = xmr_chart([float(r["y"]) for r in rows], baseline_points=20, constant=3 / 1.128)
    assert chart.rule_astronomical.tolist() == [r["sigma.signal"] == "TRUE" for r in rows]


@pytest.mark.parametrize("kind, name", [
    ("p", "spc_qicharts2_p_chart_varying_n_montgomery_tbl7.4.csv"),
    ("p", "spc_qicharts2_p_chart_exclude_part_montgomery_ex7.1.csv"),
    ("c", "spc_qicharts2_c_chart_exclude_freeze_montgomery_ex7.3.csv"),
    ("u", "spc_qicharts2_u_chart_varying_n_montgomery_ex7.4.csv"),
])
def test_points_beyond_the_attribute_limits_are_qicharts2s_sigma_signals(kind, name):
    """Excluded points are flagged too: they leave the centre line, not the chart."""
    rows = _qicharts2(name)
    chart = attribute_chart(
        kind, [float(r["y.sum"]) for r in rows],
        None if kind == "c" else [float(r["n"]) for r in rows],
        phases=[int(r["part"]) for r in rows], excluded=[r["include"] == "FALSE" for r in rows],
        baseline_points=sum(r["baseline"] == "TRUE" for r in rows))
    assert chart.rule_astronomical.tolist() == [r["sigma.signal"] == "TRUE" for r in rows]


@pytest.mark.parametrize("lower, upper, target, direction, expected", [
    (80, 95, 75, "increase", "consistently_passing"),
    (80, 95, 97, "increase", "consistently_failing"),
    (80, 95, 90, "increase", "hit_and_miss"),
    (10, 20, 25, "decrease", "consistently_passing"),
    (10, 20, 5, "decrease", "consistently_failing"),
    (10, 20, 20, "decrease", "hit_and_miss"),
    (10, 20, None, "decrease", None),
])
def test_assurance(lower, upper, target, direction, expected):
    assert assurance(lower, upper, target, direction) == expected
