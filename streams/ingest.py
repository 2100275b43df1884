"""Getting mentions into Kafka: validate JSONL lines, pack many mentions per record, produce.

Packing matters: Faust's cost is per Kafka record, so bohran's own producers send JSON arrays of
up to `pack` mentions (DESIGN.md). Lines that fail validation are reported with their reason and
line number instead of being sent; nothing is dropped silently.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from streams.mention import InvalidMention, Mention, parse_mention


@dataclass(slots=True)
class IngestSummary:
    accepted: int = 0
    rejected: int = 0
    records: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # "line N: reason: detail", first few

    def reject(self, line_no: int, reason: str, detail: str) -> None:
        self.rejected += 1
        self.reasons[reason] += 1
        if len(self.examples) < 10:
            self.examples.append(f"line {line_no}: {reason}: {detail}")


def parse_lines(lines: Iterable[str | bytes], summary: IngestSummary, *, max_text_chars: int = 10_000) -> Iterator[Mention]:
    """Yield valid mentions from JSONL lines; record the rest in `summary`."""
    for line_no, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                summary.reject(line_no, "invalid_utf8", f"byte {exc.start} is not UTF-8")
                continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            summary.reject(line_no, "invalid_json", "line is not JSON")
            continue
        try:
            mention = parse_mention(value, max_text_chars=max_text_chars)
        except InvalidMention as exc:
            summary.reject(line_no, exc.reason, exc.detail)
            continue
        summary.accepted += 1
        yield mention


def pack_records(mentions: Iterable[Mention], pack: int = 500) -> Iterator[tuple[list[Mention], bytes]]:
    """Group mentions into JSON-array records of at most `pack` mentions."""
    chunk: list[Mention] = []
    for mention in mentions:
        chunk.append(mention)
        if len(chunk) >= pack:
            yield chunk, _encode(chunk)
            chunk = []
    if chunk:
        yield chunk, _encode(chunk)


def _encode(chunk: list[Mention]) -> bytes:
    return json.dumps([m.to_dict() for m in chunk], ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Pacer:
    """Holds production to a mentions/s rate, or to event-time pace × speedup."""

    def __init__(self, rate: float | None = None, speedup: float | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate, self.speedup, self.clock, self.sleep = rate, speedup, clock, sleep
        self._start = clock()
        self._sent = 0
        self._first_event: float | None = None

    def wait(self, chunk: list[Mention]) -> None:
        if self.rate:
            due = self._start + self._sent / self.rate
            delay = due - self.clock()
            if delay > 0:
                self.sleep(delay)
        elif self.speedup and chunk:
            if self._first_event is None:
                self._first_event = chunk[0].created_at
            due = self._start + (chunk[0].created_at - self._first_event) / self.speedup
            delay = due - self.clock()
            if delay > 0:
                self.sleep(delay)
        self._sent += len(chunk)


def make_producer(bootstrap: str) -> Any:
    from kafka import KafkaProducer

    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="bohran-ingest",
        acks="all",
        linger_ms=20,
        max_request_size=16 * 1024 * 1024,
        retries=5,
    )


def produce_mentions(
    producer: Any,
    topic: str,
    mentions: Iterable[Mention],
    *,
    pack: int = 500,
    pacer: Pacer | None = None,
    on_sent: Callable[[int], None] | None = None,
) -> int:
    """Send packed records; key = first mention's id so packs spread over partitions. Returns records sent."""
    records = 0
    futures = []
    for chunk, value in pack_records(mentions, pack):
        if pacer is not None:
            pacer.wait(chunk)
        futures.append(producer.send(topic, key=chunk[0].id.encode("utf-8"), value=value))
        records += 1
        if on_sent is not None:
            on_sent(len(chunk))
        if len(futures) >= 64:
            for f in futures:
                f.get(timeout=60)
            futures.clear()
    producer.flush(timeout=60)
    for f in futures:
        f.get(timeout=60)  # surface broker errors instead of losing mentions silently
    return records
