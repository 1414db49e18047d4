"""The published copy the dashboard reads, on either engine.

On DuckDB it is the file `published.duckdb` (carepath.publish.publication replaces it whole);
on PostgreSQL the schemas `published_marts` and `published_ops`, swapped in by one transaction.
Readers name the marts and the ledger tables without a schema (`fct_site_performance`,
`loaded_files`): each copy is searched in its marts, then its ledger tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from carepath.publish.publication import POSTGRES_PUBLISHED
from carepath.settings import Settings
from carepath.store import PostgresStore, store_errors, warehouse_location


class NotPublishedYet(FileNotFoundError):
    pass


@dataclass(frozen=True)
class PublishedFile:
    """The DuckDB file a run published."""

    path: Path
    marts_schema = "marts"

    def exists(self) -> bool:
        return self.path.exists()

    def version(self) -> str:
        """Changes whenever a new publication replaces the copy (the file's modification)."""
        return str(self.path.stat().st_mtime_ns)

    def frame(self, sql: str, params: list | None = None) -> pd.DataFrame:
        if not self.path.exists():
            raise NotPublishedYet(f"{self.path} does not exist yet: run the pipeline first")
        # Opened for each question and closed after it: a reader holding the file would block
        # the next publication's rename on some systems and pin the old copy on all.
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            con.execute("set search_path = 'marts,ops'")
            return con.execute(sql, params or []).df()
        finally:
            con.close()

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class PublishedSchemas:
    """The schemas a run published in the PostgreSQL warehouse at `url`."""

    url: str
    marts_schema = POSTGRES_PUBLISHED["marts"]

    def _store(self) -> PostgresStore:
        store = PostgresStore(self.url)
        store.execute("set default_transaction_read_only = on")
        store.execute("select set_config('search_path', ?, false)",
                      [f"{POSTGRES_PUBLISHED['marts']}, {POSTGRES_PUBLISHED['ops']}"])
        return store

    def exists(self) -> bool:
        """Whether a publication is there; a warehouse that cannot be reached raises."""
        import psycopg

        try:
            return self.version() is not None
        except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
            return False

    def version(self) -> str | None:
        """Changes whenever a new publication is swapped in (its publication time)."""
        store = self._store()
        try:
            rows = store.execute(
                "select max(published_at)::text from "
                f"{POSTGRES_PUBLISHED['ops']}.publication").fetchall()
        finally:
            store.close()
        return rows[0][0] if rows else None

    def frame(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """The answer as DuckDB's own reader would give it: the rows pass through DuckDB with
        each column cast to the DuckDB type of its PostgreSQL type, so dates, times, numbers
        and missing values take the same pandas types on both engines."""
        store = self._store()
        try:
            cursor = store.execute(sql, params or [])
            types = store.con.adapters.types
            columns = [(column.name, _duckdb_type(types.get(column.type_code)))
                       for column in cursor.description]
            rows = cursor.fetchall()
        except store_errors() as problem:
            if "does not exist" in str(problem) and not self.exists():
                raise NotPublishedYet(f"nothing is published in {self} yet: run the pipeline "
                                      "first") from problem
            raise
        finally:
            store.close()
        with duckdb.connect() as typing:  # its own: Streamlit serves pages on many threads
            if not rows:
                return typing.execute("select " + ", ".join(
                    f'cast(null as {kind}) as "{name}"' for name, kind in columns)
                    + " where false").df()
            typing.register("answer", pd.DataFrame.from_records(
                rows, columns=[name for name, _ in columns]))
            return typing.execute("select " + ", ".join(
                f'cast(answer."{name}" as {kind}) as "{name}"' for name, kind in columns)
                + " from answer").df()

    def __str__(self) -> str:
        return f"{warehouse_description(self.url)} (schemas published_marts, published_ops)"


# PostgreSQL's types by name (psycopg's registry), as DuckDB types; anything else is text.
_DUCKDB_TYPES = {"int2": "SMALLINT", "int4": "INTEGER", "int8": "BIGINT", "numeric": "DOUBLE",
                 "float4": "FLOAT", "float8": "DOUBLE", "bool": "BOOLEAN", "date": "DATE",
                 "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ"}


def _duckdb_type(postgres_type) -> str:
    return _DUCKDB_TYPES.get(getattr(postgres_type, "name", None), "VARCHAR")


def warehouse_description(url: str) -> str:
    from carepath.store import WarehouseLocation

    return WarehouseLocation(Path("."), url).describe()


Published = PublishedFile | PublishedSchemas


def published_copy(settings: Settings) -> Published:
    """Where this installation's dashboard reads the marts."""
    location = warehouse_location(settings)
    if location.url is None:
        return PublishedFile(settings.published_path)
    return PublishedSchemas(location.url)
