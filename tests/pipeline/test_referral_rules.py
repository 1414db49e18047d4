"""Rules that compare a session with its referral are judged again when the referral arrives or
is corrected: loaded over several runs, in any order, the sessions end where one load of every
file puts them. Each example lands referral versions and sessions through the real loader, in
random runs and arrival orders, and is held to the spec's rule written here independently: an
attended session dated before the current referral version's day of receipt is quarantined."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.extract_files import write_rows

from carepath.ingest.loader import load_new_files
from carepath.settings import load_settings

BEFORE_RECEIPT = "unexpected_rows_expectation(attended_before_receipt)"
KNOWN_REFERRAL = "unexpected_rows_expectation(known_referral)"
FIRST_ARRIVAL = datetime(2026, 4, 1, 9, 0).timestamp()


def _referral(received_day: int) -> dict:
    return {"referred_at": "2026-03-01T09:00:00",
            "received_at": f"2026-03-{received_day:02d}T10:00:00",
            "triaged_at": "2026-03-12T11:00:00", "first_offered_at": "2026-03-13T09:00:00",
            "first_seen_at": "2026-03-20T09:30:00"}


def _session(session_id: str, day: int) -> dict:
    return {"session_id": session_id, "scheduled_at": f"2026-03-{day:02d}T09:30:00"}


def _land(landing: Path, files: list[tuple[str, str, list[dict]]], arrivals: list[int],
          which: list[int]) -> None:
    """Write files `which` of `files` (extract, name, rows), each with its arrival time."""
    for index in which:
        extract, name, rows = files[index]
        path = write_rows(landing, "ASH", extract, name, rows)
        moment = FIRST_ARRIVAL + arrivals[index] * 3600
        os.utime(path, (moment, moment))


def _state(settings) -> dict:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return {
            "raw": sorted(con.execute("select session_id, _source_file, _line_number "
                                      "from raw.sessions").fetchall()),
            "held": sorted(con.execute(
                "select source_file, line_number, rule, offending_value from ops.quarantine "
                "where released_at is null").fetchall()),
            "ledger": sorted(con.execute(
                "select source_file, rows_in_file, rows_loaded, rows_quarantined "
                "from ops.loaded_files where status = 'loaded'").fetchall()),
        }
    finally:
        con.close()


def _load(files, arrivals, runs: list[list[int]]) -> list[dict]:
    """The warehouse after each run, each run landing its files first."""
    states = []
    with tempfile.TemporaryDirectory() as tmp:
        data = load_settings(Path(tmp) / "data")
        for run in runs:
            _land(data.landing_dir, files, arrivals, run)
            report = load_new_files(data, create_key=True)
            assert not report.files_rejected, report.as_dict()
            states.append(_state(data))
    return states


def test_a_correction_withdraws_a_session_and_a_later_one_releases_it(monkeypatch):
    monkeypatch.setenv("CAREPATH_PSEUDONYM_KEY", "referral-rules-key-0123456789abcdef")
    files = [("referrals", "ASH_referrals_1.csv", [_referral(3)]),
             ("sessions", "ASH_sessions_1.csv", [_session("S-4", 4), _session("S-12", 12)]),
             ("referrals", "ASH_referrals_2.csv", [_referral(8)]),
             ("referrals", "ASH_referrals_3.csv", [_referral(2)])]
    arrivals = [0, 1, 2, 3]
    first, corrected, again = _load(files, arrivals, [[0, 1], [2], [3]])
    # Received on the 3rd: both sessions load.
    assert [r[0] for r in first["raw"]] == ["S-12", "S-4"]
    # Corrected to the 8th: the session on the 4th is withdrawn, with the reason and values.
    assert [r[0] for r in corrected["raw"]] == ["S-12"]
    [(source, line, rule, shown)] = corrected["held"]
    assert (source, line, rule) == ("ASH/sessions/ASH_sessions_1.csv", 2, BEFORE_RECEIPT)
    assert "scheduled_at=2026-03-04 09:30:00" in shown
    assert ("ASH/sessions/ASH_sessions_1.csv", 2, 1, 1) in corrected["ledger"]
    # Corrected again, to the 2nd: released, and the warehouse is as if loaded at once.
    assert [r[0] for r in again["raw"]] == ["S-12", "S-4"] and again["held"] == []
    assert again == _load(files, arrivals, [[0, 1, 2, 3]])[-1]


def test_a_held_session_stays_held_for_the_receipt_when_its_referral_comes(monkeypatch):
    monkeypatch.setenv("CAREPATH_PSEUDONYM_KEY", "referral-rules-key-0123456789abcdef")
    files = [("sessions", "ASH_sessions_1.csv", [_session("S-4", 4), _session("S-12", 12)]),
             ("referrals", "ASH_referrals_1.csv", [_referral(8)])]
    _, later = _load(files, [0, 1], [[0], [1]])
    assert [r[0] for r in later["raw"]] == ["S-12"]
    assert [r[2] for r in later["held"]] == [BEFORE_RECEIPT]
    assert later == _load(files, [0, 1], [[0, 1]])[-1]


@st.composite
def scenarios(draw):
    """Referral versions (their days of receipt), session files (their sessions' days), each
    file's arrival (its place in the delivery order: the names carry no date) and its run."""
    received_days = draw(st.lists(st.sampled_from([2, 6, 10]), min_size=1, max_size=3))
    sessions_by_file = draw(st.lists(st.lists(st.sampled_from([4, 8, 12]), min_size=1,
                                              max_size=3), min_size=1, max_size=2))
    count = len(received_days) + len(sessions_by_file)
    arrivals = draw(st.permutations(range(count)))
    runs = draw(st.lists(st.integers(0, 2), min_size=count, max_size=count))
    return received_days, sessions_by_file, list(arrivals), runs


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenarios())
# Loaded, then withdrawn by a correction; held, then released by one; held for its referral,
# then held for the receipt.
@example(([2, 10], [[4, 12]], [0, 2, 1], [0, 1, 0]))
@example(([10, 2], [[4]], [0, 2, 1], [0, 1, 0]))
@example(([6], [[4, 8]], [1, 0], [1, 0]))
def test_sessions_end_where_the_current_referral_puts_them_whatever_the_runs(
        monkeypatch, scenario):
    monkeypatch.setenv("CAREPATH_PSEUDONYM_KEY", "referral-rules-key-0123456789abcdef")
    received_days, sessions_by_file, arrivals, run_of = scenario
    files = [("referrals", f"ASH_referrals_{i}.csv", [_referral(day)])
             for i, day in enumerate(received_days)]
    files += [("sessions", f"ASH_sessions_{i}.csv",
               [_session(f"S-{i}-{j}", day) for j, day in enumerate(days)])
              for i, days in enumerate(sessions_by_file)]
    runs = [[i for i in range(len(files)) if run_of[i] == run] for run in range(3)]
    state = _load(files, arrivals, [run for run in runs if run])[-1]
    # The spec's rule: the current version is the newest delivery (here, the latest arrival).
    received = received_days[max(range(len(received_days)), key=lambda i: arrivals[i])]
    expected_raw = sorted(f"S-{i}-{j}" for i, days in enumerate(sessions_by_file)
                          for j, day in enumerate(days) if day >= received)
    assert sorted(r[0] for r in state["raw"]) == expected_raw
    sessions = sum(len(days) for days in sessions_by_file)
    assert {r[2] for r in state["held"]} <= {BEFORE_RECEIPT}
    assert len(state["held"]) == sessions - len(expected_raw)
    for source, rows, loaded, quarantined in state["ledger"]:
        assert loaded + quarantined == rows
        if "/referrals/" in source:
            continue
        assert loaded == sum(1 for r in state["raw"] if r[1] == source)
