"""Adherence: whether patients attend the programme they were prescribed, and finish it."""

from __future__ import annotations

import streamlit as st
from components import disclosed, published_or_stop, read, table
from drill_downs import adherence_rows, narrowed
from filters import current
from indicator_charts import indicator_charts

from carepath.publish import reader

st.title("Adherence: attending and finishing the programme")
published = published_or_stop()
selection = current()
SESSION_COUNTS = ("sessions_expected", "sessions_attended", "sessions_did_not_attend",
                  "sessions_cancelled_by_patient")
performance = disclosed(read(published, reader.site_performance, selection),
                        counts=SESSION_COUNTS,
                        over={"prop_sessions_attended": ("sessions_expected",
                                                         "sessions_attended"),
                              "prop_sessions_did_not_attend": ("sessions_attended",
                                                               "sessions_did_not_attend")})

st.subheader("By site")
st.caption("Programme sessions (treatment and group classes) over every month on record: "
           "attended and not attended, as shares of the sessions expected.")
table(performance[["site_code", "sessions_expected", "sessions_attended",
                   "sessions_did_not_attend", "sessions_cancelled_by_patient",
                   "prop_sessions_attended", "prop_sessions_did_not_attend"]].fillna(
                       {"site_code": "Network"}),
      "adherence-by-site", column_config={
          "site_code": "Site", "sessions_expected": "Sessions expected",
          "sessions_attended": "Attended", "sessions_did_not_attend": "Did not attend",
          "sessions_cancelled_by_patient": "Cancelled by patient",
          "prop_sessions_attended": st.column_config.NumberColumn("Attended",
                                                                  format="percent"),
          "prop_sessions_did_not_attend": st.column_config.NumberColumn("Did not attend",
                                                                        format="percent")},
      drill=lambda row: adherence_rows(
          published, narrowed(selection, site=None if row.site_code == "Network"
                              else row.site_code),
          f"Programmes at {row.site_code}"))

st.subheader("Adherence charts")
indicator_charts(published, ("adherence",), selection)
