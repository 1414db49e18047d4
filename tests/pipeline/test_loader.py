"""Loading: the ledger, the GX gate's quarantine, rejection of whole files, pseudonyms."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from support.extract_files import REFERRAL, write_rows

from carepath.ingest.loader import load_new_files


def _query(settings, sql, params=None):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_every_file_reconciles_and_raw_holds_exactly_the_loaded_rows(pipeline_run):
    settings, summary = pipeline_run
    assert summary.load.files and not summary.load.files_rejected
    # The generator's answer key lies in the landing folder; it is recorded, not loaded.
    [ignored] = [f for f in summary.load.files if f.status != "loaded"]
    assert (ignored.source_file, ignored.status) == ("ground_truth.json", "ignored")
    loaded = [f for f in summary.load.files if f.status == "loaded"]
    for f in loaded:
        assert f.rows_in_file == f.rows_loaded + f.rows_quarantined, f.source_file
        in_raw = _query(settings, f"select count(*) from raw.{f.extract} where _source_file = ?",
                        [f.source_file])[0][0]
        assert in_raw == f.rows_loaded, f.source_file
    ledger = _query(settings, "select count(*), sum(rows_loaded) from ops.loaded_files "
                              "where status = 'loaded'")[0]
    assert ledger == (len(loaded), summary.load.rows_loaded)


def test_the_same_files_load_only_once(data_dir, demo_landing):
    shutil.copytree(demo_landing / "DEN", data_dir.landing_dir / "DEN")
    delivered = len(list((data_dir.landing_dir / "DEN").rglob("*.csv")))
    first = load_new_files(data_dir, create_key=True)
    second = load_new_files(data_dir)
    assert first.rows_loaded > 0 and len(first.files) == delivered
    assert second.files == [] and second.already_loaded == delivered
    # A copy of an already-loaded file under another name is recorded as its duplicate, once.
    original = sorted((data_dir.landing_dir / "DEN" / "sessions").glob("*.csv"))[0]
    shutil.copy(original, original.with_name("resent.csv"))
    [resent] = load_new_files(data_dir).files
    assert (resent.status, resent.rows_loaded) == ("duplicate", 0)
    assert str(original.relative_to(data_dir.landing_dir)) in resent.reason
    assert load_new_files(data_dir).files == []


def test_bad_rows_go_to_quarantine_with_rule_file_and_line(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_bad.csv", [
        {"referral_id": "OK-1"},
        {"referral_id": "BAD-PRIORITY", "priority": "asap"},
        {"referral_id": "BAD-DATE", "referred_at": "2026-02-30T09:00:00"},
        {"referral_id": "OUT-OF-ORDER", "triaged_at": "2026-03-01T09:00:00"},
        {"referral_id": ""},
        {"referral_id": "OK-2", "patient_id": "PAT0000002"},
    ])
    report = load_new_files(data_dir, create_key=True)
    [f] = report.files
    assert (f.status, f.rows_in_file, f.rows_loaded, f.rows_quarantined) == ("loaded", 6, 2, 4)
    rows = _query(data_dir, "select line_number, rule, offending_value from ops.quarantine "
                            "order by line_number, rule")
    by_line = {}
    for line, rule, value in rows:
        by_line.setdefault(line, []).append((rule, value))
    assert by_line[3] == [("expect_column_values_to_be_in_set(priority)", "priority=asap")]
    assert by_line[4][0][0] == "expect_column_values_to_be_null(_parse_failures)"
    assert by_line[4][0][1] == "_parse_failures=referred_at"
    assert ("expect_column_pair_values_a_to_be_greater_than_b(triaged_at, received_at)"
            in [r for r, _ in by_line[5]])
    assert ("expect_column_values_to_not_be_null(referral_id)" in [r for r, _ in by_line[6]])
    assert sorted(r[0] for r in _query(data_dir, "select referral_id from raw.referrals")) == [
        "OK-1", "OK-2"]


def test_implausible_measurements_are_quarantined_per_instrument(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_1.csv", [{}])
    write_rows(data_dir.landing_dir, "ASH", "outcomes", "ASH_outcomes_bad.csv", [
        {"measure_id": "M-OK", "instrument": "tug", "value": "12.4"},
        {"measure_id": "M-TUG", "instrument": "tug", "value": "900"},
        {"measure_id": "M-NRS", "instrument": "pain_nrs", "value": "14"},
        {"measure_id": "M-GRIP", "instrument": "grip_strength", "value": "14"},
    ])
    _, f = load_new_files(data_dir, create_key=True).files
    assert (f.rows_loaded, f.rows_quarantined) == (2, 2)
    reasons = dict(_query(data_dir, "select line_number, rule_description from ops.quarantine"))
    assert reasons == {3: "implausible tug value (outside 1-120)",
                       4: "implausible pain_nrs value (outside 0-10)"}


def test_sessions_need_a_referral_the_warehouse_holds(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "ASH_referrals_1.csv", [{}])
    write_rows(data_dir.landing_dir, "ASH", "sessions", "ASH_sessions_1.csv",
               [{"session_id": "S1"}, {"session_id": "S2", "referral_id": "T-R404"}])
    _, f = load_new_files(data_dir, create_key=True).files
    assert (f.rows_loaded, f.rows_quarantined) == (1, 1)
    assert _query(data_dir, "select line_number, rule from ops.quarantine") == [
        (3, "unexpected_rows_expectation(known_referral)")]


@pytest.mark.parametrize("relative, content, problem", [
    ("ZZZ/referrals/x.csv", None, "unknown site 'ZZZ'"),
    ("ASH/appointments/x.csv", None, "unknown extract type 'appointments'"),
    ("ASH/referrals/empty.csv", b"", "empty file"),
    ("ASH/sessions/no_status.csv",
     b"session_id,referral_id,patient_id,site_code,session_kind,scheduled_at\n",
     "missing required column(s): 'status' (status)"),
    ("ASH/outcomes/not_utf8.csv", "measure_id,caf\xe9\n1,2\n".encode("latin-1"),
     "not readable as utf-8"),
])
def test_whole_file_rejections_name_the_file_and_problem(data_dir, relative, content, problem):
    path = data_dir.landing_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is None:  # a good referrals file, delivered to the wrong place
        good = write_rows(data_dir.landing_dir.parent, "good", "referrals", "x.csv", [{}])
        shutil.move(good, path)
    else:
        path.write_bytes(content)
    report = load_new_files(data_dir, create_key=True)
    [f] = report.files
    assert f.status == "rejected" and problem in f.reason
    assert f.source_file == relative
    ledger = _query(data_dir, "select status, reason from ops.loaded_files")
    assert ledger == [("rejected", f.reason)]


def test_no_patient_identifier_reaches_any_table(pipeline_run):
    settings, _ = pipeline_run
    pattern = "(ASH|BRA|CAR|DEN)[0-9]{7}"  # the demo sites' hospital numbers
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        columns = con.execute("""select schema_name, table_name, column_name
                                 from duckdb_columns() where data_type = 'VARCHAR'
                                 and schema_name not in ('information_schema', 'pg_catalog')"""
                              ).fetchall()
        assert len(columns) > 30
        for schema, table, column in columns:
            hits = con.execute(f'select count(*) from {schema}.{table} '
                               f'where regexp_matches("{column}", ?)', [pattern]).fetchall()[0][0]
            assert hits == 0, f"{schema}.{table}.{column} holds a raw identifier"
        keys = con.execute("select patient_key from raw.referrals limit 5").fetchall()
        assert all(len(k) == 64 for (k,) in keys)
    finally:
        con.close()


def test_a_new_site_is_only_a_mapping_file(data_dir, tmp_path, monkeypatch):
    """ZED: pipe-delimited, a preamble line above a BOM-marked header, its own outcome codes,
    and UTC timestamps with offsets that must become local (Europe/London) calendar times."""
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "ZED.yml").write_text(
        "site_code: ZED\nsite_name: Zed Community Hospital\n"
        "file: {delimiter: '|', encoding: utf-8, skip_lines: 1,\n"
        "       timestamp_format: '%Y-%m-%d %H:%M%z', timezone: Europe/London}\n"
        "extracts:\n  outcomes:\n    columns: {measure_id: MID, referral_id: RID, "
        "patient_id: PID, site_code: SITE, instrument: TEST, assessed_at: WHEN, value: RESULT}\n"
        "    codes:\n      instrument: {T: tug, P: pain_nrs}\n")
    monkeypatch.setenv("CAREPATH_MAPPINGS_DIR", str(mappings))
    landing = data_dir.landing_dir / "ZED"
    (landing / "referrals").mkdir(parents=True)
    (landing / "outcomes").mkdir(parents=True)
    stamp = "2026-06-02 08:00+0000"  # 09:00 in London (BST)
    referral = {**REFERRAL, "referral_id": "r1", "site_code": "ZED", "referred_at": stamp,
                "received_at": stamp, "triaged_at": stamp, "first_offered_at": stamp,
                "first_seen_at": stamp}
    (landing / "referrals" / "zed_referrals.csv").write_text(
        "Exported by ZedPAS 4.2\n\ufeff" + "|".join(referral) + "\n"
        + "|".join(referral.values()) + "\n")
    (landing / "outcomes" / "zed_outcomes.csv").write_text(
        "Exported by ZedPAS 4.2\nMID|RID|PID|SITE|TEST|WHEN|RESULT\n"
        "m1|r1|Z123|ZED|T|2026-06-02 08:00+0000|10.5\n"
        "m2|r1|Z123|ZED|P|2025-12-02 08:05+0000|4\n")
    ref, out = load_new_files(data_dir, create_key=True).files
    assert (ref.status, ref.rows_loaded) == ("loaded", 1), ref.reason
    assert (out.status, out.rows_loaded) == ("loaded", 2), out.reason
    rows = _query(data_dir, "select instrument, assessed_at::VARCHAR, value from raw.outcomes "
                            "order by measure_id")
    assert rows == [("tug", "2026-06-02 09:00:00", 10.5),  # summer time: UTC+1
                    ("pain_nrs", "2025-12-02 08:05:00", 4.0)]  # winter: UTC
    assert _query(data_dir, "select referred_at::VARCHAR from raw.referrals") == [
        ("2026-06-02 09:00:00",)]


def test_the_planted_bad_rows_are_quarantined_for_the_expected_reasons(pipeline_run):
    settings, summary = pipeline_run
    truth = json.loads((settings.landing_dir / "ground_truth.json").read_text())
    got = _query(settings, """select site_code, extract, rule_description,
                                     json_extract_string(row_json, '$.session_id'),
                                     json_extract_string(row_json, '$.measure_id')
                              from ops.quarantine order by all""")
    expected = sorted((p["site_code"], p["extract"], p["expected_reason"], p.get("session_id"),
                       p.get("measure_id")) for p in truth["planted_bad_rows"])
    assert sorted(got) == expected
    assert summary.load.rows_quarantined == len(expected)
