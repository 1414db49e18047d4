"""A load killed mid-batch leaves the warehouse as it was before that batch; a resent record
with corrected fields replaces the old one in the marts while history stays in raw."""

from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
from support.extract_files import write_rows

from carepath.ingest.loader import load_new_files
from carepath.pipeline import run_pipeline
from carepath.settings import load_settings

# Runs the real loader in a child process and SIGKILLs it inside a batch's transaction, once
# the Nth file's ledger row was written and before the commit.
KILL_DURING_COMMIT = """
import os, signal, sys
from carepath.ingest import ledger, loader
from carepath.settings import load_settings

record = ledger.Ledger.record
calls = 0

def record_then_die(self, *args, **kwargs):
    global calls
    record(self, *args, **kwargs)
    calls += 1
    if calls == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)

ledger.Ledger.record = record_then_die
loader.load_new_files(load_settings(sys.argv[1]), create_key=True)
"""


def _state(path) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        ledger = con.execute("select count(*), coalesce(sum(rows_loaded), 0) "
                             "from ops.loaded_files").fetchall()[0]
        raw = tuple(con.execute(f"select count(*) from raw.{e}").fetchall()[0][0]
                    for e in ("referrals", "sessions", "outcomes"))
        files_in_raw = con.execute(
            "select count(distinct _source_file) from (select _source_file from raw.referrals "
            "union all select _source_file from raw.sessions "
            "union all select _source_file from raw.outcomes)").fetchall()[0][0]
    finally:
        con.close()
    return ledger, raw, files_in_raw


def test_a_kill_mid_load_loses_nothing_and_loads_nothing_twice(data_dir, demo_landing, tmp_path):
    shutil.copytree(demo_landing / "DEN", data_dir.landing_dir / "DEN")
    referrals = len(list((data_dir.landing_dir / "DEN" / "referrals").glob("*.csv")))
    # Killed inside the sessions batch's transaction, after two of its files were recorded:
    # the referrals batch committed before it; nothing of the sessions batch did.
    killed = subprocess.run([sys.executable, "-c", KILL_DURING_COMMIT, str(data_dir.data_dir),
                             str(referrals + 2)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr[-2000:]

    (files, rows), raw, files_in_raw = _state(data_dir.warehouse_path)
    assert files == referrals and files_in_raw == referrals
    assert raw[1:] == (0, 0) and sum(raw) == rows

    resumed = load_new_files(data_dir)
    delivered = len(list(data_dir.landing_dir.rglob("*.csv")))
    assert len(resumed.files) == delivered - referrals and resumed.already_loaded == referrals

    reference = data_dir.data_dir.parent / "reference"
    shutil.copytree(data_dir.landing_dir, reference / "landing")
    clean = load_settings(reference)
    shutil.copytree(data_dir.secret_key_path.parent, clean.secret_key_path.parent)
    load_new_files(clean)
    assert _state(data_dir.warehouse_path) == _state(clean.warehouse_path)


def test_newest_delivery_wins_and_history_stays_queryable(data_dir):
    landing = data_dir.landing_dir
    write_rows(landing, "ASH", "referrals", "ASH_referrals_2026-03.csv",
               [{"priority": "routine", "first_seen_at": ""}])
    write_rows(landing, "ASH", "sessions", "ASH_sessions_2026-03.csv",
               [{"session_id": "S1", "status": "did_not_attend", "delivered_minutes": ""}])
    first = run_pipeline(data_dir)
    assert first.ok, first.render()

    # April's delivery resends the referral: re-triaged as urgent, now seen; and corrects the
    # March session, which was attended after all.
    write_rows(landing, "ASH", "referrals", "ASH_referrals_2026-04.csv",
               [{"priority": "urgent", "first_seen_at": "2026-03-13T09:30:00"}])
    write_rows(landing, "ASH", "sessions", "ASH_sessions_2026-04.csv",
               [{"session_id": "S1", "status": "attended"}])
    second = run_pipeline(data_dir)
    assert second.ok, second.render()

    con = duckdb.connect(str(data_dir.published_path), read_only=True)
    try:
        latency = con.execute("""select priority, is_seen, days_receipt_to_first_seen,
                                        is_within_target
                                 from marts.fct_referral_latency""").fetchall()
        adherence = con.execute("select sessions_attended, sessions_did_not_attend "
                                "from marts.fct_adherence").fetchall()
    finally:
        con.close()
    assert latency == [("urgent", True, 10, True)]
    assert adherence == [(1, 0)]

    con = duckdb.connect(str(data_dir.warehouse_path), read_only=True)
    try:
        history = con.execute("""select priority, _source_file from raw.referrals
                                 order by _delivery_id""").fetchall()
    finally:
        con.close()
    assert history == [("routine", "ASH/referrals/ASH_referrals_2026-03.csv"),
                       ("urgent", "ASH/referrals/ASH_referrals_2026-04.csv")]
