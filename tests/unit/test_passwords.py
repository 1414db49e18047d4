"""carepath.access.passwords: scrypt hashes that verify only their own password."""

from __future__ import annotations

import base64
import hashlib

from carepath.access.passwords import COST, hash_password, verify_password


def test_a_hash_verifies_its_password_and_no_other():
    encoded = hash_password("correct horse battery")
    assert verify_password("correct horse battery", encoded)
    assert not verify_password("correct horse batterY", encoded)
    assert not verify_password("", encoded)


def test_each_hash_has_its_own_salt_and_carries_its_cost():
    first, second = hash_password("same password"), hash_password("same password")
    assert first != second
    scheme, n, r, p, salt, _ = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", *COST)
    assert salt != second.split("$")[4]


def test_a_hash_made_at_another_cost_still_verifies():
    # Lowering the cost inside the string must be what verification follows, so that raising
    # the default later leaves the stored hashes usable.
    cheap = hash_password("x" * 12).split("$")
    salt = base64.b64decode(cheap[4])
    digest = hashlib.scrypt(b"another password", salt=salt, n=2**10, r=8, p=1, dklen=32)
    encoded = "$".join(["scrypt", str(2**10), "8", "1", cheap[4],
                        base64.b64encode(digest).decode()])
    assert verify_password("another password", encoded)
    assert not verify_password("x" * 12, encoded)


def test_a_malformed_or_foreign_hash_never_matches():
    for encoded in ("", "plain-text-password", "bcrypt$2b$12$abc", "scrypt$1$2$3",
                    "scrypt$x$8$1$AAAA$AAAA", "scrypt$16384$8$1$!!!$???"):
        assert not verify_password("plain-text-password", encoded), encoded
