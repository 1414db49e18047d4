"""Anhøj's runs analysis against the runs columns of qicharts2's reference fixtures
(tests/fixtures/qi_vectors/*qicharts2*): per chart part, over the included points."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from support.paths import FIXTURES

from carepath.qi.attribute import u_chart
from carepath.qi.runs import runs_analysis

VECTORS = FIXTURES / "qi_vectors"
CHARTS = [
    "spc_qicharts2_i_chart_montgomery_ex6.5_freeze20.csv",
    "spc_qicharts2_mr_chart_montgomery_ex6.5_freeze20.csv",
    "spc_qicharts2_p_chart_varying_n_montgomery_tbl7.4.csv",
    "spc_qicharts2_p_chart_exclude_part_montgomery_ex7.1.csv",
    "spc_qicharts2_c_chart_exclude_freeze_montgomery_ex7.3.csv",
    "spc_qicharts2_u_chart_varying_n_montgomery_ex7.4.csv",
]


def _as_reported(analysis) -> dict:
    return {"n.obs": analysis.observations, "n.useful": analysis.useful,
            "longest.run": analysis.longest_run, "longest.run.max": analysis.longest_run_max,
            "n.crossings": analysis.crossings, "n.crossings.min": analysis.crossings_min,
            "runs.signal": analysis.signal}


@pytest.mark.parametrize("name", CHARTS)
def test_each_part_as_qicharts2_analyses_it(name):
    """The chart's own points and centre line (its y and cl columns), part by part. The MR
    chart's first point has no range, so it is not useful; qicharts2 then reports no runs
    signal for an MR chart whatever the statistics say, and here they say none either."""
    with (VECTORS / name).open() as fh:
        rows = list(csv.DictReader(fh))
    for part in sorted({r["part"] for r in rows}):
        here = [r for r in rows if r["part"] == part]
        analysis = runs_analysis([float(r["y"]) if r["y"] else np.nan for r in here],
                                 [float(r["cl"]) for r in here],
                                 included=[r["include"] == "TRUE" for r in here])
        for row in here:
            expected = {key: int(row[key]) for key in (
                "n.obs", "n.useful", "longest.run", "longest.run.max", "n.crossings",
                "n.crossings.min")}
            expected["runs.signal"] = row["runs.signal"] == "TRUE"
            assert _as_reported(analysis) == expected


def test_hospitals_in_order_of_their_patient_days():
    """qicharts2's funnel layout (hai_4.rds) puts the hospitals on the x axis in order of their
    mean patient days (R's reorder), so the runs read the u chart in that order."""
    inputs = pd.read_csv(VECTORS / "funnel_qicharts2_hai4_inputs.csv")
    order = inputs.groupby("hospital").days.mean().sort_values(kind="stable").index
    summary = pd.read_csv(VECTORS / "funnel_qicharts2_hai4_expected_summary.csv")
    for expected in summary.to_dict("records"):
        hospitals = inputs[inputs.infection == expected["facet1"]].groupby("hospital")[
            ["n", "days"]].sum().loc[order]
        limits = u_chart(hospitals.n, hospitals.days)
        analysis = runs_analysis(hospitals.n / hospitals.days, limits.centre)
        assert _as_reported(analysis) == {key: expected[key] for key in (
            "n.obs", "n.useful", "longest.run", "longest.run.max", "n.crossings",
            "n.crossings.min")} | {"runs.signal": bool(expected["runs.signal"])}


def test_too_long_a_run_and_too_few_crossings_are_each_a_signal():
    # 16 useful points: runs up to round(log2(16)) + 3 = 7 long, at least 4 crossings.
    steady = [1, -1] * 8
    assert not runs_analysis(steady, 0).signal
    long_run = runs_analysis([1] * 8 + [-1, 1] * 4, 0)
    assert (long_run.longest_run, long_run.longest_run_max, long_run.signal) == (8, 7, True)
    few = runs_analysis([1] * 6 + [-1] * 6 + [1] * 4, 0)
    assert (few.crossings, few.crossings_min, few.longest_run, few.signal) == (2, 4, 6, True)


def test_points_on_the_centre_line_are_not_useful():
    analysis = runs_analysis([1, 0, 1, 0, -1], 0)
    assert (analysis.observations, analysis.useful, analysis.longest_run,
            analysis.crossings) == (5, 3, 2, 1)
    nothing = runs_analysis([0, 0], 0)
    assert (nothing.useful, nothing.longest_run, nothing.signal) == (0, None, False)
