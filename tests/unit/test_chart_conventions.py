"""The conventions every chart keeps (carepath/charts/axes.py and formats.py), held by the
charts' specifications: one tick per month labelled as a month across exactly the months
shown, a gap where a month has no value, limits within what the measure can be, a funnel's
axis from 0, legends whose marks match the lines, one number format per unit."""

from __future__ import annotations

import pandas as pd
import pytest

from carepath.charts import axes, formats
from carepath.charts.funnel import DOMAIN_MARGIN, funnel_chart
from carepath.charts.spc import spc_chart
from carepath.charts.waiting import demand_and_capacity_chart


def _data(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def _points(values, months=None, unit="days", lower=5.0, upper=25.0) -> pd.DataFrame:
    months = months or list(pd.date_range("2025-11-01", periods=len(values), freq="MS"))
    return pd.DataFrame({
        "indicator_month": months, "indicator_label": "Median access wait (days)",
        "indicator_unit": unit, "target_value": None, "value": values,
        "denominator": 20, "centre": 15.0, "lower_limit": lower, "upper_limit": upper,
        "variation": "common_cause", "rule_astronomical": False, "rule_trend": False,
        "rule_two_of_three": False, "rule_shift": False,
    })


def test_a_month_axis_ticks_every_month_labelled_as_a_month_over_exactly_the_months():
    x = axes.month_x("indicator_month").to_dict()
    assert x["type"] == "temporal"
    assert x["axis"]["format"] == "%b %Y"
    assert x["axis"]["tickCount"] == {"interval": "month", "step": 1}
    assert x["scale"]["nice"] is False  # no domain rounded out past the first and last month
    assert pd.Timestamp("2026-10-01").strftime(x["axis"]["format"]) == "Oct 2026"


def test_every_xmr_layer_uses_the_month_axis_and_months_read_as_months_in_tooltips():
    spec = spc_chart(_points([10.0, 11, 9, 12])).to_dict()
    for layer in spec["layer"][:3]:
        assert layer["encoding"]["x"]["axis"]["tickCount"] == {"interval": "month", "step": 1}
    tooltips = spec["layer"][2]["encoding"]["tooltip"]
    assert {"field": "indicator_month", "type": "temporal", "title": "Month",
            "format": "%b %Y"} in tooltips


def test_a_month_without_a_point_breaks_the_line_instead_of_joining_its_neighbours():
    months = [pd.Timestamp(m) for m in ("2026-01-01", "2026-02-01", "2026-04-01", "2026-05-01")]
    spec = spc_chart(_points([10.0, 11, 9, 12], months=months)).to_dict()
    line = next(layer for layer in spec["layer"] if layer["mark"].get("type") == "line"
                and layer["mark"].get("color") == "#A6A6A6")
    rows = {pd.Timestamp(r["indicator_month"]): r["value"] for r in _data(spec, line)}
    assert rows[pd.Timestamp("2026-03-01")] is None or pd.isna(rows[pd.Timestamp("2026-03-01")])
    assert len(rows) == 5
    # Vega-Lite breaks a line at an empty value unless told to filter it out.
    assert line["mark"].get("invalid", "break-paths-show-path-domains") != "filter"


@pytest.mark.parametrize("unit,lower,upper,drawn", [
    ("days", -9.0, 25.0, (0.0, 25.0)),
    ("count", -3.0, 40.0, (0.0, 40.0)),
    ("proportion", -0.05, 1.08, (0.0, 1.0)),
])
def test_limits_are_drawn_within_what_the_measure_can_be(unit, lower, upper, drawn):
    spec = spc_chart(_points([10.0, 11, 9, 12], unit=unit, lower=lower, upper=upper)).to_dict()
    limits = _data(spec, spec["layer"][0])
    low = {r["limit"] for r in limits if r["line"] == "Lower process limit"}
    high = {r["limit"] for r in limits if r["line"] == "Upper process limit"}
    assert (low, high) == ({drawn[0]}, {drawn[1]})


def _funnel(denominators) -> pd.DataFrame:
    n = len(denominators)
    return pd.DataFrame({
        "indicator_label": "Seen within target", "site_code": [f"S{i}" for i in range(n)],
        "denominator": denominators, "proportion": [0.8] * n, "outlier_judgement": [None] * n,
        "target_proportion": 0.8, "adjusted_lower_95": 0.7, "adjusted_upper_95": 0.9,
        "adjusted_lower_998": 0.6, "adjusted_upper_998": 0.95})


@pytest.mark.parametrize("denominators", [[120, 800, 4000], [950]])
def test_a_funnels_axis_runs_from_0_to_just_past_the_largest_caseload(denominators):
    spec = funnel_chart(_funnel(denominators)).to_dict()
    for layer in spec["layer"]:
        scale = layer["encoding"]["x"].get("scale")
        if scale:
            assert scale["domain"] == [0, max(denominators) * DOMAIN_MARGIN]
            assert scale["nice"] is False


def test_a_funnels_legend_draws_its_lines_as_lines():
    spec = funnel_chart(_funnel([120, 800, 4000])).to_dict()
    dash = spec["layer"][0]["encoding"]["strokeDash"]
    assert dash["legend"]["symbolType"] == "stroke"
    assert dash["scale"]["domain"] == ["Network proportion", "95% limits", "99.8% limits"]
    assert len({str(d) for d in dash["scale"]["range"]}) == 3  # three lines, told apart


def test_demand_and_capacity_read_by_month_with_a_gap_where_a_month_is_missing():
    flows = pd.DataFrame({
        "site_code": None, "indicator_id": "referrals_received",
        "indicator_label": "Referrals received",
        "indicator_month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-04-01"]),
        "value": [30.0, 28, 35]})
    spec = demand_and_capacity_chart(flows).to_dict()
    assert spec["encoding"]["x"]["axis"]["tickCount"] == {"interval": "month", "step": 1}
    rows = spec["datasets"][spec["data"]["name"]]
    march = [r for r in rows if pd.Timestamp(r["indicator_month"]) == pd.Timestamp("2026-03-01")]
    assert len(march) == 1 and march[0]["value"] is None
    assert march[0]["indicator_label"] == "Referrals received"  # the gap is in its own series


@pytest.mark.parametrize("value,unit,text", [
    (0.8367, "proportion", "83.7%"), (0.83, "proportion", "83.0%"), (12.345, "days", "12.3"),
    (1234.0, "count", "1,234"), (float("nan"), "count", ""), (None, "days", ""),
])
def test_one_number_format_per_unit(value, unit, text):
    assert formats.formatted(value, unit) == text


def test_chart_formats_are_the_text_formats():
    assert formats.FORMAT == {"proportion": ".1%", "days": ",.1f", "count": ",.0f"}


def test_a_findings_months_are_shaded_on_its_chart():
    plain = spc_chart(_points([10.0, 11, 9, 30])).to_dict()
    assert not [layer for layer in plain["layer"] if layer["mark"].get("type") == "rect"]
    spec = spc_chart(_points([10.0, 11, 9, 30]),
                     highlight=(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"))).to_dict()
    [band] = [layer for layer in spec["layer"] if layer["mark"].get("type") == "rect"]
    [row] = _data(spec, band)
    assert pd.Timestamp(row["start"]) < pd.Timestamp("2026-01-01")
    assert pd.Timestamp("2026-02-01") < pd.Timestamp(row["end"]) < pd.Timestamp("2026-03-01")
    assert row["finding"] == "Jan 2026 to Feb 2026"
