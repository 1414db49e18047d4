"""Outcomes: whether the registry is complete, and whether patients improve."""

from __future__ import annotations

import streamlit as st
from components import published_or_stop, read, table
from drill_downs import narrowed, registry_rows
from filters import current
from indicator_charts import indicator_charts

from carepath.publish import reader

st.title("Outcomes: registry completeness and response")
published = published_or_stop()
selection = current()
completeness = read(published, reader.registry_completeness, selection)

st.subheader("Registry completeness by site and month")
if completeness.empty:
    st.info("No month in the chosen period has its follow-up windows closed yet.")
else:
    st.caption("Patients first seen in the month whose 12-week follow-up window has closed: "
               "how many have both a baseline and a follow-up measure (a pair), and how many "
               "only a baseline.")
    table(completeness, "registry-completeness", column_config={
        "site_code": "Site",
        "month_seen": st.column_config.DateColumn("Month first seen", format="YYYY-MM"),
        "patients_eligible": "Patients eligible",
        "patients_died_before_followup": "Died before follow-up",
        "patients_with_pair": "With a pair", "patients_baseline_only": "Baseline only",
        "prop_eligible_with_pair": st.column_config.NumberColumn("Share with a pair",
                                                                 format="percent"),
        "prop_eligible_baseline_only": st.column_config.NumberColumn("Share baseline only",
                                                                     format="percent")},
        drill=lambda row: registry_rows(
            published, narrowed(selection, site=row.site_code, month=row.month_seen),
            f"Outcome measures of patients first seen at {row.site_code} in "
            f"{row.month_seen:%B %Y}"))

st.subheader("Change from baseline, by instrument")
change = read(published, reader.outcome_change_by_instrument, selection)
if change.empty:
    st.info("No baseline and follow-up pair at the chosen sites yet.")
else:
    st.caption("Patients with a baseline and a 12-week follow-up on an instrument (a pair): "
               "the median values at each, the median improvement (the change signed so that "
               "positive is better, whichever way the instrument runs), and the share "
               "improving by at least the instrument's minimal clinically important "
               "difference (responders; instruments without a published one have none).")
    shown = change.assign(site_code=change.site_code.fillna("Network"))
    table(shown[["site_code", "instrument_label", "instrument_unit", "pairs",
                 "median_baseline_value", "median_followup_value", "median_improvement",
                 "pairs_assessed", "prop_pairs_responding"]],
          "outcome-change-by-instrument", column_config={
        "site_code": "Site", "instrument_label": "Instrument", "instrument_unit": "Units",
        "pairs": "Pairs",
        "median_baseline_value": st.column_config.NumberColumn("Median baseline",
                                                               format="%.1f"),
        "median_followup_value": st.column_config.NumberColumn("Median follow-up",
                                                               format="%.1f"),
        "median_improvement": st.column_config.NumberColumn("Median improvement",
                                                            format="%.1f"),
        "pairs_assessed": "With an MCID",
        "prop_pairs_responding": st.column_config.NumberColumn("Responders",
                                                               format="percent")},
        drill=lambda row: registry_rows(
            published, narrowed(selection, site=None if row.site_code == "Network"
                                else row.site_code),
            f"{row.instrument_label} at {row.site_code}",
            instrument=change.instrument[row.name], name="instrument-referrals"))

st.subheader("Outcome charts")
indicator_charts(published, ("outcomes",), selection)
