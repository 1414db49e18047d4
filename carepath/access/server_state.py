"""What the dashboard server holds for sign-in while it runs: the failed-sign-in throttle, the
key session tokens are signed with, the tokens of browsers that signed out, and a cap on the
password checks running at once.

They are plain module-level objects, not Streamlit caches: any browser connected to a
Streamlit server can ask it to clear its caches, which would reset the throttle and sign
everyone out. A restart of the server forgets them all (and so ends every sign-in).
"""

from __future__ import annotations

import os
import threading
import time

from carepath.access import session_tokens
from carepath.access.throttle import LoginThrottle

# Every browser session's failures count together.
THROTTLE = LoginThrottle()
# Drawn when the server starts: a restart ends every browser's sign-in.
SESSION_KEY = os.urandom(32)
# A password check takes 128 MiB and half a second: a few at once, the rest are turned away
# rather than queued, so that a flood of attempts cannot exhaust the server's memory.
MAX_CONCURRENT_CHECKS = 4
CHECKING = threading.BoundedSemaphore(MAX_CONCURRENT_CHECKS)


class SignedOutTokens:
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


SIGNED_OUT = SignedOutTokens()
