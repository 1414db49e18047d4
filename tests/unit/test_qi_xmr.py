"""XmR limits against the published vectors of NHSRplotthedots, nhspy-plotthedots and
qicharts2 (tests/fixtures/qi_vectors)."""

from __future__ import annotations

import csv
import json

import pytest
from support.paths import FIXTURES

from carepath.qi.xmr import moving_range_limits, xmr_limits

VECTORS = FIXTURES / "qi_vectors"
PTD = json.loads((VECTORS / "spc_ptd_xmr_rnorm20_seed123.json").read_text())
NHSPY = json.loads((VECTORS / "spc_nhspy_limits.json").read_text())
VIGNETTE = json.loads((VECTORS / "spc_ptd_xmr_screening_vignette.json").read_text())


@pytest.mark.parametrize("case", [c for c in PTD["cases"] if not c["name"].startswith("facet")],
                         ids=lambda c: c["name"])
def test_plot_the_dots_limits(case):
    limits = xmr_limits(case["y"], screen_moving_ranges=case["screen_outliers"])
    expected = case["expected"]
    assert limits.mean == pytest.approx(expected["mean"], abs=1e-6)
    assert limits.lower_limit == pytest.approx(expected["lpl"], abs=1e-6)
    assert limits.upper_limit == pytest.approx(expected["upl"], abs=1e-6)


@pytest.mark.parametrize("case", [c for c in PTD["cases"] if c["name"].startswith("facet")],
                         ids=lambda c: c["name"])
def test_plot_the_dots_limits_per_facet(case):
    limits = xmr_limits(case["y"], screen_moving_ranges=case["screen_outliers"])
    for got, key in ((limits.mean, "mean"), (limits.lower_limit, "lpl"),
                     (limits.upper_limit, "upl")):
        assert got == pytest.approx(case["expected"][key], abs=0.005)
    assert limits.is_trial, "10 points are fewer than the 13 that settle the limits"


@pytest.mark.parametrize("case", NHSPY["limits_cases"], ids=lambda c: c["name"])
def test_nhspy_limits_and_near_lines(case):
    limits = xmr_limits(case["values"], screen_moving_ranges=True)
    mean, lpl, upl, near_lpl, near_upl = case["expected"]
    got = (limits.mean, limits.lower_limit, limits.upper_limit, limits.lower_near,
           limits.upper_near)
    assert got == pytest.approx((mean, lpl, upl, near_lpl, near_upl), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("case", NHSPY["spc_x_calc_cases"], ids=lambda c: c["name"])
def test_nhspy_fixed_baseline_and_degenerate_series(case):
    limits = xmr_limits(case["values"], baseline_points=case.get("fix_after_n_points"),
                        screen_moving_ranges=True)
    expected = case["expected"]
    got = (limits.mean, limits.lower_limit, limits.upper_limit)
    assert got == pytest.approx((expected["mean"], expected["lpl"], expected["upl"]),
                                rel=1e-12, abs=1e-12)
    assert limits.is_degenerate == (expected["lpl"] == expected["upl"])


@pytest.mark.parametrize("screen, key", [(True, "screened"), (False, "unscreened")])
def test_screening_against_the_making_data_count_tool(screen, key):
    limits = xmr_limits(VIGNETTE["y"], screen_moving_ranges=screen)
    exact = VIGNETTE["exact_values_from_running_package_source_for_reference"][key]
    assert (limits.lower_limit, limits.mean, limits.upper_limit) == pytest.approx(
        (exact["lpl"], exact["mean"], exact["upl"]), abs=1e-9)


def test_qicharts2_i_chart_with_a_frozen_baseline():
    with (VECTORS / "spc_qicharts2_i_chart_montgomery_ex6.5_freeze20.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    limits = xmr_limits([float(r["y"]) for r in rows], baseline_points=20, constant=3 / 1.128)
    for row in rows:
        assert limits.mean == pytest.approx(float(row["cl"]), abs=1e-9)
        assert limits.lower_limit == pytest.approx(float(row["lcl"]), abs=1e-9)
        assert limits.upper_limit == pytest.approx(float(row["ucl"]), abs=1e-9)


def test_qicharts2_moving_range_chart_with_a_frozen_baseline():
    """The same 40 points as an MR chart: the centre is the average of the 19 ranges among the
    first 20 points, the upper limit 3.267 of them; only the jump to point 39 is beyond it."""
    with (VECTORS / "spc_qicharts2_mr_chart_montgomery_ex6.5_freeze20.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    limits = moving_range_limits([float(r["y.sum"]) for r in rows], baseline_points=20)
    expected = [float(r["y"]) if r["y"] else float("nan") for r in rows]
    assert limits.moving_ranges == pytest.approx(expected, abs=1e-9, nan_ok=True)
    for row in rows:
        assert limits.centre == pytest.approx(float(row["cl"]), abs=1e-9)
        assert limits.lower_limit == pytest.approx(float(row["lcl"]), abs=1e-9)
        assert limits.upper_limit == pytest.approx(float(row["ucl"]), abs=1e-9)
    beyond = limits.moving_ranges > limits.upper_limit
    assert beyond.tolist() == [r["sigma.signal"] == "TRUE" for r in rows]


def test_too_few_values_is_an_error():
    with pytest.raises(ValueError, match="at least 2"):
        xmr_limits([1.0])


def test_a_gap_is_no_point_and_no_moving_range_spans_it():
    """A month without a value keeps its neighbours apart: the range 10 -> 30 across the gap
    is not averaged (it would be if the gap were dropped and the rest joined)."""
    nan = float("nan")
    with_gap = xmr_limits([10, 12, nan, 30, 32])
    assert with_gap.mean == pytest.approx(21.0)
    assert with_gap.average_moving_range == pytest.approx(2.0)  # |12-10| and |32-30| only
    assert with_gap.baseline_points == 4
    joined = xmr_limits([10, 12, 30, 32])
    assert joined.average_moving_range == pytest.approx((2 + 18 + 2) / 3)


def test_points_all_apart_have_no_moving_range_and_a_degenerate_chart():
    nan = float("nan")
    apart = xmr_limits([10, nan, 20, nan, 15])
    assert apart.is_degenerate
    assert apart.average_moving_range != apart.average_moving_range  # NaN: nothing to average
