"""The disclosure policies a published figure may be released under: what a count becomes, and
over how many people a statistic may be shown.

- `nhs_digital` (the default): NHS Digital's method for sub-national outputs (HES and ECDS
  disclosure control): a count from 1 to 7 becomes "*", every other count is rounded to the
  nearest 5 (0 stays 0); totals are computed from the true values and then rounded; a
  proportion is computed from the rounded numerator and denominator; a median, mean or other
  statistic is shown only over at least 8.
- `opensafely_midpoint6`: OpenSAFELY's midpoint 6 rounding, for when a zero must stay a zero
  and rounding must not bias rates: each count becomes the midpoint of its band of six
  (1-6 -> 3, 7-12 -> 9, 13-18 -> 15, ...; 0 stays 0); statistics over at least 8.
- `ons_10_5`: the ONS "10-5" rule: a count under 10 becomes "*", others are rounded to the
  nearest 5; statistics over at least 10.
- `threshold`: carepath's earlier rule, with its n (CAREPATH_DISCLOSURE_MIN_COUNT, default 5):
  a count from 1 to n - 1 shows as "<n", other counts exactly, statistics over at least n. Exact
  counts can be subtracted from their totals, so this policy alone also withholds complementary
  cells (disclosure.py).

Each shown count also says what it leaves possible (`possible`): the interval of true values
consistent with it, which the tests use to check that no withheld value can be worked out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WITHHELD = "*"


@dataclass(frozen=True)
class Policy:
    name: str
    redact_below: int  # counts from 1 to redact_below - 1 are withheld (1: none)
    rounding: str  # "none", "nearest" (to a multiple of base) or "midpoint" (of bands of base)
    base: int
    min_for_statistics: int  # a statistic is shown only over at least this many
    withheld_label: str = WITHHELD

    @property
    def rounds(self) -> bool:
        return self.rounding != "none"

    def is_withheld(self, count: float) -> bool:
        return 0 < count < self.redact_below

    def shown_count(self, count: float) -> int | str:
        """What a true count becomes: a number, or the withheld mark."""
        if count is None or (isinstance(count, float) and math.isnan(count)):
            raise ValueError("a missing count has nothing to show")
        value = int(round(count))
        if self.is_withheld(value):
            return self.withheld_label
        if self.rounding == "nearest":
            # Halves round up (12.5 cannot occur: counts are whole).
            return int(math.floor(value / self.base + 0.5)) * self.base
        if self.rounding == "midpoint":
            return 0 if value == 0 else math.ceil(value / self.base) * self.base - self.base // 2
        return value

    def possible(self, shown: int | str) -> tuple[int, int]:
        """The true counts a shown count leaves possible (inclusive)."""
        if shown == self.withheld_label:
            return 1, self.redact_below - 1
        value = int(shown)
        if value == 0:
            return 0, 0
        if self.rounding == "nearest":
            half = self.base // 2
            return max(value - half, self.redact_below), value + half
        if self.rounding == "midpoint":
            return value - self.base // 2 + 1, value - self.base // 2 + self.base
        return value, value

    def statistic_shown(self, over: float) -> bool:
        """Whether a statistic over `over` people or events may be shown."""
        return over is not None and not (isinstance(over, float) and math.isnan(over)) \
            and over >= self.min_for_statistics

    def describe(self) -> str:
        """The legend a table or export carries."""
        if self.rounding == "midpoint":
            return (f"Counts are rounded to the midpoint of their band of {self.base} "
                    f"(1-{self.base} shows as {self.base - self.base // 2}; 0 stays 0); "
                    f"figures over fewer than {self.min_for_statistics} show as "
                    f"{self.withheld_label} (policy {self.name}).")
        rounded = (f", other counts are rounded to the nearest {self.base}"
                   if self.rounding == "nearest" else "")
        return (f"{self.withheld_label}: a count from 1 to {self.redact_below - 1}, or a figure "
                f"over fewer than {self.min_for_statistics}{rounded} (policy {self.name}).")


POLICY_NAMES = ("nhs_digital", "opensafely_midpoint6", "ons_10_5", "threshold")
DEFAULT_POLICY = "nhs_digital"


class UnknownPolicy(ValueError):
    """CAREPATH_DISCLOSURE_POLICY names no policy carepath knows."""


def policy_named(name: str, threshold: int = 5) -> Policy:
    """The policy of that name; `threshold` is the n of the `threshold` policy."""
    if name == "nhs_digital":
        return Policy(name, redact_below=8, rounding="nearest", base=5, min_for_statistics=8)
    if name == "opensafely_midpoint6":
        return Policy(name, redact_below=1, rounding="midpoint", base=6, min_for_statistics=8)
    if name == "ons_10_5":
        return Policy(name, redact_below=10, rounding="nearest", base=5, min_for_statistics=10)
    if name == "threshold":
        return Policy(name, redact_below=threshold, rounding="none", base=1,
                      min_for_statistics=threshold, withheld_label=f"<{threshold}")
    raise UnknownPolicy(f"CAREPATH_DISCLOSURE_POLICY is {name!r}; use one of "
                        + ", ".join(POLICY_NAMES))
