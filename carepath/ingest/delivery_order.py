"""Which of a site's deliveries is the newest, so that "newest delivery wins" per record.

A delivery is placed by what it says about itself, compared part by part as typed values: the
delivery date its file name carries, then the month it covers, then its version (a name without
one is version 1), then its arrival time, then its path in byte order. A part the name does not
carry sorts before every value of it, so an undated file is older than any dated one and a site
whose names say nothing is ordered by arrival. The same files therefore give the same current
rows whatever order they arrived in. The parts are never joined into one string: a joined key
sorts an absent part by its separator (a missing version above every digit).

Every raw row carries its delivery's parts as lineage columns (carepath.warehouse.LINEAGE); dbt's
macro `newest_delivery`, the gate's `attended_after_received` rule and the tracing of failed
dbt tests read them in the order NEWEST_FIRST gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from carepath.ingest.mapping import NameFacts

# A version the file name does not give: the first sending.
UNVERSIONED = 1

# Newest first, for an `order by` over raw rows (DuckDB and PostgreSQL read it alike).
NEWEST_FIRST = ("_delivered_on desc nulls last, _data_period desc nulls last, "
                "_delivery_version desc, _arrived_at desc, _source_file desc")


@dataclass(frozen=True)
class DeliveryOrder:
    """The parts that place one delivery among its site's others."""

    delivered_on: date | None  # the delivery date the file name carries
    data_period: str | None  # YYYY-MM, the month the name says the data covers
    version: int  # the name's version, UNVERSIONED when it gives none
    arrived_at: datetime  # the file's modification time as it landed
    source_file: str  # the path under the landing folder

    @classmethod
    def of(cls, facts: NameFacts, arrived_at: datetime, relative: str) -> DeliveryOrder:
        return cls(facts.delivered_on, facts.period,
                   facts.version if facts.version is not None else UNVERSIONED,
                   arrived_at, relative)


def named_order(facts: NameFacts) -> tuple:
    """What a file's name says of its place among the site's deliveries (date, period,
    version), comparable as NEWEST_FIRST compares them: a part the name does not carry is the
    oldest. Arrival and path, which say nothing about the data, are left out."""
    return (facts.delivered_on is not None, facts.delivered_on or date.min,
            facts.period is not None, facts.period or "",
            facts.version if facts.version is not None else UNVERSIONED)
