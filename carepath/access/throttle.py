"""Failed sign-ins are rate-limited, so that passwords cannot be guessed at speed.

Failures are counted per key: the user name tried, and the address the attempt came from (a
guesser trying many names from one place is held as well as one trying many passwords for one
name). A key with `max_failures` failures inside `window_seconds` is refused until the oldest of
them leaves the window; a successful sign-in clears its name's failures. The counts live in the
dashboard server's memory (carepath.access.server_state): a restart forgets them. An attempt
counts as a failure from the moment it starts, so attempts made at once cannot all slip in
before the first is judged; a success then clears its name.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
MAX_KEYS = 10_000


class LoginThrottle:
    def __init__(self, max_failures: int = MAX_FAILURES, window_seconds: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        return failures

    def seconds_refused(self, keys: Iterable[str]) -> float:
        """How long attempts on any of these keys are still refused (0: they may try)."""
        with self._lock:
            now = self._clock()
            waits = [self._recent(k, now)[0] + self.window_seconds - now for k in keys
                     if k in self._failures and len(self._recent(k, now)) >= self.max_failures]
            return max(waits, default=0.0)

    def failed(self, keys: Iterable[str]) -> None:
        with self._lock:
            now = self._clock()
            for key in keys:
                self._recent(key, now).append(now)
            if len(self._failures) > MAX_KEYS:  # many names tried: forget the expired ones
                for key in [k for k in self._failures if not self._recent(k, now)]:
                    del self._failures[key]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
