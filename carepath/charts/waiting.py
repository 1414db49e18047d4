"""How the waiting list's own charts are drawn: the census by weekly wait band, and demand
against activity with the backlog. Each draws the rows of a mart as they are (the marts hold
the network's and every priority's rows, so nothing is added up here)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from carepath.charts.axes import month_tooltip, month_x, with_month_gaps
from carepath.charts.labels import readable

PANEL_WIDTH = 760
# fct_monthly_indicators' demand, activity and backlog, in legend order.
DEMAND_AND_CAPACITY = ("referrals_received", "first_appointments", "waiting_list_month_end")
FLOW_STYLE = {  # Okabe-Ito colours, told apart by shape too
    "referrals_received": ("#E69F00", "triangle-up"),
    "first_appointments": ("#0072B2", "circle"),
    "waiting_list_month_end": ("#CC79A7", "square"),
}


def _where(frame: pd.DataFrame) -> pd.Series:
    return frame.site_code.fillna("Network")


def census_chart(census: pd.DataFrame, priority_label=readable) -> alt.Chart:
    """Pathways waiting at each census (fct_waiting_list_monthly rows), a line per site and
    priority; each census date is a tick of its own (a month end, or the newest census)."""
    frame = census.assign(priority_label=census.priority.map(priority_label))
    dates = sorted(pd.to_datetime(frame.census_date).unique())
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("census_date:T", title="Census date", scale=alt.Scale(nice=False),
                axis=alt.Axis(values=[d.isoformat() for d in pd.to_datetime(dates)],
                              format="%d %b %Y", labelAngle=-40, labelOverlap=True)),
        y=alt.Y("pathways_waiting:Q", title="Pathways waiting"),
        color=alt.Color("site_code:N", title="Site"),
        strokeDash=alt.StrokeDash("priority_label:N", title="Priority"),
        shape=alt.Shape("priority_label:N", title="Priority"),
        tooltip=[alt.Tooltip("site_code:N", title="Site"),
                 alt.Tooltip("priority_label:N", title="Priority"),
                 alt.Tooltip("census_date:T", title="Census date", format="%d %b %Y"),
                 alt.Tooltip("pathways_waiting:Q", title="Waiting", format=",.0f"),
                 alt.Tooltip("prop_waiting_within_target:Q", title="Within target",
                             format=".1%"),
                 alt.Tooltip("median_days_waiting:Q", title="Median days waiting",
                             format=",.1f")])


def wait_band_chart(bands: pd.DataFrame, priority_label=readable) -> alt.FacetChart | alt.Chart:
    """A heat map: census months across, weekly bands up, pathways waiting as colour; one
    panel per site and priority shown (fct_waiting_list_wait_bands rows)."""
    frame = bands.assign(
        panel=_where(bands) + bands.priority.map(
            lambda p: "" if pd.isna(p) else f", {str(priority_label(p)).lower()}"))
    band_order = (frame.drop_duplicates("wait_band_weeks").sort_values("wait_band_weeks",
                                                                        ascending=False)
                  .wait_band.tolist())
    chart = alt.Chart(frame).mark_rect().encode(
        x=alt.X("yearmonthdate(census_date):O", title="Census",
                axis=alt.Axis(format="%d %b %Y", formatType="time", labelAngle=-40)),
        y=alt.Y("wait_band:N", title="Weeks waited", sort=band_order),
        color=alt.Color("pathways_waiting:Q", title="Pathways waiting",
                        scale=alt.Scale(scheme="viridis", reverse=True)),
        tooltip=[alt.Tooltip("panel:N", title="Waiting list"),
                 alt.Tooltip("census_date:T", title="Census date", format="%d %b %Y"),
                 alt.Tooltip("wait_band:N", title="Weeks waited"),
                 alt.Tooltip("pathways_waiting:Q", title="Pathways waiting")],
    ).properties(height=max(200, 18 * len(band_order)))
    if frame.panel.nunique() > 1:
        # A faceted chart cannot stretch to its container: its panels get a width of their own.
        return chart.properties(width=PANEL_WIDTH).facet(row=alt.Row("panel:N", title=None))
    return chart


def demand_and_capacity_chart(flows: pd.DataFrame) -> alt.FacetChart | alt.Chart:
    """Demand, activity and the backlog per month on one chart (fct_monthly_indicators rows of
    DEMAND_AND_CAPACITY); one panel per site shown."""
    frame = with_month_gaps(flows.assign(where=_where(flows)), "indicator_month",
                            ["where", "indicator_id", "indicator_label"])
    labels = (frame.drop_duplicates("indicator_id").set_index("indicator_id")
              .indicator_label.reindex(list(DEMAND_AND_CAPACITY)).dropna())
    chart = alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=60, filled=True)).encode(
        x=month_x("indicator_month"),
        y=alt.Y("value:Q", title="Referrals or pathways"),
        color=alt.Color("indicator_label:N", title=None, sort=list(labels),
                        scale=alt.Scale(domain=list(labels), range=[
                            FLOW_STYLE[i][0] for i in labels.index]),
                        legend=alt.Legend(orient="bottom", labelLimit=400)),
        shape=alt.Shape("indicator_label:N", title=None, sort=list(labels),
                        scale=alt.Scale(domain=list(labels), range=[
                            FLOW_STYLE[i][1] for i in labels.index])),
        tooltip=[alt.Tooltip("where:N", title="Site"),
                 alt.Tooltip("indicator_label:N", title="Figure"),
                 month_tooltip("indicator_month"),
                 alt.Tooltip("value:Q", title="Count", format=",.0f")],
    )
    if frame["where"].nunique() > 1:
        return chart.properties(height=180, width=PANEL_WIDTH).facet(
            row=alt.Row("where:N", title=None))
    return chart
