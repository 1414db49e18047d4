"""The sign-in in front of every page (carepath.access).

Nobody sees a page before signing in with a name and password from the users file named by
$CAREPATH_USERS_FILE. The signed-in user is checked against the file again on every run, so
removing a user or changing their password or site takes effect at their next click. Failed
sign-ins are rate-limited per name and per address (carepath.access.throttle).
"""

from __future__ import annotations

import math

import streamlit as st

from carepath.access.throttle import LoginThrottle
from carepath.access.users import (
    User,
    UsersFileError,
    authenticate,
    read_users,
    users_file_from_env,
)

USER_KEY = "carepath_user"


@st.cache_resource
def _throttle() -> LoginThrottle:
    # One for the whole server: every browser session's failures count together.
    return LoginThrottle()


def _users() -> dict[str, User]:
    try:
        return read_users(users_file_from_env())
    except UsersFileError as problem:
        st.error(f"Nobody can sign in: {problem}.")
        st.stop()


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
    st.rerun()


def signed_in_user() -> User:
    """The signed-in user; without one, the sign-in form, and the page ends there."""
    users = _users()
    user = st.session_state.get(USER_KEY)
    if user is not None and users.get(user.name) != user:
        # Removed, or their password or site changed since they signed in.
        del st.session_state[USER_KEY]
        st.warning("Your sign-in has ended: please sign in again.")
        user = None
    if user is None:
        _sign_in_form(users)
        st.stop()
    return user


def current_user() -> User:
    """The user app.py signed in on this run (a page never runs without one)."""
    user = st.session_state.get(USER_KEY)
    if user is None:
        raise PermissionError("nobody is signed in")
    return user


def sign_out_button(user: User) -> None:
    with st.sidebar:
        st.caption(f"Signed in as {user.name} ({user.scope}).")
        if st.button("Sign out", icon=":material/logout:"):
            del st.session_state[USER_KEY]
            st.rerun()
