"""The bottlenecks the generator plants, which sites get them (the seed chooses), in which
months, and what each does to a referral's journey.

Each kind is a known way a rehabilitation pathway breaks down, strong enough to be told from
the month-to-month noise of a site, and listed in ground_truth.json with its site, months and
the indicators it shows in (seed qi_indicators), so the bottleneck finder can be held to it.
At most one kind per site, and at least one site keeps none: the finder must also stay quiet
where nothing was planted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    length: int  # months the plant lasts (0 = the whole run)
    tail: int  # months after it that the indicators it shows in need to see it
    shows_in: tuple[str, ...]
    what: str


KINDS: tuple[Kind, ...] = (
    Kind("triage_backlog", 3, 0, ("stage_receipt_to_triage_median_days",),
         "referrals received in these months wait 18-40 more days for triage"),
    Kind("high_dna_rate", 0, 0,
         ("prop_first_appointment_dna", "prop_sessions_attended", "prop_programmes_completed"),
         "a first-appointment DNA rate of 24% against 7% elsewhere, all run long; its patients "
         "miss more programme sessions too"),
    Kind("capacity_shortfall", 5, 0,
         ("waiting_list_month_end", "access_wait_median_days", "access_wait_p90_days",
          "prop_seen_within_target"),
         "from the first of these months demand rises by half while appointments do not keep "
         "up: each month's referrals wait 10 days longer than the last month's"),
    Kind("slow_first_appointment", 3, 1, ("stage_offer_to_first_seen_median_days",),
         "referrals received in these months wait 25-45 more days from offer to first seen"),
    Kind("poor_programme_adherence", 3, 2,
         ("prop_sessions_attended", "prop_programmes_dropped_out",
          "prop_programmes_completed"),
         "programmes starting in these months attend 60% as often and half drop out"),
    Kind("registry_gap", 3, 4, ("prop_registry_complete",),
         "patients first seen in these months are seldom followed up (1 in 10)"),
)
BY_NAME = {k.name: k for k in KINDS}
HIGH_DNA_RATE = 0.24
# A plant starts after the charts' warm-up and enough months to judge it against.
BASELINE_MONTHS = 9


@dataclass(frozen=True)
class Plant:
    kind: str
    site_code: str
    months: tuple[str, ...]  # YYYY-MM labels; every month of the run for whole-run kinds

    def truth(self) -> dict:
        kind = BY_NAME[self.kind]
        return {"kind": self.kind, "site_code": self.site_code, "months": list(self.months),
                "shows_in": list(kind.shows_in), "what": kind.what}


def _window(kind: Kind, labels: list[str], rng: random.Random) -> tuple[str, ...] | None:
    """Months for the plant, or None when the run is too short to show it."""
    if kind.length == 0:
        return tuple(labels)
    first = min(BASELINE_MONTHS, len(labels) // 2 - 1)
    last = len(labels) - kind.length - kind.tail
    if first < 1 or last < first:
        return None
    start = rng.randint(first, last)
    return tuple(labels[start:start + kind.length])


def plan(site_codes: list[str], labels: list[str], seed: int) -> list[Plant]:
    """Which site gets which kind, and when: the seed shuffles the sites and the kinds."""
    rng = random.Random(f"{seed}:bottlenecks")
    sites = list(site_codes)
    kinds = list(KINDS)
    rng.shuffle(sites)
    rng.shuffle(kinds)
    plants = []
    for kind in kinds:
        if len(plants) >= len(sites) - 1:
            break
        months = _window(kind, labels, rng)
        if months is not None:
            plants.append(Plant(kind.name, sites[len(plants)], months))
    return plants


class SitePlan:
    """What a site's plants do to each journey (the simulation asks; no plant, no change)."""

    def __init__(self, plants: list[Plant]):
        self._months = {p.kind: set(p.months) for p in plants}
        capacity = next((p for p in plants if p.kind == "capacity_shortfall"), None)
        self._capacity_start = min(capacity.months) if capacity else None

    def _active(self, kind: str, label: str | None) -> bool:
        return label is not None and label in self._months.get(kind, ())

    @property
    def dna_rate(self) -> float | None:
        return HIGH_DNA_RATE if "high_dna_rate" in self._months else None

    def volume_factor(self, label: str) -> float:
        return 1.5 if self._active("capacity_shortfall", label) else 1.0

    def extra_triage_days(self, rng: random.Random, received: str) -> int:
        return rng.randint(18, 40) if self._active("triage_backlog", received) else 0

    def extra_days_to_appointment(self, rng: random.Random, received: str) -> int:
        extra = 0
        if self._active("slow_first_appointment", received):
            extra += rng.randint(25, 45)
        if self._active("capacity_shortfall", received):
            months_in = (_month_index(received) - _month_index(self._capacity_start))
            extra += 10 * (months_in + 1)
        return extra

    def adherence(self, first_seen: str) -> tuple[float, float]:
        """(attendance factor, dropout probability) for a programme starting in the month."""
        if self._active("poor_programme_adherence", first_seen):
            return 0.6, 0.5
        return 1.0, 0.14

    def follow_up_probability(self, first_seen: str, dropped: bool) -> float:
        if self._active("registry_gap", first_seen):
            return 0.1
        return 0.35 if dropped else 0.78


def _month_index(label: str) -> int:
    year, month = (int(x) for x in label.split("-"))
    return year * 12 + month
