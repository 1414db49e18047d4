"""The integrated performance report matrix: one row per indicator, a column for the network
(for users who may see every site) and each site, each cell the chart's latest value, the
target, and Making Data Count's icons; a cell links to the page that draws its chart.

The matrix is HTML so that a cell can hold its icons and a link. Every value is a column of
marts.fct_spc_summary, formatted for reading and escaped; nothing is computed here.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

import pandas as pd
from indicator_charts import NETWORK, icons_html, indicator_key

from carepath.charts.spc import ASSURANCE_ICONS, VARIATION_ICONS
from carepath.publish.disclosure import indicator_counts

# The page that charts each pathway area's indicators (its url_path in app.py), and the area
# its chart is keyed by there (the first of the areas the page passes to indicator_charts).
AREA_PAGES = {"demand": ("waiting-list", "demand"), "waiting_list": ("waiting-list", "demand"),
              "access": ("referral-pathway", "access"), "adherence": ("adherence", "adherence"),
              "outcomes": ("outcomes", "outcomes")}


def format_value(value: float | None, unit: str) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    if unit == "proportion":
        return f"{100 * value:.1f}%"
    if unit == "days":
        return f"{value:.1f} days"
    return f"{value:,.0f}"


def shown_value(row: pd.Series) -> str:
    """A chart's latest value (a fct_spc_summary row) as it is shown. A published audience's
    row was disclosed as it was read: a value withheld, or computed over a count withheld
    (disclosure.indicator_counts), shows the mark instead."""
    unit = row.indicator_unit
    judged_by = indicator_counts(unit, "latest_value", "latest_numerator", "latest_denominator")
    marks = [row[c] for c in ("latest_value", *judged_by) if isinstance(row[c], str)]
    return marks[0] if marks else format_value(row.latest_value, unit)


def chart_link(area: str, indicator_label: str, site_code: str | None,
               period: dict[str, str] | None = None) -> str:
    """The address of the page that charts the indicator, opened on that chart and over the
    same period (`from` and `to` query parameters, when the reader chose one). A widget bound
    to the URL holds the option as it is shown, so the indicator goes by its label."""
    page, chart_area = AREA_PAGES[area]
    params = ({indicator_key(chart_area): indicator_label}
              | ({"site": site_code} if site_code else {}) | (period or {}))
    return f"./{page}?{urlencode(params)}"


def _cell(row: pd.Series, area: str, period: dict[str, str]) -> str:
    images, words = icons_html(row.to_frame().T, size=20)
    where = NETWORK if row.is_network_total else row.site_code
    value = shown_value(row)
    target = ("" if pd.isna(row.target_value)
              else f"<br><small>target {format_value(row.target_value, row.indicator_unit)}"
                   "</small>")
    month = f"{row.latest_month:%b %Y}"
    title = html.escape(f"{where}, {row.indicator_label}: {value} in {month}. "
                        + "; ".join(words) + ". Open the chart.")
    link = html.escape(chart_link(area, row.indicator_label,
                                  None if row.is_network_total else row.site_code, period))
    return (f'<td><a href="{link}" target="_self" title="{title}">{html.escape(value)}</a>'
            f"{target}<br>{images}</td>")


def matrix_html(summaries: pd.DataFrame, indicators: pd.DataFrame,
                period: dict[str, str] | None = None) -> str:
    """fct_spc_summary rows (network and sites) as the matrix, indicators in display order;
    each cell links to its chart over `period` (the filters' from and to months)."""
    areas = dict(zip(indicators.indicator_id, indicators.pathway_area, strict=True))
    # A site user's summaries have no network rows, so their matrix has no network column.
    columns = ([NETWORK] if summaries.is_network_total.any() else []) + sorted(
        summaries.site_code.dropna().unique())
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = []
    for indicator_id, group in summaries.groupby("indicator_id", sort=False):
        by_column = {NETWORK if r.is_network_total else r.site_code: r
                     for _, r in group.iterrows()}
        cells = "".join(_cell(by_column[c], areas[indicator_id], period or {})
                        if c in by_column
                        else '<td title="No judged months yet">-</td>' for c in columns)
        label = html.escape(group.indicator_label.iloc[0])
        rows.append(f'<tr><th scope="row">{label}</th>{cells}</tr>')
    return ('<table class="carepath-matrix"><thead><tr><th>Indicator</th>'
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def matrix_table(summaries: pd.DataFrame) -> pd.DataFrame:
    """The same cells as a plain table (for the CSV download and screen readers)."""
    frame = summaries.assign(
        where=summaries.site_code.fillna(NETWORK),
        latest=[shown_value(row) for _, row in summaries.iterrows()],
        target=[None if pd.isna(t) else format_value(t, u) for t, u in
                zip(summaries.target_value, summaries.indicator_unit, strict=True)],
        # A withheld icon keeps its mark.
        variation=summaries.variation_icon.map(
            lambda i: VARIATION_ICONS[i][2] if i in VARIATION_ICONS else i),
        assurance=summaries.assurance_icon.map(
            lambda i: None if pd.isna(i) else ASSURANCE_ICONS[i][2] if i in ASSURANCE_ICONS
            else i))
    return frame[["indicator_label", "where", "latest_month", "latest", "target",
                  "variation", "assurance"]]
