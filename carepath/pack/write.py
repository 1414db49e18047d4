"""`carepath pack`: the month's packs, the network's and each site's, as HTML and PDF."""

from __future__ import annotations

from pathlib import Path

from carepath.pack.content import month_of, pack_content, published_reads
from carepath.pack.render import pack_html, print_pdf
from carepath.publish import reader
from carepath.publish.published_copy import published_copy
from carepath.settings import Settings


def write_packs(settings: Settings, month_text: str, out: Path,
                sites: list[str] | None = None, pdf: bool = True) -> list[Path]:
    """Write `<out>/<YYYY-MM>/<network|SITE>.html` (and .pdf); the files written. Without
    `sites`: the network's pack and every site's."""
    month = month_of(month_text)
    if not published_copy(settings).exists():
        raise ValueError("nothing is published yet: run the pipeline first")
    chosen: list[str | None] = list(sites) if sites else [
        None, *sorted(reader.sites(published_copy(settings)).site_code.dropna())]
    folder = out / f"{month:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True)
    reads = published_reads(settings)
    written = []
    for site in chosen:
        content = pack_content(settings, month, site, reads)
        html_file = folder / f"{site or 'network'}.html"
        html_file.write_text(pack_html(content), encoding="utf-8")
        written.append(html_file)
        if pdf:
            pdf_file = html_file.with_suffix(".pdf")
            print_pdf(html_file, pdf_file)
            written.append(pdf_file)
    return written
