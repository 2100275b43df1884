"""Getting mentions into Kafka: convert, validate, pack many mentions per record, route, produce.

Packing matters: Faust's cost is per Kafka record, so bohran's own producers send JSON arrays of
up to `pack` mentions (DESIGN.md), capped at `MAX_PACK_BYTES` so a pack of long posts never
exceeds the record limit the enrich stage enforces. Routing matters for idempotent ingest: every
mention goes to the partition Kafka's default partitioner gives the key "platform:id" (murmur2), so
a re-polled or retried copy lands on the same partition, hence the same enrich worker, whose
`streams.dedupe.RecentKeys` drops it. Items that fail validation are reported with their reason and
location instead of being sent; nothing is dropped silently.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from kafka.partitioner.default import murmur2

from streams.adapters import AdapterOptions, Candidate, Item, Skipped, convert
from streams.dedupe import RecentKeys
from streams.mention import MAX_TEXT_CHARS, InvalidMention, Mention, parse_mention

# Below Kafka's default broker message limit (about 1 MiB), which deployments rarely raise, and far
# below the enrich stage's own MAX_RECORD_BYTES (8 MiB).
MAX_PACK_BYTES = 900 * 1024
DEFAULT_PACK = 500
MAX_EXAMPLES = 10


@dataclass(slots=True)
class IngestSummary:
    accepted: int = 0
    rejected: int = 0
    records: int = 0
    duplicates: int = 0  # same (platform, id) again within this input: sent once
    reasons: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # not posts (service messages, no text)
    examples: list[str] = field(default_factory=list)  # "line N: reason: detail", first few

    def reject(self, line_no: int, reason: str, detail: str) -> None:
        self.reject_at(f"line {line_no}", reason, detail)

    def reject_at(self, where: str, reason: str, detail: str) -> None:
        self.rejected += 1
        self.reasons[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{where}: {reason}: {detail}")

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1


def validate(value: Any, *, max_text_chars: int = MAX_TEXT_CHARS) -> Mention:
    """`parse_mention`, with numbers too large for a float (JSON integers are unbounded) reported as
    an invalid item instead of escaping as OverflowError."""
    try:
        return parse_mention(value, max_text_chars=max_text_chars)
    except OverflowError as exc:
        raise InvalidMention("wrong_type", "a number is out of range") from exc


def validate_items(
    items: Iterable[Item],
    summary: IngestSummary,
    *,
    max_text_chars: int = MAX_TEXT_CHARS,
    dedupe: RecentKeys | None = None,
) -> Iterator[Mention]:
    """Adapter output → valid mentions; rejections, skips and duplicates are recorded in `summary`."""
    for item in items:
        if isinstance(item, Skipped):
            if item.rejected:
                summary.reject_at(item.where, item.reason, item.detail)
            else:
                summary.skip(item.reason)
            continue
        assert isinstance(item, Candidate)
        try:
            mention = validate(item.value, max_text_chars=max_text_chars)
        except InvalidMention as exc:
            summary.reject_at(item.where, exc.reason, exc.detail)
            continue
        if dedupe is not None and dedupe.seen(mention.platform, mention.id, 0.0):
            summary.duplicates += 1
            continue
        summary.accepted += 1
        yield mention


def read_mentions(
    source: BinaryIO | Iterable[bytes] | bytes,
    summary: IngestSummary,
    *,
    fmt: str = "jsonl",
    options: AdapterOptions | None = None,
    max_text_chars: int = MAX_TEXT_CHARS,
    drop_duplicates: bool = True,
) -> Iterator[Mention]:
    """Valid mentions from a source in any adapter format (AdapterError if it cannot be read at all)."""
    # Within one input time does not advance (validate_items passes 0), so every key stays remembered.
    dedupe = RecentKeys(window_s=1.0, max_keys=10_000_000) if drop_duplicates else None
    return validate_items(
        convert(fmt, source, options), summary, max_text_chars=max_text_chars, dedupe=dedupe
    )


def parse_lines(
    lines: Iterable[str | bytes], summary: IngestSummary, *, max_text_chars: int = MAX_TEXT_CHARS
) -> Iterator[Mention]:
    """Yield valid mentions from JSONL lines; record the rest in `summary`."""
    return validate_items(
        convert("jsonl", (line.encode("utf-8") if isinstance(line, str) else line for line in lines)),
        summary,
        max_text_chars=max_text_chars,
    )


# --------------------------------------------------------------------------------------------------
# Records: packing and routing
# --------------------------------------------------------------------------------------------------


def encode_mention(mention: Mention) -> bytes:
    return json.dumps(mention.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def encode_pack(parts: list[bytes]) -> bytes:
    """A JSON array of already-encoded mentions (the same bytes json.dumps of the list would give)."""
    return b"[" + b",".join(parts) + b"]"


def routing_key(mention: Mention) -> bytes:
    return f"{mention.platform}:{mention.id}".encode()


def partition_for(mention: Mention, partitions: int) -> int:
    """Kafka's default partitioner on "platform:id": outside producers can route the same way."""
    return (murmur2(routing_key(mention)) & 0x7FFFFFFF) % partitions


@dataclass(slots=True)
class PackedRecord:
    partition: int | None
    mentions: list[Mention]
    value: bytes

    @property
    def key(self) -> bytes:
        return routing_key(self.mentions[0])


class RecordPacker:
    """Buffers mentions per partition and emits a record when a buffer is full (count or bytes)."""

    def __init__(
        self, partitions: int | None, pack: int = DEFAULT_PACK, max_bytes: int = MAX_PACK_BYTES
    ) -> None:
        self.partitions = partitions
        self.pack = max(1, pack)
        self.max_bytes = max_bytes
        self._buffers: dict[int | None, tuple[list[Mention], list[bytes], int]] = {}
        self._opened: dict[int | None, float] = {}

    def add(self, mention: Mention, now: float = 0.0) -> list[PackedRecord]:
        partition = partition_for(mention, self.partitions) if self.partitions else None
        encoded = encode_mention(mention)
        ready: list[PackedRecord] = []
        chunk, parts, size = self._buffers.get(partition, ([], [], 2))
        if chunk and size + len(encoded) + 1 > self.max_bytes:
            ready.append(self._take(partition))
            chunk, parts, size = [], [], 2
        if not chunk:
            self._opened[partition] = now
        chunk.append(mention)
        parts.append(encoded)
        self._buffers[partition] = (chunk, parts, size + len(encoded) + 1)
        if len(chunk) >= self.pack:
            ready.append(self._take(partition))
        return ready

    def _take(self, partition: int | None) -> PackedRecord:
        chunk, parts, _ = self._buffers.pop(partition)
        self._opened.pop(partition, None)
        return PackedRecord(partition, chunk, encode_pack(parts))

    def due(self, now: float, linger_s: float) -> list[PackedRecord]:
        """Buffers opened more than `linger_s` ago (so slow or paced input is not held back)."""
        return [self._take(p) for p, opened in list(self._opened.items()) if now - opened >= linger_s]

    def flush(self) -> list[PackedRecord]:
        return [self._take(p) for p in list(self._buffers)]


def pack_records(
    mentions: Iterable[Mention], pack: int = DEFAULT_PACK
) -> Iterator[tuple[list[Mention], bytes]]:
    """Group mentions in order into JSON-array records of at most `pack` mentions (no routing)."""
    packer = RecordPacker(None, pack)
    for mention in mentions:
        for record in packer.add(mention):
            yield record.mentions, record.value
    for record in packer.flush():
        yield record.mentions, record.value


def pack_for_partitions(
    mentions: Iterable[Mention],
    partitions: int | None,
    pack: int = DEFAULT_PACK,
    max_bytes: int = MAX_PACK_BYTES,
) -> list[PackedRecord]:
    """All of `mentions` as routed records (used where one request's mentions are written at once)."""
    packer = RecordPacker(partitions, pack, max_bytes)
    records: list[PackedRecord] = []
    for mention in mentions:
        records.extend(packer.add(mention))
    records.extend(packer.flush())
    return records


# --------------------------------------------------------------------------------------------------
# Pacing and producing
# --------------------------------------------------------------------------------------------------


class Pacer:
    """Holds production to a mentions/s rate, or to event-time pace × speedup."""

    def __init__(
        self,
        rate: float | None = None,
        speedup: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
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
            # Out-of-order events (older than the first) go out at once rather than waiting.
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
    pack: int = DEFAULT_PACK,
    pacer: Pacer | None = None,
    on_sent: Callable[[int], None] | None = None,
    linger_s: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Send routed, packed records and wait for the broker's acks. Returns the number of records.

    With a pacer each mention is released at its due time and a partly filled pack is sent once it
    has waited `linger_s`, so a paced replay arrives at the paced rate rather than in bursts of `pack`.
    """
    partitions = sorted(producer.partitions_for(topic) or ()) or None
    packer = RecordPacker(len(partitions) if partitions else None, pack)
    records = 0
    futures: list[Any] = []

    def send(batch: list[PackedRecord]) -> None:
        nonlocal records
        for record in batch:
            partition = partitions[record.partition] if partitions and record.partition is not None else None
            futures.append(producer.send(topic, key=record.key, value=record.value, partition=partition))
            records += 1
            if on_sent is not None:
                on_sent(len(record.mentions))
        if len(futures) >= 64:
            for future in futures:
                future.get(timeout=60)
            futures.clear()

    for mention in mentions:
        if pacer is not None:
            pacer.wait([mention])
        now = clock()
        send(packer.add(mention, now))
        send(packer.due(now, linger_s))
    send(packer.flush())
    producer.flush(timeout=60)
    for future in futures:
        future.get(timeout=60)  # surface broker errors instead of losing mentions silently
    return records
