"""A broker outage must not flood the worker's log: one line per message template per interval."""

from __future__ import annotations

import logging

from bohran.worker import RepeatedLogThrottle


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def record(msg: str, name: str = "aiokafka.conn", *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_repeats_are_held_and_counted_on_the_next_line_through() -> None:
    clock = FakeClock()
    throttle = RepeatedLogThrottle(interval_s=10, clock=clock)
    assert throttle.filter(record("Unable connect to node with id %s", "aiokafka.conn", 1))
    for _ in range(700):
        clock.now += 0.01
        assert not throttle.filter(record("Unable connect to node with id %s", "aiokafka.conn", 1))
    clock.now += 10
    passed = record("Unable connect to node with id %s", "aiokafka.conn", 1)
    assert throttle.filter(passed)
    assert "[700 more like this in the last 10s]" in passed.getMessage()


def test_other_templates_and_loggers_are_not_held() -> None:
    throttle = RepeatedLogThrottle(interval_s=10, clock=FakeClock())
    assert throttle.filter(record("Unable to update metadata from %s", "aiokafka.cluster", 1))
    assert throttle.filter(record("Unable connect to node with id %s", "aiokafka.conn", 1))
    assert throttle.filter(record("Unable to update metadata from %s", "aiokafka.conn", 1))
    assert not throttle.filter(record("Unable to update metadata from %s", "aiokafka.cluster", 2))
