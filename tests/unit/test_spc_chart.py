"""How an SPC chart and the Making Data Count icons are drawn (carepath/charts/spc.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import pytest
import yaml
from support.paths import ROOT

from carepath.charts import spc as spc_charts

SUMMARY_YML = ROOT / "dbt_project" / "models" / "marts" / "qi" / "fct_spc_summary.yml"
SVG = "{http://www.w3.org/2000/svg}"


def _points(target=None, unit="days") -> pd.DataFrame:
    months = pd.date_range("2026-01-01", periods=4, freq="MS")
    return pd.DataFrame({
        "indicator_month": months, "indicator_label": "Median access wait (days)",
        "indicator_unit": unit, "target_value": target, "value": [10.0, 11, 9, 30],
        "denominator": [20, 21, 19, 22], "centre": 15.0, "lower_limit": 5.0,
        "upper_limit": 25.0,
        "variation": ["common_cause"] * 3 + ["special_cause_concern"],
        "rule_astronomical": [False, False, False, True], "rule_trend": False,
        "rule_two_of_three": [False, False, False, True], "rule_shift": False,
    })


def _accepted_values(column: str) -> list[str]:
    model = yaml.safe_load(SUMMARY_YML.read_text())["models"][0]
    spec = next(c for c in model["columns"] if c["name"] == column)
    test = next(t for t in spec["data_tests"] if isinstance(t, dict) and "accepted_values" in t)
    return test["accepted_values"]["arguments"]["values"]


def test_limits_are_step_lines_one_step_per_point():
    spec = spc_charts.spc_chart(_points()).to_dict()
    limits = spec["layer"][0]
    assert limits["mark"]["type"] == "line" and limits["mark"]["interpolate"] == "step"
    assert limits["encoding"]["strokeDash"]["field"] == "line"
    dataset = spec["datasets"][limits["data"]["name"]]
    assert {row["line"] for row in dataset} == {"Mean", "Lower process limit",
                                                "Upper process limit"}
    assert len(dataset) == 3 * 4


def test_points_are_coloured_and_shaped_by_variation_and_say_why():
    spec = spc_charts.spc_chart(_points()).to_dict()
    dots = spec["layer"][2]
    assert dots["encoding"]["color"]["field"] == "variation_label"
    assert dots["encoding"]["shape"]["field"] == "variation_label"
    assert len(set(dots["encoding"]["shape"]["scale"]["range"])) == 4
    titles = [t["title"] for t in dots["encoding"]["tooltip"]]
    assert "Flagged as" in titles and "variation" not in titles
    rows = spec["datasets"][dots["data"]["name"]]
    assert rows[-1]["why"] == "beyond a process limit; 2 of 3 near a limit"
    assert rows[0]["why"] == ""


def test_the_target_is_drawn_only_when_the_indicator_has_one():
    assert len(spc_charts.spc_chart(_points()).to_dict()["layer"]) == 3
    with_target = spc_charts.spc_chart(_points(target=0.92, unit="proportion")).to_dict()
    assert len(with_target["layer"]) == 4
    assert with_target["layer"][3]["mark"]["type"] == "rule"
    assert with_target["layer"][2]["encoding"]["y"]["axis"]["format"] == "%"


@pytest.mark.parametrize("column, icons", [
    ("variation_icon", spc_charts.VARIATION_ICONS),
    ("assurance_icon", spc_charts.ASSURANCE_ICONS),
])
def test_every_icon_the_mart_can_hold_is_drawn_with_paths_only(column, icons):
    assert set(_accepted_values(column)) == set(icons)
    draw = spc_charts.variation_icon if column == "variation_icon" else spc_charts.assurance_icon
    fills = set()
    for icon in icons:
        svg, label = draw(icon)
        root = ET.fromstring(svg)
        assert root.get("aria-label") == label
        assert [child.tag for child in root] == [f"{SVG}path", f"{SVG}path"]
        fills.add(root[0].get("fill"))
        assert label in spc_charts.as_image(svg, label)
    assert len(fills) >= 3
