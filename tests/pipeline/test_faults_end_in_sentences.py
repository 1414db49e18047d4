"""Faults end in sentences, and the next healthy run repairs what they left: a published copy
something wrote into is noticed by its checksum and published afresh; a data folder the run may
not write is said so in one line, with exit status 74."""

from __future__ import annotations

import os
import shutil
import subprocess

from support.extract_files import write_rows
from support.paths import BIN

from carepath.pipeline import run_pipeline, staleness
from carepath.publish.publication import checksum_path, published_copy_damaged


def test_a_scribbled_published_copy_is_noticed_and_published_afresh(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "r1.csv", [{}])
    assert run_pipeline(data_dir).published_to
    assert not published_copy_damaged(data_dir)
    size = data_dir.published_path.stat().st_size
    with data_dir.published_path.open("r+b") as fh:  # a disk fault, or a stray writer
        fh.seek(size // 2)
        fh.write(os.urandom(min(1 << 20, size // 4)))
    assert published_copy_damaged(data_dir)
    assert staleness(data_dir)[0].startswith("the published copy is damaged")
    status = subprocess.run([str(BIN / "carepath"), "status", "--data-dir",
                             str(data_dir.data_dir)], capture_output=True, text=True,
                            timeout=300)
    assert status.returncode == 1 and "DAMAGED" in status.stdout
    assert "Traceback" not in status.stdout + status.stderr

    again = run_pipeline(data_dir)  # nothing new landed: the copy alone is published afresh
    assert again.ok and again.published_to
    assert not published_copy_damaged(data_dir)
    assert checksum_path(data_dir.published_path).read_text().strip()
    assert staleness(data_dir) == []


def _bound_by_permissions() -> list[str]:
    """Root without the capabilities that let it write past permissions (util-linux setpriv)."""
    if os.geteuid() != 0:
        return []
    dropped = "-dac_override,-dac_read_search"
    return [shutil.which("setpriv"), f"--bounding-set={dropped}", f"--inh-caps={dropped}"]


def test_a_data_folder_the_run_may_not_write_is_said_in_a_sentence(data_dir):
    write_rows(data_dir.landing_dir, "ASH", "referrals", "r1.csv", [{}])
    data_dir.data_dir.chmod(0o555)
    try:
        run = subprocess.run([*_bound_by_permissions(), str(BIN / "carepath"), "run",
                              "--data-dir", str(data_dir.data_dir)],
                             capture_output=True, text=True, timeout=300)
    finally:
        data_dir.data_dir.chmod(0o755)
    assert run.returncode == 74, run.stderr[-2000:]
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("carepath: cannot write ") and "permission is denied" in line
    assert not data_dir.warehouse_path.exists()
