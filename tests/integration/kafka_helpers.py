"""Small kafka-python helpers for integration tests: produce raw records, read a topic until a condition."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer


def produce_raw(bootstrap: str, topic: str, values: list[bytes], key: bytes | None = None) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=16 * 1024 * 1024)
    try:
        for value in values:
            producer.send(topic, key=key, value=value).get(timeout=30)
    finally:
        producer.close()


def read_topic(
    bootstrap: str,
    topic: str,
    until: Callable[[list[Any]], bool],
    *,
    timeout_s: float = 60.0,
    decode: Callable[[bytes], Any] = json.loads,
) -> list[Any]:
    """Read `topic` from the beginning until `until(values)` holds; returns everything read."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False,
        group_id=None, consumer_timeout_ms=500,
    )
    values: list[Any] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for record in consumer:
                values.append(decode(record.value))
            if until(values):
                return values
        raise AssertionError(f"condition not met on {topic} within {timeout_s}s; read {len(values)} records")
    finally:
        consumer.close()


def wait_for(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.2, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
