"""One number format per unit, and the range a measure can take.

A proportion reads as a percentage to one decimal, days to one decimal, a count whole with
thousands separators: in charts (d3-format strings, FORMAT) and in text (`formatted`). A
process or funnel limit is a statistic and may fall outside what the measure can be (a lower
limit of -9 days); it is drawn clamped to the measure's range (BOUNDS), where the chart can
show it, and the mart keeps the value it computed.
"""

from __future__ import annotations

import math

import pandas as pd

FORMAT = {"proportion": ".1%", "days": ",.1f", "count": ",.0f"}
BOUNDS = {"proportion": (0.0, 1.0), "days": (0.0, None), "count": (0.0, None)}


def value_format(unit: str) -> str:
    return FORMAT.get(unit, ",.2f")


def formatted(value: object, unit: str) -> str:
    """A value as text in its unit's format ('' for none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if unit == "proportion":
        return f"{float(value):.1%}"
    if unit == "days":
        return f"{float(value):,.1f}"
    if unit == "count":
        return f"{float(value):,.0f}"
    return f"{float(value):,.2f}"


def clamped(frame: pd.DataFrame, columns: list[str], unit: str) -> pd.DataFrame:
    """`frame` with `columns` held within what a measure of `unit` can be."""
    low, high = BOUNDS.get(unit, (None, None))
    present = [c for c in columns if c in frame.columns]
    if not present or (low is None and high is None):
        return frame
    return frame.assign(**{c: frame[c].clip(lower=low, upper=high) for c in present})
