"""The sign-in in front of every page (carepath.access).

Nobody sees a page before signing in with a name and password from the users file named by
$CAREPATH_USERS_FILE. Each sign-in gets a session token (carepath.access.session_tokens), kept
in this browser session and in a cookie, so that a reload or a link to another page does not
ask again. Every run checks the session's token: it ends the session when the token expires,
when the browser (in any tab) signed out, and when the user was removed or their site or
password changed. Failed sign-ins are rate-limited per name and per address, and only a few
password checks run at once (carepath.access.server_state).
"""

from __future__ import annotations

import json
import math
import time

import streamlit as st

from carepath.access import server_state, session_tokens
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
_COOKIE_WRITTEN = "carepath_session_cookie_written"
_SIGNED_OUT = "carepath_signed_out"


def _users() -> dict[str, User]:
    try:
        return read_users(users_file_from_env())
    except UsersFileError as problem:
        st.error(f"Nobody can sign in: {problem}.")
        st.stop()


def _write_cookie(value: str, max_age: int) -> None:
    # Streamlit cannot set a cookie from Python; the browser sets it for the whole app, and
    # only over HTTPS when the app is served over HTTPS.
    secure = "; Secure" if str(st.context.url or "").startswith("https:") else ""
    st.html(f"<script>document.cookie = {json.dumps(f'{COOKIE}={value}')} + "
            f"'; path=/; max-age={max_age}; SameSite=Strict{secure}';</script>",
            unsafe_allow_javascript=True)


def _token_holder(token: str | None, users: dict[str, User]) -> User | None:
    """The user a session token names while it is valid and not signed out."""
    if not token or token in server_state.SIGNED_OUT:
        return None
    return session_tokens.holder(server_state.SESSION_KEY, token, users, time.time())


def _end_session(message: str | None = None) -> None:
    for key in (USER_KEY, _TOKEN, _COOKIE_WRITTEN):
        st.session_state.pop(key, None)
    if message:
        st.warning(message)


def _throttle_keys(name: str) -> list[str]:
    address = st.context.ip_address
    return [f"name:{name}"] + ([f"address:{address}"] if address else [])


def _check(users: dict[str, User], name: str, password: str) -> User | None:
    """The user, if the password is theirs; the refusal said on the page otherwise."""
    keys = _throttle_keys(name)
    wait = server_state.THROTTLE.seconds_refused(keys)
    if wait > 0:
        st.error("Too many failed sign-ins: try again in "
                 f"{math.ceil(wait / 60)} minute{'s' if wait > 60 else ''}.")
        return None
    if not server_state.CHECKING.acquire(blocking=False):
        st.error("Too many sign-ins at once: try again in a moment.")
        return None
    try:
        # Counted as a failure before the check, so that attempts made at once cannot all
        # pass the throttle before the first is judged; a success clears its name.
        attempt = server_state.THROTTLE.failed(keys)
        user = authenticate(users, name, password)
    finally:
        server_state.CHECKING.release()
    if user is None:
        st.error("Unknown user name or wrong password.")
        return None
    server_state.THROTTLE.succeeded(keys, attempt)
    return user


def _sign_in_form(users: dict[str, User]) -> None:
    st.title("carepath: sign in")
    with st.form("sign-in"):
        name = st.text_input("User name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    user = _check(users, name, password)
    if user is not None:
        st.session_state[USER_KEY] = user
        st.session_state[_TOKEN] = session_tokens.issue(server_state.SESSION_KEY, user,
                                                        time.time())
        st.session_state.pop(_SIGNED_OUT, None)
        st.rerun()


def signed_in_user() -> User | None:
    """The signed-in user of this session (or of the browser's session token), while the
    session's token holds."""
    users = _users()
    if USER_KEY in st.session_state:
        user = _token_holder(st.session_state.get(_TOKEN), users)
        if user is None:
            _end_session("Your sign-in has ended: please sign in again.")
        return user
    if st.session_state.get(_SIGNED_OUT):
        return None  # the cookie this session started with is signed out
    token = st.context.cookies.get(COOKIE)
    user = _token_holder(token, users)
    if user is not None:
        st.session_state.update({USER_KEY: user, _TOKEN: token, _COOKIE_WRITTEN: True})
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


def keep_signed_in() -> None:
    """Give the browser this session's token, once."""
    if not st.session_state.get(_COOKIE_WRITTEN):
        _write_cookie(st.session_state[_TOKEN], session_tokens.LIFETIME_SECONDS)
        st.session_state[_COOKIE_WRITTEN] = True


def sign_out_button(user: User) -> None:
    with st.sidebar:
        st.caption(f"Signed in as {user.name} ({user.scope}).")
        if st.button("Sign out", icon=":material/logout:"):
            # Refused from now on in every tab and browser that holds it.
            server_state.SIGNED_OUT.add(st.session_state[_TOKEN])
            _end_session()
            st.session_state[_SIGNED_OUT] = True
            st.rerun()
