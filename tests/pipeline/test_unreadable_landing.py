"""A landing folder the loader may not read all of: an unreadable file or folder costs only
itself, recorded with a sentence; every other site's files load. The loader runs bound by the
permissions (root reads everything, so under root it runs without the capabilities to)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from support.extract_files import write_rows

LOAD = """
import json, sys
from pathlib import Path
from carepath.ingest.loader import load_new_files
from carepath.settings import load_settings
report = load_new_files(load_settings(Path(sys.argv[1])), create_key=True)
print(json.dumps([f.as_dict() for f in report.files]))
"""


def _as_loader_user() -> list[str]:
    """The command prefix that runs the loader as a user file permissions bind: root without
    the capabilities that let it read past them (setpriv, from util-linux)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.fail("setpriv (util-linux) is needed to run the loader bound by permissions")
    dropped = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={dropped}", f"--inh-caps={dropped}"]


def test_an_unreadable_file_and_folder_cost_only_themselves(tmp_path):
    data = tmp_path / "data"
    landing = data / "landing"
    write_rows(landing, "ASH", "referrals", "ash.csv", [{}])
    locked_file = write_rows(landing, "CAR", "referrals", "car.csv",
                             [{"referral_id": "C-1", "site_code": "CAR"}])
    write_rows(landing, "DEN", "referrals", "den.csv", [{"referral_id": "D-1", "site_code": "DEN"}])
    locked_folder = landing / "DEN" / "referrals"
    prefix = _as_loader_user()
    locked_file.chmod(0)
    locked_folder.chmod(0)
    try:
        env = {**os.environ, "CAREPATH_SETTLE_SECONDS": "0",
               "CAREPATH_INCOMPLETE_AFTER_SECONDS": "0"}
        run = subprocess.run([*prefix, sys.executable, "-c", LOAD, str(data)], env=env,
                             capture_output=True, text=True, timeout=600)
    finally:
        locked_folder.chmod(0o755)
        locked_file.chmod(0o644)
    assert run.returncode == 0, run.stderr[-3000:]
    outcomes = {f["source_file"]: f for f in json.loads(run.stdout.strip().splitlines()[-1])}
    assert outcomes["ASH/referrals/ash.csv"]["status"] == "loaded"
    assert outcomes["ASH/referrals/ash.csv"]["rows_loaded"] == 1
    car = outcomes["CAR/referrals/car.csv"]
    assert car["status"] == "rejected" and "Permission denied" in car["reason"]
    den = outcomes["DEN/referrals"]
    assert den["status"] == "rejected" and "folder cannot be read" in den["reason"]
