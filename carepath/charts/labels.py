"""Codes as words, for tables, axes, legends and panel titles.

The words are the marts' (dim_code_labels, from the seed code_labels and the instruments
seed): `CodeLabels` looks a code up by its code set. A code the list does not hold (a mart
older than the list) reads as its own words, never as nothing.
"""

from __future__ import annotations

import pandas as pd


def readable(code: str) -> str:
    """A code as words when no label is known: `medical_oncology` reads "Medical oncology"."""
    return code.replace("_", " ").capitalize() if isinstance(code, str) and code else code


class CodeLabels:
    """The label of each code, by code set (rows of dim_code_labels)."""

    def __init__(self, rows: pd.DataFrame):
        self._labels = {(r.code_set, r.code): r.label for r in rows.itertuples()}

    def label(self, code_set: str, code: object) -> object:
        if not isinstance(code, str) or not code:
            return code
        return self._labels.get((code_set, code), readable(code))

    def code(self, code_set: str, label: object) -> object:
        """The code a label of `code_set` stands for (a label that is no code's: itself)."""
        for (known_set, code), known in self._labels.items():
            if known_set == code_set and known == label:
                return code
        return label

    def of(self, code_set: str):
        """A function from a code of `code_set` to its label (for map and format_func)."""
        return lambda code: self.label(code_set, code)

    def columns(self, frame: pd.DataFrame, **code_sets: str) -> pd.DataFrame:
        """`frame` with each named column's codes in words (column=code_set)."""
        return frame.assign(**{column: frame[column].map(self.of(code_set))
                               for column, code_set in code_sets.items() if column in frame})
