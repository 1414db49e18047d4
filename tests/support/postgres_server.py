"""A throwaway PostgreSQL server for the tests: Debian's binaries, a cluster in a temporary
folder, trust authentication on 127.0.0.1 and a free port, stopped and deleted afterwards.

initdb refuses to run as root, so as root the cluster is made and run by the `postgres` user
(`runuser`), in a folder it owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's binaries (`make engines` installs them if missing)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql: "
                           "`make engines` installs Debian's postgresql")
    return Path(found[-1]).parent


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def throwaway_postgres(port: int) -> Iterator[str]:
    """Start a server with its cluster in a new temporary folder; yields the URL of its
    `postgres` database (superuser `postgres`, no password). The folder is made directly under
    the system's temporary folder: pytest's own are private to the user running the tests,
    which the `postgres` user is not."""
    binaries = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="carepath-postgres-"))
    cluster, log = folder / "cluster", folder / "server.log"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    subprocess.run(_as_owner([str(binaries / "initdb"), "-A", "trust", "-U", "postgres",
                              "-E", "UTF8", "--locale=C", "-D", str(cluster)]),
                   check=True, capture_output=True)
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off")
    subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(cluster), "-l", str(log),
                              "-o", options, "-w", "-t", "60", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(cluster), "-m",
                                  "immediate", "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """A new, empty UTF8 database on the server; returns its URL."""
    with psycopg.connect(server_url, autocommit=True) as con:
        con.execute(f'drop database if exists "{name}"')
        con.execute(f"create database \"{name}\" encoding 'UTF8' template template0")
    return server_url.rsplit("/", 1)[0] + f"/{name}"
