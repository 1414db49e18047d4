"""Read-only queries over the published marts, shared by the dashboard and its tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd


class NotPublishedYet(FileNotFoundError):
    pass


def _query(published: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    if not published.exists():
        raise NotPublishedYet(f"{published} does not exist yet: run the pipeline first")
    con = duckdb.connect(str(published), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


@dataclass(frozen=True)
class Headline:
    referrals_received: int
    referrals_seen: int
    pct_seen_within_target: float | None
    median_access_days: float | None
    attendance_rate: float | None
    pct_responders: float | None
    waiting_now: int
    pct_waiting_within_rtt_standard: float | None
    published_at: str


def headline(published: Path) -> Headline:
    row = _query(published, """
        select
            (select count(*) from marts.fct_referral_latency where received_month is not null)
                as referrals_received,
            (select count(*) from marts.fct_referral_latency where is_seen) as referrals_seen,
            (select avg(case when is_within_target then 1.0 else 0.0 end)
               from marts.fct_referral_latency where is_seen) as pct_seen_within_target,
            (select median(days_rtt_wait) from marts.fct_referral_latency)
                as median_access_days,
            (select sum(sessions_attended) / nullif(sum(sessions_attended + sessions_did_not_attend
                    + sessions_cancelled_by_patient), 0) from marts.fct_adherence)
                as attendance_rate,
            (select avg(case when is_responder then 1.0 else 0.0 end)
               from marts.fct_outcome_registry where is_responder is not null) as pct_responders,
            (select count(*) from marts.fct_waiting_list where is_as_of_date) as waiting_now,
            (select avg(case when is_within_rtt_standard then 1.0 else 0.0 end)
               from marts.fct_waiting_list where is_as_of_date)
                as pct_waiting_within_rtt_standard,
            (select strftime(max(published_at), '%Y-%m-%d %H:%M UTC') from ops.publication)
                as published_at
    """).iloc[0]

    def opt(value):
        return None if pd.isna(value) else float(value)

    return Headline(int(row.referrals_received), int(row.referrals_seen),
                    opt(row.pct_seen_within_target), opt(row.median_access_days),
                    opt(row.attendance_rate), opt(row.pct_responders), int(row.waiting_now),
                    opt(row.pct_waiting_within_rtt_standard), str(row.published_at))


def site_summary(published: Path) -> pd.DataFrame:
    return _query(published, """
        with latency as (
            select site_code,
                   count(*) as referrals,
                   count(*) filter (where is_seen) as seen,
                   median(days_receipt_to_triage) as median_days_to_triage,
                   median(days_rtt_wait) as median_days_to_first_seen,
                   avg(case when is_within_target then 1.0 else 0.0 end)
                       filter (where is_seen) as pct_within_target
            from marts.fct_referral_latency group by site_code
        ),
        adherence as (
            select site_code,
                   sum(sessions_attended) / nullif(sum(sessions_attended
                       + sessions_did_not_attend + sessions_cancelled_by_patient), 0)
                       as attendance_rate,
                   sum(sessions_did_not_attend) / nullif(sum(sessions_attended
                       + sessions_did_not_attend), 0) as dna_rate
            from marts.fct_adherence group by site_code
        )
        select l.*, a.attendance_rate, a.dna_rate
        from latency l left join adherence a using (site_code)
        order by site_code
    """)


def monthly_stage_medians(published: Path) -> pd.DataFrame:
    return _query(published, """
        select site_code, received_month,
               median(days_receipt_to_triage) as receipt_to_triage,
               median(days_receipt_to_first_seen) as receipt_to_first_seen,
               count(*) as referrals
        from marts.fct_referral_latency
        where received_month is not null
        group by all order by site_code, received_month
    """)


def access_by_month_seen(published: Path) -> pd.DataFrame:
    """Per site and month seen: completed pathways and the share seen within target."""
    return _query(published, """
        select site_code, month_seen,
               sum(pathways_completed) as pathways_completed,
               sum(pathways_within_target) / sum(pathways_completed) as pct_within_target
        from marts.fct_access_monthly
        group by all order by site_code, month_seen
    """)


def waiting_now_by_site(published: Path) -> pd.DataFrame:
    """The newest census: who waits at each site, and how long, by priority."""
    return _query(published, """
        select site_code, priority, pathways_waiting, pct_within_target,
               pct_within_rtt_standard, median_days_waiting, max_days_waiting
        from marts.fct_waiting_list_monthly
        where is_as_of_date
        order by site_code, priority
    """)


def longest_waiters(published: Path, limit: int = 20) -> pd.DataFrame:
    """The referrals waiting longest at the newest census, longest first."""
    return _query(published, """
        select census_date, site_code, referral_id, priority, clock_start_date,
               days_waiting, weeks_waiting, target_days, is_clock_restarted
        from marts.fct_waiting_list
        where is_as_of_date
        order by days_waiting desc, site_code, referral_id
        limit ?
    """, [limit])


def disagreeing_questionnaire_totals(published: Path) -> pd.DataFrame:
    """Item-level questionnaires whose reported total is not the score of their items."""
    return _query(published, """
        select site_code, measure_id, instrument, assessed_date, items_answered,
               reported_value, scored_value
        from marts.fct_scored_questionnaires
        where is_reported_value_disagreeing
        order by site_code, assessed_date, measure_id
    """)


def delivery_status(published: Path) -> pd.DataFrame:
    """Per site and extract: files, rows, quarantine, rejections, last delivery, gaps."""
    return _query(published, """
        select site_code, extract,
               sum(files) as files,
               sum(files_rejected) as files_rejected,
               sum(rows_loaded) as rows_loaded,
               sum(rows_quarantined) as rows_quarantined,
               max(last_delivered_date) as last_delivery,
               max(days_since_last_delivery) as days_since_last_delivery,
               bool_or(is_late) as is_late,
               string_agg(strftime(delivery_month, '%Y-%m'), ', ' order by delivery_month)
                   filter (where is_missing) as missing_months
        from marts.fct_delivery_schedule
        group by site_code, extract
        order by site_code, extract
    """)


def quarantine_rules(published: Path) -> pd.DataFrame:
    return _query(published, """
        select site_code, extract, source_file, rule_description as reason, rule,
               rows_quarantined
        from marts.fct_quarantine_by_rule
        order by rows_quarantined desc, site_code, source_file
    """)


def rejected_files(published: Path) -> pd.DataFrame:
    return _query(published, """
        select site_code, extract, source_file, reason, delivered_date
        from marts.fct_deliveries where status = 'rejected'
        order by delivered_date desc, source_file
    """)


def failed_build(last_build: Path) -> dict | None:
    """The latest dbt build's record when it failed (it published nothing), else None."""
    if not last_build.exists():
        return None
    build = json.loads(last_build.read_text())
    return None if build.get("success") else build
