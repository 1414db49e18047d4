"""Copy the loader's tables (raw extracts, ledger, quarantine) to Parquet, for an engine that
builds the marts from files: Spark reads them as external tables (dbt macro
register_landed_tables), so the marts it builds start from exactly the rows the gate let in.

One file per table, `<out>/<schema>/<table>.parquet`, each written beside its final name and
renamed over it, so a reader sees a table's previous copy or its new one, never half.
"""

from __future__ import annotations

import os
from pathlib import Path

from carepath.contract import EXTRACTS
from carepath.settings import Settings
from carepath.warehouse import open_read_only

LANDED_TABLES = (*(("raw", e) for e in EXTRACTS), ("ops", "loaded_files"), ("ops", "quarantine"))


def export_parquet(settings: Settings, out_dir: Path) -> dict[str, int]:
    """Write every landed table under `out_dir`; returns the rows written per table."""
    written = {}
    with open_read_only(settings.warehouse_path) as con:
        for schema, table in LANDED_TABLES:
            target = out_dir / schema / f"{table}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            con.execute(f"copy {schema}.{table} to '{_sql_path(partial)}' "
                        "(format parquet, compression zstd)")
            os.replace(partial, target)
            written[f"{schema}.{table}"] = con.execute(
                f"select count(*) from {schema}.{table}").fetchall()[0][0]
    return written


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
