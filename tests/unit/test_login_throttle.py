"""carepath.access.throttle: failed sign-ins are refused after too many, for a while."""

from __future__ import annotations

from carepath.access.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_name_is_refused_after_too_many_failures_until_the_window_passes():
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, window_seconds=600, clock=clock)
    for _ in range(2):
        throttle.failed(["name:ana"])
        clock.now += 10
    assert throttle.seconds_refused(["name:ana"]) == 0
    throttle.failed(["name:ana"])
    assert throttle.seconds_refused(["name:ana"]) == 600 - 20
    assert throttle.seconds_refused(["name:bob"]) == 0
    clock.now += 600 - 20
    # The first failure has left the window: two remain, so one more try is allowed.
    assert throttle.seconds_refused(["name:ana"]) == 0
    throttle.failed(["name:ana"])
    assert throttle.seconds_refused(["name:ana"]) > 0


def test_failures_from_one_address_hold_every_name_tried_from_it():
    throttle = LoginThrottle(max_failures=2, window_seconds=60, clock=Clock())
    throttle.failed(["name:ana", "address:10.0.0.9"])
    throttle.failed(["name:bob", "address:10.0.0.9"])
    assert throttle.seconds_refused(["name:carol", "address:10.0.0.9"]) > 0
    assert throttle.seconds_refused(["name:carol", "address:10.0.0.7"]) == 0


def test_a_successful_sign_in_clears_its_names_failures():
    throttle = LoginThrottle(max_failures=2, window_seconds=60, clock=Clock())
    throttle.failed(["name:ana"])
    attempt = throttle.failed(["name:ana"])
    throttle.succeeded(["name:ana"], attempt)
    throttle.failed(["name:ana"])
    assert throttle.seconds_refused(["name:ana"]) == 0


def test_colleagues_signing_in_through_one_address_never_hold_it():
    clock = Clock()
    throttle = LoginThrottle(max_failures=2, window_seconds=60, clock=clock)
    for name in ("ana", "bob", "carol", "dan"):
        keys = [f"name:{name}", "address:10.0.0.9"]
        assert throttle.seconds_refused(keys) == 0
        throttle.succeeded(keys, throttle.failed(keys))
        clock.now += 1


def test_a_success_leaves_its_addresss_other_failures_standing():
    clock = Clock()
    throttle = LoginThrottle(max_failures=2, window_seconds=60, clock=clock)
    throttle.failed(["name:ana", "address:10.0.0.9"])  # a guess
    clock.now += 1
    keys = ["name:bob", "address:10.0.0.9"]
    throttle.succeeded(keys, throttle.failed(keys))  # a password the guesser knows
    clock.now += 1
    throttle.failed(["name:carol", "address:10.0.0.9"])  # another guess
    assert throttle.seconds_refused(["name:dan", "address:10.0.0.9"]) > 0


def test_expired_failures_are_forgotten_when_many_names_are_tried(monkeypatch):
    monkeypatch.setattr("carepath.access.throttle.MAX_KEYS", 10)
    clock = Clock()
    throttle = LoginThrottle(max_failures=5, window_seconds=60, clock=clock)
    throttle.failed([f"name:n{i}" for i in range(11)])
    clock.now += 61
    throttle.failed(["name:late"])
    assert set(throttle._failures) == {"name:late"}
