"""`carepath qi spc` and `carepath qi funnel` on an analyst's CSV: the output rows carry the
reference implementations' limits and labels, phases start at the given dates, cells are safe."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from support.paths import FIXTURES

from carepath.cli import main

VECTORS = FIXTURES / "qi_vectors"


def _read(name: str) -> list[dict]:
    with (VECTORS / name).open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_spc_p_chart_from_a_csv(tmp_path):
    rows = _read("spc_qicharts2_p_chart_varying_n_montgomery_tbl7.4.csv")
    months = pd.date_range("2024-01-01", periods=len(rows), freq="MS")
    # Given out of order: the chart orders by date.
    pd.DataFrame({"month": months, "seen": [r["y.sum"] for r in rows],
                  "referred": [r["n"] for r in rows]}).iloc[::-1].to_csv(
        tmp_path / "in.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["qi", "spc", "--input", str(tmp_path / "in.csv"), "--date", "month",
                 "--numerator", "seen", "--denominator", "referred", "--chart", "p",
                 "--direction", "decrease", "--target", "0.25", "--output", str(out)]) == 0
    chart = pd.read_csv(out)
    assert chart.centre.tolist() == pytest.approx([float(r["cl"]) for r in rows], abs=1e-9)
    assert chart.upper_limit.tolist() == pytest.approx([float(r["ucl"]) for r in rows],
                                                       abs=1e-9)
    assert chart.assurance_icon.iloc[-1] == "consistently_passing"


def test_spc_xmr_with_a_phase_date(tmp_path):
    days = pd.date_range("2025-01-01", periods=30, freq="D")
    values = [10 + (i % 3) for i in range(15)] + [30 + (i % 3) for i in range(15)]
    pd.DataFrame({"day": days, "wait": values}).to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["qi", "spc", "--input", str(tmp_path / "in.csv"), "--date", "day",
                 "--value", "wait", "--chart", "xmr", "--phase-dates", "2025-01-16",
                 "--direction", "decrease", "--output", str(out)]) == 0
    chart = pd.read_csv(out)
    assert chart.phase.tolist() == [1] * 15 + [2] * 15
    assert chart.centre.iloc[0] == pytest.approx(11) and chart.centre.iloc[-1] == pytest.approx(31)
    assert (chart.variation == "common_cause").all(), "each phase is judged on its own"


def test_funnel_from_a_csv_is_labelled_and_formula_safe(tmp_path):
    rows = _read("funnel_phe_testdata_funnel_prop_inputs.csv")
    frame = pd.DataFrame({"area": [f"{i:03d} {r['Area']}" for i, r in enumerate(rows)],
                          "num": [float(r["numerator"]) for r in rows],
                          "den": [float(r["denominator"]) for r in rows]})
    frame.loc[0, "area"] = "=HYPERLINK(\"http://x\")"
    frame.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["qi", "funnel", "--input", str(tmp_path / "in.csv"), "--group", "area",
                 "--numerator", "num", "--denominator", "den", "--type", "proportion",
                 "--output", str(out)]) == 0
    result = pd.read_csv(out)
    expected = dict(zip(frame.area, (r["significance"] for r in rows), strict=True))
    expected["'" + frame.area[0]] = expected.pop(frame.area[0])
    assert dict(zip(result.area, result.significance, strict=True)) == expected
    assert result.tau2.iloc[0] > 0 and result.is_outlier.sum() < (
        result.significance.str.endswith("(0.001)")).sum()


def test_funnel_rows_are_aggregated_per_group_as_funnelplotr_aggregates_them(tmp_path):
    """FunnelPlotR's aggregation test: a group's ratio is sum(observed) / sum(expected), not
    the mean of its rows' ratios (its test rounds to 6 dp)."""
    case = json.loads((VECTORS / "funnel_funnelplotr_tests.json").read_text())["aggregation"]
    pd.DataFrame({"trust": case["group"], "observed": case["numerator"],
                  "expected": case["denominator"]}).to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["qi", "funnel", "--input", str(tmp_path / "in.csv"), "--group", "trust",
                 "--numerator", "observed", "--denominator", "expected", "--type", "ratio",
                 "--output", str(out)]) == 0
    result = pd.read_csv(out)
    assert result.trust.tolist() == ["a", "b", "c"]
    assert result.value.round(6).tolist() == pytest.approx(case["expected_rr"], abs=1e-12)


def test_a_missing_column_is_a_clear_error(tmp_path, capsys):
    pd.DataFrame({"month": ["2025-01-01"], "x": [1]}).to_csv(tmp_path / "in.csv", index=False)
    assert main(["qi", "spc", "--input", str(tmp_path / "in.csv"), "--date", "month",
                 "--value", "wait", "--chart", "xmr", "--output", str(tmp_path / "o.csv")]) == 2
    assert "no column(s) wait" in capsys.readouterr().err
