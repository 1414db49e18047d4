"""Walk the landing folder and say what each entry is, without trusting names or links.

Every entry ends somewhere the operator can see: a candidate delivery (`<site>/<extract>/<file>`),
a misplaced file (rejected), something that is not a delivery (ignored, with why), or a file still
arriving (waiting for the next run). Paths are taken literally: nothing here, or later, expands
`*`, `?` or `[...]` in a name. Symbolic links are never followed out of the landing folder, and
named pipes or devices are never opened (reading a FIFO would block the run).
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from carepath.settings import Patience

DEFAULT_PATIENCE = Patience()


@dataclass(frozen=True)
class LandingEntry:
    path: Path
    relative: str  # the path under the landing folder, as the ledger records it
    kind: str  # candidate | misplaced | ignored | refused | waiting
    reason: str | None = None
    size: int | None = None
    mtime_ns: int | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        return Path(self.relative).parts


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def printable_relative(path: Path, landing: Path) -> str:
    """The path under the landing folder as text every store and report can hold: a name whose
    bytes are not UTF-8 keeps them as backslash escapes (`s\\xff.csv`) instead of carrying
    unpaired surrogates that DuckDB and PostgreSQL refuse."""
    relative = os.fsencode(path.relative_to(landing))
    return relative.decode("utf-8", "backslashreplace")


# A line break as its last bytes: one byte in UTF-8 and Latin-1, two in UTF-16 (either byte
# order), so a complete UTF-16 file settles as soon as a UTF-8 one does.
_LINE_ENDS = (b"\n", b"\r", b"\n\x00", b"\r\x00", b"\x00\n", b"\x00\r")


def _ends_with_newline(path: Path, size: int) -> bool:
    """Whether the file ends with a line break, in any encoding a site may send. A file that
    cannot be read here is left for the loader, which rejects it with the reason."""
    try:
        with path.open("rb") as fh:
            fh.seek(max(size - 2, 0))
            tail = fh.read(2)
    except OSError:
        return True
    return tail.endswith(_LINE_ENDS)


def _inside(target: Path, landing: Path) -> bool:
    try:
        target.relative_to(landing)
        return True
    except ValueError:
        return False


def _classify_file(path: Path, relative: str, st: os.stat_result, patience: Patience,
                   now: float) -> LandingEntry:
    size, mtime_ns = st.st_size, st.st_mtime_ns
    depth = len(Path(relative).parts)
    if depth == 1:
        return LandingEntry(path, relative, "ignored",
                            "not a delivery: outside any <site>/<extract>/ folder", size, mtime_ns)
    if depth != 3:
        return LandingEntry(path, relative, "misplaced",
                            "not in <landing>/<site_code>/<extract>/<file>", size, mtime_ns)
    age = now - mtime_ns / 1e9
    if age < patience.settle_seconds:
        return LandingEntry(path, relative, "waiting",
                            f"modified in the last {patience.settle_seconds:g} s: still arriving",
                            size, mtime_ns)
    if (size > 0 and age < patience.incomplete_after_seconds
            and not _ends_with_newline(path, size)):
        return LandingEntry(path, relative, "waiting",
                            "no final line break: the transfer looks incomplete", size, mtime_ns)
    return LandingEntry(path, relative, "candidate", None, size, mtime_ns)


def scan_landing(landing: Path, patience: Patience = DEFAULT_PATIENCE) -> list[LandingEntry]:
    """Every entry under `landing`, in a stable order (by relative path)."""
    if not landing.is_dir():
        return []
    landing = landing.resolve()
    now = time.time()
    entries: list[LandingEntry] = []
    pending = [landing]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            entries.append(LandingEntry(
                folder, printable_relative(folder, landing), "refused",
                f"folder cannot be read ({exc.strerror or exc}): its files wait until the "
                "loader may list it"))
            continue
        for child in children:
            path = Path(child.path)
            relative = printable_relative(path, landing)
            try:
                st = child.stat(follow_symlinks=False)
            except OSError:
                continue  # gone since the folder was listed: the next run sees what is there
            if child.name.startswith("."):
                entries.append(LandingEntry(path, relative, "ignored",
                                            "hidden entry (name starts with a dot)",
                                            st.st_size, st.st_mtime_ns))
            elif stat.S_ISLNK(st.st_mode):
                try:
                    entries.append(_classify_link(path, relative, landing, patience, now, st))
                except OSError as exc:
                    entries.append(LandingEntry(path, relative, "refused",
                                                "symbolic link that cannot be followed "
                                                f"({exc.strerror or exc})", st.st_size,
                                                st.st_mtime_ns))
            elif stat.S_ISDIR(st.st_mode):
                pending.append(path)
            elif stat.S_ISREG(st.st_mode):
                entries.append(_classify_file(path, relative, st, patience, now))
            else:
                entries.append(LandingEntry(path, relative, "ignored",
                                            "not a regular file (a pipe, socket or device)",
                                            st.st_size, st.st_mtime_ns))
    return sorted(entries, key=lambda e: e.relative)


def _classify_link(path: Path, relative: str, landing: Path, patience: Patience, now: float,
                   link_stat: os.stat_result) -> LandingEntry:
    target = path.resolve()
    if not _inside(target, landing):
        return LandingEntry(path, relative, "refused",
                            "symbolic link leading out of the landing folder",
                            link_stat.st_size, link_stat.st_mtime_ns)
    if target.is_dir():
        return LandingEntry(path, relative, "ignored",
                            "symbolic link to a folder inside the landing folder: its files "
                            "are taken from where they are", link_stat.st_size,
                            link_stat.st_mtime_ns)
    if not target.is_file():
        return LandingEntry(path, relative, "ignored", "symbolic link to nothing readable",
                            link_stat.st_size, link_stat.st_mtime_ns)
    return _classify_file(path, relative, target.stat(), patience, now)
