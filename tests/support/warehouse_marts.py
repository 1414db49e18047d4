"""Every mart of a warehouse as plain rows, on DuckDB or PostgreSQL (support.mart_parity
compares them)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg

from support.mart_parity import MartRows


def duckdb_marts(path: Path, schema: str = "marts") -> dict[str, MartRows]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = con.execute("select table_name from duckdb_tables() where schema_name = ?",
                            [schema]).fetchall()
        marts = {}
        for (name,) in names:
            cursor = con.execute(f"select * from {schema}.{name}")
            marts[name] = MartRows(tuple(c[0] for c in cursor.description), cursor.fetchall())
        return marts
    finally:
        con.close()


def postgres_marts(url: str, schema: str = "marts") -> dict[str, MartRows]:
    with psycopg.connect(url) as con:
        names = con.execute("select table_name from information_schema.tables "
                            "where table_schema = %s", [schema]).fetchall()
        marts = {}
        for (name,) in names:
            cursor = con.execute(f'select * from {schema}."{name}"')
            marts[name] = MartRows(tuple(c.name for c in cursor.description), cursor.fetchall())
        return marts
