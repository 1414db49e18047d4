"""carepath.publish.disclosure_views.disclose_marts: marts shown together are disclosed
together, so that a count one mart hides as a complement cannot be added up from another's."""

from __future__ import annotations

from datetime import date

import pandas as pd

from carepath.publish.disclosure_declarations import MartDisclosure, Role, RowTotal
from carepath.publish.disclosure_policies import policy_named
from carepath.publish.disclosure_views import disclose_marts

CENSUS = date(2026, 10, 31)
SITES = MartDisclosure(
    "sites", "published",
    {"site_code": Role("dimension"), "is_network_total": Role("dimension"),
     "census_date": Role("dimension"), "pathways_waiting": Role("count")},
    row_totals=(RowTotal(("site_code",), flag="is_network_total"),))
PRIORITIES = MartDisclosure(
    "priorities", "published",
    {"census_date": Role("dimension"), "site_code": Role("dimension"),
     "priority": Role("dimension"), "pathways_waiting": Role("count")},
    row_totals=(RowTotal(("priority",), by=("census_date", "site_code"), elsewhere="sites",
                         where=(("is_network_total", False),), linked=True),))


def _frames() -> dict[str, pd.DataFrame]:
    # S1 has 3 waiting: withheld, and S2 (12, the smallest other) hidden as its complement.
    # S2's priorities, 5 and 7, are not small: shown, they would add up to S2's 12, and the
    # network's 30 less S2 and S3 would give S1's 3 away.
    sites = pd.DataFrame({"site_code": [None, "S1", "S2", "S3"],
                          "is_network_total": [True, False, False, False],
                          "census_date": [CENSUS] * 4, "pathways_waiting": [30, 3, 12, 15]})
    priorities = pd.DataFrame({"census_date": [CENSUS] * 6,
                               "site_code": ["S1", "S1", "S2", "S2", "S3", "S3"],
                               "priority": ["urgent", "routine"] * 3,
                               "pathways_waiting": [1, 2, 5, 7, 6, 9]})
    return {"sites": sites, "priorities": priorities}


def test_a_site_hidden_as_a_complement_cannot_be_added_up_from_its_priorities():
    declarations = {"sites": SITES, "priorities": PRIORITIES}
    shown = disclose_marts(_frames(), declarations, policy_named("threshold"))
    sites = shown["sites"].frame.set_index("site_code", drop=False)
    assert sites.at["S1", "pathways_waiting"] == "<5"
    assert sites.at["S2", "pathways_waiting"] == "withheld"
    s2 = shown["priorities"].frame[shown["priorities"].frame.site_code == "S2"]
    assert s2.pathways_waiting.map(lambda v: isinstance(v, str)).any(), s2
    # S3's total is shown: its priorities keep their own figures.
    s3 = shown["priorities"].frame[shown["priorities"].frame.site_code == "S3"]
    assert s3.pathways_waiting.tolist() == [6, 9]


def test_disclosed_apart_the_same_marts_would_give_the_count_away():
    """The case above is the one the rule is for: without the link, both S2 priorities show."""
    unlinked = MartDisclosure(PRIORITIES.mart, PRIORITIES.audience, PRIORITIES.columns)
    shown = disclose_marts(_frames(), {"sites": SITES, "priorities": unlinked},
                           policy_named("threshold"))
    s2 = shown["priorities"].frame[shown["priorities"].frame.site_code == "S2"]
    assert s2.pathways_waiting.tolist() == [5, 7]


MONTHS = MartDisclosure(
    "months", "published",
    {"site_code": Role("dimension"), "month": Role("dimension"), "numerator": Role("count")},
    row_totals=(RowTotal(("month",), by=("site_code",), elsewhere="funnel", linked=True,
                         within=("month", "period_start", "period_end")),))
FUNNEL = MartDisclosure(
    "funnel", "published",
    {"site_code": Role("dimension"), "period_start": Role("dimension"),
     "period_end": Role("dimension"), "numerator": Role("count")})


def test_a_month_cannot_be_worked_out_from_the_funnels_sum_over_its_window():
    """The funnel shows a site's count summed over its months (48 = 20 + 3 + 25; a fourth
    month lies outside its window): the withheld 3 would be 48 less the two others, so one of
    them is hidden too. Without the window, it would not be."""
    months = pd.DataFrame({"site_code": ["S"] * 4,
                           "month": [date(2026, m, 1) for m in (6, 7, 8, 9)],
                           "numerator": [40, 20, 3, 25]})
    funnel = pd.DataFrame({"site_code": ["S"], "period_start": [date(2026, 7, 1)],
                           "period_end": [date(2026, 9, 1)], "numerator": [48]})
    frames = {"months": months, "funnel": funnel}
    shown = disclose_marts(frames, {"months": MONTHS, "funnel": FUNNEL},
                           policy_named("threshold")).get("months").frame
    assert shown.numerator.tolist() == [40, "withheld", "<5", 25]
    unlinked = MartDisclosure(MONTHS.mart, MONTHS.audience, MONTHS.columns)
    apart = disclose_marts(frames, {"months": unlinked, "funnel": FUNNEL},
                           policy_named("threshold"))["months"].frame
    assert apart.numerator.tolist() == [40, 20, "<5", 25]
