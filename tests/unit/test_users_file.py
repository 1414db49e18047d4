"""carepath.access.users: the users file, its changes and sign-in against it."""

from __future__ import annotations

import json
import stat

import pytest

from carepath.access.users import (
    UsersFileError,
    add_user,
    authenticate,
    read_users,
    remove_user,
    users_file_from_env,
)

PASSWORD = "a long enough password"


def test_users_are_added_changed_and_removed(tmp_path):
    path = tmp_path / "access" / "users.json"
    assert read_users(path) == {}
    assert add_user(path, "ana", "BRA", PASSWORD) is True
    assert add_user(path, "lead", None, PASSWORD) is True
    users = read_users(path)
    assert (users["ana"].site, users["lead"].site) == ("BRA", None)
    assert users["lead"].scope == "every site"
    old_hash = users["ana"].password_hash
    assert add_user(path, "ana", "CAR", "another long password") is False
    ana = read_users(path)["ana"]
    assert ana.site == "CAR" and ana.password_hash != old_hash
    remove_user(path, "ana")
    assert set(read_users(path)) == {"lead"}
    with pytest.raises(UsersFileError, match="no user 'ana'"):
        remove_user(path, "ana")


def test_the_file_holds_hashes_only_and_only_its_owner_can_read_it(tmp_path):
    path = tmp_path / "users.json"
    add_user(path, "ana", "BRA", PASSWORD)
    assert PASSWORD not in path.read_text()
    assert json.loads(path.read_text())["users"]["ana"]["site"] == "BRA"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(("name", "site", "password", "problem"), [
    ("ana", "BRA", "short", "at least 12"),
    ("", "BRA", PASSWORD, "not a user name"),
    ("ana smith", "BRA", PASSWORD, "not a user name"),
    ("-ana", "BRA", PASSWORD, "not a user name"),
    ("ana", " ", PASSWORD, "site code is empty"),
])
def test_a_bad_name_site_or_password_is_refused_and_nothing_written(tmp_path, name, site,
                                                                    password, problem):
    path = tmp_path / "users.json"
    with pytest.raises(UsersFileError, match=problem):
        add_user(path, name, site, password)
    assert not path.exists()


@pytest.mark.parametrize("content", [
    "not json", "[]", '{"people": {}}', '{"users": {"ana": {"site": "BRA"}}}',
    '{"users": {"ana": {"password_hash": "x"}}}',
    '{"users": {"ana": {"password_hash": "x", "site": "BRA", "all_sites": true}}}',
])
def test_a_damaged_users_file_is_an_error_that_names_it(tmp_path, content):
    path = tmp_path / "users.json"
    path.write_text(content)
    with pytest.raises(UsersFileError, match="users.json"):
        read_users(path)


def test_sign_in_needs_the_right_name_and_password(tmp_path):
    path = tmp_path / "users.json"
    add_user(path, "ana", "BRA", PASSWORD)
    users = read_users(path)
    assert authenticate(users, "ana", PASSWORD) == users["ana"]
    assert authenticate(users, "ana", PASSWORD + "!") is None
    assert authenticate(users, "bob", PASSWORD) is None
    assert authenticate(users, "ANA", PASSWORD) is None


def test_the_users_file_must_be_named(monkeypatch, tmp_path):
    monkeypatch.delenv("CAREPATH_USERS_FILE", raising=False)
    with pytest.raises(UsersFileError, match="CAREPATH_USERS_FILE is not set"):
        users_file_from_env()
    monkeypatch.setenv("CAREPATH_USERS_FILE", str(tmp_path / "u.json"))
    assert users_file_from_env() == tmp_path / "u.json"
