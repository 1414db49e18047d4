"""Session tokens: a signed-in browser keeps its sign-in across reloads and links.

A Streamlit session ends with the page that opened it, so a reload, or a link followed to
another page, would otherwise ask for the password again. After signing in, the browser is
given a token in a cookie: the user's name, an expiry, and an HMAC over them and over the
user's entry in the users file (site and password hash) under a key the dashboard server
draws when it starts. A token therefore stops working when it expires, when the server
restarts, and when the user is removed or their site or password changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from carepath.access.users import User

LIFETIME_SECONDS = 12 * 60 * 60


def _mac(key: bytes, user: User, expires: int) -> str:
    message = "\n".join((user.name, user.site or "*", user.password_hash, str(expires)))
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def issue(key: bytes, user: User, now: float, lifetime: float = LIFETIME_SECONDS) -> str:
    expires = int(now + lifetime)
    name = base64.urlsafe_b64encode(user.name.encode("utf-8")).decode("ascii")
    return f"{name}.{expires}.{_mac(key, user, expires)}"


def holder(key: bytes, token: str, users: dict[str, User], now: float) -> User | None:
    """The user the token was issued to, while it is valid; None otherwise."""
    try:
        name, expires, mac = token.split(".")
        user = users.get(base64.urlsafe_b64decode(name.encode("ascii")).decode("utf-8"))
        if user is None or int(expires) <= now:
            return None
        return user if hmac.compare_digest(mac, _mac(key, user, int(expires))) else None
    except (ValueError, UnicodeError):
        return None
