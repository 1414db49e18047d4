"""How a funnel plot of marts.fct_funnel is drawn.

Each site is a point at its denominator and proportion, coloured and shaped by the mart's
judgement (within the limits, or better, worse or different beyond the overdispersion-adjusted
99.8% limit). The centre line is the network's proportion; the adjusted 95% and 99.8% limits
are drawn through the limits the mart computed at each site's denominator, so between two sites
the line joins their limits rather than tracing the exact curve: the chart shows what the mart
holds and computes nothing of its own. The x axis runs from 0 to just past the largest
denominator, so a site's caseload reads against the others'; the legend draws each line as
the line it is.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

JUDGEMENT_STYLE = {  # Okabe-Ito colours, told apart by shape too
    "Within the limits": ("#7B7D7D", "circle"),
    "Better than the network": ("#0072B2", "triangle-up"),
    "Worse than the network": ("#E69F00", "diamond"),
    "Different from the network": ("#CC79A7", "square"),
}
JUDGEMENT_WORDS = {None: "Within the limits", "better": "Better than the network",
                   "worse": "Worse than the network", "different": "Different from the network"}
LIMIT_LINES = {
    "target_proportion": "Network proportion",
    "adjusted_lower_95": "95% limits",
    "adjusted_upper_95": "95% limits",
    "adjusted_lower_998": "99.8% limits",
    "adjusted_upper_998": "99.8% limits",
}
LINE_DASHES = {"Network proportion": [1, 0], "95% limits": [4, 3], "99.8% limits": [1, 2]}
DOMAIN_MARGIN = 1.05


def _long_limits(funnel: pd.DataFrame) -> pd.DataFrame:
    frame = funnel[["denominator", *LIMIT_LINES]].melt(
        id_vars="denominator", var_name="column", value_name="limit")
    frame["line"] = frame["column"].map(LIMIT_LINES)
    return frame.sort_values(["column", "denominator"])


def funnel_chart(funnel: pd.DataFrame) -> alt.LayerChart:
    """One indicator's funnel (fct_funnel rows, one per site)."""
    shown = funnel.assign(judgement=funnel.outlier_judgement.map(
        lambda j: JUDGEMENT_WORDS[None if pd.isna(j) else j]))
    # From 0 to just past the largest caseload: the points are not pushed to one edge.
    x = alt.X("denominator:Q", title="Counted over (n)",
              scale=alt.Scale(domain=[0, float(funnel.denominator.max()) * DOMAIN_MARGIN],
                              nice=False))
    # One site (a site user's view) has its limits at one caseload: ticks, as no line joins them.
    limits = alt.Chart(_long_limits(funnel))
    lines = (limits.mark_line(color="#425563", strokeWidth=1.2) if len(funnel) > 1 else
             limits.mark_tick(color="#425563", orient="horizontal", thickness=1.5, size=40)
             ).encode(
        x=x,
        y=alt.Y("limit:Q", axis=alt.Axis(format="%")),
        detail="column:N",
        strokeDash=alt.StrokeDash(
            "line:N", title=None,
            scale=alt.Scale(domain=list(LINE_DASHES), range=list(LINE_DASHES.values())),
            # Lines in the legend as lines: a layered chart would otherwise draw them as dots.
            legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=1.5, symbolSize=300)),
        tooltip=[alt.Tooltip("line:N", title="Line"),
                 alt.Tooltip("limit:Q", title="Value", format=".1%")],
    )
    styles = JUDGEMENT_STYLE
    dots = alt.Chart(shown).mark_point(filled=True, size=90, opacity=1).encode(
        x=x,
        y=alt.Y("proportion:Q", title=funnel.indicator_label.iloc[0],
                axis=alt.Axis(format="%")),
        color=alt.Color("judgement:N", title="Judgement",
                        scale=alt.Scale(domain=list(styles), range=[s[0] for s in
                                                                    styles.values()])),
        shape=alt.Shape("judgement:N", title="Judgement",
                        scale=alt.Scale(domain=list(styles), range=[s[1] for s in
                                                                    styles.values()])),
        tooltip=[alt.Tooltip("site_code:N", title="Site"),
                 alt.Tooltip("proportion:Q", title="Proportion", format=".1%"),
                 alt.Tooltip("denominator:Q", title="Counted over (n)"),
                 alt.Tooltip("judgement:N", title="Judgement")],
    )
    labels = alt.Chart(shown).mark_text(dx=9, align="left", fontSize=11).encode(
        x=x, y="proportion:Q", text="site_code:N")
    return alt.layer(lines, dots, labels)
