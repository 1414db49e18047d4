"""Overview: headline access, adherence and outcome figures across sites."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import streamlit as st

from carepath import marts_queries as q
from carepath.settings import load_settings

published = load_settings().published_path


@st.cache_data(show_spinner=False)
def _load(path: str, version: float):
    # `version` (the file's mtime) makes a newly published copy invalidate the cache.
    source = Path(path)
    return (q.headline(source), q.site_summary(source), q.monthly_stage_medians(source),
            q.access_by_month_seen(source), q.waiting_now_by_site(source),
            q.longest_waiters(source))


st.title("Oncology to rehabilitation: where patients wait")
if not published.exists():
    st.warning("No published marts yet. Run the pipeline (`make demo` or `carepath run`).")
    st.stop()

head, sites, monthly, access, waiting, longest = _load(str(published), published.stat().st_mtime)
st.caption(f"Published {head.published_at}. Access wait = days on the RTT clock, from receipt "
           "by the rehab service (or its restart after a missed first appointment) to the first "
           "attended contact.")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


cols = st.columns(6)
cols[0].metric("Referrals received", f"{head.referrals_received:,}")
cols[1].metric("Seen", f"{head.referrals_seen:,}")
cols[2].metric("Seen within target", _pct(head.pct_seen_within_target))
cols[3].metric("Median access wait (days)",
               "n/a" if head.median_access_days is None else f"{head.median_access_days:.0f}")
cols[4].metric("Attendance rate", _pct(head.attendance_rate))
cols[5].metric("Responders (MCID)", _pct(head.pct_responders))
cols = st.columns(6)
cols[0].metric("Waiting now", f"{head.waiting_now:,}")
cols[1].metric("Waiting within 18 weeks", _pct(head.pct_waiting_within_rtt_standard))

st.subheader("By site")
st.dataframe(
    sites,
    hide_index=True,
    column_config={
        "site_code": "Site",
        "referrals": "Referrals",
        "seen": "Seen",
        "median_days_to_triage": st.column_config.NumberColumn("Median days to triage"),
        "median_days_to_first_seen": st.column_config.NumberColumn("Median access wait"),
        "pct_within_target": st.column_config.NumberColumn("Within target", format="percent"),
        "attendance_rate": st.column_config.NumberColumn("Attendance", format="percent"),
        "dna_rate": st.column_config.NumberColumn("DNA rate", format="percent"),
    },
)

st.subheader("Median days from receipt to triage, by month received")
st.altair_chart(
    alt.Chart(monthly).mark_line(point=True).encode(
        x=alt.X("received_month:T", title="Month received"),
        y=alt.Y("receipt_to_triage:Q", title="Median days"),
        color=alt.Color("site_code:N", title="Site"),
        tooltip=["site_code", "received_month:T", "receipt_to_triage", "referrals"],
    ),
    width="stretch",
)


st.subheader("Seen within target, by month seen")
st.altair_chart(
    alt.Chart(access).mark_line(point=True).encode(
        x=alt.X("month_seen:T", title="Month seen"),
        y=alt.Y("pct_within_target:Q", title="Seen within target", axis=alt.Axis(format="%")),
        color=alt.Color("site_code:N", title="Site"),
        tooltip=["site_code", "month_seen:T", alt.Tooltip("pct_within_target:Q", format=".1%"),
                 "pathways_completed"],
    ),
    width="stretch",
)

st.subheader("Who is waiting now")
if longest.empty:
    st.write("Nobody is waiting.")
else:
    st.caption(f"Census {longest.census_date.iloc[0]:%Y-%m-%d}: referrals received and not yet "
               "seen or closed.")
    st.dataframe(waiting, hide_index=True, column_config={
        "site_code": "Site", "priority": "Priority", "pathways_waiting": "Waiting",
        "pct_within_target": st.column_config.NumberColumn("Within target", format="percent"),
        "pct_within_rtt_standard": st.column_config.NumberColumn("Within 18 weeks",
                                                                 format="percent"),
        "median_days_waiting": "Median days", "max_days_waiting": "Longest (days)",
    })
    st.write("Longest waiters")
    st.dataframe(longest.drop(columns="census_date"), hide_index=True, column_config={
        "site_code": "Site", "referral_id": "Referral", "priority": "Priority",
        "clock_start_date": st.column_config.DateColumn("Clock start", format="YYYY-MM-DD"),
        "days_waiting": "Days", "weeks_waiting": "Weeks", "target_days": "Target (days)",
        "is_clock_restarted": "Clock restarted",
    })
