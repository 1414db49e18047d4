"""Synthetic site extracts for demos and tests: deterministic per seed, with planted bottlenecks.

Each site delivers one file per extract per month (an increment cut at month end), so a referral
is resent with newer fields as it moves along the pathway - the newest delivery wins downstream.
"""

from __future__ import annotations

import csv
import json
import os
import random
from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from tqdm import tqdm

from carepath.contract import EXTRACTS, STAGE_ORDER, column_names
from carepath.generate.bottlenecks import Plant, SitePlan, plan
from carepath.generate.pathway import Journey, simulate, snapshot
from carepath.generate.roster import Site, choose_sites
from carepath.ingest.mapping import SiteMapping, load_mappings, site_columns

DEFAULT_END_MONTH = "2026-10"

# Planted delivery problems, found again by the data-quality mart and the validation gate:
# one site's monthly sessions file goes missing and arrives with the next month's, and a few
# rows carry errors a real feed has (an implausible measurement, an unknown code, a session
# for a referral the site never sent).
MISSING_DELIVERY = ("BRA", "sessions", -3)  # site, extract, month offset from the end
LATE_STREAM = ("DEN", "outcomes", 2)  # site, extract, trailing months not yet delivered
BAD_ROWS = (
    ("ASH", "outcomes", "value", "900", "tug", "implausible tug value (outside 1-120)"),
    ("CAR", "outcomes", "value", "14", "pain_nrs", "implausible pain_nrs value (outside 0-10)"),
    ("DEN", "sessions", "status", "no_show", None, "status outside the code set"),
    ("CAR", "sessions", "referral_id", "CAR-R999999", None,
     "session for a referral the warehouse does not hold"),
)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> datetime:
        return datetime(self.year, self.month, 1)

    @property
    def end(self) -> datetime:
        return datetime(self.year, self.month, monthrange(self.year, self.month)[1], 23, 59, 59)


def month_range(end_month: str, months: int) -> list[Month]:
    year, month = (int(x) for x in end_month.split("-"))
    out = []
    for _ in range(months):
        out.append(Month(year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _simulate_site(site: Site, months: list[Month], scale: float, seed: int,
                   plants: list[Plant], progress: tqdm) -> list[Journey]:
    rng = random.Random(f"{seed}:{site.code}")
    census = months[-1].end
    site_plan = SitePlan([p for p in plants if p.site_code == site.code])
    if site_plan.dna_rate is not None:
        site = replace(site, dna_rate=site_plan.dna_rate)
    journeys: list[Journey] = []
    patients: list[str] = []
    seq = 0
    for month in months:
        days = monthrange(month.year, month.month)[1]
        volume = site.volume * scale * site_plan.volume_factor(month.label)
        n = max(1, round(rng.gauss(volume, volume ** 0.5)))
        for _ in range(n):
            seq += 1
            day = month.first_day + timedelta(days=rng.randrange(days))
            if patients and rng.random() < 0.05:  # a patient referred again
                patient = rng.choice(patients)
            else:
                patient = f"{site.code}{rng.randrange(10**6, 10**7)}"
                patients.append(patient)
            journeys.append(simulate(rng, site, seq, patient, day, census, site_plan))
        progress.update(1)
    return journeys


def _deliveries(journeys: list[Journey], months: list[Month]) -> dict[str, dict[str, list[dict]]]:
    """Rows per extract per delivery month: what changed in that month, as known at its end."""
    out: dict[str, dict[str, list[dict]]] = {e: {m.label: [] for m in months} for e in EXTRACTS}
    labels = {m.label: m for m in months}
    for j in journeys:
        touched = sorted({j.referral[k].strftime("%Y-%m")
                          for k in STAGE_ORDER if j.referral.get(k)})
        for label in touched:
            out["referrals"][label].append(snapshot(j.referral, labels[label].end))
        for s in j.sessions:
            out["sessions"][s["scheduled_at"].strftime("%Y-%m")].append(s)
        for o in j.outcomes:
            label = o["assessed_at"].strftime("%Y-%m")
            if label in labels:  # a baseline taken before the first month predates the feed
                out["outcomes"][label].append(o)
    return out


def _plant_bad_rows(site: str, deliveries: dict, span: list[Month]) -> list[dict]:
    planted = []
    for code, extract, column, value, instrument, rule in BAD_ROWS:
        if code != site:
            continue
        for month in reversed(span):  # the latest month that has a row to spoil
            rows = deliveries[extract][month.label]
            candidates = [i for i, r in enumerate(rows)
                          if instrument is None or r.get("instrument") == instrument]
            if candidates:
                i = candidates[len(candidates) // 2]
                rows[i] = {**rows[i], column: value}
                key = "measure_id" if extract == "outcomes" else "session_id"
                planted.append({"site_code": site, "extract": extract, "month": month.label,
                                key: rows[i][key], "expected_reason": rule})
                break
    return planted


def _drop_deliveries(site: str, deliveries: dict, span: list[Month]) -> list[dict]:
    dropped = []
    code, extract, offset = MISSING_DELIVERY
    if site == code and len(span) >= abs(offset) + 1:
        month, following = span[offset], span[offset + 1]
        by_month = deliveries[extract]
        by_month[following.label] = by_month[month.label] + by_month[following.label]
        by_month[month.label] = None
        dropped.append({"site_code": site, "extract": extract, "month": month.label,
                        "delivered_with": following.label})
    code, extract, trailing = LATE_STREAM
    if site == code and len(span) > trailing:
        for month in span[-trailing:]:
            deliveries[extract][month.label] = None
            dropped.append({"site_code": site, "extract": extract, "month": month.label,
                            "delivered_with": None})
    return dropped


def _format(value, column: str, mapping: SiteMapping, codes: dict[str, dict[str, str]]) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(mapping.timestamp_format)
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return codes.get(column, {}).get(text, text)


def write_extract(path: Path, rows: list[dict], extract: str, mapping: SiteMapping) -> None:
    """Write rows in the site's own layout: its headers, codes, date format, delimiter, encoding."""
    em = mapping.extract(extract)
    inverse = {col: {v: k for k, v in values.items()} for col, values in em.codes.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=mapping.encoding) as fh:
        writer = csv.writer(fh, delimiter=mapping.delimiter)
        writer.writerow(site_columns(mapping, extract))
        for row in rows:
            writer.writerow([_format(row.get(c), c, mapping, inverse)
                             for c in column_names(extract)])


def generate(out: Path, sites: int = 4, months: int = 12, scale: float = 1.0, seed: int = 42,
             end_month: str = DEFAULT_END_MONTH, mappings_dir: Path | None = None) -> dict:
    """Write landing files under `out/<SITE>/<extract>/` and `out/ground_truth.json`."""
    from carepath.settings import load_settings

    if months < 1 or scale <= 0:
        raise ValueError("--months must be >= 1 and --scale > 0")
    chosen = choose_sites(sites)
    mappings = load_mappings(mappings_dir or load_settings().mappings_dir)
    missing = [s.code for s in chosen if s.code not in mappings]
    if missing:
        raise ValueError(f"no mapping file for sites {missing}")
    span = month_range(end_month, months)
    plants = plan([s.code for s in chosen], [m.label for m in span], seed)
    counts: dict[str, dict[str, int]] = {}
    planted: list[dict] = []
    missing: list[dict] = []
    with tqdm(total=len(chosen) * len(span), desc="simulating site-months", unit="month",
              disable=None) as progress:
        for site in chosen:
            journeys = _simulate_site(site, span, scale, seed, plants, progress)
            counts[site.code] = {"referrals": len(journeys)}
            deliveries = _deliveries(journeys, span)
            planted += _plant_bad_rows(site.code, deliveries, span)
            missing += _drop_deliveries(site.code, deliveries, span)
            rng = random.Random(f"{seed}:{site.code}:delivery")
            for extract, by_month in deliveries.items():
                for label, rows in by_month.items():
                    if rows is None:
                        continue
                    path = out / site.code / extract / f"{site.code}_{extract}_{label}.csv"
                    write_extract(path, rows, extract, mappings[site.code])
                    # Files arrive a few days after the month they cover; the data-quality
                    # mart reads delivery dates from the files' times.
                    month = next(m for m in span if m.label == label)
                    arrived = (month.end + timedelta(days=rng.randint(1, 5))).timestamp()
                    os.utime(path, (arrived, arrived))
                counts[site.code][f"{extract}_rows"] = sum(
                    len(r) for r in by_month.values() if r is not None)
    truth = _ground_truth(chosen, span, scale, seed, plants, counts)
    truth["planted_bad_rows"] = planted
    truth["missing_deliveries"] = missing
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth


def _ground_truth(sites: list[Site], span: list[Month], scale: float, seed: int,
                  plants: list[Plant], counts: dict) -> dict:
    return {
        "seed": seed, "scale": scale, "months": [m.label for m in span],
        "census_date": span[-1].end.date().isoformat(),
        "sites": [{"site_code": s.code, "site_name": s.name,
                   "layout": s.layout or "canonical"} for s in sites],
        "bottlenecks": [p.truth() for p in plants],
        "counts": counts,
    }
