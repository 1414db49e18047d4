"""The users file: who may sign in to the dashboard, with what password, to see which sites.

A JSON file named by $CAREPATH_USERS_FILE, never kept in the repository:

    {"users": {"ana": {"site": "BRA", "password_hash": "scrypt$..."},
               "qi-lead": {"all_sites": true, "password_hash": "scrypt$..."},
               "board": {"all_sites": true, "audience": "published", "password_hash": ...}}}

A user's audience is `operational` (staff who run the service: exact figures and lists of
their referrals; the default) or `published` (a board, commissioners: figures under the
disclosure policy, no referral lists).

It is written whole to a new file that replaces the old one (readers never see half a file),
readable by its owner only, and changed under a lock so that two `carepath users` commands do
not lose each other's change.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from carepath.access.passwords import hash_password, spend_a_verification, verify_password

ENV_VAR = "CAREPATH_USERS_FILE"
MIN_PASSWORD_LENGTH = 12
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
AUDIENCES = ("operational", "published")


class UsersFileError(ValueError):
    """The users file is missing, unreadable, or not as described above."""


@dataclass(frozen=True)
class User:
    """A reader: `site` is the one site they may see, or None for every site (QI leads);
    `audience` whether they see the service's exact figures or only what may be published."""

    name: str
    site: str | None
    password_hash: str
    audience: str = "operational"

    @property
    def scope(self) -> str:
        return "every site" if self.site is None else f"site {self.site}"


def users_file_from_env() -> Path:
    """The users file named by $CAREPATH_USERS_FILE."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        raise UsersFileError(f"${ENV_VAR} is not set: name the users file there (kept outside "
                             "the repository), then add a user with `carepath users add`")
    return Path(value).expanduser()


def _user(name: str, entry: object, path: Path) -> User:
    if not isinstance(entry, dict) or not isinstance(entry.get("password_hash"), str):
        raise UsersFileError(f"{path}: user {name!r} has no password_hash")
    all_sites, site = entry.get("all_sites") is True, entry.get("site")
    if all_sites == isinstance(site, str):
        raise UsersFileError(f"{path}: user {name!r} needs either a site or all_sites: true")
    audience = entry.get("audience", "operational")
    if audience not in AUDIENCES:
        raise UsersFileError(f"{path}: user {name!r} has audience {audience!r}; use one of "
                             f"{', '.join(AUDIENCES)}")
    return User(name, None if all_sites else site, entry["password_hash"], audience)


def read_users(path: Path) -> dict[str, User]:
    """Every user in the file (none when it does not exist yet)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as problem:
        raise UsersFileError(f"{path} cannot be read as a users file: {problem}") from problem
    if not isinstance(document, dict) or not isinstance(document.get("users"), dict):
        raise UsersFileError(f"{path} is not a users file: it has no 'users' object")
    return {name: _user(name, entry, path) for name, entry in document["users"].items()}


def _write(path: Path, users: dict[str, User]) -> None:
    document = {"users": {
        u.name: ({"all_sites": True} if u.site is None else {"site": u.site})
        | ({"audience": u.audience} if u.audience != "operational" else {})
        | {"password_hash": u.password_hash} for u in sorted(users.values(), key=lambda u: u.name)}}
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


@contextmanager
def _changing(path: Path) -> Iterator[dict[str, User]]:
    """The users, to change in place; written back when the block ends without an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        users = read_users(path)
        yield users
        _write(path, users)
    finally:
        os.close(fd)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsersFileError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")


def add_user(path: Path, name: str, site: str | None, password: str,
             audience: str = "operational") -> bool:
    """Add a user, or replace their site, audience and password; True when the name was
    new."""
    if not NAME_PATTERN.fullmatch(name):
        raise UsersFileError(f"{name!r} is not a user name: use up to 64 letters, digits and "
                             ". _ @ -, starting with a letter or digit")
    if site is not None and not site.strip():
        raise UsersFileError("the site code is empty")
    if audience not in AUDIENCES:
        raise UsersFileError(f"audience {audience!r} is not one of {', '.join(AUDIENCES)}")
    check_new_password(password)
    with _changing(path) as users:
        new = name not in users
        users[name] = User(name, site, hash_password(password), audience)
    return new


def remove_user(path: Path, name: str) -> None:
    with _changing(path) as users:
        if name not in users:
            raise UsersFileError(f"{path} has no user {name!r}")
        del users[name]


def authenticate(users: dict[str, User], name: str, password: str) -> User | None:
    """The user, when the name exists and the password is theirs."""
    user = users.get(name)
    if user is None:
        spend_a_verification(password)
        return None
    return user if verify_password(password, user.password_hash) else None
