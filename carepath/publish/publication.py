"""Publish the marts to the copy the dashboard reads.

The dashboard never reads the warehouse's own marts: a run may be rebuilding them, and DuckDB
lets one process write or many read, never both. After a run passes, the marts (and the ledger
and quarantine the data-quality page shows) are copied whole, and the copy replaces the
published one at once, so readers see the old copy or the new, never half:
- on DuckDB, into a new file that is renamed over `published.duckdb`;
- on PostgreSQL, into the schemas `published_marts` and `published_ops`, built beside the
  published ones and swapped in by one transaction.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from carepath.ingest.discover import file_sha256
from carepath.settings import Settings
from carepath.store import PostgresStore, open_store_read_only, store_errors, warehouse_location
from carepath.warehouse import open_read_only

PUBLISHED_SCHEMAS = ("marts",)
PUBLISHED_OPS_TABLES = ("loaded_files", "quarantine")
# On PostgreSQL: the published schemas, for each warehouse schema published.
POSTGRES_PUBLISHED = {"marts": "published_marts", "ops": "published_ops"}


def ledger_state(settings: Settings) -> str | None:
    """A digest of the ledger: it changes whenever rows enter raw (a file loaded, a held row
    released), so a publication that carries an older digest is stale and must be rebuilt,
    whether the run that loaded the rows published or died before it could."""
    location = warehouse_location(settings)
    if location.url is None and not location.path.exists():
        return None
    with open_store_read_only(settings) as store:
        try:
            rows = store.execute("""
                select string_agg(concat_ws(':', delivery_id, status, rows_loaded,
                                            rows_quarantined, rows_released),
                                  ',' order by delivery_id)
                from ops.loaded_files""").fetchall()
        except store_errors():
            return None
    return hashlib.sha256((rows[0][0] or "").encode()).hexdigest()


def rows_in_warehouse(settings: Settings) -> int:
    """Rows the ledger says reached raw (loaded, or released from quarantine since): 0 means
    nothing has been loaded yet."""
    location = warehouse_location(settings)
    if location.url is None and not location.path.exists():
        return 0
    with open_store_read_only(settings) as store:
        try:
            rows = store.execute(
                "select coalesce(sum(rows_loaded), 0) from ops.loaded_files").fetchall()
        except store_errors():
            return 0
    return int(rows[0][0])


@dataclass(frozen=True)
class Publication:
    published_at: datetime
    dbt_fingerprint: str
    ledger_state: str | None


def publish(settings: Settings, fingerprint: str, ledger: str | None,
            run_info: dict) -> str:
    """Publish the warehouse's marts; returns where they were published."""
    location = warehouse_location(settings)
    if location.url is not None:
        _publish_postgres(location.url, settings, fingerprint, ledger, run_info)
        return f"{location.describe()} (schemas {', '.join(POSTGRES_PUBLISHED.values())})"
    return str(_publish_duckdb(settings, fingerprint, ledger, run_info))


def _publish_duckdb(settings: Settings, fingerprint: str, ledger: str | None,
                    run_info: dict) -> Path:
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
    digest = file_sha256(tmp)
    os.replace(tmp, target)
    # Written after the copy it describes: a crash between the two leaves a checksum that does
    # not match, which the next run reads as a damaged copy and republishes.
    checksum = checksum_path(target)
    pending = checksum.with_name(checksum.name + ".next")
    pending.write_text(digest + "\n")
    os.replace(pending, checksum)
    return target


def checksum_path(published: Path) -> Path:
    """Where the published DuckDB file's SHA-256, recorded at publication, is kept."""
    return published.with_name(published.name + ".sha256")


def published_copy_damaged(settings: Settings) -> bool:
    """Whether the published DuckDB file differs from the bytes that were published (a disk
    fault, or something writing into it): its SHA-256 no longer matches the one recorded at
    publication. A PostgreSQL publication is the database's to keep whole."""
    if warehouse_location(settings).url is not None or not settings.published_path.exists():
        return False
    checksum = checksum_path(settings.published_path)
    try:
        recorded = checksum.read_text().strip()
    except OSError:
        return True  # published without its checksum: nothing vouches for the copy
    return _digest(settings.published_path) != recorded


def _digest(path: Path) -> str:
    """The file's SHA-256, hashed again only when the file changed (one status or run asks
    more than once)."""
    st = path.stat()
    return _digest_of(str(path), st.st_ino, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _digest_of(path: str, inode: int, size: int, mtime_ns: int) -> str:
    return file_sha256(Path(path))


def _publish_postgres(url: str, settings: Settings, fingerprint: str, ledger: str | None,
                      run_info: dict) -> None:
    """Copy into `<published>_next` schemas outside any lock readers wait on, then swap them
    in with one short transaction: readers see the previous publication until it commits."""
    store = PostgresStore(url, settings.data_dir / "copy-scratch")
    try:
        tables = store.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' order by table_name").fetchall()
        copies = [("marts", name) for (name,) in tables]
        copies += [("ops", name) for name in PUBLISHED_OPS_TABLES]
        for published in POSTGRES_PUBLISHED.values():
            store.execute(f"drop schema if exists {published}_next cascade")
            store.execute(f"create schema {published}_next")
        for schema, table in copies:
            store.execute(f"create table {POSTGRES_PUBLISHED[schema]}_next.{table} as "
                          f"select * from {schema}.{table}")
        store.execute(f"""
            create table {POSTGRES_PUBLISHED['ops']}_next.publication (
                published_at timestamptz, dbt_fingerprint varchar, ledger_state varchar,
                run_info json)""")
        store.execute(f"insert into {POSTGRES_PUBLISHED['ops']}_next.publication "
                      "values (?, ?, ?, ?)",
                      [datetime.now(UTC), fingerprint, ledger, json.dumps(run_info, default=str)])
        store.execute("begin transaction")
        try:
            for published in POSTGRES_PUBLISHED.values():
                store.execute(f"drop schema if exists {published} cascade")
                store.execute(f"alter schema {published}_next rename to {published}")
            store.execute("commit")
        except BaseException:
            store.execute("rollback")
            raise
    finally:
        store.close()


def current_publication(settings: Settings) -> Publication | None:
    location = warehouse_location(settings)
    if location.url is not None:
        with open_store_read_only(settings) as store:
            try:
                rows = store.execute(
                    "select published_at, dbt_fingerprint, ledger_state "
                    f"from {POSTGRES_PUBLISHED['ops']}.publication").fetchall()
            except store_errors():
                return None
        return Publication(*rows[0]) if rows else None
    if not settings.published_path.exists():
        return None
    try:
        with open_read_only(settings.published_path) as con:
            rows = con.execute("select published_at, dbt_fingerprint, ledger_state "
                               "from ops.publication").fetchall()
    except duckdb.Error:
        return None
    return Publication(*rows[0]) if rows else None
