"""Publish the marts to the copy the dashboard reads.

The dashboard never opens the warehouse: a run may be writing it, and DuckDB lets one process
write or many read, never both. After a run passes, the marts are copied into a new file that
atomically replaces the published one, so readers see the old copy or the new, never half.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from carepath.settings import Settings
from carepath.warehouse import open_read_only

PUBLISHED_SCHEMAS = ("marts",)
PUBLISHED_OPS_TABLES = ("loaded_files", "quarantine")


def ledger_state(settings: Settings) -> str | None:
    """A digest of the ledger: it changes whenever rows enter raw (a file loaded, a held row
    released), so a publication that carries an older digest is stale and must be rebuilt,
    whether the run that loaded the rows published or died before it could."""
    if not settings.warehouse_path.exists():
        return None
    with open_read_only(settings.warehouse_path) as con:
        try:
            rows = con.execute("""
                select string_agg(concat_ws(':', delivery_id, status, rows_loaded,
                                            rows_quarantined, rows_released),
                                  ',' order by delivery_id)
                from ops.loaded_files""").fetchall()
        except duckdb.CatalogException:
            return None
    return hashlib.sha256((rows[0][0] or "").encode()).hexdigest()


@dataclass(frozen=True)
class Publication:
    published_at: datetime
    dbt_fingerprint: str
    ledger_state: str | None


def publish(settings: Settings, fingerprint: str, ledger: str | None, run_info: dict) -> Path:
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
                    "dbt_fingerprint VARCHAR, ledger_state VARCHAR, run_info JSON)")
        con.execute("insert into ops.publication values (?, ?, ?, ?)",
                    [datetime.now(UTC), fingerprint, ledger,
                     json.dumps(run_info, default=str)])
        con.execute("detach wh")
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def current_publication(settings: Settings) -> Publication | None:
    if not settings.published_path.exists():
        return None
    try:
        with open_read_only(settings.published_path) as con:
            rows = con.execute("select published_at, dbt_fingerprint, ledger_state "
                               "from ops.publication").fetchall()
    except duckdb.Error:
        return None
    return Publication(*rows[0]) if rows else None
