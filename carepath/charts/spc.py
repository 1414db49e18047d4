"""How an XmR chart of marts.fct_spc_points is drawn, and Making Data Count's icons.

The chart shows what the mart holds and nothing more: the values joined by a line that breaks
at a month without a point (none in the mart, or withheld), each point coloured by its
variation type; the centre line and the process limits as step lines, one step per point, so
limits that change (a rebased phase) break where they change rather than sloping between
phases, drawn within what the measure can be (carepath.charts.formats); the target, if the
indicator has one, as a dashed rule. Months are laid out by carepath.charts.axes.

The icons are drawn with SVG paths only (no text, no fonts to fall back on): a disc in Making
Data Count's colour with a white glyph (H or L for a special cause high or low, a jagged line for
common cause; P, F or ? for assurance).
"""

from __future__ import annotations

import base64

import altair as alt
import pandas as pd

from carepath.charts.axes import month_tooltip, month_x, with_month_gaps
from carepath.charts.formats import clamped, value_format

# Making Data Count's palette: grey for common cause, blue for improvement, orange for
# concern, purple where a change is neither (a neutral indicator); told apart by shape too.
VARIATION_STYLE = {
    "common_cause": ("Common cause", "#7B7D7D", "circle"),
    "special_cause_improvement": ("Special cause: improvement", "#289DE0", "triangle-up"),
    "special_cause_concern": ("Special cause: concern", "#FAB428", "diamond"),
    "special_cause_neither": ("Special cause: neither", "#361475", "square"),
}
RULE_WORDS = {
    "rule_astronomical": "beyond a process limit",
    "rule_trend": "in a run of 7 rising or falling",
    "rule_two_of_three": "2 of 3 near a limit",
    "rule_shift": "in a run of 7 on one side of the mean",
}
# A point whose variation a published audience may not see (it is counted over too few).
WITHHELD_VARIATION = ("Withheld (counted over too few)", "#D9D9D9", "cross")


def why_flagged(point: pd.Series) -> str:
    """The rules that flag a point, in words ('' for none; a withheld flag is not said)."""
    return "; ".join(words for rule, words in RULE_WORDS.items()
                     if not isinstance(point[rule], str) and bool(point[rule]))


def _variation_style(variation: object) -> tuple[str, str, str]:
    return VARIATION_STYLE.get(variation, WITHHELD_VARIATION)


def _long_limits(points: pd.DataFrame) -> pd.DataFrame:
    lines = {"centre": "Mean", "lower_limit": "Lower process limit",
             "upper_limit": "Upper process limit"}
    points = clamped(points, list(lines), points.indicator_unit.iloc[0])
    frame = points[["indicator_month", *lines]].melt(
        id_vars="indicator_month", var_name="line", value_name="limit")
    frame["line"] = frame["line"].map(lines)
    return frame.dropna(subset=["limit"])


MONTH_SELECTION = "month"
HIGHLIGHT = "#FAB428"  # the months of a finding: Making Data Count's colour of concern


def spc_chart(points: pd.DataFrame, selectable: bool = False,
              highlight: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> alt.LayerChart:
    """One chart's points (fct_spc_points, one site and indicator, in month order); with
    `selectable`, a click on a point selects its month (the selection MONTH_SELECTION); with
    `highlight` (a first and a last month), those months are shaded: the months a finding
    speaks of, so the chart shows what the finding says."""
    unit = points.indicator_unit.iloc[0]
    number = value_format(unit)
    shown = points.assign(
        variation_label=points.variation.map(lambda v: _variation_style(v)[0]),
        why=points.apply(why_flagged, axis=1))
    x = month_x("indicator_month")
    y_axis = alt.Axis(format="%") if unit == "proportion" else alt.Axis()
    limits = alt.Chart(_long_limits(points)).mark_line(interpolate="step", strokeWidth=1.5).encode(
        x=x,
        y=alt.Y("limit:Q", axis=y_axis),
        strokeDash=alt.StrokeDash(
            "line:N", title=None,
            scale=alt.Scale(domain=["Mean", "Lower process limit", "Upper process limit"],
                            range=[[1, 0], [4, 3], [4, 3]])),
        color=alt.value("#425563"),
        tooltip=[alt.Tooltip("line:N", title="Line"),
                 alt.Tooltip("limit:Q", title="Value", format=number)],
    )
    # A month without a point is a gap in the line, not a line drawn across it.
    line = alt.Chart(with_month_gaps(points[["indicator_month", "value"]], "indicator_month")
                     ).mark_line(color="#A6A6A6").encode(x=x, y=alt.Y("value:Q"))
    styles = list(VARIATION_STYLE.values()) + (
        [WITHHELD_VARIATION] if (shown.variation_label == WITHHELD_VARIATION[0]).any() else [])
    dots = alt.Chart(shown).mark_point(filled=True, size=70, opacity=1).encode(
        x=x,
        y=alt.Y("value:Q", title=points.indicator_label.iloc[0], axis=y_axis),
        color=alt.Color("variation_label:N", title="Variation",
                        scale=alt.Scale(domain=[s[0] for s in styles],
                                        range=[s[1] for s in styles])),
        shape=alt.Shape("variation_label:N", title="Variation",
                        scale=alt.Scale(domain=[s[0] for s in styles],
                                        range=[s[2] for s in styles])),
        tooltip=[month_tooltip("indicator_month"),
                 alt.Tooltip("value:Q", title="Value", format=number),
                 alt.Tooltip("denominator:Q", title="Counted over (n)"),
                 alt.Tooltip("variation_label:N", title="Variation"),
                 alt.Tooltip("why:N", title="Flagged as")],
    )
    if selectable:
        dots = dots.add_params(alt.selection_point(name=MONTH_SELECTION,
                                                   fields=["indicator_month"], on="click"))
    layers = [limits, line, dots]
    if highlight is not None:
        # Half a month either side: each point stands on its month's first day.
        first, last = (pd.Timestamp(m) for m in highlight)
        band = pd.DataFrame({"start": [first - pd.Timedelta(days=15)],
                             "end": [last + pd.Timedelta(days=15)],
                             "finding": [f"{first:%b %Y} to {last:%b %Y}" if last > first
                                         else f"{first:%b %Y}"]})
        layers.insert(0, alt.Chart(band).mark_rect(color=HIGHLIGHT, opacity=0.18).encode(
            x="start:T", x2="end:T", tooltip=[alt.Tooltip("finding:N", title="The finding")]))
    target = points.target_value.iloc[0]
    if pd.notna(target):
        layers.append(alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(
            color="#DA291C", strokeDash=[6, 3]).encode(
            y="target:Q", tooltip=[alt.Tooltip("target:Q", title="Target", format=number)]))
    return alt.layer(*layers)


# --- icons ---------------------------------------------------------------------------------------

DISC = "M16 2a14 14 0 1 1 0 28a14 14 0 1 1 0-28z"
GLYPHS = {
    "H": "M10.5 9v14M21.5 9v14M10.5 16h11",
    "L": "M11.5 9v14h9",
    "P": "M12 23V9h6a4 4 0 0 1 0 8h-6",
    "F": "M12 23V9h9M12 16h7",
    "?": "M11.5 12.5a4.5 4.5 0 1 1 6.5 4c-1.3.7-2 1.6-2 3M16 23v.5",
    "common": "M6 18l4-5 4 6 4-7 4 5 4-2",
}
VARIATION_ICONS = {
    "common_cause": ("#7B7D7D", "common", "Common cause variation"),
    "improvement_high": ("#289DE0", "H", "Special cause improvement, high"),
    "improvement_low": ("#289DE0", "L", "Special cause improvement, low"),
    "concern_high": ("#FAB428", "H", "Special cause concern, high"),
    "concern_low": ("#FAB428", "L", "Special cause concern, low"),
    "neither_high": ("#361475", "H", "Special cause, neither improvement nor concern, high"),
    "neither_low": ("#361475", "L", "Special cause, neither improvement nor concern, low"),
}
ASSURANCE_ICONS = {
    "consistently_passing": ("#289DE0", "P", "Will consistently meet the target"),
    "consistently_failing": ("#FAB428", "F", "Will consistently fail the target"),
    "hit_and_miss": ("#7B7D7D", "?", "Will hit and miss the target at random"),
}


def _svg(fill: str, glyph: str, label: str) -> str:
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32" '
            f'role="img" aria-label="{label}">'
            f'<path d="{DISC}" fill="{fill}"/>'
            f'<path d="{GLYPHS[glyph]}" fill="none" stroke="#FFFFFF" stroke-width="2.6" '
            'stroke-linecap="round" stroke-linejoin="round"/></svg>')


def variation_icon(icon: str) -> tuple[str, str]:
    """The SVG and its words for a variation icon of fct_spc_summary."""
    fill, glyph, label = VARIATION_ICONS[icon]
    return _svg(fill, glyph, label), label


def assurance_icon(icon: str) -> tuple[str, str]:
    """The SVG and its words for an assurance icon of fct_spc_summary."""
    fill, glyph, label = ASSURANCE_ICONS[icon]
    return _svg(fill, glyph, label), label


def as_image(svg: str, label: str, size: int = 32) -> str:
    """An <img> of the SVG, for st.markdown: the SVG is the module's own, never data."""
    encoded = base64.b64encode(svg.encode()).decode()
    return (f'<img src="data:image/svg+xml;base64,{encoded}" alt="{label}" title="{label}" '
            f'width="{size}" height="{size}">')
