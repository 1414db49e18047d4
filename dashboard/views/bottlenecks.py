"""Bottlenecks: the bottleneck finder's ranked findings, each with the chart that shows it."""

from __future__ import annotations

import streamlit as st
from components import published_or_stop, read, table
from filters import current
from indicator_charts import FINDER_AND_FUNNEL, spc_section
from performance_matrix import chart_link
from sign_in import current_user

from carepath.publish import reader

st.title("Where care is held up")
published = published_or_stop()
selection = current()
findings = read(published, reader.bottlenecks, 10, selection)
indicators = read(published, reader.indicators)
areas = dict(zip(indicators.indicator_id, indicators.pathway_area, strict=True))

if findings.empty:
    st.info("No bottleneck stands out: every chosen site's charts show only common-cause "
            "variation, and no site is worse than the others beyond the 99.8% limit.")
    st.stop()

st.caption("The bottleneck finder's strongest findings: runs of months a site's XmR chart "
           "flags as special cause of concern, and sites worse than the others beyond the "
           "99.8% limit they set. Score: the evidence pooled over the months it spans; a "
           "longer wait that follows from an earlier stage is folded into that stage's finding. "
           + FINDER_AND_FUNNEL.replace("this funnel", "the funnel plot on the indicator's page"))
# A site's own users read the evidence without the other sites' pooled figure, and the rank
# among their own site's findings rather than the network's. For a published audience the
# words, which quote monthly counts, were withheld as they were read where those counts are
# few (fct_bottlenecks' declarations).
own_site = current_user().site is not None
words = findings.evidence_own_site if own_site else findings.evidence
if own_site:
    findings = findings.assign(rank_overall=findings.rank_in_site)
shown = findings.assign(evidence=words, chart=[
    chart_link(areas[i], label, site) for i, label, site in zip(
        findings.indicator_id, findings.indicator_label, findings.site_code, strict=True)])
table(shown[["rank_overall", "site_code", "indicator_label", "period_start", "period_end",
             "score", "evidence", "chart"]], "bottlenecks", column_config={
    "rank_overall": "Rank", "site_code": "Site", "indicator_label": "Indicator",
    "period_start": st.column_config.DateColumn("From", format="YYYY-MM"),
    "period_end": st.column_config.DateColumn("To", format="YYYY-MM"),
    "score": st.column_config.NumberColumn("Score", format="%.1f"),
    "evidence": st.column_config.TextColumn("Evidence", width="large"),
    "chart": st.column_config.LinkColumn("Chart", display_text="Open the chart"),
})

choice = st.selectbox(
    "Show a finding's chart", findings.index,
    format_func=lambda i: f"{findings.rank_overall[i]}. {findings.site_code[i]}: "
                          f"{findings.indicator_label[i]}")
spc_section(published, findings.site_code[choice], findings.indicator_id[choice],
            findings.indicator_label[choice], selection, finding=shown.loc[choice])
