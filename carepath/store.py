"""Where the loader keeps what it loaded: raw extracts, the ledger, the quarantine and the
pseudonym key's fingerprint.

Two engines can hold them. DuckDB, the default, is one file in the data folder
(`warehouse.duckdb`): files are staged, judged and committed in that one database. PostgreSQL
(`CAREPATH_WAREHOUSE=postgresql://...`) holds them for a network that outgrew one machine:
files are still read, mapped, pseudonymised and judged in DuckDB, in a scratch database under
the run's work folder, and each batch's rows cross to PostgreSQL with COPY inside the batch's
one PostgreSQL transaction. Either way the loader speaks to its store through the same few
calls: `execute(sql, params).fetchall()` with `?` placeholders, explicit `begin transaction`,
`commit` and `rollback`, and `insert_selected` for the rows a batch commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from carepath.settings import Settings

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# PostgreSQL text cannot hold NUL (U+0000); a hostile file's cell can. Where such a cell is kept
# (an offending value, a rejection's reason) it shows U+2400, the symbol for null, instead.
NUL_STAND_IN = "\u2400"
# COPY streams a staged batch in pieces of this size, so a batch of any size costs bounded memory.
COPY_CHUNK_BYTES = 1 << 20


class WarehouseSettingError(ValueError):
    """CAREPATH_WAREHOUSE names something carepath cannot use."""


@dataclass(frozen=True)
class WarehouseLocation:
    """Which engine holds the warehouse: `url` for PostgreSQL, else the DuckDB file `path`."""

    path: Path
    url: str | None = None

    @property
    def dialect(self) -> str:
        return "postgres" if self.url else "duckdb"

    def describe(self) -> str:
        """The location without its password, for logs and status."""
        if not self.url:
            return str(self.path)
        import psycopg.conninfo

        parts = psycopg.conninfo.conninfo_to_dict(self.url)
        return (f"postgresql://{parts.get('user', '')}@{parts.get('host', '')}"
                f":{parts.get('port', '5432')}/{parts.get('dbname', '')}")


def warehouse_location(settings: Settings) -> WarehouseLocation:
    """The PostgreSQL warehouse the settings name ($CAREPATH_WAREHOUSE, a postgresql:// URL);
    without one, the DuckDB file in the data folder. Anything else is refused rather than
    guessed at."""
    url = settings.warehouse_url
    if not url:
        return WarehouseLocation(settings.warehouse_path)
    if not url.startswith(POSTGRES_SCHEMES):
        raise WarehouseSettingError(
            f"CAREPATH_WAREHOUSE must be a postgresql:// URL (unset, the warehouse is DuckDB's "
            f"{settings.warehouse_path}); got {url.split('://')[0]}://...")
    return WarehouseLocation(settings.warehouse_path, url)


@cache
def _local_time_zone() -> str:
    """The time zone DuckDB takes for local time on this machine (asked once per process)."""
    with duckdb.connect() as clock:
        return clock.execute("select current_setting('TimeZone')").fetchall()[0][0]


class DuckDBStore:
    """The DuckDB warehouse file: staging and store are one connection."""

    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def execute(self, sql: str, params: Sequence[Any] | None = None):
        return self.con.execute(sql, params or [])

    def insert_selected(self, stage: duckdb.DuckDBPyConnection, table: str,
                        columns: Sequence[str], select_sql: str,
                        params: Sequence[Any] | None = None) -> None:
        """Insert the rows `select_sql` returns on the staging connection into `table`."""
        self.con.execute(f"insert into {table} ({', '.join(columns)}) {select_sql}",
                         params or [])

    def checkpoint(self) -> None:
        self.con.execute("checkpoint")


class PostgresStore:
    """A PostgreSQL warehouse. The connection is in autocommit mode, so a batch's transaction is
    exactly the span between the loader's own `begin transaction` and `commit`."""

    dialect = "postgres"

    def __init__(self, url: str, scratch_dir: Path | None = None):
        import psycopg

        self.con = psycopg.connect(url, autocommit=True)
        self._scratch_dir = scratch_dir
        encoding = self.con.execute("show server_encoding").fetchone()[0]
        if encoding.upper() not in ("UTF8", "UTF-8"):
            self.con.close()
            raise WarehouseSettingError(
                f"the PostgreSQL database's encoding is {encoding}; carepath needs UTF8 "
                "(create it with ENCODING 'UTF8')")
        # Times without a zone (arrival, load) are the machine's wall clock, as in DuckDB.
        self.con.execute("select set_config('TimeZone', %s, false)", [_local_time_zone()])

    def execute(self, sql: str, params: Sequence[Any] | None = None):
        if not params:
            return self.con.execute(sql)  # without parameters, psycopg sends the text as is
        values = [p.replace("\x00", NUL_STAND_IN) if isinstance(p, str) else p for p in params]
        return self.con.execute(sql.replace("%", "%%").replace("?", "%s"), values)

    def insert_selected(self, stage: duckdb.DuckDBPyConnection, table: str,
                        columns: Sequence[str], select_sql: str,
                        params: Sequence[Any] | None = None) -> None:
        """COPY the rows `select_sql` returns on the staging connection into `table`: DuckDB
        writes them as CSV (an empty text quoted, a null bare, which COPY reads back the same)
        and PostgreSQL reads the file in chunks."""
        batch = self.scratch_file("copy-batch.csv")
        path = str(batch).replace("'", "''")
        stage.execute(f"copy ({select_sql}) to '{path}' (format csv, header false)",
                      params or [])
        try:
            with self.con.cursor().copy(
                    f"copy {table} ({', '.join(columns)}) from stdin (format csv)") as copy:
                with batch.open("rb") as fh:
                    while chunk := fh.read(COPY_CHUNK_BYTES):
                        copy.write(chunk)
        finally:
            batch.unlink(missing_ok=True)

    def scratch_file(self, name: str) -> Path:
        """A file for rows on their way between the engines (a store that only reads has
        no scratch folder)."""
        if self._scratch_dir is None:
            raise RuntimeError("this PostgreSQL store was opened without a scratch folder")
        self._scratch_dir.mkdir(parents=True, exist_ok=True)
        return self._scratch_dir / name

    def copy_out(self, sql: str, path: Path) -> None:
        """Write the rows of `sql` to `path` as CSV (for DuckDB to read)."""
        with path.open("wb") as fh, self.con.cursor().copy(
                f"copy ({sql}) to stdout (format csv)") as copy:
            for chunk in copy:
                fh.write(chunk)

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL checkpoints on its own."""

    def close(self) -> None:
        self.con.close()


Store = DuckDBStore | PostgresStore


def store_errors() -> tuple[type[Exception], ...]:
    """The errors either engine raises for a query that fails."""
    import psycopg

    return (duckdb.Error, psycopg.Error)


@contextmanager
def open_store_read_only(settings: Settings) -> Iterator[Store]:
    """The store for reading only, closed on leaving the block (on DuckDB, a reader must not
    hold the file past its question: it would block the next writer)."""
    location = warehouse_location(settings)
    if location.url is None:
        con = duckdb.connect(str(location.path), read_only=True)
        try:
            yield DuckDBStore(con)
        finally:
            con.close()
        return
    store = PostgresStore(location.url, settings.data_dir / "copy-scratch")
    try:
        store.execute("set default_transaction_read_only = on")
        yield store
    finally:
        store.close()


@contextmanager
def open_store(settings: Settings) -> Iterator[tuple[Store, duckdb.DuckDBPyConnection]]:
    """The store and the DuckDB connection files are staged in, for one load."""
    location = warehouse_location(settings)
    if location.url is None:
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(settings.warehouse_path))
        try:
            yield DuckDBStore(con), con
        finally:
            con.close()
        return
    # The scratch database lives beside the work folder, which the load empties as it ends.
    scratch = settings.data_dir / "stage-scratch.duckdb"
    for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
        leftover.unlink(missing_ok=True)
    store = PostgresStore(location.url, settings.data_dir / "copy-scratch")
    try:
        stage = duckdb.connect(str(scratch))
    except BaseException:
        store.close()
        raise
    try:
        yield store, stage
    finally:
        stage.close()
        store.close()
        for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
            leftover.unlink(missing_ok=True)
