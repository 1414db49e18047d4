"""carepath.access.scope: a site user sees their site's rows and nothing else."""

from __future__ import annotations

import pandas as pd
import pytest

from carepath.access.scope import NotVisible, visible_to
from carepath.access.users import User

SITE_USER = User("ana", "BRA", "h")
ALL_SITES = User("lead", None, "h")
FRAME = pd.DataFrame({"site_code": [None, "ASH", "BRA", "BRA"], "is_network_total":
                      [True, False, False, False], "value": [10, 4, 3, 3]})


def test_a_site_user_gets_their_sites_rows_without_the_network_total():
    shown = visible_to(SITE_USER, "site_performance", FRAME)
    assert list(shown.site_code) == ["BRA", "BRA"]
    assert list(shown.index) == [0, 1]


def test_an_all_sites_user_gets_everything():
    assert visible_to(ALL_SITES, "site_performance", FRAME) is FRAME
    assert visible_to(ALL_SITES, "anything", 42) == 42


def test_answers_that_belong_to_no_site_pass_and_anything_else_is_refused():
    assert visible_to(SITE_USER, "indicators", pd.DataFrame({"x": [1]})).x.tolist() == [1]
    published = pd.Timestamp("2026-01-01")
    assert visible_to(SITE_USER, "published_at", published) is published
    with pytest.raises(NotVisible, match="reader.new_query"):
        visible_to(SITE_USER, "new_query", pd.DataFrame({"region": ["north"]}))
    with pytest.raises(NotVisible):
        visible_to(SITE_USER, "a_number", 7)
