"""Identifiers are normalised before anything reads them: one id typed two ways is one id, and
one patient keeps one pseudonym however their id was typed (Unicode NFC; zero-width and other
invisible characters, byte order marks, direction marks and line separators removed). An id
longer than any id is a spoiled row, withheld."""

from __future__ import annotations

import duckdb
from support.extract_files import write_rows

from carepath.contract import MAX_IDENTIFIER_LENGTH
from carepath.ingest.loader import load_new_files

ZERO_WIDTH, BOM, RTL_OVERRIDE, LINE_SEPARATOR = "\u200b", "\ufeff", "\u202e", "\u2028"


def _rows(settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_one_id_typed_two_ways_is_one_id(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_2026-03.csv", [
        {"referral_id": "R-1", "patient_id": "PAT0000001"},
        {"referral_id": "R-2", "patient_id": f"PAT0000001{ZERO_WIDTH}"},
        {"referral_id": "R-3", "patient_id": "Jose\u0301-1"},  # e + combining acute (NFD)
        {"referral_id": "R-4", "patient_id": "Jos\u00e9-1"},  # é as one character (NFC)
        {"referral_id": f"{BOM}R-5"},  # a byte order mark inside the file, not at its start
        {"referral_id": f"R-6{RTL_OVERRIDE}", "patient_id": f"PAT00{LINE_SEPARATOR}00006"},
        {"referral_id": "R-7", "patient_id": "PAT0000006"},
        {"referral_id": ZERO_WIDTH},  # nothing but an invisible character: no id at all
    ])
    write_rows(data_dir.landing_dir, "ASH", "sessions", "ASH_sessions_2026-03.csv", [
        {"session_id": "S-001", "referral_id": "R-1"},
        {"session_id": f"S-{ZERO_WIDTH}001", "referral_id": "R-1"},  # the same session again
        {"session_id": "S-" + "9" * 200, "referral_id": "R-1"},
    ])
    report = load_new_files(data_dir, create_key=True)

    keys = dict(_rows(data_dir, "select referral_id, patient_key from raw.referrals"))
    assert sorted(keys) == ["R-1", "R-2", "R-3", "R-4", "R-5", "R-6", "R-7"]
    assert keys["R-1"] == keys["R-2"], "an invisible character made a second patient"
    assert keys["R-3"] == keys["R-4"], "a decomposed accent made a second patient"
    assert keys["R-6"] == keys["R-7"], "a line separator made a second patient"
    assert len(set(keys.values())) == 3
    reasons = dict(_rows(data_dir, "select line_number, rule from ops.quarantine "
                                   "where extract = 'referrals'"))
    assert reasons == {9: "expect_column_values_to_not_be_null(referral_id)"}

    # The two spellings of S-001 are one session sent twice in one file: both are held, as any
    # repeated key in a file is, rather than counted as two sessions.
    assert _rows(data_dir, "select session_id from raw.sessions") == []
    held = _rows(data_dir, "select line_number, rule, offending_value, row_json "
                           "from ops.quarantine where extract = 'sessions' order by 1, 2")
    assert {(line, rule) for line, rule, _, _ in held} == {
        (2, "unexpected_rows_expectation(unique_in_file)"),
        (3, "unexpected_rows_expectation(unique_in_file)"),
        (4, "expect_column_values_to_be_null(_parse_failures)")}
    too_long = next(h for h in held if h[0] == 4)
    assert f"session_id (longer than {MAX_IDENTIFIER_LENGTH} characters)" in too_long[2]
    assert "9" * 100 not in too_long[3], "the over-long id is stored"
    assert report.rows_quarantined == 4
