"""Property: whatever rows of whatever files are spoiled, and however many, the gate quarantines
every spoiled row, every loaded file reconciles (rows in = loaded + quarantined, against an
independent count), and the marts are still built, tested and published for every site."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carepath.generate import generate
from carepath.ingest.mapping import load_site_mappings
from carepath.pipeline import run_pipeline
from carepath.settings import load_settings

# Spoils that the contract forbids in a required column of each extract: each makes its row
# one the gate must quarantine.
REQUIRED_CODE = {"referrals": "priority", "sessions": "status", "outcomes": "instrument"}
REQUIRED_TIME = {"referrals": "referred_at", "sessions": "scheduled_at",
                 "outcomes": "assessed_at"}
REQUIRED_TEXT = {"referrals": "referral_id", "sessions": "session_id", "outcomes": "measure_id"}
SPOILS = ("code_outside_set", "blank_required", "unparseable_date", "year_2100", "year_1900")


@pytest.fixture(scope="module")
def clean_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("property") / "landing"
    generate(out, sites=3, months=3, scale=0.2, seed=21)
    (out / "ground_truth.json").unlink()
    return out


def _spoil_value(spoil: str, extract: str, fmt: str) -> tuple[str, str]:
    """(canonical column, value) for one spoil."""
    if spoil == "code_outside_set":
        return REQUIRED_CODE[extract], "BOGUS"
    if spoil == "blank_required":
        return REQUIRED_TEXT[extract], ""
    if spoil == "unparseable_date":
        return REQUIRED_TIME[extract], "not a date"
    year = 2100 if spoil == "year_2100" else 1900
    return REQUIRED_TIME[extract], datetime(year, 1, 1, 9, 0).strftime(fmt.replace("%z", ""))


def _spoil_file(path: Path, extract: str, mapping, rows: list[int], spoil: str) -> set[int]:
    """Spoil the given data rows (0-based, modulo the file's rows); returns their line numbers."""
    with path.open(encoding=mapping.encoding, newline="") as fh:
        records = list(csv.reader(fh, delimiter=mapping.delimiter))
    header, data = records[0], records[1:]
    if not data:
        return set()
    column, value = _spoil_value(spoil, extract, mapping.timestamp_format)
    position = header.index(mapping.extract(extract).source_column(column))
    spoiled = {r % len(data) for r in rows}
    for r in spoiled:
        data[r][position] = value
    with path.open("w", encoding=mapping.encoding, newline="") as fh:
        csv.writer(fh, delimiter=mapping.delimiter, lineterminator="\n").writerows(
            [header, *data])
    return {r + 2 for r in spoiled}


spoil_plans = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10_000),  # which file
              st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40),
              st.sampled_from(SPOILS)),
    min_size=1, max_size=6)


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(plan=spoil_plans)
def test_spoiled_rows_are_quarantined_and_publication_still_happens(plan, clean_landing,
                                                                     tmp_path_factory):
    data = tmp_path_factory.mktemp("spoiled")
    landing = data / "landing"
    shutil.copytree(clean_landing, landing)
    mappings = load_site_mappings(load_settings(data).mappings_dir).usable
    files = sorted(landing.rglob("*.csv"))
    spoiled: set[tuple[str, int]] = set()
    for which, rows, spoil in plan:
        path = files[which % len(files)]
        site, extract = path.relative_to(landing).parts[:2]
        lines = _spoil_file(path, extract, mappings[site], rows, spoil)
        spoiled |= {(str(path.relative_to(landing)), line) for line in lines}

    summary = run_pipeline(load_settings(data))
    assert summary.ok and summary.published_to, summary.render()
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        held = set(con.execute("select distinct source_file, line_number from ops.quarantine "
                               "where released_at is null").fetchall())
        ledger = con.execute("select source_file, rows_in_file, rows_loaded, rows_quarantined "
                             "from ops.loaded_files where status = 'loaded'").fetchall()
    finally:
        con.close()
    assert spoiled <= held, sorted(spoiled - held)[:10]
    for source, rows_in, loaded, quarantined in ledger:
        site = Path(source).parts[0]
        mapping = mappings[site]
        with (landing / source).open(encoding=mapping.encoding, newline="") as fh:
            independent = sum(1 for r in csv.reader(fh, delimiter=mapping.delimiter) if r) - 1
        assert rows_in == independent == loaded + quarantined, source
