"""A data folder on a file system that fills up: `carepath run` stops with one sentence and exit
status 74, the warehouse keeps what it held, and once space is freed the next load takes the
files the failed run could not. A real full file system (a small tmpfs), not a simulated error:
mounting one needs root with CAP_SYS_ADMIN, as on the project's CI machines."""

from __future__ import annotations

import errno
import os
import subprocess

import duckdb
import pytest
from support.extract_files import write_rows
from support.paths import BIN

from carepath.faults import EXIT_STORAGE
from carepath.ingest.loader import load_new_files
from carepath.settings import load_settings


@pytest.fixture
def small_file_system(tmp_path):
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs",
                              str(mount_point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def _fill(path) -> None:
    """Write zeros until the file system has no space left."""
    with path.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * (1 << 20))
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc


def _raw_referrals(settings) -> list[str]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return sorted(r for (r,) in con.execute("select referral_id from raw.referrals")
                      .fetchall())
    finally:
        con.close()


def test_a_full_disk_stops_the_run_with_a_sentence_and_the_next_run_recovers(
        small_file_system, monkeypatch):
    monkeypatch.setenv("CAREPATH_PSEUDONYM_KEY", "full-disk-key-0123456789abcdef0123")
    data = small_file_system / "data"
    settings = load_settings(data)
    write_rows(settings.landing_dir, "ASH", "referrals", "ASH_referrals_1.csv", [{}])
    assert load_new_files(settings, create_key=True).rows_loaded == 1
    rows = [{"referral_id": f"T-R{i}", "patient_id": f"PAT{i:07d}"} for i in range(2, 4000)]
    write_rows(settings.landing_dir, "ASH", "referrals", "ASH_referrals_2.csv", rows)
    filler = small_file_system / "filler"
    _fill(filler)

    env = {**os.environ, "CAREPATH_SETTLE_SECONDS": "0"}
    run = subprocess.run([str(BIN / "carepath"), "run", "--data-dir", str(data)], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == EXIT_STORAGE, run.stdout[-2000:] + run.stderr[-2000:]
    said = run.stderr.strip().splitlines()
    assert len(said) == 1 and "no space is left on the device" in said[0], run.stderr
    assert "Traceback" not in run.stdout + run.stderr

    filler.unlink()
    assert _raw_referrals(settings) == ["T-R1"]
    again = load_new_files(settings)
    assert [(f.source_file, f.status, f.rows_loaded) for f in again.files] == [
        ("ASH/referrals/ASH_referrals_2.csv", "loaded", len(rows))]
    assert len(_raw_referrals(settings)) == 1 + len(rows)
