"""Failed sign-ins are rate-limited, so that passwords cannot be guessed at speed.

Failures are counted per key: the user name tried, and the address the attempt came from (a
guesser trying many names from one place is held as well as one trying many passwords for one
name). A key with `max_failures` failures inside `window_seconds` is refused until the oldest of
them leaves the window. The counts live in the dashboard server's memory
(carepath.access.server_state): a restart forgets them. An attempt counts as a failure from the
moment it starts, so attempts made at once cannot all slip in before the first is judged. A
success withdraws its own attempt from every key and clears its name's earlier failures; it
leaves its address's other failures standing, since one known password must not wipe out a
guesser's record (and colleagues signing in through one proxy must not lock each other out).
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

    def failed(self, keys: Iterable[str]) -> float:
        """Count a failure on each key; the attempt's time, for `succeeded` to withdraw."""
        with self._lock:
            now = self._clock()
            for key in keys:
                self._recent(key, now).append(now)
            if len(self._failures) > MAX_KEYS:  # many names tried: forget the expired ones
                for key in [k for k in self._failures if not self._recent(k, now)]:
                    del self._failures[key]
            return now

    def succeeded(self, keys: Iterable[str], attempt: float | None = None) -> None:
        """The attempt counted at `attempt` on `keys` succeeded: the first key (its name) is
        cleared, and the attempt's own failure is withdrawn from the others."""
        name, *others = keys
        with self._lock:
            self._failures.pop(name, None)
            for key in others:
                failures = self._failures.get(key)
                if attempt is not None and failures and attempt in failures:
                    failures.remove(attempt)
