"""The demo sites: who they are and how they deliver (bottlenecks.py plants their bottlenecks)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    volume: float  # mean referrals a month at scale 1
    # A name for the site's own file layout, recorded in the ground truth; None = the canonical
    # contract. The layout itself is the site's mapping file (mappings/<code>.yml): the
    # generator writes the site's files by it, as the loader reads them by it.
    layout: str | None = None
    dna_rate: float = 0.07
    item_level_questionnaires: bool = False


# Eight sites is the roster; `--sites N` takes the first N. Each has a committed mapping file.
ROSTER: tuple[Site, ...] = (
    Site("ASH", "Ashby Cancer Centre", volume=60, item_level_questionnaires=True),
    Site("BRA", "Brampton General", volume=45, layout="brampton"),
    Site("CAR", "Carlow University Hospital", volume=55),
    Site("DEN", "Denholm Community Rehab", volume=30),
    Site("ELM", "Elmwood District", volume=35),
    Site("FAI", "Fairhaven Oncology", volume=40),
    Site("GLE", "Glenmore Royal", volume=50),
    Site("HAR", "Harwick Infirmary", volume=25),
)


def choose_sites(n: int) -> list[Site]:
    if not 1 <= n <= len(ROSTER):
        raise ValueError(f"--sites must be between 1 and {len(ROSTER)} (the demo roster), got {n}")
    return list(ROSTER[:n])
