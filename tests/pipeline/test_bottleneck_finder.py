"""The bottleneck finder (marts.fct_bottlenecks) recovers the generator's planted truth.

Five seeds, each a network of eight sites over 24 months (the seed chooses which sites get which
of the six kinds of bottleneck, and when; two sites get none), run through the whole pipeline.
For every plant, a finding on an indicator it shows in (ground_truth.json) ranks in the top three
of its site's findings in the plant's months (up to three months after them: a row counts in the
month its stage or programme ended). And no site without a plant has a ranked finding scored as
high as any plant's.
"""

from __future__ import annotations

import shutil
import time

import duckdb
import pytest

from carepath.generate import generate
from carepath.pipeline import run_pipeline
from carepath.settings import load_settings

SEEDS = (1, 2, 3, 4, 5)
NETWORK = {"sites": 8, "months": 24, "scale": 1.0}
# How long after a plant's last month its indicators may still show it.
LAG_MONTHS = 3
TOP = 3


def _month_number(label) -> int:
    text = str(label)
    return int(text[:4]) * 12 + int(text[5:7])


@pytest.fixture(scope="module")
def networks(tmp_path_factory) -> dict[int, tuple[dict, list[dict]]]:
    """Per seed: the ground truth and the ranked findings as the dashboard reads them."""
    out = {}
    for seed in SEEDS:
        started = time.monotonic()
        data = tmp_path_factory.mktemp(f"network-{seed}")
        truth = generate(data / "landing", seed=seed, **NETWORK)
        settings = load_settings(data)
        summary = run_pipeline(settings)
        assert summary.ok, summary.render()
        con = duckdb.connect(str(settings.published_path), read_only=True)
        try:
            cursor = con.execute("""
                select site_code, indicator_id, period_start, period_end, score, evidence
                from marts.fct_bottlenecks
                where rank_in_site is not null""")
            names = [d[0] for d in cursor.description]
            findings = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()
        out[seed] = (truth, findings)
        # Only the findings are kept: five networks' folders would fill the disk for nothing.
        shutil.rmtree(data, ignore_errors=True)
        print(f"seed {seed}: {len(findings)} findings in {time.monotonic() - started:.0f} s")
    return out


def _recovered(plant: dict, findings: list[dict]) -> tuple[int, dict] | None:
    """The plant's best finding and its rank among its site's findings in its months."""
    first = _month_number(plant["months"][0])
    last = _month_number(plant["months"][-1]) + LAG_MONTHS
    in_period = sorted(
        (f for f in findings if f["site_code"] == plant["site_code"]
         and _month_number(f["period_start"]) <= last
         and _month_number(f["period_end"]) >= first),
        key=lambda f: -f["score"])
    for rank, finding in enumerate(in_period, start=1):
        if finding["indicator_id"] in plant["shows_in"]:
            return rank, finding
    return None


def test_every_kind_is_planted_in_every_network(networks):
    for truth, _ in networks.values():
        kinds = {b["kind"] for b in truth["bottlenecks"]}
        assert len(kinds) == 6, kinds
        assert len({b["site_code"] for b in truth["bottlenecks"]}) == 6


def test_every_plant_is_in_the_top_three_of_its_site_and_period(networks):
    missed = []
    for seed, (truth, findings) in networks.items():
        for plant in truth["bottlenecks"]:
            found = _recovered(plant, findings)
            if found is None or found[0] > TOP:
                missed.append((seed, plant["kind"], plant["site_code"], plant["months"],
                               found and found[0]))
    assert not missed, ("plants the finder missed or ranked low "
                        f"(seed, kind, site, months, rank): {missed}")


def test_no_site_without_a_plant_outscores_a_plant(networks):
    for seed, (truth, findings) in networks.items():
        planted = {b["site_code"] for b in truth["bottlenecks"]}
        recovered = [_recovered(plant, findings) for plant in truth["bottlenecks"]]
        weakest = min(found[1]["score"] for found in recovered if found is not None)
        unplanted = [f for f in findings if f["site_code"] not in planted]
        strongest = max(unplanted, key=lambda f: f["score"], default=None)
        assert strongest is None or strongest["score"] < weakest, (
            f"seed {seed}: {strongest['evidence']} (score {strongest['score']:.1f}) "
            f"outscores a plant (weakest {weakest:.1f})")


def test_evidence_names_the_site_the_months_and_the_baseline(networks):
    truth, findings = networks[SEEDS[0]]
    backlog = next(b for b in truth["bottlenecks"] if b["kind"] == "triage_backlog")
    _, finding = _recovered(backlog, findings)
    assert finding["evidence"].startswith(f"{backlog['site_code']} Median days from receipt")
    assert "special cause of concern since" in finding["evidence"]
    assert "% of its access wait" in finding["evidence"]
