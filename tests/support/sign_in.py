"""Dashboard users for the tests: one who may see every site, one held to a site."""

from __future__ import annotations

from pathlib import Path

from carepath.access.users import add_user

PASSWORD = "a long test password"
ALL_SITES_USER = "qi-lead"
SITE_USER, SITE_USERS_SITE = "bra-manager", "BRA"


def write_users_file(path: Path) -> Path:
    add_user(path, ALL_SITES_USER, None, PASSWORD)
    add_user(path, SITE_USER, SITE_USERS_SITE, PASSWORD)
    return path


def sign_in(at, name: str = ALL_SITES_USER, password: str = PASSWORD):
    """Fill in and send the sign-in form of an AppTest that shows it."""
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    return next(b for b in at.button if b.label == "Sign in").click().run()
