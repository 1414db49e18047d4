"""Overview: the headline figures and the integrated performance report matrix."""

from __future__ import annotations

import streamlit as st
from components import (
    access_targets_note,
    percent,
    published_or_stop,
    read,
    table,
    whole,
)
from drill_downs import narrowed, referral_rows
from filters import current, period_params
from performance_matrix import matrix_html, matrix_table

from carepath.publish import reader

st.title("Oncology to rehabilitation: where patients wait")
published = published_or_stop()
selection = current()

performance = read(published, reader.site_performance, selection)
sites = performance[~performance.is_network_total]
summaries = read(published, reader.spc_summaries, selection)
indicators = read(published, reader.indicators)
published_at = read(published, reader.published_at)

st.caption(f"Published {published_at:%Y-%m-%d %H:%M UTC}. Access wait = days on the RTT clock, "
           "from receipt by the rehab service (or its restart after a missed first appointment) "
           "to the first attended contact. The figures cover every month on record.")
access_targets_note(published)

# The tiles show one row of fct_site_performance, never a sum of rows: the network, or the
# one site chosen. With several sites chosen there is no such row, so there are no tiles.
if len(selection.sites) > 1:
    st.info("The headline figures are for the whole network or one site: choose one site, or "
            "none, to see them. The table below lists the chosen sites.")
elif performance.empty:
    st.info("No published figures for the chosen site yet.")
else:
    headline = performance.iloc[0] if not selection.sites else sites.iloc[0]
    st.subheader("Network" if not selection.sites else f"Site {headline.site_code}")
    cols = st.columns(6)
    cols[0].metric("Referrals received", whole(headline.referrals_received))
    cols[1].metric("Seen", whole(headline.referrals_seen))
    cols[2].metric("Seen within target", percent(headline.prop_seen_within_target))
    cols[3].metric("Median access wait (days)", whole(headline.median_days_rtt_wait))
    cols[4].metric("Sessions attended", percent(headline.prop_sessions_attended))
    cols[5].metric("Responders (MCID)", percent(headline.prop_pairs_responding))
    cols = st.columns(6)
    cols[0].metric("Waiting now", whole(headline.pathways_waiting))
    cols[1].metric("Waiting within 18 weeks", percent(headline.prop_waiting_within_rtt_standard))

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
    drill=lambda row: referral_rows(published, narrowed(selection, site=row.site_code),
                                    "site-referrals",
                                    f"Referrals received at {row.site_code}",
                                    received_only=True),
)

st.subheader("Performance matrix")
if summaries.empty:
    st.info("No indicator has judged months yet: the matrix fills in once a site has data "
            "beyond its first three months.")
else:
    st.caption("Each cell is the latest judged month of the indicator's XmR chart, its target "
               "if it has one, and Making Data Count's icons: the variation (grey: common "
               "cause; blue: improvement; orange: concern; H or L for high or low) and, where "
               "there is a target, the assurance (P: will pass, F: will fail, ?: hit and miss). "
               "Select a value to open its chart.")
    st.markdown(matrix_html(summaries, indicators, period_params(selection)),
                unsafe_allow_html=True)
    table(matrix_table(summaries), "performance-matrix", column_config={
        "indicator_label": "Indicator", "where": "Site",
        "latest_month": st.column_config.DateColumn("Latest month", format="YYYY-MM"),
        "latest": "Latest value", "target": "Target", "variation": "Variation",
        "assurance": "Assurance"})
