"""The synthetic extracts: deterministic, in contract, with the planted bottlenecks."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from support.paths import ROOT

from carepath.contract import CODE_SETS, COLUMNS, column_names
from carepath.generate import generate
from carepath.generate.bottlenecks import KINDS, plan
from carepath.generate.roster import ROSTER
from carepath.ingest.mapping import load_mappings, site_columns
from carepath.settings import load_settings

QI_INDICATORS = ROOT / "dbt_project" / "seeds" / "qi_indicators.csv"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _rows(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> list[dict]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path):
    params = {"sites": 2, "months": 3, "scale": 0.2}
    generate(tmp_path / "a", seed=5, **params)
    generate(tmp_path / "b", seed=5, **params)
    generate(tmp_path / "c", seed=6, **params)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert _tree(tmp_path / "a") != _tree(tmp_path / "c")


def test_one_file_per_site_extract_and_month_but_the_planted_gaps(demo_landing):
    truth = json.loads((demo_landing / "ground_truth.json").read_text())
    gaps = {(g["site_code"], g["extract"], g["month"]) for g in truth["missing_deliveries"]}
    assert {(s, e) for s, e, _ in gaps} == {("BRA", "sessions"), ("DEN", "outcomes")}
    for site in truth["sites"]:
        code = site["site_code"]
        for extract in ("referrals", "sessions", "outcomes"):
            names = sorted(p.name for p in (demo_landing / code / extract).iterdir())
            assert names == [f"{code}_{extract}_{m}.csv" for m in truth["months"]
                             if (code, extract, m) not in gaps]


def test_files_carry_their_delivery_dates(demo_landing):
    for path in (demo_landing / "ASH" / "referrals").glob("*.csv"):
        month = path.stem.rsplit("_", 1)[1]
        delivered = datetime.fromtimestamp(path.stat().st_mtime)
        assert delivered > datetime.strptime(month, "%Y-%m")
        assert (delivered - datetime.strptime(month, "%Y-%m")).days < 40


def test_canonical_sites_write_the_contract(demo_landing):
    for extract in ("referrals", "sessions", "outcomes"):
        for path in (demo_landing / "ASH" / extract).glob("*.csv"):
            with path.open(encoding="utf-8", newline="") as fh:
                assert next(csv.reader(fh)) == column_names(extract)
            for row in _rows(path):
                for col in COLUMNS[extract]:
                    value = row[col.name]
                    if col.required:
                        assert value, f"{path.name}: required {col.name} is empty"
                    if col.type == "code" and value:
                        assert value in CODE_SETS[col.name], (col.name, value)
                    if col.type == "timestamp" and value:
                        datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")


def test_stage_order_holds_in_every_referral(demo_landing):
    for path in demo_landing.glob("[!B]*/referrals/*.csv"):
        for row in _rows(path):
            stamps = [row[c] for c in ("referred_at", "received_at", "triaged_at") if row[c]]
            assert stamps == sorted(stamps), row["referral_id"]
            if row["first_seen_at"] and row["triaged_at"]:
                assert row["first_seen_at"] >= row["triaged_at"]


def test_own_layout_site_uses_its_mapping(demo_landing):
    mapping = load_mappings(load_settings().mappings_dir)["BRA"]
    path = sorted((demo_landing / "BRA" / "referrals").glob("*.csv"))[-1]
    raw = path.read_bytes()
    assert raw.decode("latin-1").splitlines()[0] == ";".join(site_columns(mapping, "referrals"))
    rows = _rows(path, delimiter=";", encoding="latin-1")
    assert {r["Priority"] for r in rows} <= {"U", "R"}
    referred = rows[0]["Date Referred"]
    assert datetime.strptime(referred, "%d/%m/%Y %H:%M")  # day-first, no seconds
    status = {r["Outcome"] for p in (demo_landing / "BRA" / "sessions").glob("*.csv")
              for r in _rows(p, delimiter=";", encoding="latin-1")}
    assert status <= {"ATT", "DNA", "CNP", "CNH"} and "DNA" in status


def test_ground_truth_names_the_planted_bottlenecks(demo_landing):
    truth = json.loads((demo_landing / "ground_truth.json").read_text())
    sites = [s["site_code"] for s in truth["sites"]]
    planted = [b["site_code"] for b in truth["bottlenecks"]]
    # Six months leave room for the kinds that need no months after them to show.
    assert {b["kind"] for b in truth["bottlenecks"]} == {
        "triage_backlog", "high_dna_rate", "slow_first_appointment"}
    assert len(set(planted)) == len(planted) and set(sites) - set(planted)
    indicators = {row["indicator_id"] for row in _rows(QI_INDICATORS)}
    for plant in truth["bottlenecks"]:
        assert set(plant["months"]) <= set(truth["months"])
        assert set(plant["shows_in"]) <= indicators


def test_the_seed_chooses_which_sites_get_which_bottleneck():
    sites = [s.code for s in ROSTER]
    months = [f"{2025 + i // 12}-{i % 12 + 1:02d}" for i in range(24)]
    plans = {seed: plan(sites, months, seed) for seed in range(6)}
    for plants in plans.values():
        assert {p.kind for p in plants} == {k.name for k in KINDS}  # every kind fits 24 months
        assert len({p.site_code for p in plants}) == len(KINDS) < len(sites)
    assert len({tuple((p.kind, p.site_code) for p in plants)
                for plants in plans.values()}) > 1
    assert plan(sites, months, 3) == plan(sites, months, 3)


def _plant(truth: dict, kind: str) -> dict:
    return next(b for b in truth["bottlenecks"] if b["kind"] == kind)


def _latest_referrals(landing: Path, site: str) -> list[dict]:
    latest: dict[str, dict] = {}
    for path in sorted((landing / site / "referrals").glob("*.csv")):
        for row in _rows(path):
            latest[row["referral_id"]] = row  # newest delivery wins
    return list(latest.values())


def test_backlog_months_have_longer_triage_waits(demo_landing):
    truth = json.loads((demo_landing / "ground_truth.json").read_text())
    backlog = _plant(truth, "triage_backlog")
    waits: dict[bool, list[float]] = {True: [], False: []}
    for row in _latest_referrals(demo_landing, backlog["site_code"]):
        if row["received_at"] and row["triaged_at"]:
            received = datetime.fromisoformat(row["received_at"])
            days = (datetime.fromisoformat(row["triaged_at"]).date() - received.date()).days
            waits[received.strftime("%Y-%m") in backlog["months"]].append(days)
    mean = {k: sum(v) / len(v) for k, v in waits.items()}
    assert mean[True] > mean[False] + 10


def test_slow_months_wait_longer_from_offer_to_first_seen(demo_landing):
    truth = json.loads((demo_landing / "ground_truth.json").read_text())
    slow = _plant(truth, "slow_first_appointment")
    waits: dict[bool, list[float]] = {True: [], False: []}
    for row in _latest_referrals(demo_landing, slow["site_code"]):
        if row["first_offered_at"] and row["first_seen_at"] and row["received_at"]:
            days = (datetime.fromisoformat(row["first_seen_at"]).date()
                    - datetime.fromisoformat(row["first_offered_at"]).date()).days
            waits[row["received_at"][:7] in slow["months"]].append(days)
    mean = {k: sum(v) / len(v) for k, v in waits.items()}
    assert mean[True] > mean[False] + 15


def test_high_dna_site_misses_more_sessions(demo_landing):
    truth = json.loads((demo_landing / "ground_truth.json").read_text())
    high = _plant(truth, "high_dna_rate")["site_code"]
    # Another site in the canonical layout (its status column holds the contract's codes).
    other = next(s["site_code"] for s in truth["sites"]
                 if s["site_code"] != high and s["layout"] == "canonical")

    def dna_rate(site: str) -> float:
        rows = [r for p in (demo_landing / site / "sessions").glob("*.csv") for r in _rows(p)]
        return sum(r["status"] == "did_not_attend" for r in rows) / len(rows)

    assert dna_rate(high) > 1.5 * dna_rate(other)


def test_programme_doses_follow_the_cipn_exercise_literature(demo_landing):
    rows = [r for p in (demo_landing / "ASH" / "referrals").glob("*.csv") for r in _rows(p)
            if r["planned_weeks"]]
    assert rows
    for r in rows:
        assert 15 <= int(r["planned_minutes_per_session"]) <= 60
        assert 2 <= float(r["planned_sessions_per_week"]) <= 7
        assert 2 <= int(r["planned_weeks"]) <= 36


def test_scale_grows_the_volume(tmp_path):
    small = generate(tmp_path / "s", sites=1, months=2, scale=0.5, seed=1)
    large = generate(tmp_path / "l", sites=1, months=2, scale=2.0, seed=1)
    assert large["counts"]["ASH"]["referrals"] > 2.5 * small["counts"]["ASH"]["referrals"]

