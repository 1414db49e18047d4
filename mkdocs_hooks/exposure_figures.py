"""MkDocs hook: the table of every dashboard figure and the marts behind it, rendered from the
dbt exposures (dbt_project/models/exposures.yml, each page's `config.meta.figures`) into the
page that holds the marker, so the table and dbt's lineage are one list."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

MARKER = "<!-- figures from the dbt exposures -->"


def figures_table(repository: Path) -> str:
    """The markdown table: a row per figure, pages in the dashboard's order."""
    exposures = yaml.safe_load(
        (repository / "dbt_project" / "models" / "exposures.yml").read_text())["exposures"]
    order = re.findall(r'url_path="([\w-]+)"', (repository / "dashboard" / "app.py").read_text())
    exposures.sort(key=lambda e: order.index(e["url"].rsplit("/", 1)[-1]))
    marts = {p.stem: p.relative_to(repository).as_posix()
             for p in (repository / "dbt_project" / "models" / "marts").rglob("*.sql")}
    rows = ["| page | figure | columns | marts |", "|---|---|---|---|"]
    for exposure in exposures:
        page = exposure["label"].removeprefix("Dashboard: ")
        for figure in exposure["config"]["meta"]["figures"]:
            named = ", ".join(f"`{m}` (`{marts[m]}`)" for m in figure["marts"])
            rows.append(f"| {page} | {figure['figure']} | {figure['columns']} | {named} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, figures_table(Path(config.config_file_path).parent))
