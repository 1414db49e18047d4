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


def _patient_keys(settings) -> dict[str, str]:
    """referral_id -> patient_key in the raw referrals, and the pseudonym in each quarantined
    row (keyed by its line)."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        keys = dict(con.execute("select referral_id, patient_key from raw.referrals").fetchall())
        keys |= {f"quarantine line {line}": key for line, key in con.execute(
            "select line_number, json_extract_string(row_json, '$.patient_key') "
            "from ops.quarantine").fetchall()}
        return keys
    finally:
        con.close()


def test_rotating_the_key_rekeys_everything_and_a_patient_keeps_one_pseudonym(data_dir,
                                                                              tmp_path,
                                                                              monkeypatch):
    monkeypatch.delenv(pseudonym.ENV_VAR, raising=False)
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-03.csv", [
        {"referral_id": "R1", "patient_id": "PAT-A"},
        {"referral_id": "R2", "patient_id": "PAT-B", "priority": "soon"},  # quarantined
    ])
    assert load_new_files(data_dir, create_key=True).rows_quarantined == 1
    [old_key] = pseudonym.load_key(data_dir.secret_key_path)
    before = _patient_keys(data_dir)
    assert before["R1"] == pseudonym.pseudonymise(old_key, "PAT-A")
    assert before["quarantine line 3"] == pseudonym.pseudonymise(old_key, "PAT-B")

    new_key_file = tmp_path / "new.key"
    new_key_file.write_text("new-key-" + "d" * 40 + "\n")
    rotate = subprocess.run([str(BIN / "carepath"), "rotate-key", "--data-dir",
                             str(data_dir.data_dir), "--new-key-file", str(new_key_file)],
                            capture_output=True, text=True, timeout=600)
    assert rotate.returncode == 0, rotate.stdout + rotate.stderr
    assert "re-keyed 2 stored pseudonyms" in rotate.stdout

    chain = pseudonym.load_key(data_dir.secret_key_path)
    assert chain == (old_key, b"new-key-" + b"d" * 40)
    after = _patient_keys(data_dir)
    assert after["R1"] == pseudonym.pseudonymise(chain, "PAT-A") != before["R1"]
    assert after["quarantine line 3"] == pseudonym.pseudonymise(chain, "PAT-B")
    # Nothing built from the old pseudonyms survives: the models were rebuilt and published.
    con = duckdb.connect(str(data_dir.published_path), read_only=True)
    try:
        published = con.execute("select count(*) from marts.fct_referral_latency").fetchone()[0]
    finally:
        con.close()
    assert published == 1
    con = duckdb.connect(str(data_dir.warehouse_path), read_only=True)
    try:
        staged = con.execute("select patient_key from staging.stg_referrals").fetchall()
    finally:
        con.close()
    assert staged == [(after["R1"],)]

    # A later delivery for the same patient gets the same pseudonym through the chain ...
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-04.csv",
               [{"referral_id": "R3", "patient_id": "PAT-A"}])
    assert load_new_files(data_dir).rows_loaded == 1
    assert _patient_keys(data_dir)["R3"] == after["R1"]
    # ... and the old key alone, or the new one alone, is refused.
    for alone in (old_key, b"new-key-" + b"d" * 40):
        monkeypatch.setenv(pseudonym.ENV_VAR, alone.decode())
        write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-05.csv",
                   [{"referral_id": "R4", "patient_id": "PAT-A"}])
        with pytest.raises(pseudonym.KeyMismatch):
            load_new_files(data_dir)
