"""Disclosure control: small counts shown as "<5", figures over them withheld."""

from __future__ import annotations

import math

import pandas as pd

from carepath.publish.disclosure import (
    complements,
    count_text,
    indicator_counts,
    is_small,
    shown_rows,
    suppress,
)


def test_only_counts_from_one_to_below_the_threshold_are_small():
    assert [is_small(v, 5) for v in (0, 1, 4, 4.0, 5, 120)] == [
        False, True, True, True, False, False]
    assert not is_small(None, 5) and not is_small(float("nan"), 5)
    assert is_small(9, 10) and not is_small(10, 10)


def test_counts_read_as_text_with_small_ones_hidden():
    assert [count_text(v, 5) for v in (0, 3, 5, 1234, None)] == ["0", "<5", "5", "1,234", ""]


def test_suppress_hides_small_counts_and_withholds_figures_over_them():
    frame = pd.DataFrame({"site": ["A", "B", "C"], "seen": [3, 40, 0],
                          "prop_within": [0.667, 0.9, None], "median_days": [12.0, 30.5, None]})
    shown = suppress(frame, counts=("seen",), over={"prop_within": "seen",
                                                    "median_days": "seen"}, min_count=5)
    assert list(shown.seen) == ["<5", "40", "0"]
    assert math.isnan(shown.prop_within[0]) and math.isnan(shown.median_days[0])
    assert shown.prop_within[1] == 0.9 and shown.median_days[1] == 30.5
    assert list(frame.seen) == [3, 40, 0], "the frame given is left as it was"


def test_chart_rows_over_small_counts_are_not_drawn():
    frame = pd.DataFrame({"month": [1, 2, 3, 4], "n": [2, 7, 0, None]})
    assert list(shown_rows(frame, "n", 5).month) == [2, 3, 4]


def test_a_proportion_is_withheld_when_its_numerator_is_small_too():
    frame = pd.DataFrame({"n": [100, 100], "k": [3, 40], "prop": [0.03, 0.4]})
    shown = suppress(frame, counts=("n", "k"), over={"prop": ("n", "k")}, min_count=5)
    assert math.isnan(shown.prop[0]) and shown.prop[1] == 0.4
    assert list(shown_rows(frame, ("n", "k"), 5).k) == [40]


def test_an_indicator_is_judged_by_the_counts_its_unit_is_made_of():
    assert indicator_counts("count") == ("value",)
    assert indicator_counts("proportion") == ("numerator", "denominator")
    assert indicator_counts("days", "latest_value", "latest_numerator",
                            "latest_denominator") == ("latest_denominator",)


def test_a_small_count_that_a_total_would_give_away_takes_another_with_it():
    frame = pd.DataFrame({
        "site_code": [None, "A", "B", "C", "D"], "is_network_total": [True] + [False] * 4,
        "waiting": [40, 3, 0, 12, 25], "within": [30, 2, 0, 10, 18],
        "prop": [0.75, 2 / 3, None, 10 / 12, 18 / 25]})
    shown = suppress(frame, counts=("waiting",), over={"prop": ("waiting", "within")},
                     min_count=5, complete_within=[])
    # A's 3 could be had as 40 - 0 - 12 - 25: C's 12, the smallest other count, goes too.
    assert list(shown.waiting) == ["40", "<5", "0", "withheld", "25"]
    assert shown.prop.isna().tolist() == [False, True, True, True, False]


def test_complements_are_found_within_each_group_and_only_for_a_lone_small_cell():
    frame = pd.DataFrame({"site_code": ["A", "A", "B", "B", "B", "C", "C"],
                          "n": [3, 9, 2, 4, 30, 7, 8]})
    withheld = complements(frame, "n", ["site_code"], min_count=5)
    # A: one small (3), so 9 goes too; B: two small already hide each other; C: none small.
    assert withheld.tolist() == [False, True, False, False, False, False, False]
    assert not complements(frame, "n", [], min_count=5).any(), "three small cells in all"


def test_small_cells_that_add_up_to_under_the_threshold_take_another_with_them():
    frame = pd.DataFrame({"site_code": [None, "A", "B", "C"],
                          "is_network_total": [True, False, False, False], "n": [10, 1, 1, 8]})
    # 10 - 8 = 2 would say both small cells hold 1: C's 8 is withheld too.
    assert complements(frame, "n", [], min_count=5).tolist() == [False, False, False, True]


def test_a_numerator_that_subtraction_would_give_away_hides_its_proportion():
    frame = pd.DataFrame({"site_code": [None, "A", "B", "C"],
                          "is_network_total": [True, False, False, False],
                          "seen": [100, 10, 40, 50], "within": [53, 3, 20, 30],
                          "prop": [0.53, 0.3, 0.5, 0.6]})
    shown = suppress(frame, counts=("seen",), over={"prop": ("seen", "within")}, min_count=5,
                     complete_within=[])
    # A's 3 is small; the network's 53 less B's 20 and C's 30 would give it: B's proportion
    # (the smaller numerator beside it) is withheld too.
    assert shown.prop.isna().tolist() == [False, True, True, False]
    assert list(shown.seen) == ["100", "10", "40", "50"]
