"""CSV files the product writes for people, who open them in a spreadsheet.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula, and one starting
with a tab or carriage return can be read as one too (OWASP, "CSV Injection"). A site's value
such as `=HYPERLINK(...)` must reach the reader as text: such a cell, header or value, is
written with a leading apostrophe, which spreadsheets take as "this is text" and do not show.
Numbers are written as numbers (a negative number is data, not a formula); a download for
reading rounds them to READING_DECIMALS places (a proportion to a tenth of a percent), while a
file for further analysis (`carepath qi`) keeps every digit.
"""

from __future__ import annotations

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
READING_DECIMALS = 3


def neutralise_cell(value: object) -> object:
    """`value` as a spreadsheet will show it, never run it: text starting with a formula
    trigger gets a leading apostrophe; anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def formula_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and headers are neutralised."""
    safe = frame.copy()
    safe.columns = [neutralise_cell(str(column)) for column in frame.columns]
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    return safe


def formula_safe_csv(frame: pd.DataFrame, decimals: int | None = None) -> bytes:
    """`frame` as UTF-8 CSV (no index), every text cell and header neutralised; with
    `decimals`, every fractional number rounded to that many places."""
    if decimals is not None:
        floats = frame.select_dtypes(include="floating").columns
        frame = frame.assign(**{c: frame[c].round(decimals) for c in floats})
    return formula_safe_frame(frame).to_csv(index=False).encode("utf-8")
