"""An indicator's charts as the pages show them: a site's (or the network's) XmR chart with
Making Data Count's icons, and, for a proportion, the funnel plot comparing the sites."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st
from components import drawable, read, table, withheld_note
from drill_downs import MONTH_DRILLS, narrowed
from sign_in import current_user

from carepath.charts.funnel import JUDGEMENT_WORDS, funnel_chart
from carepath.charts.spc import (
    ASSURANCE_ICONS,
    MONTH_SELECTION,
    VARIATION_ICONS,
    as_image,
    assurance_icon,
    spc_chart,
    variation_icon,
)
from carepath.publish import reader
from carepath.publish.disclosure import indicator_counts
from carepath.publish.published_copy import Published

NETWORK = "Network"
# One question, two statistics: said wherever either verdict is shown.
FINDER_AND_FUNNEL = (
    "The bottleneck finder asks another question of the same months: it judges a site "
    "against the other sites alone (their pooled proportion and spread, without the site "
    "itself), so a site far from a few others can be a finding there while it stays inside "
    "this funnel, whose limits widen with the spread that site itself causes.")


def chart_sites(published: Published, selection: reader.Selection) -> list[str]:
    """The charts a reader can open: the network's (not for a site user), then each chosen
    site's (every site's when none is chosen)."""
    sites = list(read(published, reader.sites).site_code)
    network = [] if current_user().site else [NETWORK]
    return network + [s for s in sites if not selection.sites or s in selection.sites]


def icons_html(summary: pd.DataFrame, size: int = 32) -> tuple[str, list[str]]:
    """The chart's variation icon, and its assurance icon when it has a target: <img> tags for
    st.markdown, and their words."""
    row = summary.iloc[0]
    # A published audience's icon over too few is withheld: its mark stands in its place.
    withheld = [icon for icon in (row.variation_icon, row.assurance_icon)
                if isinstance(icon, str) and icon not in VARIATION_ICONS
                and icon not in ASSURANCE_ICONS]
    if withheld:
        return html.escape(withheld[0]), [f"variation and assurance {withheld[0]} (withheld)"]
    icons = [variation_icon(row.variation_icon)]
    if pd.notna(row.assurance_icon):
        icons.append(assurance_icon(row.assurance_icon))
    return (" ".join(as_image(svg, label, size) for svg, label in icons),
            [label for _, label in icons])


def spc_section(published: Published, site: str, indicator_id: str, label: str,
                selection: reader.Selection, finding: pd.Series | None = None) -> None:
    """The XmR chart of `site` (or NETWORK) for one indicator, over the chosen period; with
    `finding` (a row of fct_bottlenecks, its words in `evidence`), the finding first, in full,
    and its months shaded on the chart."""
    site_code = None if site == NETWORK else site
    points = read(published, reader.spc_points, site_code, indicator_id, selection)
    summary = read(published, reader.spc_summary, site_code, indicator_id)
    if points.empty or summary.empty:
        st.info(f"{site} has no judged months of {label.lower()} in the chosen period.")
        return
    # A point's height is its figure: months counted over too few are not drawn.
    shown = drawable(points, indicator_counts(points.indicator_unit.iloc[0]))
    if shown.empty:
        st.info(f"Every month of {site}'s {label.lower()} in the chosen period is counted over "
                "too few to show (disclosure control).")
        return
    if finding is not None:
        st.markdown(f"**The finding:** {html.escape(str(finding.evidence))}")
    images, words = icons_html(summary)
    # The icons judge the chart's latest month, which a finding may not be about: say so.
    latest = pd.Timestamp(points.indicator_month.max())
    st.markdown(f"{images}&nbsp; Latest month, {latest:%b %Y}: {'; '.join(words)}.",
                unsafe_allow_html=True)
    target = points.target_value.iloc[0]
    st.caption(
        f"{site}, {label}: XmR chart. How to read it: points inside the process limits (the "
        "dashed lines, 2.66 average moving ranges from the mean) vary by chance; a point "
        "coloured and shaped otherwise is a special cause (hover for the rule that flags it)."
        + (" The red dashed line is the target." if pd.notna(target) else " No target is set.")
        + (" Fewer than 13 months: the limits are trial limits."
           if points.is_trial_limits.iloc[0] else ""))
    drill = MONTH_DRILLS.get(indicator_id)
    highlight = None if finding is None else (finding.period_start, finding.period_end)
    if drill is None:
        st.altair_chart(spc_chart(shown, highlight=highlight), width="stretch")
        withheld_note(points, shown, "months")
        return
    event = st.altair_chart(spc_chart(shown, selectable=True, highlight=highlight),
                            width="stretch",
                            on_select="rerun", key=f"spc-{site}-{indicator_id}")
    withheld_note(points, shown, "months")
    chosen = (event.get("selection") or {}).get(MONTH_SELECTION) or []
    if not chosen:
        st.caption("Select a month's point to list the referrals behind it.")
        return
    picked = chosen[0]["indicator_month"]
    # The browser sends the month's first day shifted by its own time zone (a UK browser in
    # summer: the last day before, at 23:00): the nearest midnight is the day meant.
    month = (pd.Timestamp(picked, unit="ms") if isinstance(picked, int | float)
             else pd.Timestamp(picked)).round("D")
    drill(published, narrowed(selection, site=site_code, month=month),
          f"{site}, {label.lower()}, {month:%B %Y}")


def funnel_section(published: Published, indicator_id: str, label: str) -> None:
    """The funnel plot of one proportion across every site."""
    funnel = read(published, reader.funnel, indicator_id)
    if funnel.empty:
        st.info(f"No site has {label.lower()} to compare yet.")
        return
    start, end = funnel.period_start.iloc[0], funnel.period_end.iloc[0]
    own_site = current_user().site
    st.caption(
        f"Funnel plot of {label.lower()}, {start:%b %Y} to {end:%b %Y}, "
        + ("every site" if own_site is None else
           f"site {own_site} against the limits the network sets at its caseload")
        + ". How to read it: a site outside the dotted 99.8% limits differs from the network "
        "by more than chance and its caseload explain (the limits allow for the usual spread "
        "between sites); the funnel always compares every site over the last 12 judged "
        "months, whatever the filters"
        + ("." if own_site is None else "; only your site's point is shown.")
        + " " + FINDER_AND_FUNNEL)
    drawn = drawable(funnel, ("denominator", "numerator"))
    if not drawn.empty:
        st.altair_chart(funnel_chart(drawn), width="stretch")
    withheld_note(funnel, drawn, "sites")
    # A withheld judgement keeps its mark.
    shown = funnel.assign(judgement=funnel.outlier_judgement.map(
        lambda j: JUDGEMENT_WORDS.get(None if pd.isna(j) else j, j)))
    table(shown[["site_code", "numerator", "denominator", "proportion", "judgement"]],
          f"funnel-{indicator_id}", column_config={
              "site_code": "Site", "numerator": "Numerator", "denominator": "Counted over (n)",
              "proportion": st.column_config.NumberColumn(label, format="percent"),
              "judgement": "Judgement"})


def indicator_key(area: str) -> str:
    """The query parameter that holds the indicator charted on the page of `area`: each page
    has its own, as each offers other indicators."""
    return f"indicator_{area}"


def indicator_charts(published: Published, areas: tuple[str, ...],
                     selection: reader.Selection) -> None:
    """Choose one of the areas' indicators and a site: its XmR chart, and its funnel when it
    is a proportion. The indicator is kept in the URL (indicator_key of the first area), so a
    link can open it."""
    indicators = read(published, reader.indicators)
    mine = indicators[indicators.pathway_area.isin(areas)]
    labels = dict(zip(mine.indicator_id, mine.indicator_label, strict=True))
    units = dict(zip(mine.indicator_id, mine.indicator_unit, strict=True))
    left, right = st.columns(2)
    indicator = left.selectbox("Indicator", list(labels), format_func=labels.get,
                               key=indicator_key(areas[0]), bind="query-params")
    # A link to one site's chart (a cell of the performance matrix) opens that site's.
    options = chart_sites(published, selection)
    if not options:
        st.info("The chosen sites have no charts yet.")
        return
    site = right.selectbox("Chart of", options, key=f"chart_of_{areas[0]}",
                           index=options.index(selection.sites[0])
                           if len(selection.sites) == 1 and selection.sites[0] in options else 0)
    spc_section(published, site, indicator, labels[indicator], selection)
    if units[indicator] == "proportion":
        funnel_section(published, indicator, labels[indicator])
