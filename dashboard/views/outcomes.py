"""Outcomes: whether the registry is complete, and whether patients improve."""

from __future__ import annotations

import streamlit as st
from components import disclosed, published_or_stop, read, table
from drill_downs import narrowed, registry_rows
from filters import current
from indicator_charts import indicator_charts

from carepath.publish import reader

st.title("Outcomes: registry completeness and response")
published = published_or_stop()
selection = current()
completeness = disclosed(
    read(published, reader.registry_completeness, selection),
    counts=("patients_eligible", "patients_died_before_followup", "patients_with_pair",
            "patients_baseline_only"),
    over={"prop_eligible_with_pair": ("patients_eligible", "patients_with_pair"),
          "prop_eligible_baseline_only": ("patients_eligible", "patients_baseline_only")})

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
        "prop_eligible_with_pair": st.column_config.NumberColumn("With a pair",
                                                                 format="percent"),
        "prop_eligible_baseline_only": st.column_config.NumberColumn("Baseline only",
                                                                     format="percent")},
        drill=lambda row: registry_rows(
            published, narrowed(selection, site=row.site_code, month=row.month_seen),
            f"Outcome measures of patients first seen at {row.site_code} in "
            f"{row.month_seen:%B %Y}"))

st.subheader("Outcome charts")
indicator_charts(published, ("outcomes",), selection)
