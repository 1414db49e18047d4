"""Every published mart of the demo, disclosed under each policy as a published audience would
see it: under the NHS default no count from 1 to 7 and only multiples of 5 in count columns;
every withheld cell marked, never blank; statistics only over at least the policy's minimum;
and the referral and file lists refused."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from carepath.publish.disclosure import COMPLEMENT, NotForPublication, disclose
from carepath.publish.disclosure_declarations import load_declarations
from carepath.publish.disclosure_policies import POLICY_NAMES, policy_named


@pytest.fixture(scope="module")
def published_marts(pipeline_run) -> dict[str, pd.DataFrame]:
    settings, _ = pipeline_run
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        names = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'")
            .fetchall()]
        return {name: con.execute(f"select * from marts.{name}").df() for name in names}
    finally:
        con.close()


@pytest.fixture(scope="module")
def declarations(pipeline_run):
    settings, _ = pipeline_run
    return load_declarations(settings.dbt_project_dir / "models" / "marts")


def test_no_small_count_and_only_multiples_of_five_under_the_nhs_policy(published_marts,
                                                                       declarations):
    policy = policy_named("nhs_digital")
    checked = 0
    for name, frame in published_marts.items():
        mart = declarations[name]
        if mart.audience != "published":
            continue
        shown = disclose(frame, mart, policy)
        counts = [c for c, role in mart.columns.items() if role.kind == "count"]
        for column in counts:
            for true, value in zip(frame[column], shown.frame[column], strict=True):
                if pd.isna(true):
                    assert pd.isna(value), (name, column)
                    continue
                checked += 1
                assert value in ("*", COMPLEMENT) or (int(value) % 5 == 0 and not
                                                       0 < int(value) < 8), (name, column, value)
        # A withheld cell is marked, never left blank where the mart has a value.
        for column in frame.columns:
            blank = shown.frame[column].isna() & frame[column].notna()
            assert not blank.any(), (name, column)
        for row in shown.withheld.itertuples():
            assert shown.frame.at[row.row, row.column] in ("*", COMPLEMENT), (name, row)
    assert checked > 1000


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_statistics_are_shown_only_over_the_policys_minimum(published_marts, declarations,
                                                            name):
    policy = policy_named(name)
    frame = published_marts["fct_access_monthly"]
    shown = disclose(frame, declarations["fct_access_monthly"], policy).frame
    over = frame.pathways_seen.fillna(0)
    medians = shown.median_days_rtt_wait[frame.median_days_rtt_wait.notna()]
    assert (medians[over < policy.min_for_statistics] == policy.withheld_label).all()
    assert (medians[over >= policy.min_for_statistics] != policy.withheld_label).any()


def test_lists_of_referrals_and_files_are_never_published(published_marts, declarations):
    operational = [n for n, d in declarations.items() if d.audience == "operational"]
    assert "fct_waiting_list" in operational
    for name in operational:
        with pytest.raises(NotForPublication):
            disclose(published_marts[name], declarations[name], policy_named("nhs_digital"))
