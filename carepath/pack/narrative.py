"""The few lines of commentary under each indicator's chart, written from the marts: the month's
value against the chart's mean and limits, the variation and the rule that flags it, and the
assurance against the target. Every figure is the mart's (as disclosed); a withheld one is said
to be withheld, never guessed."""

from __future__ import annotations

import pandas as pd

from carepath.charts.formats import formatted
from carepath.charts.spc import ASSURANCE_ICONS, VARIATION_STYLE, why_flagged
from carepath.pack.content import IndicatorPage, is_mark


def _figure(value: object, unit: str) -> str:
    return "withheld" if is_mark(value) else formatted(value, unit)


def narrative(page: IndicatorPage, month: pd.Timestamp) -> str:
    """Two or three sentences on the indicator's month."""
    point = page.latest
    if point is None:
        return (f"{month:%B %Y} has no value: no event counted in the month, or the month is "
                "not judged yet.")
    if is_mark(point.value):
        return (f"{month:%B %Y}: the value is withheld (counted over too few to publish), and "
                "with it the month's judgement.")
    unit = page.unit
    sentences = [
        f"{month:%B %Y}: {_figure(point.value, unit)}, against a mean of "
        f"{_figure(point.centre, unit)} (process limits {_figure(point.lower_limit, unit)} to "
        f"{_figure(point.upper_limit, unit)})."]
    variation = VARIATION_STYLE.get(point.variation, ("Withheld",))[0]
    why = why_flagged(point)
    sentences.append(f"{variation}" + (f": {why}." if why else "."))
    summary = page.summary
    if summary is not None and isinstance(summary.assurance_icon, str) \
            and summary.assurance_icon in ASSURANCE_ICONS:
        target = _figure(summary.target_value, unit)
        sentences.append(f"Target {target}: {ASSURANCE_ICONS[summary.assurance_icon][2].lower()}.")
    elif pd.notna(point.target_value) and not is_mark(point.target_value):
        sentences.append(f"Target {_figure(point.target_value, unit)}.")
    return " ".join(sentences)
