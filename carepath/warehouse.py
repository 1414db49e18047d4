"""The DuckDB warehouse: its schemas, the raw landing tables and the operational ledger."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from carepath.contract import COLUMNS, EXTRACTS

# Type names both DuckDB and PostgreSQL read the same way (the warehouse may be either).
SQL_TYPES = {"string": "VARCHAR", "code": "VARCHAR", "timestamp": "TIMESTAMP",
             "number": "DOUBLE PRECISION", "integer": "INTEGER"}

# Lineage columns every raw row carries, so any mart figure can be traced to a file and line.
# The delivery's own date, period, version and arrival place it among the site's deliveries,
# so that "newest delivery wins" does not depend on the order files happened to arrive in
# (carepath.ingest.delivery_order).
LINEAGE = (("_delivery_id", "BIGINT"), ("_source_file", "VARCHAR"), ("_line_number", "BIGINT"),
           ("_delivered_on", "DATE"), ("_data_period", "VARCHAR"),
           ("_delivery_version", "INTEGER"), ("_arrived_at", "TIMESTAMP"))


def canonical_columns(extract: str) -> list[tuple[str, str]]:
    """Stored columns: the contract's, with the patient identifier replaced by its pseudonym."""
    return [("patient_key" if c.name == "patient_id" else c.name, SQL_TYPES[c.type])
            for c in COLUMNS[extract]]


# Columns only the validation gate sees: which cells failed to parse, the site the file was
# delivered under (to catch a row claiming another site), and the plausible window for its
# dates (not before the configured earliest date, not after the delivery plus a tolerance).
GATE_COLUMNS = (("_parse_failures", "VARCHAR"), ("_landed_site_code", "VARCHAR"),
                ("_earliest_plausible_at", "TIMESTAMP"), ("_latest_plausible_at", "TIMESTAMP"))


# The order of two stage events is judged on instants, not wall-clock readings: in the autumn
# hour a local 01:15 can come after 01:45. Each timestamp has its instant (as UTC) beside it,
# from the offset the site sent or, without one, from the site's zone (where the repeated hour
# stays ambiguous and the reading decides). Rules name the event, not this column (gate.py).
INSTANT_PREFIX = "_instant_"


def instant_columns(extract: str) -> list[tuple[str, str]]:
    return [(INSTANT_PREFIX + c.name, "TIMESTAMP") for c in COLUMNS[extract]
            if c.type == "timestamp"]


def stage_columns(extract: str) -> list[tuple[str, str]]:
    return [*LINEAGE, *canonical_columns(extract), *GATE_COLUMNS, *instant_columns(extract)]


def _raw_ddl(extract: str) -> str:
    cols = [*LINEAGE, *canonical_columns(extract), ("_loaded_at", "TIMESTAMP")]
    return (f"create table if not exists raw.{extract} ("
            + ", ".join(f"{n} {t}" for n, t in cols) + ")")


DDL = [
    "create schema if not exists raw",
    "create schema if not exists ops",
    *(_raw_ddl(e) for e in EXTRACTS),
    # The fingerprint of the key the warehouse's pseudonyms were made with (one row).
    """create table if not exists ops.pseudonym_key (
        fingerprint VARCHAR not null,
        recorded_at TIMESTAMP not null
    )""",
    # One row per landing entry judged: every file and every other thing found in the landing
    # folder. A file rejected under one mapping and loaded after the mapping changed has a row
    # for each attempt; stg_loaded_files keeps the latest.
    """create table if not exists ops.loaded_files (
        delivery_id BIGINT primary key,
        file_sha256 VARCHAR,              -- null for entries never read (pipes, hidden files)
        source_file VARCHAR not null,     -- path under the landing folder, literal
        site_code VARCHAR,                -- the site folder it landed in
        extract VARCHAR,
        status VARCHAR not null,          -- loaded | rejected | duplicate | ignored
        reason VARCHAR,                   -- why rejected, duplicate of what, or why ignored
        rows_in_file BIGINT,              -- data rows, counted independently of the loader
        rows_loaded BIGINT,
        rows_quarantined BIGINT,          -- still held in ops.quarantine
        rows_released BIGINT not null default 0,  -- in raw by release (referral_rules.py)
        file_size BIGINT,
        file_mtime_ns BIGINT,
        file_modified_at TIMESTAMP,       -- arrival: the file's modification time as it landed
        delivered_at TIMESTAMP,           -- the delivery's own date (file name, else arrival)
        delivered_on DATE,                -- the delivery date the file name carries, if any
        data_period VARCHAR,              -- YYYY-MM the file says it covers, when it says
        delivery_version INTEGER,         -- the version the file name carries, if any
        mapping_sha256 VARCHAR,           -- the site's mapping file as it was judged under
        loaded_at TIMESTAMP not null
    )""",
    """create table if not exists ops.quarantine (
        delivery_id BIGINT not null,
        source_file VARCHAR not null,
        line_number BIGINT not null,      -- physical line where the record starts (header = 1)
        site_code VARCHAR,                -- the site folder the file landed in
        extract VARCHAR not null,
        rule VARCHAR not null,            -- the expectation that failed, with its column
        rule_description VARCHAR,
        offending_value VARCHAR,
        row_json VARCHAR,                 -- the canonical row, already pseudonymised
        quarantined_at TIMESTAMP not null,
        -- A reason that compares the row with its referral stops holding when the referral
        -- arrives or is corrected (carepath.ingest.referral_rules); the row goes to raw once
        -- no reason holds it.
        released_at TIMESTAMP,
        released_with_delivery_id BIGINT  -- the referrals file that released it
    )""",
    # The newest referrals delivery whose rows' sessions and outcomes were judged again
    # against it (one row).
    """create table if not exists ops.referral_rules_judged (
        through_delivery_id BIGINT not null,
        judged_at TIMESTAMP not null
    )""",
]

QUARANTINE_COLUMNS = ("delivery_id", "source_file", "line_number", "site_code", "extract", "rule",
                      "rule_description", "offending_value", "row_json", "quarantined_at")


def ensure_stage_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The DuckDB schema files are staged in before the gate judges them."""
    con.execute("create schema if not exists stage")


def _columns(store, schema: str, table: str) -> set[str]:
    return {r[0] for r in store.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?", [schema, table]).fetchall()}


class OutdatedWarehouse(RuntimeError):
    """The warehouse was written by an earlier carepath whose ledger lacks today's columns."""


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def open_read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to an existing database file, closed on leaving the block, so that
    a reader never holds the file past its question (DuckDB lets one process write a file at a
    time, and a reader's open handle would block the next writer)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def ensure_schema(store) -> None:
    """The warehouse's schemas and tables, created where missing, on either engine (a DuckDB
    connection or a carepath.store store)."""
    for statement in DDL:
        store.execute(statement)
    have = _columns(store, "ops", "loaded_files")
    raw_have = _columns(store, "raw", "referrals")
    if "delivered_on" not in have or "_delivery_version" not in raw_have:
        raise OutdatedWarehouse(
            "the warehouse was written by an earlier carepath (its rows do not carry the "
            "typed delivery order); move it aside and run again: every landed file is loaded "
            "anew")
