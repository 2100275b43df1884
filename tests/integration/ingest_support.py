"""The HTTP ingest API run in-process for integration tests, on a background event loop, writing to
the session's real Kafka; and a topic reader that keeps partitions (routing is part of the contract)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer

from streams.ingest_server import IngestServer, IngestServerSettings, KafkaSink


class IngestApiThread:
    """`IngestServer` + `KafkaSink` on their own loop in a daemon thread; `url` once started."""

    def __init__(self, bootstrap: str, settings: IngestServerSettings) -> None:
        self.bootstrap = bootstrap
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="ingest-api", daemon=True)
        self.server = IngestServer(settings, KafkaSink(bootstrap, settings.topic))
        self.url = ""

    def start(self) -> IngestApiThread:
        self.thread.start()
        port = asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(timeout=60)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@dataclass
class Record:
    partition: int
    key: bytes | None
    value: bytes


def read_records(
    bootstrap: str, topic: str, until: Callable[[list[Record]], bool], *, timeout_s: float = 30.0
) -> list[Record]:
    """Every record of `topic` from the beginning, read until `until(records)` holds."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=300,
    )
    records: list[Record] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for message in consumer:
                records.append(Record(message.partition, message.key, message.value))
            if until(records):
                return records
        raise AssertionError(f"condition not met on {topic} within {timeout_s}s; read {len(records)} records")
    finally:
        consumer.close()


def enriched_summary(
    values: list[dict[str, Any]], strip_prefix: str
) -> dict[tuple[str, int], dict[str, Any]]:
    """mentions-enriched batches folded per (brand, minute): counts, reach, top posts without the id prefix."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for batch in values:
        for minute in batch["minutes"]:
            slot = out.setdefault(
                (batch["brand"], minute["minute"]),
                {"total": 0, "negative": 0, "positive": 0, "neutral": 0, "reach": 0.0, "posts": set()},
            )
            for key in ("total", "negative", "positive", "neutral"):
                slot[key] += minute[key]
            slot["reach"] = round(slot["reach"] + minute["reach"], 3)
            for post in minute["top_posts"]:
                slot["posts"].add((post["id"].removeprefix(strip_prefix), post["sentiment"], post["text"]))
    return out
