"""p, u and c charts against qicharts2's reference fixtures (tests/fixtures/qi_vectors),
including excluded points, two phases, a frozen baseline and a u chart across hospitals;
Laney's p' by its definition."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from support.paths import FIXTURES

from carepath.qi.attribute import c_chart, p_chart, u_chart

VECTORS = FIXTURES / "qi_vectors"


def _rows(name: str) -> list[dict]:
    with (VECTORS / name).open() as fh:
        return list(csv.DictReader(fh))


def _column(rows, key) -> np.ndarray:
    return np.array([float(r[key]) for r in rows])


def _assert_limits(limits, rows):
    assert limits.centre == pytest.approx(_column(rows, "cl"), abs=1e-9)
    assert limits.lower_limit == pytest.approx(_column(rows, "lcl"), abs=1e-9)
    assert limits.upper_limit == pytest.approx(_column(rows, "ucl"), abs=1e-9)


def test_p_chart_with_varying_denominators():
    rows = _rows("spc_qicharts2_p_chart_varying_n_montgomery_tbl7.4.csv")
    _assert_limits(p_chart(_column(rows, "y.sum"), _column(rows, "n")), rows)


def test_p_chart_with_excluded_points_and_two_phases():
    rows = _rows("spc_qicharts2_p_chart_exclude_part_montgomery_ex7.1.csv")
    limits = p_chart(_column(rows, "y.sum"), _column(rows, "n"),
                     phases=[int(r["part"]) for r in rows],
                     included=[r["include"] == "TRUE" for r in rows])
    _assert_limits(limits, rows)


def test_c_chart_with_excluded_points_and_a_frozen_baseline():
    rows = _rows("spc_qicharts2_c_chart_exclude_freeze_montgomery_ex7.3.csv")
    limits = c_chart(_column(rows, "y.sum"), included=[r["include"] == "TRUE" for r in rows],
                     baseline_points=sum(r["baseline"] == "TRUE" for r in rows))
    _assert_limits(limits, rows)


def test_u_chart_with_varying_exposure():
    rows = _rows("spc_qicharts2_u_chart_varying_n_montgomery_ex7.4.csv")
    _assert_limits(u_chart(_column(rows, "y.sum"), _column(rows, "n")), rows)


def test_u_chart_across_hospitals_per_infection():
    """qicharts2's funnel layout (hai_4.rds): one point per hospital, its infections over its
    patient days from July 2016, a chart per infection, per 10000 days. The summary gives the
    mean limits, the centre line and the number of points outside the limits."""
    infections = pd.read_csv(VECTORS / "funnel_qicharts2_hai4_inputs.csv").groupby(
        ["infection", "hospital"])[["n", "days"]].sum()
    summary = pd.read_csv(VECTORS / "funnel_qicharts2_hai4_expected_summary.csv")
    assert sorted(summary.facet1) == sorted(infections.index.unique("infection"))
    for expected in summary.to_dict("records"):
        hospitals = infections.loc[expected["facet1"]]
        limits = u_chart(hospitals.n, hospitals.days)
        rate = hospitals.n.to_numpy() / hospitals.days.to_numpy()
        assert len(rate) == expected["n.obs"]
        assert 10000 * limits.lower_limit.mean() == pytest.approx(expected["aLCL"], abs=1e-9)
        assert 10000 * limits.centre.mean() == pytest.approx(expected["CL"], abs=1e-9)
        assert 10000 * limits.upper_limit.mean() == pytest.approx(expected["aUCL"], abs=1e-9)
        outside = (rate > limits.upper_limit) | (rate < limits.lower_limit)
        assert outside.sum() == expected["sigma.signal"]


def test_laney_p_prime_scales_the_limits_by_the_spread_of_z():
    x = np.array([480, 520, 610, 450, 530, 590, 400, 560])
    n = np.full(8, 1000)
    plain, laney = p_chart(x, n), p_chart(x, n, laney=True)
    p_bar = x.sum() / n.sum()
    z = (x / n - p_bar) / np.sqrt(p_bar * (1 - p_bar) / n)
    sigma_z = np.mean(np.abs(np.diff(z))) / 1.128
    assert laney.centre == pytest.approx(plain.centre)
    assert laney.sigma == pytest.approx(plain.sigma * sigma_z)
    assert sigma_z > 1, "these points vary more than the binomial model expects"
    assert (laney.upper_limit - laney.lower_limit > plain.upper_limit - plain.lower_limit).all()
