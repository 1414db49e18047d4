"""Every CSV the product writes is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from carepath.publish.csv_export import formula_safe_csv, neutralise_cell


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)",
                                   "\tcmd", "\r=1"])
def test_text_starting_with_a_formula_trigger_is_written_as_text(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["R-0001", "routine", "", "a=b", "x@y.z", 12, -3.5, None])
def test_anything_else_is_left_as_it_is(value):
    assert neutralise_cell(value) == value


def test_a_frame_keeps_its_numbers_and_neutralises_its_text_and_headers():
    frame = pd.DataFrame({"referral_id": ["=cmd|' /C calc'!A0", "R-1"], "change": [-2.5, 1.0],
                          "=header": ["ok", None]})
    rows = list(csv.reader(io.StringIO(formula_safe_csv(frame).decode("utf-8"))))
    assert rows[0] == ["referral_id", "change", "'=header"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-2.5", "ok"]
    assert rows[2] == ["R-1", "1.0", ""]


def test_fractions_are_rounded_for_reading_and_kept_whole_for_analysis():
    frame = pd.DataFrame({"Site": ["A"], "Within target": [0.8684210526315789],
                          "Median days": [12.25], "Waiting": [38]})
    lines = formula_safe_csv(frame, decimals=3).decode().splitlines()
    assert lines == ["Site,Within target,Median days,Waiting", "A,0.868,12.25,38"]
    assert "0.8684210526315789" in formula_safe_csv(frame).decode()
