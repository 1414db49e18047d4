"""The referral-level rows behind an aggregate: what a selected table row opens.

Each function lists the rows of one referral-level mart for a narrowed selection (a site, a
priority, a month), under readable headers, with its CSV download. Keys are pseudonymised; a
site user sees their own site's rows only (components.read).
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import streamlit as st
from components import code_labels, read, table

from carepath.publish import reader
from carepath.publish.published_copy import Published

LIMIT = 5000


def narrowed(selection: reader.Selection, site: str | None = None,
             priority: str | None = None, month: date | None = None) -> reader.Selection:
    """`selection` narrowed to one site, priority or month (None leaves it as it is; a site of
    None is the network's row, which covers the chosen sites)."""
    changes = {}
    if site is not None and pd.notna(site):
        changes["sites"] = (site,)
    if priority is not None:
        changes["priorities"] = (priority,)
    if month is not None:
        first = pd.Timestamp(month).date().replace(day=1)
        changes |= {"month_from": first, "month_to": first}
    return dataclasses.replace(selection, **changes)


def _readable(published: Published, frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """`frame` with the codes of `columns` in words (dim_code_labels; a column is named for
    its code set, but for a referral's reason)."""
    sets = {"referral_reason": "referral_reason"}
    return code_labels(published).columns(frame, **{c: sets.get(c, c) for c in columns})


def _heading(what: str, rows: pd.DataFrame) -> None:
    more = f" (the first {LIMIT:,})" if len(rows) == LIMIT else ""
    st.markdown(f"**{what}: {len(rows):,} referral rows{more}**")


def referral_rows(published: Published, selection: reader.Selection, name: str = "referrals",
                  what: str = "The referrals behind these figures",
                  received_only: bool = False, seen_in_period: bool = False) -> None:
    """fct_referral_latency: each referral in the selection (with `received_only`, those the
    rehab service has received; with `seen_in_period`, those seen in the period), longest
    wait first."""
    rows = read(published, reader.referrals, selection, LIMIT, received_only, seen_in_period)
    _heading(what, rows)
    if rows.empty:
        st.info("No referral matches.")
        return
    table(_readable(published, rows, "priority", "referral_reason", "target_service",
                    "pathway_status"),
          name, column_config={
              "site_code": "Site", "referral_id": "Referral", "priority": "Priority",
              "referral_reason": "Reason", "target_service": "Service",
              "received_month": st.column_config.DateColumn("Received", format="YYYY-MM"),
              "pathway_status": "Status", "days_receipt_to_triage": "Days to triage",
              "days_triage_to_offer": "Days to offer",
              "days_offer_to_first_seen": "Days to seen",
              "days_rtt_wait": "Access wait (days)", "target_days": "Target (days)",
              "is_within_target": "Within target"})


def waiting_rows(published: Published, selection: reader.Selection, name: str,
                 what: str, at_month_end: bool = False) -> None:
    """fct_waiting_list at the newest census (or the period's month end): each referral
    waiting, longest first."""
    rows = read(published, reader.longest_waiters, LIMIT, selection, at_month_end)
    _heading(what, rows)
    if rows.empty:
        st.info("Nobody matching is waiting.")
        return
    waiting_table(published, rows, name)


def waiting_table(published: Published, rows: pd.DataFrame, name: str) -> None:
    """Rows of reader.longest_waiters as a table, under readable headers."""
    table(_readable(published, rows.drop(columns="census_date"), "priority", "referral_reason",
                    "target_service"), name, column_config={
        "site_code": "Site", "referral_id": "Referral", "priority": "Priority",
        "referral_reason": "Reason", "target_service": "Service",
        "clock_start_date": st.column_config.DateColumn("Clock start", format="YYYY-MM-DD"),
        "days_waiting": "Days", "weeks_waiting": "Weeks", "target_days": "Target (days)",
        "is_clock_restarted": "Clock restarted"})


def adherence_rows(published: Published, selection: reader.Selection, what: str,
                   programme_type: str | None = None,
                   name: str = "adherence-referrals") -> None:
    """fct_adherence: each referral's programme (of one type, if given), lowest attendance
    first."""
    rows = read(published, reader.adherence_referrals, selection, LIMIT, programme_type)
    _heading(what, rows)
    if rows.empty:
        st.info("No programme matches.")
        return
    table(_readable(published, rows, "programme_type", "programme_status"), name,
          column_config={
              "site_code": "Site", "referral_id": "Referral", "programme_type": "Programme",
              "first_seen_date": st.column_config.DateColumn("First seen",
                                                             format="YYYY-MM-DD"),
              "planned_sessions": "Planned sessions", "sessions_expected": "Expected",
              "sessions_attended": "Attended", "sessions_did_not_attend": "Did not attend",
              "prop_sessions_attended": st.column_config.NumberColumn("Share attended",
                                                                      format="percent"),
              "dose_intensity": st.column_config.NumberColumn("Dose intensity",
                                                              format="percent"),
              "is_dropout": "Dropped out", "is_completed": "Completed",
              "programme_status": "Status"})


def registry_rows(published: Published, selection: reader.Selection, what: str,
                  instrument: str | None = None, name: str = "registry-referrals") -> None:
    """fct_outcome_registry: each referral's baseline and follow-up per instrument (or of one
    instrument)."""
    rows = read(published, reader.registry_referrals, selection, LIMIT, instrument)
    _heading(what, rows)
    if rows.empty:
        st.info("No referral first seen then has an outcome measure.")
        return
    st.caption("Referrals with no outcome measure at all have no row here.")
    table(_readable(published, rows, "instrument"), name, column_config={
        "site_code": "Site", "referral_id": "Referral",
        "first_seen_date": st.column_config.DateColumn("First seen", format="YYYY-MM-DD"),
        "instrument": "Instrument", "baseline_day": "Baseline day",
        "baseline_value": "Baseline", "followup_day": "Follow-up day",
        "followup_value": "Follow-up", "has_pair": "Pair", "change": "Change",
        "is_responder": "Responder"})


def _received(published: Published, selection: reader.Selection, what: str) -> None:
    referral_rows(published, selection, "month-referrals", what, received_only=True)


def _seen(published: Published, selection: reader.Selection, what: str) -> None:
    referral_rows(published, selection, "month-referrals", what, seen_in_period=True)


def _waiting(published: Published, selection: reader.Selection, what: str) -> None:
    waiting_rows(published, selection, "month-waiting", what, at_month_end=True)


def _registry(published: Published, selection: reader.Selection, what: str) -> None:
    registry_rows(published, selection, what, name="month-registry")


# The indicators whose month on an XmR chart opens its referral-level rows, by the event that
# places a row in the month (dim_qi_indicators.month_basis): received, seen (the clock
# stopped), or first attended session (the registry's day 0).
MONTH_DRILLS = {
    "referrals_received": _received,
    "waiting_list_month_end": _waiting,
    "access_wait_median_days": _seen,
    "access_wait_p90_days": _seen,
    "prop_seen_within_target": _seen,
    "prop_registry_complete": _registry,
    "prop_pairs_responding": _registry,
}
