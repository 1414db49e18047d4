"""Publish the marts to the copy the dashboard reads.

The dashboard never opens the warehouse: a run may be writing it, and DuckDB lets one process
write or many read, never both. After a run passes, the marts are copied into a new file that
atomically replaces the published one, so readers see the old copy or the new, never half.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from carepath.settings import Settings

PUBLISHED_SCHEMAS = ("marts",)
PUBLISHED_OPS_TABLES = ("loaded_files", "quarantine")


def publish(settings: Settings, fingerprint: str, run_info: dict) -> Path:
    target = settings.published_path
    tmp = target.with_name(target.name + ".next")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{settings.warehouse_path}' as wh (read_only)")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = 'wh' and list_contains(?, schema_name) order by all",
            [list(PUBLISHED_SCHEMAS)]).fetchall()
        for schema, table in tables:
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {schema}.{table} as select * from wh.{schema}.{table}")
        con.execute("create schema if not exists ops")
        for table in PUBLISHED_OPS_TABLES:
            con.execute(f"create table ops.{table} as select * from wh.ops.{table}")
        con.execute("create table ops.publication (published_at TIMESTAMPTZ, "
                    "dbt_fingerprint VARCHAR, run_info JSON)")
        con.execute("insert into ops.publication values (?, ?, ?)",
                    [datetime.now(timezone.utc), fingerprint, json.dumps(run_info, default=str)])
        con.execute("detach wh")
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def published_fingerprint(settings: Settings) -> str | None:
    if not settings.published_path.exists():
        return None
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        rows = con.execute("select dbt_fingerprint from ops.publication").fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return rows[0][0] if rows else None
