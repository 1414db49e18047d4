"""Find landed files that the ledger has not seen, in delivery order."""

from __future__ import annotations

import hashlib
from pathlib import Path

from carepath.contract import EXTRACTS


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _order(path: Path, landing: Path) -> tuple:
    # Referrals first so that sessions and outcomes of the same delivery can refer to them;
    # then by name, which carries the delivery date in the sites' naming conventions.
    parts = path.relative_to(landing).parts
    extract = parts[1] if len(parts) > 1 else ""
    rank = EXTRACTS.index(extract) if extract in EXTRACTS else len(EXTRACTS)
    return (rank, path.name, str(path))


def landed_files(landing: Path) -> list[Path]:
    if not landing.is_dir():
        return []
    files = [p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(".")
             and p.name != "ground_truth.json"]
    return sorted(files, key=lambda p: _order(p, landing))
