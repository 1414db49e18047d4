"""What the dashboard reads from the published marts: selections and filters, nothing more.

Every figure here is a column of a dbt mart, defined, documented and tested there (and checked
by the independent recomputation); a query below may choose rows and columns and order them,
never compute a number. The README's metric table names the mart behind each figure.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from carepath.warehouse import open_read_only


class NotPublishedYet(FileNotFoundError):
    pass


def _select(published: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    if not published.exists():
        raise NotPublishedYet(f"{published} does not exist yet: run the pipeline first")
    with open_read_only(published) as con:
        return con.execute(sql, params or []).df()


def published_at(published: Path) -> pd.Timestamp | None:
    """When the copy was published (its newest publication record)."""
    rows = _select(published, """
        select published_at from ops.publication order by published_at desc limit 1""")
    return None if rows.empty else rows.published_at.iloc[0]


def site_performance(published: Path) -> pd.DataFrame:
    """fct_site_performance: the network row first, then the sites in code order."""
    return _select(published, """
        select * from marts.fct_site_performance
        order by is_network_total desc, site_code""")


def stage_latency_monthly(published: Path) -> pd.DataFrame:
    return _select(published, """
        select * from marts.fct_stage_latency_monthly order by site_code, received_month""")


def access_monthly(published: Path, priority: str = "all") -> pd.DataFrame:
    """fct_access_monthly for one priority ('all': both together)."""
    return _select(published, """
        select * from marts.fct_access_monthly where priority = ?
        order by site_code, month_seen""", [priority])


def waiting_now_by_site(published: Path) -> pd.DataFrame:
    """The newest census of fct_waiting_list_monthly: who waits at each site, by priority."""
    return _select(published, """
        select site_code, priority, pathways_waiting, prop_waiting_within_target,
               prop_waiting_within_rtt_standard, median_days_waiting, max_days_waiting
        from marts.fct_waiting_list_monthly
        where is_as_of_date
        order by site_code, priority""")


def longest_waiters(published: Path, limit: int = 20) -> pd.DataFrame:
    """The referrals waiting longest at the newest census, longest first."""
    return _select(published, """
        select census_date, site_code, referral_id, priority, clock_start_date,
               days_waiting, weeks_waiting, target_days, is_clock_restarted
        from marts.fct_waiting_list
        where is_as_of_date
        order by days_waiting desc, site_code, referral_id
        limit ?""", [limit])


def disagreeing_questionnaire_totals(published: Path) -> pd.DataFrame:
    """Item-level questionnaires whose reported total is not the score of their items."""
    return _select(published, """
        select site_code, measure_id, instrument, assessed_date, items_answered,
               reported_value, scored_value
        from marts.fct_scored_questionnaires
        where is_reported_value_disagreeing
        order by site_code, assessed_date, measure_id""")


def delivery_status(published: Path) -> pd.DataFrame:
    """fct_delivery_status: the network row first, then each site and extract."""
    return _select(published, """
        select * from marts.fct_delivery_status
        order by is_network_total desc, site_code, extract""")


def quarantine_rules(published: Path) -> pd.DataFrame:
    return _select(published, """
        select site_code, extract, source_file, rule_description as reason, rule,
               rows_quarantined
        from marts.fct_quarantine_by_rule
        order by rows_quarantined desc, site_code, source_file""")


def rejected_files(published: Path) -> pd.DataFrame:
    return _select(published, """
        select site_code, extract, source_file, reason, delivered_date
        from marts.fct_deliveries where status = 'rejected'
        order by delivered_date desc, source_file""")


def bottlenecks(published: Path, limit: int = 10) -> pd.DataFrame:
    """fct_bottlenecks: the strongest ranked findings (a stage's consequences are not ranked)."""
    return _select(published, """
        select rank_overall, site_code, indicator_id, indicator_label, finding_kind,
               period_start, period_end, score, evidence
        from marts.fct_bottlenecks
        where rank_overall is not null
        order by rank_overall
        limit ?""", [limit])


def spc_points(published: Path, site_code: str, indicator_id: str) -> pd.DataFrame:
    """fct_spc_points of one site's chart of one indicator, in month order."""
    return _select(published, """
        select * from marts.fct_spc_points
        where not is_network_total and site_code = ? and indicator_id = ?
        order by indicator_month""", [site_code, indicator_id])


def spc_summary(published: Path, site_code: str, indicator_id: str) -> pd.DataFrame:
    """fct_spc_summary of one site's chart of one indicator: its icons."""
    return _select(published, """
        select * from marts.fct_spc_summary
        where not is_network_total and site_code = ? and indicator_id = ?""",
                   [site_code, indicator_id])
