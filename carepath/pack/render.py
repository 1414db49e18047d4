"""A pack as one self-contained HTML file (styles and charts inline: it opens with no network)
and as PDF, printed from that HTML by Debian's chromium.

The charts are the dashboard's own (carepath.charts), drawn to SVG by vl-convert, which needs
no browser. Every value is escaped: a site's text never becomes markup.
"""

from __future__ import annotations

import html
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import vl_convert

from carepath.charts.formats import formatted
from carepath.charts.spc import ASSURANCE_ICONS, VARIATION_ICONS, VARIATION_STYLE, spc_chart
from carepath.charts.withheld import drawable_rows
from carepath.pack.content import PackContent, is_mark
from carepath.pack.narrative import narrative
from carepath.publish.disclosure import COMPLEMENT, indicator_counts

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #231f20; margin: 2em; }
h1 { color: #005eb8; } h2 { color: #003087; border-bottom: 2px solid #005eb8; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #aeb7bd; padding: 0.3em 0.6em; text-align: left; }
td.n { text-align: right; } .note { color: #425563; font-size: 0.85em; }
section.indicator { break-inside: avoid; page-break-inside: avoid; }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _cell(value: object, unit: str) -> str:
    shown = value if is_mark(value) else formatted(value, unit)
    return f'<td class="n">{_e(shown)}</td>'


def _chart_svg(page, marks: set[str]) -> str:
    if page.points.empty:
        return '<p class="note">No month of this indicator is charted yet.</p>'
    # The dashboard's rule: a month counted over a withheld count is not drawn.
    drawable = drawable_rows(page.points, indicator_counts(page.unit), marks)
    if drawable.empty:
        return '<p class="note">Every month is withheld (counted over too few to publish).</p>'
    spec = spc_chart(drawable).properties(width=640, height=220).to_dict()
    return vl_convert.vegalite_to_svg(spec)


def _summary_rows(content: PackContent) -> str:
    rows = []
    for page in content.indicators:
        point, summary = page.latest, page.summary
        variation = "" if point is None else VARIATION_STYLE.get(point.variation,
                                                                 ("Withheld",))[0]
        assurance = ""
        if summary is not None and summary.assurance_icon in ASSURANCE_ICONS:
            assurance = ASSURANCE_ICONS[summary.assurance_icon][2]
        icon = ""
        if summary is not None and summary.variation_icon in VARIATION_ICONS:
            icon = VARIATION_ICONS[summary.variation_icon][2]
        target = None if point is None else point.target_value
        rows.append(
            f"<tr><td>{_e(page.label)}</td>"
            + (_cell(point.value, page.unit) if point is not None else "<td></td>")
            + ("<td></td>" if target is None or pd.isna(target) else _cell(target, page.unit))
            + f"<td>{_e(icon or variation)}</td><td>{_e(assurance)}</td>"
            + "".join(_cell(point[c], page.unit) if point is not None else "<td></td>"
                      for c in ("centre", "lower_limit", "upper_limit"))
            + "</tr>")
    return "\n".join(rows)


def _findings(content: PackContent) -> str:
    if content.findings.empty:
        return "<p>No bottleneck stands out in the months up to this one.</p>"
    words = (content.findings.evidence if content.site_code is None
             else content.findings.evidence_own_site)
    rows = "\n".join(
        f"<tr><td>{_e(site)}</td><td>{_e(label)}</td><td>{_e(text)}</td></tr>"
        for site, label, text in zip(content.findings.site_code,
                                     content.findings.indicator_label, words, strict=True))
    return ("<table><tr><th>Site</th><th>Indicator</th><th>Evidence</th></tr>"
            f"{rows}</table>")


def _wait_bands(content: PackContent) -> str:
    bands = content.wait_bands
    if bands.empty:
        return "<p>No census at this month's end.</p>"
    every = bands[bands.is_all_priorities.astype(bool)] if "is_all_priorities" in bands else bands
    rows = "\n".join(f"<tr><td>{_e(band)}</td>{_cell(n, 'count')}</tr>"
                     for band, n in zip(every.wait_band, every.pathways_waiting, strict=True))
    return (f"<p>Pathways waiting on {content.census_date:%d %B %Y}, every priority, by whole "
            "weeks waited.</p><table><tr><th>Weeks waited</th><th>Pathways waiting</th></tr>"
            f"{rows}</table>")


def pack_html(content: PackContent) -> str:
    """The pack as one HTML document."""
    month = pd.Timestamp(content.month)
    marks = {content.policy.withheld_label, COMPLEMENT}
    sections = []
    for page in content.indicators:
        sections.append(
            f'<section class="indicator"><h3>{_e(page.label)}</h3>{_chart_svg(page, marks)}'
            f"<p>{_e(narrative(page, month))}</p></section>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(content.title)}</title>
<style>{STYLE}</style></head><body>
<header><h1>{_e(content.title)}</h1>
<p>Period: {month:%B %Y}. Figures as published {content.published_at:%d %B %Y %H:%M UTC}.</p>
<p class="note">Disclosure control: {_e(content.policy.describe())}
{content.withheld_cells:,} figures of the marts read for this pack are withheld.</p></header>
<h2>Summary</h2>
<table><tr><th>Indicator</th><th>{month:%b %Y}</th><th>Target</th><th>Variation</th>
<th>Assurance</th><th>Mean</th><th>Lower limit</th><th>Upper limit</th></tr>
{_summary_rows(content)}</table>
<h2>Indicators</h2>
{"".join(sections)}
<h2>Bottlenecks</h2>
{_findings(content)}
<h2>The waiting list</h2>
{_wait_bands(content)}
</body></html>
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise FileNotFoundError("chromium is needed to print a pack as PDF (Debian's package "
                                "chromium; `make browser` installs it)")
    return found


def print_pdf(html_file: Path, pdf_file: Path) -> None:
    """Print the HTML file to PDF with headless chromium."""
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf_file}", html_file.resolve().as_uri()],
        capture_output=True, text=True, timeout=180)
    if result.returncode != 0 or not pdf_file.exists():
        raise RuntimeError(f"chromium could not print {html_file}: {result.stderr[-500:]}")

