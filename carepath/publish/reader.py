"""What the dashboard reads from the published marts: selections and filters, nothing more.

Every figure here is a column of a dbt mart, defined, documented and tested there (and checked
by the independent recomputation); a query below may choose rows and columns and order them,
never compute a number. docs/reference/marts.md names the mart behind each figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from carepath.publish.published_copy import Published, PublishedFile


@dataclass(frozen=True)
class Selection:
    """What a reader chose to look at: sites, a period of whole months (first days), and
    referral priorities, reasons and target services. Empty means every one; a query applies
    the parts that its mart has a column for."""

    sites: tuple[str, ...] = ()
    month_from: date | None = None
    month_to: date | None = None
    priorities: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    services: tuple[str, ...] = ()

    def where(self, site: str | None = None, month: str | None = None,
              priority: str | None = None, reason: str | None = None,
              service: str | None = None) -> tuple[str, list]:
        """A parameterised SQL condition on the named columns (`month` a date column; the
        period takes in every day of its last month), and its parameters."""
        clauses, params = ["true"], []
        for column, values in ((site, self.sites), (priority, self.priorities),
                               (reason, self.reasons), (service, self.services)):
            if column and values:
                clauses.append(f"{column} in ({', '.join('?' * len(values))})")
                params += list(values)
        if month and self.month_from:
            clauses.append(f"{month} >= ?")
            params.append(self.month_from)
        if month and self.month_to:
            clauses.append(f"{month} < ?")
            params.append(_next_month(self.month_to))
        return " and ".join(clauses), params


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


EVERYTHING = Selection()


def _select(published: Published | Path, sql: str, params: list | None = None) -> pd.DataFrame:
    """`sql` on the published copy (a path is a published DuckDB file). The queries below name
    tables without a schema and use SQL that DuckDB and PostgreSQL read alike."""
    if isinstance(published, Path):
        published = PublishedFile(published)
    return published.frame(sql, params)


def published_at(published: Published) -> pd.Timestamp | None:
    """When the copy was published (its newest publication record)."""
    rows = _select(published, """
        select published_at from publication order by published_at desc limit 1""")
    return None if rows.empty else rows.published_at.iloc[0]


def sites(published: Published) -> pd.DataFrame:
    """The sites on record (site_code), in code order."""
    return _select(published, """
        select site_code from fct_site_performance where not is_network_total
        order by site_code""")


def filter_options(published: Published) -> pd.DataFrame:
    """What else a reader can choose from (dimension, value): the months on record (referrals
    received, judged monthly indicators), and the priorities, referral reasons and target
    services on record. No site's figures; the sites are `sites`."""
    return _select(published, """
        select 'month' as dimension, month as value from (
            select substring(cast(received_month as varchar), 1, 7) as month
            from fct_referral_latency
            where received_month is not null
            union
            select substring(cast(indicator_month as varchar), 1, 7) from fct_monthly_indicators
        ) as months
        union all
        select distinct 'priority', priority from fct_referral_latency
        union all
        select distinct 'reason', referral_reason from fct_referral_latency
        where referral_reason is not null
        union all
        select distinct 'service', target_service from fct_referral_latency
        where target_service is not null
        order by dimension, value""")


def site_performance(published: Published, selection: Selection = EVERYTHING) -> pd.DataFrame:
    """fct_site_performance: the network row first, then the chosen sites in code order."""
    where, params = selection.where(site="site_code")
    return _select(published, f"""
        select * from fct_site_performance
        where is_network_total or ({where})
        order by is_network_total desc, site_code""", params)


def waiting_list_monthly(published: Published, selection: Selection = EVERYTHING) -> pd.DataFrame:
    """fct_waiting_list_monthly: each month-end census by site and priority."""
    where, params = selection.where(site="site_code", month="census_date",
                                    priority="priority")
    return _select(published, f"""
        select * from fct_waiting_list_monthly where {where}
        order by census_date, site_code, priority""", params)


def _scope(selection: Selection, site: str, is_network: str, priority: str | None = None,
           is_all_priorities: str | None = None) -> tuple[str, list]:
    """The rows of a mart with network and every-priority rows that answer the selection: the
    network's when no site is chosen, else each chosen site's; likewise every priority's, or
    each chosen priority's. Never several rows to be added up."""
    sites, site_params = Selection(sites=selection.sites).where(site=site)
    clauses = [f"{is_network}" if not selection.sites else f"not {is_network} and {sites}"]
    params = [] if not selection.sites else site_params
    if priority:
        chosen, chosen_params = Selection(priorities=selection.priorities).where(
            priority=priority)
        clauses.append(f"{is_all_priorities}" if not selection.priorities
                       else f"not {is_all_priorities} and {chosen}")
        params += chosen_params if selection.priorities else []
    return " and ".join(clauses), params


def waiting_list_wait_bands(published: Published,
                            selection: Selection = EVERYTHING) -> pd.DataFrame:
    """fct_waiting_list_wait_bands: pathways waiting at each census by weekly band, for the
    network or each chosen site, every priority or each chosen one (see _scope)."""
    scope, params = _scope(selection, "site_code", "is_network_total", "priority",
                           "is_all_priorities")
    period, period_params = selection.where(month="census_date")
    return _select(published, f"""
        select census_date, site_code, is_network_total, priority, is_all_priorities,
               wait_band_weeks, wait_band, pathways_waiting
        from fct_waiting_list_wait_bands
        where {scope} and {period}
        order by site_code nulls first, priority nulls first, census_date, wait_band_weeks
        """, [*params, *period_params])


def monthly_indicator_series(published: Published, indicator_ids: tuple[str, ...],
                             selection: Selection = EVERYTHING) -> pd.DataFrame:
    """fct_monthly_indicators of these indicators, for the network or each chosen site, over
    the chosen period, in month order."""
    scope, params = _scope(selection, "site_code", "is_network_total")
    period, period_params = selection.where(month="indicator_month")
    return _select(published, f"""
        select site_code, is_network_total, indicator_id, indicator_label, indicator_unit,
               indicator_month, numerator, denominator, value
        from fct_monthly_indicators
        where indicator_id in ({', '.join('?' * len(indicator_ids))}) and {scope}
            and {period}
        order by site_code nulls first, indicator_month, indicator_id
        """, [*indicator_ids, *params, *period_params])


def adherence_by_programme(published: Published, selection: Selection = EVERYTHING) -> pd.DataFrame:
    """fct_adherence_by_programme: the network's row per programme type first, then the chosen
    sites'."""
    where, params = selection.where(site="site_code")
    return _select(published, f"""
        select * from fct_adherence_by_programme
        where is_network_total or ({where})
        order by is_network_total desc, site_code, programme_type""", params)


def outcome_change_by_instrument(published: Published,
                                 selection: Selection = EVERYTHING) -> pd.DataFrame:
    """fct_outcome_change_by_instrument: the network's row per instrument first, then the
    chosen sites'."""
    where, params = selection.where(site="site_code")
    return _select(published, f"""
        select * from fct_outcome_change_by_instrument
        where is_network_total or ({where})
        order by is_network_total desc, site_code, instrument""", params)


def waiting_now_by_site(published: Published, selection: Selection = EVERYTHING) -> pd.DataFrame:
    """The newest census of fct_waiting_list_monthly: who waits at each site, by priority."""
    where, params = selection.where(site="site_code", priority="priority")
    return _select(published, f"""
        select census_date, site_code, priority, pathways_waiting, pathways_within_target,
               prop_waiting_within_target, pathways_within_rtt_standard,
               prop_waiting_within_rtt_standard, median_days_waiting, max_days_waiting
        from fct_waiting_list_monthly
        where is_as_of_date and {where}
        order by site_code, priority""", params)


def longest_waiters(published: Published, limit: int = 20,
                    selection: Selection = EVERYTHING, at_month_end: bool = False
                    ) -> pd.DataFrame:
    """The referrals waiting longest at the newest census, longest first; reasons and services
    are the referral's own (fct_referral_latency). With `at_month_end`, at the month-end
    censuses of the chosen period instead (the waiting list at month end counts them)."""
    where, params = selection.where(
        site="waiting.site_code", priority="waiting.priority",
        reason="latency.referral_reason", service="latency.target_service",
        month="waiting.census_date" if at_month_end else None)
    census = ("extract(day from waiting.census_date + 1) = 1" if at_month_end
              else "waiting.is_as_of_date")
    return _select(published, f"""
        select waiting.census_date, waiting.site_code, waiting.referral_id, waiting.priority,
               latency.referral_reason, latency.target_service, waiting.clock_start_date,
               waiting.days_waiting, waiting.weeks_waiting, waiting.target_days,
               waiting.is_clock_restarted
        from fct_waiting_list as waiting
        inner join fct_referral_latency as latency
            on waiting.site_code = latency.site_code and waiting.referral_id = latency.referral_id
        where {census} and {where}
        order by waiting.days_waiting desc, waiting.site_code, waiting.referral_id
        limit ?""", [*params, limit])


def referrals(published: Published, selection: Selection = EVERYTHING,
              limit: int = 5000, received_only: bool = False,
              seen_in_period: bool = False) -> pd.DataFrame:
    """The referral-level rows behind the access figures (fct_referral_latency), by month
    received, pseudonymised keys only; at most `limit`, the longest waits first. With
    `received_only`, only the referrals the rehab service has received (the ones counted as
    referrals received), not those still on their way. With `seen_in_period`, the referrals
    seen (clock stopped) in the chosen period instead, as the access waits count them."""
    where, params = selection.where(
        site="site_code", month="clock_stop_date" if seen_in_period else "received_month",
        priority="priority", reason="referral_reason", service="target_service")
    received = ("is_seen" if seen_in_period
                else "received_month is not null" if received_only else "true")
    return _select(published, f"""
        select site_code, referral_id, priority, referral_reason, target_service,
               received_month, pathway_status, days_receipt_to_triage, days_triage_to_offer,
               days_offer_to_first_seen, days_rtt_wait, target_days, is_within_target
        from fct_referral_latency
        where {where} and {received}
        order by days_rtt_wait desc nulls last, site_code, referral_id
        limit ?""", [*params, limit])


def adherence_referrals(published: Published, selection: Selection = EVERYTHING,
                        limit: int = 5000, programme_type: str | None = None) -> pd.DataFrame:
    """The referral-level rows behind the adherence figures (fct_adherence), by month first
    seen, of one programme type if given (not_recorded: none recorded): pseudonymised keys
    only; at most `limit`, the lowest attendance first."""
    where, params = selection.where(site="site_code", month="first_seen_date")
    if programme_type is not None:
        where += " and coalesce(programme_type, 'not_recorded') = ?"
        params.append(programme_type)
    return _select(published, f"""
        select site_code, referral_id, programme_type, first_seen_date, planned_sessions,
               sessions_expected, sessions_attended, sessions_did_not_attend,
               prop_sessions_attended, dose_intensity, is_dropout, is_completed,
               programme_status
        from fct_adherence
        where {where}
        order by prop_sessions_attended nulls last, site_code, referral_id
        limit ?""", [*params, limit])


def registry_referrals(published: Published, selection: Selection = EVERYTHING,
                       limit: int = 5000, instrument: str | None = None) -> pd.DataFrame:
    """The outcome registry's rows (fct_outcome_registry: a referral and instrument each)
    behind the completeness and change figures, by month first seen (fct_adherence's
    first_seen_date), of one instrument if given: pseudonymised keys only; at most `limit`."""
    where, params = selection.where(site="registry.site_code", month="seen.first_seen_date")
    if instrument is not None:
        where += " and registry.instrument = ?"
        params.append(instrument)
    return _select(published, f"""
        select registry.site_code, registry.referral_id, seen.first_seen_date,
               registry.instrument, registry.baseline_day, registry.baseline_value,
               registry.followup_day, registry.followup_value, registry.has_pair,
               registry.change, registry.is_responder
        from fct_outcome_registry as registry
        inner join fct_adherence as seen
            on registry.site_code = seen.site_code and registry.referral_id = seen.referral_id
        where {where}
        order by registry.site_code, seen.first_seen_date, registry.referral_id,
                 registry.instrument
        limit ?""", [*params, limit])


def registry_completeness(published: Published, selection: Selection = EVERYTHING) -> pd.DataFrame:
    where, params = selection.where(site="site_code", month="month_seen")
    return _select(published, f"""
        select * from fct_registry_completeness where {where}
        order by site_code, month_seen""", params)


def disagreeing_questionnaire_totals(published: Published,
                                     selection: Selection = EVERYTHING) -> pd.DataFrame:
    """Item-level questionnaires whose reported total is not the score of their items."""
    where, params = selection.where(site="site_code", month="assessed_date")
    return _select(published, f"""
        select site_code, measure_id, instrument, assessed_date, items_answered,
               reported_value, scored_value
        from fct_scored_questionnaires
        where is_reported_value_disagreeing and {where}
        order by site_code, assessed_date, measure_id""", params)


def delivery_status(published: Published, selection: Selection = EVERYTHING) -> pd.DataFrame:
    """fct_delivery_status: the network row first, then each chosen site and extract."""
    where, params = selection.where(site="site_code")
    return _select(published, f"""
        select * from fct_delivery_status
        where is_network_total or ({where})
        order by is_network_total desc, site_code, extract""", params)


def quarantine_rules(published: Published, selection: Selection = EVERYTHING) -> pd.DataFrame:
    where, params = selection.where(site="site_code")
    return _select(published, f"""
        select site_code, extract, source_file, rule_description as reason, rule,
               rows_quarantined, delivery_id
        from fct_quarantine_by_rule
        where {where}
        order by rows_quarantined desc, site_code, source_file""", params)


def quarantined_rows(published: Published, site_code: str, delivery_id: int, rule: str,
                     limit: int = 5000) -> pd.DataFrame:
    """fct_quarantined_rows of one delivered file and rule: where each row held is, in line
    order."""
    return _select(published, """
        select site_code, source_file, line_number, rule_description as reason, quarantined_at
        from fct_quarantined_rows
        where site_code = ? and delivery_id = ? and rule = ?
        order by line_number
        limit ?""", [site_code, delivery_id, rule, limit])


def rejected_files(published: Published, selection: Selection = EVERYTHING) -> pd.DataFrame:
    where, params = selection.where(site="site_code")
    return _select(published, f"""
        select site_code, extract, source_file, reason, delivered_date
        from fct_deliveries where status = 'rejected' and {where}
        order by delivered_date desc, source_file""", params)


def bottlenecks(published: Published, limit: int = 10,
                selection: Selection = EVERYTHING) -> pd.DataFrame:
    """fct_bottlenecks: the strongest ranked findings (a stage's consequences are not ranked),
    with their indicator's unit and their evidence in words for every reader and for the
    site's own (evidence_own_site, without the other sites' figure)."""
    where, params = selection.where(site="site_code")
    return _select(published, f"""
        select findings.rank_overall, findings.rank_in_site, findings.site_code,
               findings.indicator_id, findings.indicator_label, indicators.indicator_unit,
               findings.finding_kind,
               findings.period_start, findings.period_end, findings.score,
               findings.finding_value, findings.baseline_value, findings.referrals_received,
               findings.first_appointments, findings.evidence, findings.evidence_own_site
        from fct_bottlenecks as findings
        inner join dim_qi_indicators as indicators
            on findings.indicator_id = indicators.indicator_id
        where findings.rank_overall is not null and {where}
        order by findings.rank_overall
        limit ?""", [*params, limit])


def spc_points(published: Published, site_code: str | None, indicator_id: str,
               selection: Selection = EVERYTHING) -> pd.DataFrame:
    """fct_spc_points of one chart (a site's, or the network's for site None), in month order.
    The limits are the mart's, computed over the whole chart: a period narrows what is shown,
    not what the limits were computed from."""
    where, params = selection.where(month="indicator_month")
    return _select(published, f"""
        select * from fct_spc_points
        where site_code is not distinct from ? and indicator_id = ? and {where}
        order by indicator_month""", [site_code, indicator_id, *params])


def spc_summary(published: Published, site_code: str | None, indicator_id: str) -> pd.DataFrame:
    """fct_spc_summary of one chart (site None: the network's): its icons."""
    return _select(published, """
        select * from fct_spc_summary
        where site_code is not distinct from ? and indicator_id = ?""",
                   [site_code, indicator_id])


def spc_summaries(published: Published, selection: Selection = EVERYTHING) -> pd.DataFrame:
    """fct_spc_summary for every indicator: the network's chart and the chosen sites', in the
    order of the indicator list (dim_qi_indicators)."""
    where, params = selection.where(site="summary.site_code")
    return _select(published, f"""
        select summary.*
        from fct_spc_summary as summary
        inner join dim_qi_indicators as indicators
            on summary.indicator_id = indicators.indicator_id
        where summary.is_network_total or ({where})
        order by indicators.display_order, summary.is_network_total desc, summary.site_code
        """, params)


def funnel(published: Published, indicator_id: str) -> pd.DataFrame:
    """fct_funnel of one indicator: every site (a funnel compares each with all the others),
    smallest denominator first."""
    return _select(published, """
        select * from fct_funnel where indicator_id = ?
        order by denominator, site_code""", [indicator_id])


def indicators(published: Published) -> pd.DataFrame:
    """dim_qi_indicators, in display order."""
    return _select(published, "select * from dim_qi_indicators order by display_order")


def code_labels(published: Published) -> pd.DataFrame:
    """dim_code_labels: the words for every code."""
    return _select(published, "select * from dim_code_labels order by code_set, code")


def access_targets(published: Published) -> pd.DataFrame:
    """dim_access_targets: the targets the access figures are judged against, each priority's
    row for every service first."""
    return _select(published, """
        select * from dim_access_targets
        order by priority desc, target_service = 'all' desc, target_service""")


def rows_loaded_by_site(published: Published) -> pd.DataFrame:
    """Rows that reached the warehouse per site (fct_deliveries): none anywhere means nothing
    has been loaded yet, and every other mart is empty."""
    return _select(published, """
        select site_code, sum(rows_loaded) as rows_loaded
        from fct_deliveries
        where status = 'loaded'
        group by site_code
        having sum(rows_loaded) > 0
        order by site_code""")


@dataclass(frozen=True)
class QuerySource:
    """The mart a query reads, for disclosure control (carepath.publish.disclosure): what a
    published audience may see of a query's answer is what that mart's declarations allow.
    `columns` names, for an answer column that is not the mart's own column of that name (a
    column joined from another mart, or renamed), the mart and column it is."""

    mart: str
    columns: tuple[tuple[str, str, str], ...] = ()  # (answer column, mart, mart column)

    def origin(self, column: str) -> tuple[str, str]:
        for answer, mart, mart_column in self.columns:
            if answer == column:
                return mart, mart_column
        return self.mart, column


# Every query that answers with a mart's rows. filter_options and published_at answer with
# choices and a time, no figure.
SOURCES: dict[str, QuerySource] = {
    "sites": QuerySource("fct_site_performance"),
    "site_performance": QuerySource("fct_site_performance"),
    "waiting_list_monthly": QuerySource("fct_waiting_list_monthly"),
    "waiting_list_wait_bands": QuerySource("fct_waiting_list_wait_bands"),
    "monthly_indicator_series": QuerySource("fct_monthly_indicators"),
    "adherence_by_programme": QuerySource("fct_adherence_by_programme"),
    "outcome_change_by_instrument": QuerySource("fct_outcome_change_by_instrument"),
    "waiting_now_by_site": QuerySource("fct_waiting_list_monthly"),
    "longest_waiters": QuerySource("fct_waiting_list", (
        ("referral_reason", "fct_referral_latency", "referral_reason"),
        ("target_service", "fct_referral_latency", "target_service"))),
    "referrals": QuerySource("fct_referral_latency"),
    "adherence_referrals": QuerySource("fct_adherence"),
    "registry_referrals": QuerySource("fct_outcome_registry", (
        ("first_seen_date", "fct_adherence", "first_seen_date"),)),
    "registry_completeness": QuerySource("fct_registry_completeness"),
    "disagreeing_questionnaire_totals": QuerySource("fct_scored_questionnaires"),
    "delivery_status": QuerySource("fct_delivery_status"),
    "quarantine_rules": QuerySource("fct_quarantine_by_rule", (
        ("reason", "fct_quarantine_by_rule", "rule_description"),)),
    "quarantined_rows": QuerySource("fct_quarantined_rows", (
        ("reason", "fct_quarantined_rows", "rule_description"),)),
    "rejected_files": QuerySource("fct_deliveries"),
    "bottlenecks": QuerySource("fct_bottlenecks", (
        ("indicator_unit", "dim_qi_indicators", "indicator_unit"),)),
    "spc_points": QuerySource("fct_spc_points"),
    "spc_summary": QuerySource("fct_spc_summary"),
    "spc_summaries": QuerySource("fct_spc_summary"),
    "funnel": QuerySource("fct_funnel"),
    "indicators": QuerySource("dim_qi_indicators"),
    "code_labels": QuerySource("dim_code_labels"),
    "access_targets": QuerySource("dim_access_targets"),
    # A sum of fct_deliveries.rows_loaded by site: whether anything has been loaded at all.
    "rows_loaded_by_site": QuerySource("fct_deliveries"),
}
