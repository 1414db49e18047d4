"""Password hashes: scrypt (RFC 7914), with its cost, salt and hash kept in one string.

The cost is OWASP's recommended minimum for scrypt (N=2^17, r=8, p=1: 128 MiB and about half a
second a guess on this hardware). It travels inside each hash, so raising it later leaves the
stored hashes verifiable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

SCHEME = "scrypt"
COST = (2**17, 8, 1)  # N (CPU and memory), r (block size), p (parallelism)
SALT_BYTES = 16
HASH_BYTES = 32


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # scrypt needs 128 * n * r bytes; hashlib refuses more than 32 MiB unless told.
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r, dklen=HASH_BYTES)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash`, salt and hash in base64."""
    n, r, p = COST
    salt = os.urandom(SALT_BYTES)
    return f"{SCHEME}${n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p))}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` is the one `encoded` was made from (compared in constant time).
    A hash that is not one of ours never matches."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != SCHEME:
            return False
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(actual, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False


# The hash of a random password nobody kept, at COST. Checked against when the name is
# unknown; a constant rather than made on first use, which would make the first refusal of an
# unknown name take twice as long as a wrong password.
_UNKNOWN_USER_HASH = ("scrypt$131072$8$1$X+o2A04HATShkvdKco5OsQ==$"
                      "6JQ3EOpCLH23Lgk62KzyCOdLNoVR8aym4RRpzlk6/ZI=")


def spend_a_verification(password: str) -> None:
    """Take as long as verify_password does: called when the name is unknown, so that a wrong
    name costs as long as a wrong password and the time taken does not tell which names
    exist."""
    verify_password(password, _UNKNOWN_USER_HASH)
