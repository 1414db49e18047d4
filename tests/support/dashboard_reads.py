"""Which marts each dashboard page reads: the reader queries its module names, and those of the
dashboard modules it imports (filters, components, charts, drill-downs), mapped to their marts
by reader.SOURCES. A page may not call every query a helper module offers, so this is the set
of marts whose change can reach the page: what its dbt exposure declares."""

from __future__ import annotations

import re
from pathlib import Path

from carepath.publish import reader
from support.paths import ROOT

DASHBOARD = ROOT / "dashboard"


def _imported_modules(path: Path, seen: set[Path]) -> set[Path]:
    for name in re.findall(r"^from (\w+) import", path.read_text(), re.M):
        module = DASHBOARD / f"{name}.py"
        if module.exists() and module not in seen:
            seen.add(module)
            _imported_modules(module, seen)
    return seen


def marts_read_by(page: Path) -> set[str]:
    queries: set[str] = set()
    for module in {page} | _imported_modules(page, set()):
        queries |= set(re.findall(r"reader\.(\w+)", module.read_text()))
    marts = set()
    for query in queries & set(reader.SOURCES):
        source = reader.SOURCES[query]
        marts |= {source.mart, *(mart for _, mart, _ in source.columns)}
    return marts


def pages() -> list[Path]:
    return sorted((DASHBOARD / "views").glob("*.py"))
