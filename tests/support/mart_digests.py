"""A digest of every mart's rows, to hold a refactoring of the models to the rows it had.

A mart's digest is the SHA-256 of its column names and its rows, each value normalised as
support.mart_parity reads it, floating-point figures to 9 significant digits (a sum over the
same rows in another thread order may differ in its last bits), the rows sorted. Columns that
hold a pseudonym are left out: the key, and so every pseudonym, is new in each data folder; so
are the marts of the delivery ledger, whose rows carry the run's own times and paths.

Recording (when a mart's rows change on purpose, record again and say why in the commit), and
checking a bigger network than the suite builds:

    .venv/bin/python tests/support/mart_digests.py --record tests/fixtures/mart_digests/demo.json
    .venv/bin/python tests/support/mart_digests.py --check FILE --network \
        '{"sites": 8, "months": 24, "seed": 42}'
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the tests folder holds `support`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.mart_parity import MartRows, normalise
from support.warehouse_marts import duckdb_marts

PSEUDONYM_COLUMNS = ("patient_pseudonym", "patient_key", "pseudonym")
RUN_DEPENDENT_MARTS = ("fct_deliveries", "fct_quarantined_rows")


def _text(value: object) -> str:
    kind, comparable = normalise(value)
    if isinstance(comparable, float) and math.isfinite(comparable):
        comparable = float(f"{comparable:.9g}")
    return f"{kind}:{comparable!r}"


def digest(mart: MartRows) -> str:
    kept = [i for i, c in enumerate(mart.columns) if c not in PSEUDONYM_COLUMNS]
    rows = sorted("\x1f".join(_text(row[i]) for i in kept) for row in mart.rows)
    content = "\x1e".join(["\x1f".join(mart.columns[i] for i in kept), *rows])
    return hashlib.sha256(content.encode()).hexdigest()


def warehouse_digests(warehouse: Path) -> dict[str, dict[str, object]]:
    """Every mart of a DuckDB warehouse: its row count and digest, by name."""
    return {name: {"rows": len(rows.rows), "digest": digest(rows)}
            for name, rows in sorted(duckdb_marts(warehouse).items())
            if name not in RUN_DEPENDENT_MARTS}


def differences(recorded: dict, built: dict) -> list[str]:
    """What differs between two sets of digests, one line per mart."""
    lines = []
    for name in sorted(set(recorded) | set(built)):
        if name not in built:
            lines.append(f"{name}: recorded, not built")
        elif name not in recorded:
            lines.append(f"{name}: built, not recorded")
        elif built[name] != recorded[name]:
            was, now = recorded[name]["rows"], built[name]["rows"]
            lines.append(f"{name}: {was} rows recorded, {now} built, not the same rows")
    return lines


def _built(network: dict) -> Path:
    """A fresh data folder with `network` generated and run through the pipeline."""
    from carepath.generate import generate
    from carepath.pipeline import run_pipeline
    from carepath.settings import load_settings

    os.environ.setdefault("CAREPATH_SETTLE_SECONDS", "0")
    data = Path(tempfile.mkdtemp(prefix="mart-digests-"))
    settings = load_settings(data)
    generate(settings.landing_dir, **network)
    summary = run_pipeline(settings)
    if not summary.ok:
        raise SystemExit(summary.render())
    return settings.warehouse_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--record", type=Path, help="write the digests to this JSON file")
    action.add_argument("--check", type=Path, help="compare the digests with this JSON file")
    parser.add_argument("--network", default='{"sites": 4, "months": 6, "scale": 0.4, '
                                              '"seed": 32}',
                        help="the generator's arguments as JSON (default: the suite's demo)")
    args = parser.parse_args(argv)
    warehouse = _built(json.loads(args.network))
    try:
        built = warehouse_digests(warehouse)
    finally:
        shutil.rmtree(warehouse.parent, ignore_errors=True)
    if args.record:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text(json.dumps(built, indent=1) + "\n")
        return 0
    problems = differences(json.loads(args.check.read_text()), built)
    print("\n".join(problems) or f"every one of {len(built)} marts has its recorded rows")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
