"""When a dbt data test fails, name the rows behind it: site, file, line and record key.

The gate is meant to make every dbt data test on staging and marts unreachable
(tests/test_gate_covers_dbt_tests.py keeps that mapping). Should one still fail, an error naming
only a test helps nobody fix the data: each failing test's own SQL is run again, and the records
it returns are traced to the file and line of their current version in raw. Keys are the
warehouse's (patient identifiers are already pseudonyms).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from carepath.ingest.delivery_order import NEWEST_FIRST
from carepath.settings import Settings
from carepath.store import Store, open_store_read_only, store_errors

# A record key in a test's failing rows, and the raw table that holds its versions.
_KEYS = (("referral_id", "referrals"), ("session_id", "sessions"), ("measure_id", "outcomes"))
ROWS_SHOWN = 20


@dataclass
class FailingRecord:
    site_code: str | None
    key: str  # e.g. "referral_id=R1"
    source_file: str | None = None
    line_number: int | None = None


@dataclass
class FailedTest:
    test: str
    message: str | None
    failing_rows: int | None
    records: list[FailingRecord] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def render(self) -> str:
        shown = "; ".join(
            f"{r.site_code or '?'} {r.key}"
            + (f" ({r.source_file} line {r.line_number})" if r.source_file else "")
            for r in self.records)
        return f"{self.test}: {self.message}" + (f" -> {shown}" if shown else "")


def _trace(con: Store, row: dict) -> FailingRecord | None:
    for key, extract in _KEYS:
        if row.get(key) is None:
            continue
        site = row.get("site_code")
        where, params = f"{key} = ?", [row[key]]
        if site is not None:
            where, params = where + " and site_code = ?", params + [site]
        found = con.execute(
            f"select site_code, _source_file, _line_number from raw.{extract} where {where} "
            f"order by {NEWEST_FIRST}, _line_number desc limit 1", params).fetchall()
        if found:
            return FailingRecord(found[0][0], f"{key}={row[key]}", found[0][1], found[0][2])
        return FailingRecord(site, f"{key}={row[key]}")
    return None


def trace_failed_tests(settings: Settings, results: list[dict]) -> list[FailedTest]:
    """`results`: dbt's run_results entries. Runs each failed test's SQL read-only."""
    failed = [r for r in results
              if r["unique_id"].startswith("test.") and r["status"] in ("fail", "error")]
    if not failed:
        return []
    traced: list[FailedTest] = []
    with open_store_read_only(settings) as con:
        for result in failed:
            test = FailedTest(result["unique_id"], result.get("message"), result.get("failures"))
            sql = result.get("compiled_code")
            if sql and result["status"] == "fail":
                try:
                    cursor = con.execute(f"select * from ({sql}) as failing limit {ROWS_SHOWN}")
                    names = [column[0] for column in cursor.description]
                    for values in cursor.fetchall():
                        record = _trace(con, dict(zip(names, values, strict=True)))
                        if record is not None:
                            test.records.append(record)
                except store_errors() as exc:
                    test.message = f"{test.message}; its rows could not be listed: {exc}"
            traced.append(test)
    return traced
