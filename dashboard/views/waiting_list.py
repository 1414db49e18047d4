"""Waiting list: who is waiting, how the list has grown or shrunk, and demand against the
first appointments that clear it."""

from __future__ import annotations

import streamlit as st
from components import (
    access_targets_note,
    code_labels,
    drawable,
    published_or_stop,
    read,
    table,
    withheld_note,
)
from drill_downs import narrowed, waiting_rows, waiting_table
from filters import current
from indicator_charts import indicator_charts

from carepath.charts.waiting import (
    DEMAND_AND_CAPACITY,
    census_chart,
    demand_and_capacity_chart,
    wait_band_chart,
)
from carepath.publish import reader

st.title("Waiting list: who is waiting, and for how long")
published = published_or_stop()
selection = current()
access_targets_note(published)
all_census = read(published, reader.waiting_list_monthly, selection)
census = drawable(all_census, "pathways_waiting")
waiting = read(published, reader.waiting_now_by_site, selection)
labels = code_labels(published)
longest = read(published, reader.longest_waiters, 20, selection)

st.subheader("Pathways waiting at each month end")
if census.empty:
    st.info("No census in the chosen period.")
else:
    st.caption("Referrals received and not yet seen or closed, counted on the last day of each "
               "month, by site and priority: a rising line is a growing backlog.")
    st.altair_chart(census_chart(census, labels.of("priority")), width="stretch")
withheld_note(all_census, census, "censuses")

st.subheader("Weeks waited at each census")
all_bands = read(published, reader.waiting_list_wait_bands, selection)
bands = drawable(all_bands, "pathways_waiting")
if bands.empty:
    st.info("No census in the chosen period, or every band is counted over too few to show.")
else:
    st.caption("The waiting list at each month end (and at the newest census) by whole weeks "
               "waited (the last band holds "
               "every wait of 52 weeks or more): a band of colour creeping upwards is a tail "
               "of long waits building. "
               + ("The network's list" if not selection.sites else "Each chosen site's list")
               + ("; every priority." if not selection.priorities else
                  "; each chosen priority."))
    st.altair_chart(wait_band_chart(bands, labels.of("priority")), width="stretch")
withheld_note(all_bands, bands, "band counts")

st.subheader("Who is waiting now")
if waiting.empty:
    st.info("Nobody at the chosen sites and priorities is waiting.")
else:
    st.caption("At the newest census: referrals received and not yet seen or closed, by site "
               "and priority (site and priority filters apply here).")
    # The shares' numerators are read for disclosure control (a share is computed from them
    # for a published audience), not shown.
    table(labels.columns(waiting, priority="priority")[[
        "site_code", "priority", "pathways_waiting", "prop_waiting_within_target",
        "prop_waiting_within_rtt_standard", "median_days_waiting", "max_days_waiting"]],
        "waiting-now-by-site", column_config={
        "site_code": "Site", "priority": "Priority", "pathways_waiting": "Waiting",
        "prop_waiting_within_target": st.column_config.NumberColumn("Within target",
                                                                    format="percent"),
        "prop_waiting_within_rtt_standard": st.column_config.NumberColumn("Within 18 weeks",
                                                                          format="percent"),
        "median_days_waiting": "Median days", "max_days_waiting": "Longest (days)",
    }, drill=lambda row: waiting_rows(
        published, narrowed(selection, site=row.site_code,
                            priority=labels.code("priority", row.priority)),
        "waiting-referrals", f"Waiting at {row.site_code}, {row.priority.lower()}"))
st.write("Longest waiters")
if longest.empty:
    st.info("Nobody matching the filters is waiting.")
else:
    st.caption(f"Census {longest.census_date.iloc[0]:%Y-%m-%d}: the 20 referrals waiting "
               "longest, for the service to act on (every filter applies here).")
    waiting_table(published, longest, "longest-waiters")

st.subheader("Demand, activity and the backlog")
all_flows = read(published, reader.monthly_indicator_series, DEMAND_AND_CAPACITY, selection)
flows = drawable(all_flows, "value")
if flows.empty:
    st.info("No judged months of demand and activity in the chosen period.")
else:
    st.caption("Referrals received (demand) against first appointments attended (activity, "
               "the service's capacity in use), with the pathways waiting at month end: when "
               "demand runs above activity month after month, the backlog grows. "
               + ("The network's months." if not selection.sites else "One chart per site."))
    st.altair_chart(demand_and_capacity_chart(flows), width="stretch")
withheld_note(all_flows, flows, "months")
st.caption("Each of the three as an XmR chart: whether a month's change is more than chance.")
indicator_charts(published, ("demand", "waiting_list"), selection)
