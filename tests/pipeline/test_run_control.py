"""Runs that cannot trample each other or leave the dashboard stale without saying so: one run
at a time, a build that did not publish is retried by the next run, and the newest delivery is
the one with the newest date, whatever order the files arrived in."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import duckdb
from support.extract_files import write_rows
from support.paths import BIN

from carepath.ingest.loader import load_new_files
from carepath.pipeline import run_pipeline, staleness
from carepath.run_lock import run_lock
from carepath.status import published_status


def _signed_in_dashboard(settings, users_file, monkeypatch):
    """The dashboard (Streamlit's AppTest) on this data folder, signed in as the all-sites user."""
    from streamlit.testing.v1 import AppTest
    from support.paths import ROOT
    from support.sign_in import sign_in

    monkeypatch.setenv("CAREPATH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CAREPATH_USERS_FILE", str(users_file))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    sign_in(at)
    return at


def test_a_second_run_exits_with_a_clear_message_while_one_holds_the_folder(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "r.csv", [{}])
    with run_lock(data_dir.lock_path):
        second = subprocess.run([str(BIN / "carepath"), "run", "--data-dir",
                                 str(data_dir.data_dir)], capture_output=True, text=True,
                                timeout=300)
    assert second.returncode == 75
    assert "another carepath run is using" in second.stderr
    assert f"pid {os.getpid()}" in second.stderr
    assert not data_dir.warehouse_path.exists()  # it touched nothing


def test_a_load_whose_build_never_published_is_built_by_the_next_run(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "r1.csv", [{}])
    assert run_pipeline(data_dir).published_to
    assert staleness(data_dir) == []
    # A run killed after its load, during dbt or publish: rows in the warehouse, none published.
    write_rows(data_dir.landing_dir, "ASH", "referrals", "r2.csv", [{"referral_id": "T-R2"}])
    assert load_new_files(data_dir).rows_loaded == 1
    assert staleness(data_dir) == ["rows were loaded or released since the publication"]
    assert "STALE: rows were loaded" in published_status(data_dir)[0]
    retried = run_pipeline(data_dir)  # nothing new lands, yet it must build and publish
    assert retried.load.files == [] and retried.build is not None and retried.published_to
    ids = _rows(data_dir.published_path,
                "select referral_id from marts.fct_referral_latency order by 1")
    assert ids == [("T-R1",), ("T-R2",)]
    assert "freshness: up to date" in published_status(data_dir)[0]


def _rows(path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _current_first_seen(settings) -> str:
    return _rows(settings.warehouse_path, "select cast(first_seen_at as varchar) "
                 "from staging.stg_referrals where referral_id = 'T-R1'")[0][0]


def _stamp(path, day: int) -> None:
    moment = 1_776_000_000 + day * 86_400  # mid-April 2026, after every date in the rows
    os.utime(path, (moment, moment))


def test_the_newest_delivery_wins_by_its_version_not_by_arrival(data_dir):
    v2 = write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-03_v2.csv",
                    [{"first_seen_at": "2026-03-21T09:00:00"}])
    _stamp(v2, 1)
    assert run_pipeline(data_dir).ok
    # v1 lands a day after v2 (a resend of the old file): v2 stays current.
    v1 = write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-03_v1.csv",
                    [{"first_seen_at": "2026-03-20T09:30:00"}])
    _stamp(v1, 2)
    assert run_pipeline(data_dir).ok
    assert _current_first_seen(data_dir) == "2026-03-21 09:00:00"


def test_a_v2_resend_replaces_its_unversioned_original_whatever_arrived_last(data_dir):
    # The original triaged R08 on 08-12; the resend corrects it to 08-09 and lands first.
    received = {"referral_id": "R08", "received_at": "2025-08-06T09:00:00",
                "referred_at": "2025-08-05T09:00:00", "first_offered_at": "",
                "first_seen_at": ""}
    resend = write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2025-08_v2.csv",
                        [{**received, "triaged_at": "2025-08-09T10:00:00"}])
    original = write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2025-08.csv",
                          [{**received, "triaged_at": "2025-08-12T10:00:00"}])
    _stamp(resend, 1)
    _stamp(original, 2)
    assert run_pipeline(data_dir).ok
    assert _rows(data_dir.published_path, "select days_receipt_to_triage "
                 "from marts.fct_referral_latency where referral_id = 'R08'") == [(3,)]


def test_an_older_delivery_resent_byte_for_byte_as_a_newer_one_is_current_again(data_dir):
    march = write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-03.csv",
                       [{"first_seen_at": "2026-03-20T09:30:00"}])
    _stamp(march, 1)
    april = write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-04.csv",
                       [{"first_seen_at": "2026-03-21T09:00:00"}])
    _stamp(april, 2)
    assert run_pipeline(data_dir).ok
    assert _current_first_seen(data_dir) == "2026-03-21 09:00:00"
    # May's file is March's, byte for byte: the site says March's reading holds again.
    may = data_dir.landing_dir / "ASH" / "referrals" / "ASH_referrals_2026-05.csv"
    may.write_bytes(march.read_bytes())
    _stamp(may, 3)
    summary = run_pipeline(data_dir)
    assert summary.ok and [f.status for f in summary.load.files] == ["loaded"]
    assert _current_first_seen(data_dir) == "2026-03-20 09:30:00"


def test_a_corrected_file_beside_the_original_wins_by_arrival_not_by_name(data_dir):
    # "03 corrected.csv" sorts before "03.csv" by name; it arrived later, so it is current.
    original = write_rows(data_dir.landing_dir, "ASH", "referrals", "03.csv",
                          [{"first_seen_at": "2026-03-20T09:30:00"}])
    corrected = write_rows(data_dir.landing_dir, "ASH", "referrals", "03 corrected.csv",
                           [{"first_seen_at": "2026-03-22T09:30:00"}])
    _stamp(original, 1)
    _stamp(corrected, 3)
    assert run_pipeline(data_dir).ok
    assert _current_first_seen(data_dir) == "2026-03-22 09:30:00"


def test_a_row_that_slips_past_the_gate_is_named_and_the_last_publication_stays(
        data_dir, dashboard_users, monkeypatch):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "r1.csv", [{}])
    good = run_pipeline(data_dir)
    assert good.published_to
    published_at = data_dir.published_path.stat().st_mtime
    # A row no gate rule caught (written straight into raw, as a gap in the rules would let
    # through): seen before it was received, so a dbt test on the latency mart fails.
    con = duckdb.connect(str(data_dir.warehouse_path))
    con.execute("""insert into raw.referrals (_delivery_id, _source_file, _line_number,
                       _delivery_version, referral_id, patient_key, site_code, priority,
                       referred_at, received_at, first_seen_at, _loaded_at)
                   values (99, 'ASH/referrals/slipped.csv', 7, 1, 'SLIPPED', 'p', 'ASH',
                           'routine', timestamp '2026-03-01', timestamp '2026-03-10',
                           timestamp '2026-03-05', current_timestamp)""")
    con.execute("insert into ops.loaded_files (delivery_id, source_file, status, rows_in_file, "
                "rows_loaded, rows_quarantined, loaded_at) values "
                "(99, 'ASH/referrals/slipped.csv', 'loaded', 1, 1, 0, current_timestamp)")
    con.close()
    failed = run_pipeline(data_dir)
    assert not failed.ok and failed.published_to is None
    named = [e for e in failed.errors if "referral_id=SLIPPED" in e]
    assert named and "ASH/referrals/slipped.csv line 7" in named[0]
    assert data_dir.published_path.stat().st_mtime == published_at  # the last good one stays
    assert "last build: FAILED" in published_status(data_dir)[0]

    at = _signed_in_dashboard(data_dir, dashboard_users, monkeypatch)
    at.switch_page("views/data_quality.py").run()
    assert not at.exception
    assert any("latest build" in e.value and "failed" in e.value for e in at.error)
    assert any("referral_id=SLIPPED" in m.value for m in at.markdown)


def test_a_file_rejected_for_its_sites_mapping_loads_once_the_mapping_is_fixed(
        data_dir, tmp_path, monkeypatch):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "ASH.yml").write_text("site_code: ASH\nfile: {delimiter: ',,'}\n")
    monkeypatch.setenv("CAREPATH_MAPPINGS_DIR", str(mappings))
    write_rows(data_dir.landing_dir, "ASH", "referrals", "r.csv", [{}])
    [rejected] = load_new_files(data_dir, create_key=True).files
    assert rejected.status == "rejected" and "file.delimiter" in rejected.reason
    assert load_new_files(data_dir).files == []  # not retried while the mapping is unchanged
    (mappings / "ASH.yml").write_text("site_code: ASH\nfile: {delimiter: ','}\n")
    [retried] = load_new_files(data_dir).files
    assert (retried.status, retried.rows_loaded) == ("loaded", 1)
    attempts = _rows(data_dir.warehouse_path, "select status from ops.loaded_files where "
                     "source_file = 'ASH/referrals/r.csv' order by delivery_id")
    assert attempts == [("rejected",), ("loaded",)]  # both attempts stay in the ledger


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killing_a_run_kills_its_dbt_build(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "r.csv", [{}])
    run = subprocess.Popen([str(BIN / "carepath"), "run", "--data-dir", str(data_dir.data_dir)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    dbt = []
    while not dbt and time.monotonic() < deadline and run.poll() is None:
        dbt = [c for c in _children(run.pid)
               if b"dbt" in Path(f"/proc/{c}/cmdline").read_bytes()]
        time.sleep(0.2)
    assert dbt, "the run never started dbt"
    run.kill()
    run.wait()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in dbt) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in dbt), "dbt outlived the run that started it"
    assert not data_dir.published_path.exists()


def test_a_first_run_with_every_file_still_arriving_builds_empty_marts_and_says_so(
        data_dir, dashboard_users, monkeypatch):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "r1.csv", [{}])
    env = {**os.environ, "CAREPATH_SETTLE_SECONDS": "3600"}  # written a moment ago: arriving
    run = subprocess.run([str(BIN / "carepath"), "run", "--data-dir", str(data_dir.data_dir)],
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "waiting ASH/referrals/r1.csv" in run.stdout
    assert "nothing loaded yet" in run.stdout
    assert _rows(data_dir.published_path,
                 "select count(*) from marts.fct_referral_latency") == [(0,)]
    assert "nothing loaded yet" in published_status(data_dir)[0]

    at = _signed_in_dashboard(data_dir, dashboard_users, monkeypatch)
    assert not at.exception
    assert any(i.value.startswith("Nothing loaded yet") for i in at.info)
    at.switch_page("views/waiting_list.py").run()
    assert not at.exception
    assert any(i.value.startswith("Nothing loaded yet") for i in at.info)
    at.switch_page("views/data_quality.py").run()  # the page that says what arrived
    assert not at.exception
    assert not any(i.value.startswith("Nothing loaded yet") for i in at.info)
