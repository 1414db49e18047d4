"""No withheld count can be worked out from what is shown beside it. Small tables are built at
random (parts and their total within a row; sites and their network row), disclosed under each
policy, and every withheld cell is solved for as an attacker would: every whole-number value of
every count consistent with what each shown mark leaves possible and with the declared
relations. A withheld cell must keep at least two possible values (it is never pinned), and
the true table must be among the solutions (the marks say no more than they should).

"Cannot be recovered" is read this way, and written beside the rule in
docs/concepts/disclosure.md: rounding to 5 leaves a count subtracted from its total a range of
possible values (typically 4 or more), never one; exact counts need complementary cells hidden
instead."""

from __future__ import annotations

import itertools

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from carepath.publish.disclosure import COMPLEMENT, disclose
from carepath.publish.disclosure_declarations import MartDisclosure, Relation, Role, RowTotal
from carepath.publish.disclosure_policies import POLICY_NAMES, policy_named

POLICIES = [policy_named(name) for name in POLICY_NAMES]


def _domain(policy, shown, ceiling: int) -> range:
    if shown == COMPLEMENT:
        # Its mark says nothing of its size.
        return range(0, ceiling + 1)
    low, high = policy.possible(shown)
    return range(low, min(high, ceiling) + 1)


def _solutions(policy, shown_parts, shown_total, remainder: bool, ceiling: int):
    """Every (parts, total) of whole numbers the shown marks and the relation allow."""
    domains = [_domain(policy, s, ceiling) for s in shown_parts]
    totals = _domain(policy, shown_total, ceiling * len(shown_parts) + ceiling)
    for parts in itertools.product(*domains):
        added = sum(parts)
        if remainder:
            yield from ((parts, t) for t in totals if t >= added)
        elif added in totals:
            yield parts, added


def _assert_unrecoverable(policy, true_parts, true_total, shown_parts, shown_total,
                          remainder: bool) -> None:
    ceiling = max([*true_parts, true_total]) + 10
    possible: list[set[int]] = [set() for _ in true_parts]
    found_truth = False
    for parts, total in _solutions(policy, shown_parts, shown_total, remainder, ceiling):
        found_truth |= (list(parts) == list(true_parts) and total == true_total)
        for values, value in zip(possible, parts, strict=True):
            values.add(value)
    assert found_truth, "the marks rule out the true table"
    for true, shown, values in zip(true_parts, shown_parts, possible, strict=True):
        if isinstance(shown, str):
            assert len(values) >= 2, (policy.name, true_parts, true_total, shown_parts,
                                      shown_total, true, sorted(values))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 25), min_size=2, max_size=4), st.integers(0, 4),
       st.booleans())
def test_a_part_cannot_be_worked_out_from_its_row_total(parts, rest, remainder):
    names = [f"part_{i}" for i in range(len(parts))]
    total = sum(parts) + (rest if remainder else 0)
    mart = MartDisclosure("table", "published",
                          {"total": Role("count"), **{n: Role("count") for n in names}},
                          relations=(Relation("total", tuple(names), remainder),))
    frame = pd.DataFrame([{"total": total, **dict(zip(names, parts, strict=True))}])
    for policy in POLICIES:
        shown = disclose(frame, mart, policy).frame.iloc[0]
        _assert_unrecoverable(policy, parts, total, [shown[n] for n in names], shown.total,
                              remainder)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 25), min_size=2, max_size=4))
def test_a_site_cannot_be_worked_out_from_the_network_row(sites):
    codes = [f"S{i}" for i in range(len(sites))]
    mart = MartDisclosure("table", "published",
                          {"site_code": Role("dimension"), "is_network_total": Role("dimension"),
                           "referrals": Role("count")},
                          row_totals=(RowTotal(("site_code",), flag="is_network_total"),))
    frame = pd.DataFrame({"site_code": [*codes, "network"],
                          "is_network_total": [False] * len(sites) + [True],
                          "referrals": [*sites, sum(sites)]})
    for policy in POLICIES:
        shown = disclose(frame, mart, policy).frame.referrals.tolist()
        _assert_unrecoverable(policy, sites, sum(sites), shown[:-1], shown[-1], False)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 25), min_size=1, max_size=4))
# Every part withheld under a total that pins them: 4 x 7 = 28 (shown as 30 by the NHS rule),
# 4 + 4 = 8 exactly under the threshold rule.
@example([7, 7, 7, 7])
@example([4, 4])
def test_a_priority_cannot_be_worked_out_from_a_total_another_mart_shows(priorities):
    """The rows add up to a figure no row of this mart holds but another mart shows (a
    site's list by priority here, its size on the census): that figure, as the policy shows
    a count, is the total the withheld rows are solved against."""
    names = [f"P{i}" for i in range(len(priorities))]
    mart = MartDisclosure("table", "published",
                          {"priority": Role("dimension"), "pathways": Role("count")},
                          row_totals=(RowTotal(("priority",), elsewhere="census"),))
    frame = pd.DataFrame({"priority": names, "pathways": priorities})
    for policy in POLICIES:
        shown = disclose(frame, mart, policy).frame.pathways.tolist()
        shown_there = disclose(pd.DataFrame({"total": [sum(priorities)]}),
                               MartDisclosure("census", "published", {"total": Role("count")}),
                               policy).frame.total.iloc[0]
        if isinstance(shown_there, str):
            continue  # withheld there too: nothing to solve against
        _assert_unrecoverable(policy, priorities, sum(priorities), shown, shown_there, False)


def test_the_solver_would_catch_a_count_shown_exactly_beside_its_total():
    """The check itself can fail: exact counts with no complement pin the small one."""
    policy = policy_named("threshold")
    try:
        _assert_unrecoverable(policy, [1, 9], 10, ["<5", 9], 10, False)
    except AssertionError:
        return
    raise AssertionError("a pinned cell went unnoticed")
