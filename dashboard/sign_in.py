"""The sign-in in front of every page (carepath.access).

Nobody sees a page before signing in with a name and password from the users file named by
$CAREPATH_USERS_FILE. The browser then keeps a session token in a cookie, so a reload or a link
to another page does not ask again (carepath.access.session_tokens). The signed-in user is
checked against the file on every run: removing a user, or changing their password or site,
takes effect at their next click. Failed sign-ins are rate-limited per name and per address
(carepath.access.throttle).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time

import streamlit as st

from carepath.access import session_tokens
from carepath.access.throttle import LoginThrottle
from carepath.access.users import (
    User,
    UsersFileError,
    authenticate,
    read_users,
    users_file_from_env,
)

USER_KEY = "carepath_user"
COOKIE = "carepath_session"
_TOKEN = "carepath_session_token"
_SIGNED_OUT = "carepath_signed_out"


@st.cache_resource
def _throttle() -> LoginThrottle:
    # One for the whole server: every browser session's failures count together.
    return LoginThrottle()


@st.cache_resource
def _session_key() -> bytes:
    # Drawn when the server starts: a restart ends every browser's sign-in.
    return os.urandom(32)


class _SignedOutTokens:
    """Tokens of browsers that signed out, refused until they would have expired anyway."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, token: str) -> None:
        with self._lock:
            now = time.time()
            self._expiry = {t: e for t, e in self._expiry.items() if e > now}
            self._expiry[token] = now + session_tokens.LIFETIME_SECONDS

    def __contains__(self, token: str) -> bool:
        with self._lock:
            return token in self._expiry


@st.cache_resource
def _signed_out_tokens() -> _SignedOutTokens:
    return _SignedOutTokens()


def _users() -> dict[str, User]:
    try:
        return read_users(users_file_from_env())
    except UsersFileError as problem:
        st.error(f"Nobody can sign in: {problem}.")
        st.stop()


def _write_cookie(value: str, max_age: int) -> None:
    # Streamlit cannot set a cookie from Python; the browser sets it for the whole app.
    st.html(f"<script>document.cookie = {json.dumps(f'{COOKIE}={value}')} + "
            f"'; path=/; max-age={max_age}; SameSite=Strict';</script>",
            unsafe_allow_javascript=True)


def _token_user(users: dict[str, User]) -> User | None:
    """The user of the browser's session token, if it has a valid one."""
    token = st.context.cookies.get(COOKIE)
    if not token or st.session_state.get(_SIGNED_OUT) or token in _signed_out_tokens():
        return None
    return session_tokens.holder(_session_key(), token, users, time.time())


def _throttle_keys(name: str) -> list[str]:
    address = st.context.ip_address
    return [f"name:{name}"] + ([f"address:{address}"] if address else [])


def _sign_in_form(users: dict[str, User]) -> None:
    st.title("carepath: sign in")
    with st.form("sign-in"):
        name = st.text_input("User name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    keys = _throttle_keys(name)
    wait = _throttle().seconds_refused(keys)
    if wait > 0:
        st.error("Too many failed sign-ins: try again in "
                 f"{math.ceil(wait / 60)} minute{'s' if wait > 60 else ''}.")
        return
    user = authenticate(users, name, password)
    if user is None:
        _throttle().failed(keys)
        st.error("Unknown user name or wrong password.")
        return
    _throttle().succeeded(keys[0])
    st.session_state[USER_KEY] = user
    st.session_state.pop(_SIGNED_OUT, None)
    st.rerun()


def signed_in_user() -> User | None:
    """The signed-in user, if they are still in the users file as they signed in: this
    session's, or the one the browser's session token names."""
    users = _users()
    user = st.session_state.get(USER_KEY)
    if user is not None and users.get(user.name) != user:
        # Removed, or their password or site changed since they signed in.
        del st.session_state[USER_KEY]
        st.warning("Your sign-in has ended: please sign in again.")
        return None
    if user is None:
        user = _token_user(users)
        if user is not None:
            st.session_state[USER_KEY] = user
            st.session_state[_TOKEN] = st.context.cookies[COOKIE]  # the browser has it already
    return user


def sign_in_page() -> None:
    """The sign-in form; the run ends here (a successful sign-in runs the page again)."""
    if st.session_state.get(_SIGNED_OUT):
        _write_cookie("", 0)  # the browser forgets its token too
    _sign_in_form(_users())
    st.stop()


def current_user() -> User:
    """The user app.py signed in on this run (a page never runs without one)."""
    user = st.session_state.get(USER_KEY)
    if user is None:
        raise PermissionError("nobody is signed in")
    return user


def keep_signed_in(user: User) -> None:
    """Give the browser its session token, once per session."""
    if _TOKEN not in st.session_state:
        token = session_tokens.issue(_session_key(), user, time.time())
        _write_cookie(token, session_tokens.LIFETIME_SECONDS)
        st.session_state[_TOKEN] = token


def sign_out_button(user: User) -> None:
    with st.sidebar:
        st.caption(f"Signed in as {user.name} ({user.scope}).")
        if st.button("Sign out", icon=":material/logout:"):
            for token in {st.context.cookies.get(COOKIE), st.session_state.get(_TOKEN)} - {None}:
                _signed_out_tokens().add(token)
            for key in (USER_KEY, _TOKEN):
                st.session_state.pop(key, None)
            st.session_state[_SIGNED_OUT] = True
            st.rerun()
