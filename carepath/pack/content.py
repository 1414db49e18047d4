"""What a monthly QI pack holds, read from the published copy as a published audience sees it.

A pack leaves the service by definition, so every figure in it passes the one disclosure
function (carepath.publish.disclosure_views, under CAREPATH_DISCLOSURE_POLICY), as a board
member's dashboard does: the same cells, the same marks, and a count of what was withheld. The
pack selects rows of the marts (reader queries) for its month and its site, and computes no
figure of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from carepath.charts.labels import CodeLabels
from carepath.publish import reader
from carepath.publish.disclosure_declarations import load_declarations
from carepath.publish.disclosure_policies import Policy, policy_named
from carepath.publish.disclosure_views import disclosed_marts, published_answer
from carepath.publish.published_copy import Published, published_copy
from carepath.settings import Settings


class NoSuchMonth(ValueError):
    """A month the published marts do not judge (before the charts start, or not yet whole)."""


@dataclass
class PublishedReads:
    """Reader queries as a published audience sees them, with what each withheld."""

    published: Published
    policy: Policy
    declarations: dict
    marts: dict = field(init=False)
    withheld: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.marts = disclosed_marts(self.published, self.declarations, self.policy)

    def read(self, query, *args) -> pd.DataFrame:
        answer = query(self.published, *args)
        shown = published_answer(query.__name__, answer, self.marts, self.declarations,
                                 self.policy)
        if shown is None:
            raise PermissionError(f"{query.__name__} lists referrals or files: not published")
        self.withheld[query.__name__] = self.withheld.get(query.__name__, 0) + len(
            shown.withheld)
        return shown.frame


@dataclass
class IndicatorPage:
    indicator_id: str
    label: str
    unit: str
    points: pd.DataFrame  # fct_spc_points up to the pack's month
    latest: pd.Series | None  # the month's point, if it has one
    summary: pd.Series | None  # fct_spc_summary's row, when its latest month is the pack's


@dataclass
class PackContent:
    month: date
    site_code: str | None  # None: the network's pack
    site_name: str
    published_at: pd.Timestamp
    policy: Policy
    indicators: list[IndicatorPage]
    findings: pd.DataFrame
    wait_bands: pd.DataFrame
    census_date: date | None
    labels: CodeLabels
    withheld_cells: int

    @property
    def title(self) -> str:
        return f"{self.site_name}: quality improvement pack, {self.month:%B %Y}"


def month_of(text: str) -> date:
    """A month given as YYYY-MM."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise ValueError(f"a month is YYYY-MM, not {text!r}") from exc


def published_reads(settings: Settings) -> PublishedReads:
    """The published copy's reads under the policy in force, decided once for every pack."""
    return PublishedReads(published_copy(settings),
                          policy_named(settings.disclosure_policy, settings.disclosure_min_count),
                          load_declarations(settings.dbt_project_dir / "models" / "marts"))


def pack_content(settings: Settings, month: date, site_code: str | None,
                 reads: PublishedReads | None = None) -> PackContent:
    """The pack of `site_code` (None: the network) for `month`, under the disclosure policy."""
    reads = reads or published_reads(settings)
    reads.withheld = {}  # this pack's own record
    published, policy = reads.published, reads.policy
    sites = set(reads.read(reader.sites).site_code.dropna())
    if site_code is not None and site_code not in sites:
        raise ValueError(f"no site {site_code!r} in the published marts (sites: "
                         f"{', '.join(sorted(sites))})")
    selection = reader.Selection(month_to=month)
    pages = []
    months = set()
    for indicator in reads.read(reader.indicators).itertuples():
        points = reads.read(reader.spc_points, site_code, indicator.indicator_id, selection)
        months |= set(pd.to_datetime(points.indicator_month).dt.date)
        at_month = points[pd.to_datetime(points.indicator_month).dt.date == month]
        summary = reads.read(reader.spc_summary, site_code, indicator.indicator_id)
        latest_summary = summary[pd.to_datetime(summary.latest_month).dt.date == month]
        pages.append(IndicatorPage(indicator.indicator_id, indicator.indicator_label,
                                   indicator.indicator_unit, points,
                                   None if at_month.empty else at_month.iloc[0],
                                   None if latest_summary.empty else latest_summary.iloc[0]))
    if month not in months:
        judged = sorted(months)
        raise NoSuchMonth(f"{month:%Y-%m} is not a month the charts judge"
                          + (f" (they run from {judged[0]:%Y-%m} to {judged[-1]:%Y-%m})"
                             if judged else " (nothing is charted yet)"))
    scope = reader.Selection(sites=() if site_code is None else (site_code,))
    findings = reads.read(reader.bottlenecks, 10, scope)
    findings = findings[pd.to_datetime(findings.period_start).dt.date <= month]
    bands = reads.read(reader.waiting_list_wait_bands,
                       reader.Selection(sites=scope.sites, month_from=month, month_to=month))
    month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    bands = bands[pd.to_datetime(bands.census_date).dt.date == month_end]
    # The publication's time is no figure: read as it is.
    published_at = reader.published_at(published)
    return PackContent(
        month=month, site_code=site_code,
        site_name="The network" if site_code is None else site_code,
        published_at=published_at, policy=policy, indicators=pages, findings=findings,
        wait_bands=bands, census_date=month_end if not bands.empty else None,
        labels=CodeLabels(reads.read(reader.code_labels)),
        withheld_cells=sum(reads.withheld.values()))


def is_mark(value: object) -> bool:
    """Whether a figure is withheld: its place holds the policy's mark or a complement's."""
    return isinstance(value, str)
