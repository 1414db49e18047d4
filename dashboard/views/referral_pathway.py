"""Referral pathway: how long each stage takes at each site, the access charts, and the
referrals behind them."""

from __future__ import annotations

import altair as alt
import streamlit as st
from components import access_targets_note, drawable, published_or_stop, read, withheld_note
from drill_downs import referral_rows
from filters import current
from indicator_charts import indicator_charts

from carepath.publish import reader

STAGE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]

st.title("Referral pathway: from referral to first appointment")
published = published_or_stop()
selection = current()
indicators = read(published, reader.indicators)
summaries = read(published, reader.spc_summaries, selection)
stages = indicators[indicators.indicator_id.str.startswith("stage_")]
all_stages = summaries[summaries.indicator_id.isin(stages.indicator_id)
                       & ~summaries.is_network_total].merge(
    stages[["indicator_id", "display_order"]], on="indicator_id")
latest_stages = drawable(all_stages, "latest_denominator")

st.subheader("Where the days go, by site")
if latest_stages.empty:
    st.info("No site has judged months of stage latencies yet.")
else:
    st.caption("The median days each stage took in its latest judged month, stacked per site: "
               "the longest segment is where patients wait longest. Medians of stages do not "
               "add up to the median of the whole wait exactly.")
    stage_order = list(stages.indicator_label)
    st.altair_chart(
        alt.Chart(latest_stages).mark_bar().encode(
            y=alt.Y("site_code:N", title="Site"),
            x=alt.X("latest_value:Q", title="Median days", stack="zero"),
            # Okabe-Ito colours, in pathway order from the left.
            color=alt.Color("indicator_label:N", title="Stage",
                            scale=alt.Scale(domain=stage_order, range=STAGE_COLOURS),
                            legend=alt.Legend(orient="bottom", columns=2, labelLimit=400)),
            order=alt.Order("display_order:Q"),
            tooltip=[alt.Tooltip("site_code:N", title="Site"),
                     alt.Tooltip("indicator_label:N", title="Stage"),
                     alt.Tooltip("latest_value:Q", title="Median days", format=".1f"),
                     alt.Tooltip("latest_month:T", title="Month", format="%b %Y")]),
        width="stretch")
withheld_note(all_stages, latest_stages, "stage medians")

st.subheader("Access charts")
indicator_charts(published, ("access",), selection)

st.subheader("The referrals behind these figures")
st.caption("Each referral received in the chosen period at the chosen sites, with its stage "
           "latencies and its wait on the RTT clock, longest first (at most 5,000 rows; "
           "pseudonymised referral keys only). Priority, reason and service filters apply "
           "here.")
access_targets_note(published)
referral_rows(published, selection, what="Referrals received")
