"""carepath.access.session_tokens: a token names its user until it expires or they change."""

from __future__ import annotations

import dataclasses

from carepath.access.session_tokens import holder, issue
from carepath.access.users import User

KEY = b"k" * 32
ANA = User("ana", "BRA", "scrypt$1$8$1$c2FsdA==$aGFzaA==")


def test_a_token_names_its_user_until_it_expires():
    token = issue(KEY, ANA, now=100.0, lifetime=60)
    assert holder(KEY, token, {"ana": ANA}, now=159.0) == ANA
    assert holder(KEY, token, {"ana": ANA}, now=160.0) is None


def test_a_token_ends_when_its_user_is_removed_or_changed_or_the_key_is_new():
    token = issue(KEY, ANA, now=100.0)
    assert holder(KEY, token, {}, now=101.0) is None
    for changed in (dataclasses.replace(ANA, site="CAR"), dataclasses.replace(ANA, site=None),
                    dataclasses.replace(ANA, password_hash="scrypt$other")):
        assert holder(KEY, token, {"ana": changed}, now=101.0) is None
    assert holder(b"x" * 32, token, {"ana": ANA}, now=101.0) is None


def test_a_forged_or_garbled_token_names_nobody():
    token = issue(KEY, ANA, now=100.0)
    name, expires, mac = token.split(".")
    bob = User("bob", None, "scrypt$b")
    users = {"ana": ANA, "bob": bob}
    forged_name = issue(KEY, bob, now=100.0).split(".")[0]
    for garbled in (f"{forged_name}.{expires}.{mac}", f"{name}.{int(expires) + 9999}.{mac}",
                    "", "a.b", "!!!.1.2", f"{name}.soon.{mac}", token + "x"):
        assert holder(KEY, garbled, users, now=101.0) is None, garbled
