"""The disclosure policies, one rule each, held to the published methods' own numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from carepath.publish.disclosure import COMPLEMENT, NotForPublication, disclose
from carepath.publish.disclosure_declarations import MartDisclosure, Relation, Role, RowTotal
from carepath.publish.disclosure_policies import UnknownPolicy, policy_named

NHS = policy_named("nhs_digital")


@pytest.mark.parametrize(("count", "shown"), [
    (0, 0), (1, "*"), (7, "*"), (8, 10), (12, 10), (13, 15), (17, 15), (18, 20), (1234, 1235)])
def test_nhs_digital_redacts_one_to_seven_and_rounds_the_rest_to_five(count, shown):
    assert NHS.shown_count(count) == shown


@pytest.mark.parametrize(("count", "shown"), [
    (0, 0), (1, 3), (6, 3), (7, 9), (12, 9), (13, 15), (18, 15), (19, 21)])
def test_midpoint_six_keeps_zero_and_shows_the_middle_of_each_band(count, shown):
    # OpenSAFELY's roundmid_any(x, 6) = ceiling(x / 6) * 6 - 3 * (x != 0).
    assert policy_named("opensafely_midpoint6").shown_count(count) == shown


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (9, "*"), (10, 10), (12, 10), (13, 15)])
def test_ons_ten_five_redacts_under_ten(count, shown):
    assert policy_named("ons_10_5").shown_count(count) == shown


def test_threshold_keeps_todays_rule_with_its_n():
    policy = policy_named("threshold", threshold=5)
    assert [policy.shown_count(n) for n in (0, 1, 4, 5, 23)] == [0, "<5", "<5", 5, 23]


@pytest.mark.parametrize("name", ["nhs_digital", "opensafely_midpoint6", "ons_10_5",
                                  "threshold"])
def test_what_a_shown_count_leaves_possible_holds_the_true_count(name):
    policy = policy_named(name)
    for count in range(0, 200):
        low, high = policy.possible(policy.shown_count(count))
        assert low <= count <= high, (name, count, low, high)


def test_an_unknown_policy_is_named_with_the_choices():
    with pytest.raises(UnknownPolicy, match="nhs_digital, opensafely_midpoint6"):
        policy_named("nhs")


COMPLETENESS = MartDisclosure(
    "fct_registry_completeness", "published",
    {"site_code": Role("dimension"), "month_seen": Role("dimension"),
     "patients_eligible": Role("count"), "patients_with_pair": Role("count"),
     "patients_baseline_only": Role("count"),
     "prop_eligible_with_pair": Role("proportion", numerator="patients_with_pair",
                                     denominator="patients_eligible"),
     "median_days": Role("statistic", over=("patients_with_pair",))},
    relations=(Relation("patients_eligible", ("patients_with_pair", "patients_baseline_only"),
                        remainder=True),))


def _completeness(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["site_code", "month_seen", "patients_eligible",
                                       "patients_with_pair", "patients_baseline_only",
                                       "prop_eligible_with_pair", "median_days"])


def test_the_issues_row_gives_nothing_away_under_the_nhs_policy():
    # ASH 2025-11: eligible 7, with a pair 6, baseline only 1 (85.71%).
    frame = _completeness(("ASH", "2025-11", 7, 6, 1, 6 / 7, 30.0),
                          ("BRA", "2025-11", 43, 38, 5, 38 / 43, 41.0))
    shown = disclose(frame, COMPLETENESS, NHS)
    ash, bra = shown.frame.iloc[0], shown.frame.iloc[1]
    assert [ash.patients_eligible, ash.patients_with_pair, ash.patients_baseline_only,
            ash.prop_eligible_with_pair, ash.median_days] == ["*"] * 5
    # Counts rounded to 5; the proportion from the rounded counts; the median over 38 shown.
    assert [bra.patients_eligible, bra.patients_with_pair, bra.patients_baseline_only] == [
        45, 40, "*"]
    assert bra.prop_eligible_with_pair == pytest.approx(40 / 45)
    assert bra.median_days == 41.0
    assert set(shown.withheld.column) == {"patients_eligible", "patients_with_pair",
                                          "patients_baseline_only", "prop_eligible_with_pair",
                                          "median_days"}
    assert "1 to 7" in shown.legend


def test_under_exact_counts_a_complement_is_hidden_so_the_small_one_cannot_be_subtracted():
    frame = _completeness(("ASH", "2025-11", 12, 11, 1, 11 / 12, 30.0))
    shown = disclose(frame, COMPLETENESS, policy_named("threshold")).frame.iloc[0]
    assert shown.patients_baseline_only == "<5"
    assert shown.patients_with_pair == COMPLEMENT
    assert shown.patients_eligible == 12


def test_a_column_without_a_declaration_is_withheld_and_recorded():
    frame = _completeness(("BRA", "2025-11", 43, 38, 5, 38 / 43, 41.0)).assign(new_figure=3)
    shown = disclose(frame, COMPLETENESS, NHS)
    assert shown.frame.new_figure.tolist() == ["*"]
    assert shown.withheld.query("column == 'new_figure'").reason.tolist() == [
        "no disclosure role declared for this column"]


def test_a_list_of_referrals_is_never_published():
    listing = MartDisclosure("fct_waiting_list", "operational",
                             {"referral_id": Role("identifier")})
    with pytest.raises(NotForPublication):
        disclose(pd.DataFrame({"referral_id": ["R1"]}), listing, NHS)


def test_an_indicator_value_is_judged_by_its_unit():
    mart = MartDisclosure(
        "fct_monthly_indicators", "published",
        {"indicator_unit": Role("dimension"), "numerator": Role("count"),
         "denominator": Role("count"),
         "value": Role("indicator", unit="indicator_unit", numerator="numerator",
                       denominator="denominator")})
    frame = pd.DataFrame({"indicator_unit": ["count", "proportion", "days", "days"],
                          "numerator": [None, 30, None, None],
                          "denominator": [None, 41, 5, 20], "value": [23, 30 / 41, 12.0, 9.5]})
    shown = disclose(frame, mart, NHS).frame
    assert shown.value.tolist()[0] == 25
    assert shown.value.tolist()[1] == pytest.approx(30 / 40)
    assert shown.value.tolist()[2:] == ["*", 9.5]


def test_row_totals_hide_a_complement_across_sites_under_exact_counts():
    mart = MartDisclosure(
        "fct_site_performance", "published",
        {"site_code": Role("dimension"), "is_network_total": Role("dimension"),
         "referrals_seen": Role("count")},
        row_totals=(RowTotal(("site_code",), flag="is_network_total"),))
    frame = pd.DataFrame({"site_code": ["ASH", "BRA", "CAR", "ALL"],
                          "is_network_total": [False, False, False, True],
                          "referrals_seen": [2, 40, 30, 72]})
    shown = disclose(frame, mart, policy_named("threshold")).frame.referrals_seen.tolist()
    assert shown == ["<5", 40, COMPLEMENT, 72]
