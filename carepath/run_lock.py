"""One pipeline run at a time per data folder.

DuckDB takes one writing process; a second run would crash on DuckDB's own lock, or worse, let
one run's dbt build read the other's half-loaded warehouse. Every step that writes takes an
advisory lock on `<data>/carepath.lock` first. The lock belongs to the open file, so the kernel
releases it when the holder dies, even by SIGKILL: a killed run never leaves a stale lock.
Nested use in one process (the one-process `carepath run` calling its own steps) is free.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

_held: set[Path] = set()


class RunLocked(RuntimeError):
    """Another run holds the data folder."""


@contextmanager
def run_lock(path: Path, wait: bool = False) -> Iterator[None]:
    path = path.resolve()
    if path in _held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise RunLocked(f"another carepath run is using {path.parent} ({holder}); "
                            "wait for it to finish, or stop it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since "
                      f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n".encode(), 0)
        _held.add(path)
        try:
            yield
        finally:
            _held.discard(path)
    finally:
        os.close(fd)
