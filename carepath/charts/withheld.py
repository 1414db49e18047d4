"""What a chart may draw of a published frame: the rows whose counts are shown, each other
withheld figure a gap. Shared by the dashboard and the QI pack, so a chart leaves out the same
points wherever it is drawn."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd


def numbers_again(frame: pd.DataFrame, marks: Collection[str]) -> pd.DataFrame:
    """A published frame for drawing: a column of numbers that holds marks becomes numbers
    again, each mark a gap."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column].dropna()
        if frame[column].dtype != object or values.empty:
            continue
        is_mark = values.map(lambda v: isinstance(v, str) and v in marks)
        is_number = values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
        if is_mark.any() and (is_mark | is_number).all():
            frame[column] = pd.to_numeric(frame[column].map(lambda v: None if v in marks else v))
    return frame


def drawable_rows(frame: pd.DataFrame, counts: str | tuple[str, ...],
                  marks: Collection[str]) -> pd.DataFrame:
    """The rows whose counts (`counts`) are not withheld, every other withheld figure left
    undrawn (a mark becomes a gap)."""
    columns = [counts] if isinstance(counts, str) else list(counts)
    marked = pd.Series(False, index=frame.index)
    for column in columns:
        marked |= frame[column].map(lambda v: isinstance(v, str))
    return numbers_again(frame[~marked], marks)
