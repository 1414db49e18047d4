"""`carepath` on the command line: generate, run (twice), status."""

from __future__ import annotations

import json
import subprocess

from support.paths import BIN


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
    summary = json.loads((tmp_path / "run.json").read_text())
    loaded, quarantined = summary["load"]["rows_loaded"], summary["load"]["rows_quarantined"]
    assert loaded > 0 and summary["build"]["success"] and summary["published_to"]
    assert quarantined == 1  # the planted TUG of 900 s at ASH
    assert f"rows: {loaded} loaded (0 released from quarantine), {quarantined} quarantined" \
        in first.stdout
    # The generator's answer key lies in the landing folder: recorded as ignored, not loaded.
    assert "files: 13 new (1 ignored, 12 loaded)" in first.stdout

    second = _carepath("run", "--data-dir", str(data))
    assert second.returncode == 0
    assert "files: 0 new (none), 13 already in the ledger" in second.stdout
    assert "dbt: skipped" in second.stdout

    status = _carepath("status", "--data-dir", str(data))
    assert status.returncode == 0
    assert "ledger: 12 files (0 rejected), 1 other entries" in status.stdout
    assert "freshness: up to date with the warehouse" in status.stdout
    assert "marts.fct_referral_latency:" in status.stdout


def test_generate_refuses_more_sites_than_the_roster(tmp_path):
    result = _carepath("generate", "--out", str(tmp_path), "--sites", "9")
    assert result.returncode == 2
    assert "--sites must be between 1 and 8" in result.stderr
