"""Disclosure control: small counts shown as "<5", figures over them withheld."""

from __future__ import annotations

import math

import pandas as pd

from carepath.publish.disclosure import (
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
