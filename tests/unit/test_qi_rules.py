"""The special-cause rules against NHSRplotthedots' own unit vectors
(tests/fixtures/qi_vectors/spc_ptd_rules_unit.json), rule by rule, then end to end."""

from __future__ import annotations

import json

import pytest
from support.paths import FIXTURES

from carepath.qi import rules
from carepath.qi.xmr import xmr_limits

VECTORS = json.loads((FIXTURES / "qi_vectors" / "spc_ptd_rules_unit.json").read_text())


def _cases(rule: str) -> list[dict]:
    return VECTORS[rule]["cases"]


@pytest.mark.parametrize("case", _cases("seven_point_one_side_mean"), ids=str)
def test_shift(case):
    assert rules.shift_ends(case["in"]).tolist() == case["out"]


@pytest.mark.parametrize("case", _cases("part_of_seven_trend"), ids=str)
def test_every_point_of_a_run_is_flagged(case):
    assert rules.part_of(case["in"], 7).tolist() == case["out"]


@pytest.mark.parametrize("case", _cases("seven_point_trend"), ids=str)
def test_trend(case):
    assert rules.trend_ends(case["in"]).tolist() == case["out"]


@pytest.mark.parametrize("case", _cases("two_in_three"), ids=str)
def test_two_in_three_windows(case):
    assert rules.in_two_of_three(case["close"], case["rtm"]).tolist() == case["out"]


@pytest.mark.parametrize("case", _cases("part_of_two_in_three"), ids=str)
def test_two_in_three_flags_only_the_near_points(case):
    assert rules.two_of_three(case["close"], case["rtm"]).tolist() == case["out"]


def test_near_points_on_opposite_sides_are_no_signal():
    case = VECTORS["end_to_end_two_in_three_opposite_sides"]
    limits = xmr_limits(case["y"], screen_moving_ranges=True)
    expected = case["limits_from_running_package_source"]
    assert (limits.mean, limits.lower_limit, limits.upper_limit) == pytest.approx(
        (expected["mean"], expected["lpl"], expected["upl"]), abs=1e-9)
    types = rules.point_types(case["y"], limits, mode="ptd")
    assert types[-2:] == case["expected_last_two_point_type"]


def test_precedence_and_direction():
    # A run of 8 above the mean ending in a point beyond the upper limit: the run is a shift,
    # the last point astronomical; with "decrease" as the better direction both are concern.
    y = [0.0, 1, -1, 1, -1, 0.5, 0.6, 0.5, 0.7, 0.6, 0.5, 0.6, 9]
    limits = xmr_limits(y[:5])
    types = rules.point_types(y, limits, direction="increase")
    assert types[:5] == ["common_cause"] * 5
    assert set(types[5:]) == {"special_cause_improvement"}
    assert set(rules.point_types(y, limits, direction="decrease")[5:]) == {
        "special_cause_concern"}


def test_mdc_2023_counts_points_beyond_the_limit_as_near():
    limits = xmr_limits([0.0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
    beyond = limits.upper_limit + 1
    assert rules.near_limits([beyond], limits, "mdc_2023").tolist() == [1]
    assert rules.near_limits([beyond], limits, "ptd").tolist() == [0]


def test_a_chart_without_variation_classifies_nothing():
    limits = xmr_limits([2.0, 2, 2, 2])
    assert rules.point_types([2.0, 2, 5, 2], limits) == ["common_cause"] * 4


def test_a_gap_breaks_a_shift_and_a_trend():
    """Seven points above the mean, or seven rising, with a gap (NaN) among them are two runs,
    not one: the months either side of a gap are not adjacent."""
    nan = float("nan")
    shifted = [1.0, 1, 1, nan, 1, 1, 1, 1]
    assert rules.shift_ends(rules.relative_to_mean(shifted, 0.0)).tolist() == [0] * 8
    unbroken = [1.0] * 7
    assert rules.shift_ends(rules.relative_to_mean(unbroken, 0.0)).tolist()[-1] == 1
    rising = [1.0, 2, 3, nan, 4, 5, 6, 7]
    assert rules.trend_ends(rising).tolist() == [0] * 8
    assert rules.trend_ends([1.0, 2, 3, 4, 5, 6, 7]).tolist()[-1] == 1


def test_a_gap_flags_nothing_and_closes_every_two_in_three_window():
    nan = float("nan")
    limits = xmr_limits([0.0, 1, 0, 1, 0, 1, 0, 1])
    high = limits.upper_near + 0.01 * (limits.upper_limit - limits.upper_near)
    y = [high, nan, high]
    side = rules.relative_to_mean(y, limits.mean)
    near = rules.near_limits(y, limits)
    assert side.tolist() == [1, 0, 1]
    assert rules.two_of_three(near, side).tolist() == [0, 0, 0]
    assert rules.astronomical([nan], limits).tolist() == [0]
