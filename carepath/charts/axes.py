"""How a chart's months are laid out: one tick per month, labelled as a month ("Oct 2026"),
across exactly the months shown; and a month with no value is a gap, never a line drawn
across it.

Vega-Lite's default time axis picks its own tick interval (weeks, for a few months: "Mar 29,
Apr 26") and rounds the domain outwards, so a label can repeat a month or miss the last one.
Here the ticks are month starts and the domain ends at the first and last month.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

MONTH_FORMAT = "%b %Y"


def month_x(field: str, title: str = "Month") -> alt.X:
    """The x encoding of a monthly series whose `field` holds each month's first day."""
    return alt.X(f"{field}:T", title=title,
                 axis=alt.Axis(format=MONTH_FORMAT, tickCount={"interval": "month", "step": 1},
                               labelAngle=-40, labelOverlap=True),
                 scale=alt.Scale(nice=False))


def month_tooltip(field: str, title: str = "Month") -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=title, format=MONTH_FORMAT)


def with_month_gaps(frame: pd.DataFrame, month: str, keys: list[str] | None = None
                    ) -> pd.DataFrame:
    """`frame` with a row (every other column empty) for each month missing between a series'
    first and last month, so a line breaks there instead of joining its neighbours. A series is
    the rows sharing `keys` (the whole frame without)."""
    if frame.empty:
        return frame
    keys = keys or []
    parts = []
    for key, rows in (frame.groupby(keys, dropna=False) if keys else [((), frame)]):
        months = pd.to_datetime(rows[month])
        every = pd.date_range(months.min(), months.max(), freq="MS")
        missing = every.difference(months)
        if len(missing):
            filler = pd.DataFrame({month: missing})
            for name, value in zip(keys, key if isinstance(key, tuple) else (key,), strict=True):
                filler[name] = value
            rows = pd.concat([rows.assign(**{month: months}), filler], ignore_index=True)
        parts.append(rows)
    return pd.concat(parts, ignore_index=True).sort_values([*keys, month],
                                                           ignore_index=True)
