"""Storage faults are recognised however deep a library wrapped them, and said in a sentence."""

from __future__ import annotations

import errno

import duckdb

from carepath.faults import storage_fault


def test_a_full_disk_from_duckdb_is_said_with_what_to_do():
    exc = duckdb.FatalException("FATAL Error: Failed to create checkpoint because of error: "
                                "Could not write file: No space left on device")
    said = storage_fault(exc, "/srv/carepath/data")
    assert said.startswith("cannot write /srv/carepath/data: no space is left on the device.")
    assert "Free some space" in said and "\n" not in said


def test_a_read_only_file_system_under_a_wrapper_is_found_in_its_cause():
    try:
        try:
            raise OSError(errno.EROFS, "Read-only file system", "/data/carepath.lock")
        except OSError as inner:
            raise RuntimeError("could not take the run lock") from inner
    except RuntimeError as outer:
        said = storage_fault(outer)
    assert said.startswith("cannot write /data/carepath.lock: the file system is mounted "
                           "read-only.")


def test_other_errors_are_not_storage_faults():
    assert storage_fault(ValueError("a bad value")) is None
    assert storage_fault(duckdb.BinderException("Referenced column x not found")) is None
