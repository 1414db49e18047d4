"""Storage faults said in a sentence: a full disk, a read-only or unwritable data folder.

Every step that writes (the load's batch, dbt's build, the publication) commits whole or not at
all, so after such a fault the warehouse and the publication are as the last completed step left
them and the next healthy run carries on. What the operator needs is what happened and what to
do, not a traceback: `storage_fault` recognises the fault in an exception (or what caused it,
however deep DuckDB or dbt wrapped it) and words it.
"""

from __future__ import annotations

import errno

# `carepath` exit status for a storage fault (EX_IOERR in sysexits.h).
EXIT_STORAGE = 74

# errno, the words a library puts in its own message for it, what happened, what to do.
_FAULTS = (
    (errno.ENOSPC, "No space left on device", "no space is left on the device",
     "free some space where the data folder is"),
    (errno.EDQUOT, "Disk quota exceeded", "the disk quota is used up",
     "free some space or raise the quota"),
    (errno.EROFS, "Read-only file system", "the file system is mounted read-only",
     "move the data folder to a writable file system or remount it"),
    (errno.EACCES, "Permission denied", "permission is denied",
     "give the user running carepath write access to the data folder"),
)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def storage_fault(exc: BaseException, data_dir: object = None) -> str | None:
    """One line saying which storage fault stopped the command and what to do, or None when
    `exc` is not one."""
    for cause in _chain(exc):
        for number, words, happened, advice in _FAULTS:
            if (isinstance(cause, OSError) and cause.errno == number) or words in str(cause):
                where = getattr(cause, "filename", None) or data_dir or "the data folder"
                return (f"cannot write {where}: {happened}. Nothing half-written was kept: the "
                        "warehouse and the publication are as the last completed step left "
                        f"them. {advice[0].upper()}{advice[1:]}, then run again.")
    return None
