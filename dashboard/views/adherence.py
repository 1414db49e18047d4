"""Adherence: whether patients attend the programme they were prescribed, and finish it."""

from __future__ import annotations

import streamlit as st
from components import code_labels, published_or_stop, read, table
from drill_downs import adherence_rows, narrowed
from filters import current
from indicator_charts import indicator_charts

from carepath.publish import reader

st.title("Adherence: attending and finishing the programme")
published = published_or_stop()
selection = current()
performance = read(published, reader.site_performance, selection)

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
          "prop_sessions_attended": st.column_config.NumberColumn("Share attended",
                                                                  format="percent"),
          "prop_sessions_did_not_attend": st.column_config.NumberColumn(
              "Share not attended", format="percent")},
      drill=lambda row: adherence_rows(
          published, narrowed(selection, site=None if row.site_code == "Network"
                              else row.site_code),
          f"Programmes at {row.site_code}"))

st.subheader("By programme type")
programmes = read(published, reader.adherence_by_programme, selection)
if programmes.empty:
    st.info("No programme at the chosen sites.")
else:
    st.caption("Each prescribed programme type: sessions attended of those expected over every "
               "programme; of the programmes that have ended, the share completed (reached "
               "the end attending at least 75% of the prescription), the share ended by "
               "dropout, and the relative dose intensity (minutes delivered over minutes "
               "prescribed, summed over the ended programmes).")
    shown = programmes.assign(site_code=programmes.site_code.fillna("Network"),
                              programme=programmes.programme_type.map(
                                  code_labels(published).of("programme_type")))
    table(shown[["site_code", "programme", "programmes", "prop_sessions_attended",
                 "programmes_ended", "prop_ended_completed", "prop_ended_dropped_out",
                 "relative_dose_intensity"]], "adherence-by-programme", column_config={
        "site_code": "Site", "programme": "Programme", "programmes": "Programmes",
        "prop_sessions_attended": st.column_config.NumberColumn("Sessions attended",
                                                                format="percent"),
        "programmes_ended": "Ended",
        "prop_ended_completed": st.column_config.NumberColumn("Completed", format="percent"),
        "prop_ended_dropped_out": st.column_config.NumberColumn("Dropped out",
                                                                format="percent"),
        "relative_dose_intensity": st.column_config.NumberColumn("Dose intensity",
                                                                 format="percent")},
        drill=lambda row: adherence_rows(
            published, narrowed(selection, site=None if row.site_code == "Network"
                                else row.site_code),
            f"{row.programme} programmes at {row.site_code}",
            programme_type=programmes.programme_type[row.name],
            name="programme-referrals"))

st.subheader("Adherence charts")
indicator_charts(published, ("adherence",), selection)
