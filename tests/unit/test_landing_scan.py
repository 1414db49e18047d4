"""What the landing scan makes of a file that may still be arriving: one that does not end in a
line break waits, in UTF-8 as in UTF-16 of either byte order, whose line breaks are two bytes."""

from __future__ import annotations

import os
import time

import pytest

from carepath.ingest.discover import scan_landing
from carepath.settings import Patience

ROWS = "referral_id,patient_id\nR-1,P-1\n"
PATIENT = Patience(settle_seconds=0, incomplete_after_seconds=3600)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "latin-1"])
def test_a_complete_file_is_taken_in_any_encoding_and_a_cut_one_waits(tmp_path, encoding):
    folder = tmp_path / "ASH" / "referrals"
    folder.mkdir(parents=True)
    (folder / "complete.csv").write_bytes(ROWS.encode(encoding))
    (folder / "cut.csv").write_bytes(ROWS[:-4].encode(encoding))
    a_minute_ago = time.time() - 60  # settled, and within the hour a cut file is waited for
    for path in folder.iterdir():
        os.utime(path, (a_minute_ago, a_minute_ago))
    kinds = {e.relative: (e.kind, e.reason) for e in scan_landing(tmp_path, PATIENT)}
    assert kinds["ASH/referrals/complete.csv"] == ("candidate", None)
    assert kinds["ASH/referrals/cut.csv"] == (
        "waiting", "no final line break: the transfer looks incomplete")
