"""`carepath` on the command line: generate, run (twice), status, check, users."""

from __future__ import annotations

import json
import os
import subprocess

import duckdb
from support.extract_files import write_rows
from support.paths import BIN

from carepath.access.users import authenticate, read_users


def _carepath(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "carepath"), *args], capture_output=True, text=True,
                          env=env, timeout=600)


def test_generate_run_status_and_an_idempotent_rerun(tmp_path):
    data = tmp_path / "data"
    gen = _carepath("generate", "--out", str(data / "landing"), "--sites", "2", "--months", "2",
                    "--scale", "0.2", "--seed", "3")
    assert gen.returncode == 0, gen.stderr
    assert "wrote 2 sites x 2 months" in gen.stdout

    first = _carepath("run", "--data-dir", str(data), "--json", str(tmp_path / "run.json"))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    # Quiet: a line per step and the summary; dbt's output in its log file, no colour codes.
    assert first.stdout.startswith("carepath run: loading new files\n"
                                   "carepath run: building the marts (dbt)\n"
                                   "carepath run: publishing the marts\n"
                                   "carepath run summary\n"), first.stdout[:500]
    assert "Running with dbt" not in first.stdout + first.stderr
    assert "\x1b[" not in first.stdout + first.stderr
    dbt_log = data / "dbt" / "logs" / "dbt-output.log"
    assert "Running with dbt" in dbt_log.read_text() and "\x1b[" not in dbt_log.read_text()
    assert f"(its output: {dbt_log})" in first.stdout
    summary = json.loads((tmp_path / "run.json").read_text())
    loaded, quarantined = summary["load"]["rows_loaded"], summary["load"]["rows_quarantined"]
    assert loaded > 0 and summary["build"]["success"] and summary["published_to"]
    assert quarantined == 1  # the planted TUG of 900 s at ASH
    assert f"rows: {loaded} loaded (0 released from quarantine), {quarantined} quarantined" \
        in first.stdout
    # The generator's answer key lies in the landing folder: recorded as ignored, not loaded.
    assert "files: 13 new (1 ignored, 12 loaded)" in first.stdout

    # The last load, file by file, in the status (`make pipeline` prints it after the DAG).
    after_first = _carepath("status", "--data-dir", str(data))
    assert "last load: finished at" in after_first.stdout
    assert "ignored   ground_truth.json: not a delivery" in after_first.stdout
    for f in summary["load"]["files"]:
        if f["status"] == "loaded":
            assert (f"loaded    {f['source_file']} {f['rows_loaded']} rows loaded, "
                    f"{f['rows_quarantined']} quarantined") in after_first.stdout

    second = _carepath("run", "--data-dir", str(data))
    assert second.returncode == 0
    assert "files: 0 new (none), 13 already in the ledger" in second.stdout
    assert "dbt: skipped" in second.stdout

    status = _carepath("status", "--data-dir", str(data))
    assert status.returncode == 0
    assert "ledger: 12 files (0 rejected), 1 other entries" in status.stdout
    assert "freshness: up to date with the warehouse" in status.stdout
    assert "marts.fct_referral_latency:" in status.stdout

    # The analyst's dbt runs on the same warehouse with the target and variables a run sets.
    dbt = _carepath("dbt", "--data-dir", str(data), "build", "--select", "fct_site_performance")
    assert dbt.returncode == 0, dbt.stdout[-3000:] + dbt.stderr[-3000:]
    assert "OK created sql table model marts.fct_site_performance" in dbt.stdout
    assert " ERROR=0 " in dbt.stdout
    nothing = _carepath("dbt", "--data-dir", str(data))
    assert nothing.returncode == 2 and "name the dbt command" in nothing.stderr

    # The landed tables as Parquet, for Spark: every row the warehouse holds, table by table.
    exported = _carepath("export-parquet", "--to", str(tmp_path / "parquet"),
                         "--data-dir", str(data))
    assert exported.returncode == 0, exported.stderr
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        for schema, table in (("raw", "referrals"), ("raw", "sessions"), ("raw", "outcomes"),
                              ("ops", "loaded_files"), ("ops", "quarantine")):
            [(rows,)] = con.execute(f"select count(*) from {schema}.{table}").fetchall()
            [(written,)] = con.execute("select count(*) from read_parquet(?)", [
                str(tmp_path / "parquet" / schema / f"{table}.parquet")]).fetchall()
            assert written == rows and f"{schema}.{table}: {rows:,} rows" in exported.stdout


def test_generate_refuses_more_sites_than_the_roster(tmp_path):
    result = _carepath("generate", "--out", str(tmp_path), "--sites", "9")
    assert result.returncode == 2
    assert "--sites must be between 1 and 8" in result.stderr


def test_the_run_output_carries_no_shutdown_noise(tmp_path):
    """A run loads through Great Expectations; its output must end with the summary, not a
    "nanobind: leaked ..." report from DuckDB's bindings at interpreter exit."""
    data = tmp_path / "data"
    write_rows(data / "landing", "ASH", "referrals", "ASH_referrals_2026-03.csv",
               [{"referral_id": "R1"}])
    run = _carepath("run", "--data-dir", str(data), env=_env_with_key())
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "leaked" not in run.stdout + run.stderr


def _env_with_key() -> dict:
    return {**os.environ, "CAREPATH_PSEUDONYM_KEY": "cli-test-key-0123456789abcdef0123456789"}


def test_check_reports_a_site_s_files_and_writes_nothing(tmp_path):
    files = tmp_path / "to_check"
    good = write_rows(files, "ASH", "referrals", "ASH_referrals_2026-03.csv",
                      [{"referral_id": "R1"}, {"referral_id": "R2"}])
    spoiled = write_rows(files, "ASH", "sessions", "ASH_sessions_2026-03.csv", [
        {"session_id": "S1", "referral_id": "R1"},
        {"session_id": "S2", "referral_id": "R1", "status": "came"},
        {"session_id": "S3", "referral_id": "R1", "mode": "943 476 5919"},
    ])
    rejected = write_rows(files, "ASH", "outcomes", "ASH_outcomes_2026-03.csv",
                          [{"measure_id": "M1"}], columns=["measure_id", "Patient Name"])
    data = tmp_path / "data"
    # A warehouse no check may touch: nothing listens there, so a check that tried would fail.
    env = {**_env_with_key(), "CAREPATH_DATA_DIR": str(data),
           "CAREPATH_WAREHOUSE": "postgresql://nobody@127.0.0.1:1/nowhere"}

    clean = _carepath("check", "--site", "ASH", str(good), env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "would load 2 of 2 rows; 0 would be quarantined" in clean.stdout
    assert "All rows would load." in clean.stdout

    # The referrals come along, so the sessions' referral is known to the check.
    mixed = _carepath("check", "--site", "ASH", str(good), str(spoiled), str(rejected), env=env)
    assert mixed.returncode == 1, mixed.stdout + mixed.stderr
    out = mixed.stdout
    assert "ASH_sessions_2026-03.csv (sessions): would load 1 of 3 rows; 2 would be quarantined" \
        in out
    assert "expect_column_values_to_be_in_set(status)" in out and "line(s) 3" in out
    assert "mode (looks like an NHS number)" in out and "line(s) 4" in out
    assert "943 476 5919" not in out
    assert "ASH_outcomes_2026-03.csv (outcomes): would be rejected: missing required column(s)" \
        in out
    assert "leaked" not in out + mixed.stderr
    assert not data.exists(), "a check must write nothing into the data folder"

    unknown = _carepath("check", "--site", "ASH", str(tmp_path / "missing.csv"), env=env)
    assert unknown.returncode == 2 and "no such file" in unknown.stderr


def test_users_are_managed_from_the_command_line_with_the_password_on_stdin(tmp_path):
    users_file = tmp_path / "access" / "users.json"
    env = {**os.environ, "CAREPATH_USERS_FILE": str(users_file)}

    def users(*args: str, password: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "carepath"), "users", *args], input=password,
                              capture_output=True, text=True, env=env, timeout=60)

    added = users("add", "ana", "--site", "BRA", "--password-stdin",
                  password="a long password\n")
    assert added.returncode == 0, added.stderr
    assert "added ana (site BRA, operational)" in added.stdout
    lead = users("add", "lead", "--all-sites", "--password-stdin", password="another password")
    assert lead.returncode == 0, lead.stderr
    board = users("add", "board", "--all-sites", "--audience", "published", "--password-stdin",
                  password="a board password")
    assert "added board (every site, published)" in board.stdout, board.stderr
    stored = read_users(users_file)
    # The final line break that `echo` adds is not part of the password.
    assert authenticate(stored, "ana", "a long password") == stored["ana"]
    assert "a long password" not in users_file.read_text()
    listed = users("list")
    assert listed.stdout.splitlines() == ["ana\tsite BRA\toperational",
                                          "board\tevery site\tpublished",
                                          "lead\tevery site\toperational"]
    assert stored["board"].audience == "published" and stored["ana"].audience == "operational"

    short = users("add", "bob", "--site", "BRA", "--password-stdin", password="short")
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    both = users("add", "bob", "--site", "BRA", "--all-sites", "--password-stdin",
                 password="a long password")
    assert both.returncode == 2 and "not allowed with" in both.stderr
    not_a_terminal = users("add", "bob", "--site", "BRA", password="a long password")
    assert not_a_terminal.returncode == 2 and "--password-stdin" in not_a_terminal.stderr

    assert users("remove", "ana").returncode == 0
    assert set(read_users(users_file)) == {"board", "lead"}
    missing = users("remove", "ana")
    assert missing.returncode == 2 and "no user 'ana'" in missing.stderr
    unset = subprocess.run([str(BIN / "carepath"), "users", "list"], capture_output=True,
                           text=True, env={k: v for k, v in env.items()
                                           if k != "CAREPATH_USERS_FILE"}, timeout=60)
    assert unset.returncode == 2 and "CAREPATH_USERS_FILE is not set" in unset.stderr
