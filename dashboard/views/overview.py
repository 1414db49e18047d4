"""Overview: headline access, adherence and outcome figures across sites."""

from __future__ import annotations

import altair as alt
import streamlit as st
from components import percent, published_or_stop, read, table, whole
from spc_charts import as_image, assurance_icon, spc_chart, variation_icon

from carepath.publish import reader

st.title("Oncology to rehabilitation: where patients wait")
published = published_or_stop()

performance = read(published, reader.site_performance)
network = performance[performance.is_network_total].iloc[0]
sites = performance[~performance.is_network_total]
stage_medians = read(published, reader.stage_latency_monthly)
access = read(published, reader.access_monthly, "all")
waiting = read(published, reader.waiting_now_by_site)
longest = read(published, reader.longest_waiters)
findings = read(published, reader.bottlenecks)
published_at = read(published, reader.published_at)

st.caption(f"Published {published_at:%Y-%m-%d %H:%M UTC}. Access wait = days on the RTT clock, "
           "from receipt by the rehab service (or its restart after a missed first appointment) "
           "to the first attended contact.")

cols = st.columns(6)
cols[0].metric("Referrals received", whole(network.referrals_received))
cols[1].metric("Seen", whole(network.referrals_seen))
cols[2].metric("Seen within target", percent(network.prop_seen_within_target))
cols[3].metric("Median access wait (days)", whole(network.median_days_rtt_wait))
cols[4].metric("Sessions attended", percent(network.prop_sessions_attended))
cols[5].metric("Responders (MCID)", percent(network.prop_pairs_responding))
cols = st.columns(6)
cols[0].metric("Waiting now", whole(network.pathways_waiting))
cols[1].metric("Waiting within 18 weeks", percent(network.prop_waiting_within_rtt_standard))

st.subheader("By site")
table(
    sites[["site_code", "referrals_received", "referrals_seen", "median_days_receipt_to_triage",
           "median_days_rtt_wait", "prop_seen_within_target", "prop_sessions_attended",
           "prop_sessions_did_not_attend"]],
    "sites",
    column_config={
        "site_code": "Site",
        "referrals_received": "Referrals received",
        "referrals_seen": "Seen",
        "median_days_receipt_to_triage": st.column_config.NumberColumn("Median days to triage"),
        "median_days_rtt_wait": st.column_config.NumberColumn("Median access wait"),
        "prop_seen_within_target": st.column_config.NumberColumn("Seen within target",
                                                                 format="percent"),
        "prop_sessions_attended": st.column_config.NumberColumn("Sessions attended",
                                                                format="percent"),
        "prop_sessions_did_not_attend": st.column_config.NumberColumn("Did not attend",
                                                                      format="percent"),
    },
)

st.subheader("Where care is held up")
if findings.empty:
    st.write("No bottleneck stands out: every site's charts show only common-cause variation, "
             "and no site is worse than the others beyond the 99.8% limit.")
else:
    st.caption("The bottleneck finder's strongest findings: runs of months a site's XmR chart "
               "flags as special cause of concern, and sites worse than the others beyond the "
               "99.8% limit they set. Score: the evidence pooled over the months it spans.")
    table(findings[["rank_overall", "site_code", "indicator_label", "period_start",
                    "period_end", "score", "evidence"]], "bottlenecks", column_config={
        "rank_overall": "Rank", "site_code": "Site", "indicator_label": "Indicator",
        "period_start": st.column_config.DateColumn("From", format="YYYY-MM"),
        "period_end": st.column_config.DateColumn("To", format="YYYY-MM"),
        "score": st.column_config.NumberColumn("Score", format="%.1f"),
        "evidence": st.column_config.TextColumn("Evidence", width="large"),
    })
    choice = st.selectbox(
        "Open a finding's chart", findings.index,
        format_func=lambda i: f"{findings.rank_overall[i]}. {findings.site_code[i]}: "
                              f"{findings.indicator_label[i]}")
    site, indicator = findings.site_code[choice], findings.indicator_id[choice]
    points = read(published, reader.spc_points, site, indicator)
    summary = read(published, reader.spc_summary, site, indicator)
    if points.empty:
        st.write(f"{site} has no monthly {findings.indicator_label[choice].lower()} to chart.")
    else:
        icons = [variation_icon(summary.variation_icon.iloc[0])]
        if summary.assurance_icon.notna().iloc[0]:
            icons.append(assurance_icon(summary.assurance_icon.iloc[0]))
        st.markdown(" ".join(as_image(svg, label) for svg, label in icons)
                    + "&nbsp; " + "; ".join(label for _, label in icons) + ".",
                    unsafe_allow_html=True)
        st.caption(f"{site}, {findings.indicator_label[choice]}: XmR chart, the mean and the "
                   "process limits (2.66 average moving ranges) as lines; points coloured and "
                   "shaped by Making Data Count's reading, the target dashed where there is one."
                   + (" Fewer than 13 months: the limits are trial limits."
                      if points.is_trial_limits.iloc[0] else ""))
        st.altair_chart(spc_chart(points), width="stretch")

st.subheader("Median days from receipt to triage, by month received")
st.altair_chart(
    alt.Chart(stage_medians).mark_line(point=True).encode(
        x=alt.X("received_month:T", title="Month received"),
        y=alt.Y("median_days_receipt_to_triage:Q", title="Median days"),
        color=alt.Color("site_code:N", title="Site"),
        tooltip=["site_code", "received_month:T", "median_days_receipt_to_triage",
                 "referrals_received"],
    ),
    width="stretch",
)

st.subheader("Seen within target, by month seen")
st.altair_chart(
    alt.Chart(access).mark_line(point=True).encode(
        x=alt.X("month_seen:T", title="Month seen"),
        y=alt.Y("prop_seen_within_target:Q", title="Seen within target",
                axis=alt.Axis(format="%")),
        color=alt.Color("site_code:N", title="Site"),
        tooltip=["site_code", "month_seen:T",
                 alt.Tooltip("prop_seen_within_target:Q", format=".1%"), "pathways_completed"],
    ),
    width="stretch",
)

st.subheader("Who is waiting now")
if longest.empty:
    st.write("Nobody is waiting.")
else:
    st.caption(f"Census {longest.census_date.iloc[0]:%Y-%m-%d}: referrals received and not yet "
               "seen or closed.")
    table(waiting, "waiting-now-by-site", column_config={
        "site_code": "Site", "priority": "Priority", "pathways_waiting": "Waiting",
        "prop_waiting_within_target": st.column_config.NumberColumn("Within target",
                                                                    format="percent"),
        "prop_waiting_within_rtt_standard": st.column_config.NumberColumn("Within 18 weeks",
                                                                          format="percent"),
        "median_days_waiting": "Median days", "max_days_waiting": "Longest (days)",
    })
    st.write("Longest waiters")
    table(longest.drop(columns="census_date"), "longest-waiters", column_config={
        "site_code": "Site", "referral_id": "Referral", "priority": "Priority",
        "clock_start_date": st.column_config.DateColumn("Clock start", format="YYYY-MM-DD"),
        "days_waiting": "Days", "weeks_waiting": "Weeks", "target_days": "Target (days)",
        "is_clock_restarted": "Clock restarted",
    })
