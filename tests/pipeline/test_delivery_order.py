"""Newest delivery wins by a typed comparison of what each file says about itself: the delivery
date its name carries, then the month it covers, then its version (none = 1), then its arrival,
then its path. Files are landed through the real loader under every mix of dated, undated,
versioned and unversioned names, in random arrival orders, and the current row is read with the
order dbt's own macro renders."""

from __future__ import annotations

import os
import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.extract_files import write_rows
from support.paths import BIN, ROOT

from carepath.ingest.loader import load_new_files
from carepath.settings import load_settings

# A site whose file names may carry a delivery date, a month and a version, each optional:
# ZED_referrals[_<YYYYMMDD>][_<YYYY-MM>][_v<N>].csv
ZED_MAPPING = """\
site_code: ZED
site_name: Zed Test Hospital
file:
  name_pattern: >-
    (?:_(?P<delivered>\\d{8}))?(?:_(?P<period>\\d{4}-\\d{2}))?(?:_v(?P<version>\\d+))?\\.csv$
  delivered_format: '%Y%m%d'
"""
FIRST_ARRIVAL = datetime(2026, 1, 5, 9, 0).timestamp()


@pytest.fixture(scope="module")
def zed_mappings(tmp_path_factory):
    mappings = tmp_path_factory.mktemp("mappings")
    (mappings / "ZED.yml").write_text(ZED_MAPPING, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CAREPATH_MAPPINGS_DIR", str(mappings))
        yield mappings


@pytest.fixture(scope="module")
def newest_delivery_sql(tmp_path_factory) -> str:
    """The current-version query exactly as dbt's macro newest_delivery renders it."""
    scratch = tmp_path_factory.mktemp("dbt")
    env = {**os.environ, "CAREPATH_DUCKDB_PATH": str(scratch / "unused.duckdb")}
    inline = "{{ newest_delivery('raw.referrals', ['site_code', 'referral_id']) }}"
    compiled = subprocess.run(
        [str(BIN / "dbt"), "compile", "--quiet", "--inline", inline,
         "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT / "dbt_project"),
         "--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")],
        env=env, capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stdout[-2000:] + compiled.stderr[-2000:]
    assert "row_number()" in compiled.stdout
    return compiled.stdout


def _name(delivered: date | None, period: str | None, version: int | None) -> str:
    return ("ZED_referrals" + (f"_{delivered:%Y%m%d}" if delivered else "")
            + (f"_{period}" if period else "") + (f"_v{version}" if version else "") + ".csv")


def _newest(files: list[tuple[date | None, str | None, int | None, float, str]]):
    """The spec's order, written independently of the product: absent parts are the oldest."""
    return max(files, key=lambda f: (f[0] is not None, f[0] or date.min, f[1] is not None,
                                     f[1] or "", f[2] if f[2] is not None else 1, f[3],
                                     f[4].encode()))


def _file_name(parts: tuple) -> str:
    return _name(*parts)


names = st.tuples(st.none() | st.sampled_from([date(2025, 9, 1), date(2025, 9, 15)]),
                  st.none() | st.sampled_from(["2025-08", "2025-09"]),
                  st.none() | st.integers(min_value=1, max_value=3))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(names, min_size=2, max_size=5, unique_by=_file_name),
       st.randoms(use_true_random=False))
def test_the_current_row_follows_the_typed_delivery_order(zed_mappings, newest_delivery_sql,
                                                          deliveries, rnd):
    arrivals = list(range(len(deliveries)))
    rnd.shuffle(arrivals)
    with tempfile.TemporaryDirectory() as tmp:
        data = load_settings(Path(tmp) / "data")
        files = []
        for index, ((delivered, period, version), arrival) in enumerate(
                zip(deliveries, arrivals, strict=True)):
            name = _name(delivered, period, version)
            # Each file triages the referral on its own day, so the current row names its file.
            path = write_rows(data.landing_dir, "ZED", "referrals", name, [{
                "referral_id": "Z-R1", "site_code": "ZED", "referred_at": "2025-07-01T09:00:00",
                "received_at": "2025-07-02T09:00:00",
                "triaged_at": f"2025-07-{index + 3:02d}T09:00:00", "first_offered_at": "",
                "first_seen_at": ""}])
            moment = FIRST_ARRIVAL + arrival * 3600
            os.utime(path, (moment, moment))
            files.append((delivered, period, version, moment,
                          str(path.relative_to(data.landing_dir))))
        report = load_new_files(data, create_key=True)
        assert report.rows_loaded == len(files), report
        con = duckdb.connect(str(data.warehouse_path), read_only=True)
        try:
            current = con.execute(
                f"select _source_file, day(triaged_at) from ({newest_delivery_sql}) as v"
            ).fetchall()
        finally:
            con.close()
    newest = _newest(files)
    assert current == [(newest[4], files.index(newest) + 3)]
