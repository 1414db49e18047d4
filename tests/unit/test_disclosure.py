"""carepath.publish.disclosure.indicator_counts: the counts a chart point stands on.

`disclose` itself is tested in test_disclosure_policies.py (each policy, by example) and
test_disclosure_recovery.py (no withheld count can be worked out)."""

from __future__ import annotations

from carepath.publish.disclosure import indicator_counts


def test_an_indicator_is_judged_by_the_counts_its_unit_is_made_of():
    assert indicator_counts("count") == ("value",)
    assert indicator_counts("proportion") == ("numerator", "denominator")
    assert indicator_counts("days", "latest_value", "latest_numerator",
                            "latest_denominator") == ("latest_denominator",)
