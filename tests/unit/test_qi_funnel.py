"""Funnel limits and site significance against PHEindicatormethods' test data
(tests/fixtures/qi_vectors/funnel_phe_*)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from support.paths import FIXTURES

from carepath.qi import funnel

VECTORS = FIXTURES / "qi_vectors"


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
    import json

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


def test_a_point_on_a_limit_is_not_an_outlier():
    assert funnel.is_outlier([0.1, 0.2, 0.3, 0.35], 0.2, 0.3).tolist() == [
        True, False, False, True]
