"""A pseudonym means one patient for the life of a warehouse: the warehouse records its key's
fingerprint, and a run with another key, or without the key, stops before it writes anything."""

from __future__ import annotations

import subprocess

import duckdb
import pytest
from support.extract_files import write_rows
from support.paths import BIN

from carepath.ingest import pseudonym
from carepath.ingest.loader import load_new_files

FIRST_KEY = "first-key-" + "a" * 40
OTHER_KEY = "other-key-" + "b" * 40


def _raw_counts(settings) -> tuple:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute("select (select count(*) from raw.referrals), "
                           "(select count(*) from ops.loaded_files)").fetchone()
    finally:
        con.close()


def test_another_key_stops_the_run_before_anything_is_loaded(data_dir, monkeypatch):
    monkeypatch.setenv(pseudonym.ENV_VAR, FIRST_KEY)
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-03.csv", [{}])
    assert load_new_files(data_dir).rows_loaded == 1
    before = _raw_counts(data_dir)

    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-04.csv",
               [{"referral_id": "T-R2"}])
    monkeypatch.setenv(pseudonym.ENV_VAR, OTHER_KEY)
    with pytest.raises(pseudonym.KeyMismatch, match="second pseudonym"):
        load_new_files(data_dir)
    assert _raw_counts(data_dir) == before

    # The same key with stray whitespace is the same key.
    monkeypatch.setenv(pseudonym.ENV_VAR, f"  {FIRST_KEY}\n")
    assert load_new_files(data_dir).rows_loaded == 1


def test_a_lost_key_file_is_never_replaced_next_to_an_existing_warehouse(data_dir, monkeypatch):
    monkeypatch.delenv(pseudonym.ENV_VAR, raising=False)
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-03.csv", [{}])
    assert load_new_files(data_dir, create_key=True).rows_loaded == 1
    assert data_dir.secret_key_path.exists()
    data_dir.secret_key_path.unlink()

    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-04.csv",
               [{"referral_id": "T-R2"}])
    with pytest.raises(pseudonym.MissingKeyError):
        load_new_files(data_dir, create_key=True)
    assert not data_dir.secret_key_path.exists()

    run = subprocess.run([str(BIN / "carepath"), "run", "--data-dir", str(data_dir.data_dir)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 1
    assert "no pseudonymisation key" in run.stderr and "Traceback" not in run.stderr


def test_a_short_key_is_refused(data_dir, monkeypatch):
    monkeypatch.setenv(pseudonym.ENV_VAR, "too-short-" + "c" * 10)
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-03.csv", [{}])
    with pytest.raises(pseudonym.KeyProblem, match="at least 32"):
        load_new_files(data_dir)
