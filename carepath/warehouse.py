"""The DuckDB warehouse: its schemas, the raw landing tables and the operational ledger."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from carepath.contract import COLUMNS, EXTRACTS

SQL_TYPES = {"string": "VARCHAR", "code": "VARCHAR", "timestamp": "TIMESTAMP",
             "number": "DOUBLE", "integer": "INTEGER"}

# Lineage columns every raw row carries, so any mart figure can be traced to a file and line.
LINEAGE = (("_delivery_id", "BIGINT"), ("_source_file", "VARCHAR"), ("_line_number", "BIGINT"))


def canonical_columns(extract: str) -> list[tuple[str, str]]:
    """Stored columns: the contract's, with the patient identifier replaced by its pseudonym."""
    return [("patient_key" if c.name == "patient_id" else c.name, SQL_TYPES[c.type])
            for c in COLUMNS[extract]]


# Columns only the validation gate sees: which cells failed to parse, and the site the file
# was delivered under (to catch a row claiming another site).
GATE_COLUMNS = (("_parse_failures", "VARCHAR"), ("_landed_site_code", "VARCHAR"))


def stage_columns(extract: str) -> list[tuple[str, str]]:
    return [*LINEAGE, *canonical_columns(extract), *GATE_COLUMNS]


def _raw_ddl(extract: str) -> str:
    cols = [*LINEAGE, *canonical_columns(extract), ("_loaded_at", "TIMESTAMP")]
    return (f"create table if not exists raw.{extract} ("
            + ", ".join(f"{n} {t}" for n, t in cols) + ")")


DDL = [
    "create schema if not exists raw",
    "create schema if not exists stage",
    "create schema if not exists ops",
    *(_raw_ddl(e) for e in EXTRACTS),
    """create table if not exists ops.loaded_files (
        delivery_id BIGINT primary key,
        file_sha256 VARCHAR not null unique,
        source_file VARCHAR not null,
        site_code VARCHAR,
        extract VARCHAR,
        status VARCHAR not null,          -- loaded | rejected
        rejection_reason VARCHAR,
        rows_in_file BIGINT,
        rows_loaded BIGINT,
        rows_quarantined BIGINT,
        file_modified_at TIMESTAMP,
        loaded_at TIMESTAMP not null
    )""",
    """create table if not exists ops.quarantine (
        delivery_id BIGINT not null,
        source_file VARCHAR not null,
        line_number BIGINT not null,
        site_code VARCHAR,
        extract VARCHAR not null,
        rule VARCHAR not null,            -- the expectation that failed, with its column
        rule_description VARCHAR,
        offending_value VARCHAR,
        row_json VARCHAR,                 -- the canonical row, already pseudonymised
        quarantined_at TIMESTAMP not null
    )""",
]


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)
