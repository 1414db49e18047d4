"""Funnel limits and site significance against PHEindicatormethods' and FunnelPlotR's test data
(tests/fixtures/qi_vectors/funnel_*)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from support.paths import FIXTURES

from carepath.qi import funnel

VECTORS = FIXTURES / "qi_vectors"
FUNNELPLOTR = json.loads((VECTORS / "funnel_funnelplotr_tests.json").read_text())


def _rows(name: str) -> list[dict]:
    with (VECTORS / name).open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_wilson_limits_reproduce_the_published_curve():
    rows = _rows("funnel_phe_testdata_funnel_prop_outputs.csv")
    n = np.array([float(r["Population"]) for r in rows])
    target = float(rows[0]["Baseline"]) / 100
    for probability, lower_key, upper_key in (
            (funnel.ALERT, "Lower2s0025limit", "Upper2s0025limit"),
            (funnel.ALARM, "Lower3s0001limit", "Upper3s0001limit")):
        lower, upper = funnel.proportion_limits(target, n, probability)
        assert 100 * lower == pytest.approx([float(r[lower_key]) for r in rows], abs=1e-5)
        assert 100 * upper == pytest.approx([float(r[upper_key]) for r in rows], abs=1e-5)


def test_wilson_limits_around_the_pooled_proportion_of_the_smaller_areas():
    """PHE's second curve: the areas with denominators under 31000 only, so the target is
    their own pooled proportion (the file's baseline) and the axis starts at 10000."""
    areas = [r for r in _rows("funnel_phe_testdata_funnel_prop_inputs.csv")
             if float(r["denominator"]) < 31000]
    target = (sum(float(r["numerator"]) for r in areas)
              / sum(float(r["denominator"]) for r in areas))
    rows = _rows("funnel_phe_testdata_funnel_prop_outputs_with_axis_variation.csv")
    assert [float(r["Baseline"]) for r in rows] == pytest.approx([100 * target] * len(rows),
                                                                 abs=1e-5)
    n = np.array([float(r["Population"]) for r in rows])
    for probability, lower_key, upper_key in (
            (funnel.ALERT, "Lower2s0025limit", "Upper2s0025limit"),
            (funnel.ALARM, "Lower3s0001limit", "Upper3s0001limit")):
        lower, upper = funnel.proportion_limits(target, n, probability)
        assert 100 * lower == pytest.approx([float(r[lower_key]) for r in rows], abs=1e-5)
        assert 100 * upper == pytest.approx([float(r[upper_key]) for r in rows], abs=1e-5)


@pytest.mark.parametrize("probability, level", [(funnel.ALERT, "2s"), (funnel.ALARM, "3s")])
def test_ratio_funnel_points_are_the_exact_poisson_bounds(probability, level):
    """PHE's ratio funnel, at 100 observed counts O from 1 to 716: the expected count E at
    which O/E sits on each limit, and O/E there as a count (O/E - 1) and an ISR (100 O/E).
    PHE finds E by bisection (on v, E = (1 + O) v / (1 - v), to a step of 1e-7), hence
    rel 1e-5 or abs 2e-6 on E; an error dE in E moves O/E by (O/E) dE / E, so the ratios are
    held to that bound carried through."""
    rows = _rows("funnel_phe_testdata_funnel_ratio_outputs.csv")
    observed = np.array([float(r["Observed_events\n"]) for r in rows])
    lowest_mean, highest_mean = funnel.exact_poisson_interval(observed, probability)
    # O is on the lower limit when E is the highest mean O allows, on the upper at the lowest.
    for side, events in (("lower", highest_mean), ("upper", lowest_mean)):
        published = np.array([float(r[f"{side}_{level}_exp_events"]) for r in rows])
        tolerance = np.maximum(1e-5 * published, 2e-6)
        assert (np.abs(events - published) <= tolerance).all()
        ratio = observed / events
        ratio_tolerance = ratio * tolerance / events
        for key, got, scale in (("count", ratio - 1, 1), ("isr", 100 * ratio, 100)):
            published = np.array([float(r[f"{side}_{level}_{key}"]) for r in rows])
            assert (np.abs(got - published) <= scale * ratio_tolerance).all(), key


def test_every_site_is_labelled_as_phe_labels_it():
    rows = _rows("funnel_phe_testdata_funnel_prop_inputs.csv")
    labels = funnel.proportion_significance([float(r["numerator"]) for r in rows],
                                            [float(r["denominator"]) for r in rows])
    assert labels == [r["significance"] for r in rows]


def test_every_ratio_is_labelled_as_phe_labels_it():
    rows = _rows("funnel_phe_testdata_funnel_ratio_inputs.csv")
    labels = funnel.ratio_significance([float(r["obs"]) for r in rows],
                                       [float(r["expected"]) for r in rows])
    assert labels == [r["significance"] for r in rows]


@pytest.mark.parametrize("method", ["normal", "exact"])
def test_other_proportion_limits_bracket_the_target_and_narrow_with_n(method):
    lower, upper = funnel.proportion_limits(0.3, [20, 200, 2000], funnel.ALARM, method)
    assert (lower < 0.3).all() and (upper > 0.3).all()
    assert (np.diff(upper - lower) < 0).all()


def test_overdispersion_matches_funnelplotr():
    """FunnelPlotR's own functions run on the PHE inputs (a generated regression vector)."""
    case = json.loads((VECTORS / "funnel_funnelplotr_od_GENERATED.json").read_text())[
        "cases"]["pr_phe_prop_inputs"]
    groups = case["groups"]
    x = [g["numerator"] for g in groups]
    n = np.array([g["denominator"] for g in groups])
    od = funnel.proportion_overdispersion(x, n)
    assert od.phi == pytest.approx(case["phi"], rel=1e-9)
    assert od.tau2 == pytest.approx(case["tau2"], rel=1e-9)
    assert od.winsorised_z == pytest.approx([g["Wuzscore"] for g in groups], rel=1e-9)
    target = case["target"]
    for probability, low, high in ((funnel.ALERT, "odll95", "odul95"),
                                   (funnel.ALARM, "odll998", "odul998")):
        lower, upper = funnel.overdispersed_proportion_limits(target, n, od.tau2, probability)
        assert lower == pytest.approx([g[low] for g in groups], rel=1e-9)
        assert upper == pytest.approx([g[high] for g in groups], rel=1e-9)


def test_exact_poisson_limits_for_a_standardised_ratio_match_funnelplotr():
    """FunnelPlotR's test rounds the lower limits to 7 dp and the upper to 6; its "99"
    limits are 99.8%."""
    case = FUNNELPLOTR["poisson_exact_limits_for_standardised_ratio"]
    expected = case["expected"]
    for probability, name in ((funnel.ALERT, "95"), (funnel.ALARM, "998")):
        lower, upper = funnel.poisson_ratio_limits(case["number_seq"], probability)
        assert np.round(lower, 7) == pytest.approx(expected[f"ll{name}"], abs=1e-12)
        assert np.round(upper, 6) == pytest.approx(expected[f"ul{name}"], abs=1e-12)


@pytest.mark.parametrize("name, lower, upper, multiplier", [
    ("95_unadjusted", "LCL95", "UCL95", 1), ("95_adjusted", "OD95LCL", "OD95UCL", 1),
    ("99_unadjusted", "LCL99", "UCL99", 1), ("99_adjusted", "OD99LCL", "OD99UCL", 1),
    ("95_unadjusted_multiplier_100", "LCL95", "UCL95", 100)])
def test_outlier_flags_match_funnelplotr(name, lower, upper, multiplier):
    case = FUNNELPLOTR["outlier_flagging"]
    limits = case["limits"]
    flags = funnel.is_outlier(np.array(case["rr"]) * multiplier, limits[lower], limits[upper])
    assert flags.astype(int).tolist() == case["expected"][name]


def test_a_point_on_a_limit_is_not_an_outlier():
    assert funnel.is_outlier([0.1, 0.2, 0.3, 0.35], 0.2, 0.3).tolist() == [
        True, False, False, True]
