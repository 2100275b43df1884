import io
import json
from pathlib import Path

from aiokafka.partitioner import DefaultPartitioner

from streams.ingest import (
    MAX_PACK_BYTES,
    IngestSummary,
    Pacer,
    RecordPacker,
    pack_for_partitions,
    pack_records,
    parse_lines,
    partition_for,
    produce_mentions,
    read_mentions,
    routing_key,
)
from streams.mention import Mention, decode_record, parse_mention

LINE = {"id": "1", "text": "سلام", "created_at": "2026-01-01T00:00:00Z"}


def test_parse_lines_reports_bad_lines_with_numbers():
    lines = [
        json.dumps(LINE),
        "",
        "{oops",
        json.dumps({"id": "2"}),
        b"\xff\n",
        json.dumps({**LINE, "id": "3"}),
    ]
    summary = IngestSummary()
    ids = [m.id for m in parse_lines(lines, summary)]
    assert ids == ["1", "3"]
    assert summary.accepted == 2 and summary.rejected == 3
    assert dict(summary.reasons) == {"invalid_json": 1, "missing_field": 1, "invalid_utf8": 1}
    assert summary.examples[0].startswith("line 3: invalid_json")


def test_packed_records_decode_back_to_the_same_mentions():
    summary = IngestSummary()
    mentions = list(parse_lines([json.dumps({**LINE, "id": str(i)}) for i in range(1200)], summary))
    packs = list(pack_records(mentions, pack=500))
    assert [len(chunk) for chunk, _ in packs] == [500, 500, 200]
    decoded = [m for _, raw in packs for m in decode_record(raw)[0]]
    assert decoded == mentions


def test_pacer_holds_the_rate():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    pacer = Pacer(rate=100, clock=lambda: now[0], sleep=sleep)
    summary = IngestSummary()
    mentions = list(parse_lines([json.dumps({**LINE, "id": str(i)}) for i in range(300)], summary))
    for chunk, _ in pack_records(mentions, pack=100):
        pacer.wait(chunk)
    assert abs(now[0] - 2.0) < 1e-9  # 300 mentions at 100/s: the third pack is due at t=2s


# --- issue F: formats, routing, byte-bounded packs, paced production -------------------------------

FIXTURES = Path(__file__).parent / "adapters" / "fixtures"


def _mention(i, text="تازه بان", platform="twitter", ts="2026-01-01T00:00:00Z"):
    return parse_mention({"id": str(i), "platform": platform, "text": text, "created_at": ts})


def test_read_mentions_drops_repeats_within_one_input_and_counts_them():
    summary = IngestSummary()
    with (FIXTURES / "x_filtered_stream.ndjson").open("rb") as source:
        mentions = list(read_mentions(source, summary, fmt="x"))
    assert [m.id for m in mentions] == ["1890009990001112221", "1890009990001112222"]
    assert summary.accepted == 2 and summary.duplicates == 1
    assert summary.rejected == 1 and summary.examples == ["line 5: invalid_json: line is not JSON"]


def test_read_mentions_counts_non_posts_as_skipped_not_rejected():
    summary = IngestSummary()
    with (FIXTURES / "telegram_bot_updates.json").open("rb") as source:
        mentions = list(read_mentions(source, summary, fmt="telegram-bot"))
    assert summary.rejected == 0
    assert dict(summary.skipped) == {"no_text": 1, "not_a_post": 1}
    assert summary.duplicates == 1  # the edited message
    assert summary.accepted == len(mentions) == 5


def test_partition_matches_kafkas_default_partitioner_on_platform_and_id():
    """aiokafka's default partitioner is Kafka's (murmur2 of the key), as in the Java client."""
    partitions = list(range(6))
    default = DefaultPartitioner()
    for i in range(200):
        mention = _mention(f"id-{i}", platform="telegram" if i % 2 else "twitter")
        assert partition_for(mention, 6) == default(routing_key(mention), partitions, partitions)


def test_packs_are_routed_so_a_repeat_lands_on_the_same_partition():
    mentions = [_mention(i) for i in range(300)]
    records = pack_for_partitions(mentions + mentions[:50], partitions=4, pack=1000)
    where: dict[str, set[int]] = {}
    for record in records:
        for m in record.mentions:
            where.setdefault(m.id, set()).add(record.partition)
            assert partition_for(m, 4) == record.partition
    assert all(len(p) == 1 for p in where.values())
    assert {r.partition for r in records} == {0, 1, 2, 3}
    decoded = sorted((m.id for r in records for m in decode_record(r.value)[0]), key=int)
    assert decoded == sorted([m.id for m in mentions] + [m.id for m in mentions[:50]], key=int)


def test_packs_stay_under_the_byte_cap_with_long_texts():
    mentions = [_mention(i, text="ن" * 9000) for i in range(200)]  # ~18 KB each
    packs = list(pack_records(mentions, pack=500))
    assert all(len(value) <= MAX_PACK_BYTES for _, value in packs)
    assert sum(len(chunk) for chunk, _ in packs) == 200 and len(packs) > 1
    assert [m for _, value in packs for m in decode_record(value)[0]] == mentions


def test_a_single_mention_larger_than_the_cap_still_gets_its_own_record():
    packer = RecordPacker(None, pack=10, max_bytes=100)
    assert packer.add(_mention(1, text="x" * 500)) == []
    [first] = packer.add(_mention(2))
    assert [m.id for m in first.mentions] == ["1"]


class FakeFuture:
    def get(self, timeout=None):
        return None


class FakeProducer:
    """Records what would be sent; partitions_for as kafka-python returns it (a set)."""

    def __init__(self, partitions=6):
        self.sent = []
        self._partitions = set(range(partitions))

    def partitions_for(self, topic):
        return self._partitions

    def send(self, topic, key=None, value=None, partition=None):
        self.sent.append((topic, key, value, partition))
        return FakeFuture()

    def flush(self, timeout=None):
        pass


def test_produce_mentions_routes_every_record_and_loses_nothing():
    producer = FakeProducer(partitions=3)
    mentions = [_mention(i) for i in range(1000)]
    counted = []
    records = produce_mentions(producer, "t.mentions", mentions, pack=100, on_sent=counted.append)
    assert records == len(producer.sent) and sum(counted) == 1000
    seen = []
    for topic, key, value, partition in producer.sent:
        assert topic == "t.mentions"
        chunk = decode_record(value)[0]
        assert 1 <= len(chunk) <= 100
        assert key == routing_key(chunk[0])
        assert all(partition_for(m, 3) == partition for m in chunk)
        seen.extend(m.id for m in chunk)
    assert sorted(seen, key=int) == [str(i) for i in range(1000)]


def test_paced_replay_sends_partial_packs_after_the_linger():
    now = [0.0]

    def sleep(s):
        now[0] += s

    producer = FakeProducer(partitions=1)
    sent_at = []
    producer_send = producer.send

    def send(*args, **kwargs):
        sent_at.append(now[0])
        return producer_send(*args, **kwargs)

    producer.send = send
    mentions = [_mention(i) for i in range(50)]
    pacer = Pacer(rate=10, clock=lambda: now[0], sleep=sleep)
    produce_mentions(producer, "t", mentions, pack=500, pacer=pacer, linger_s=1.0, clock=lambda: now[0])
    # 50 mentions at 10/s take ~4.9 s; with a 1 s linger they go out about once a second, not all at the end.
    assert len(sent_at) >= 4
    assert sent_at[0] <= 1.1
    assert sum(len(decode_record(v)[0]) for _, _, v, _ in producer.sent) == 50


def test_speedup_follows_event_time():
    now = [0.0]

    def sleep(s):
        now[0] += s

    pacer = Pacer(speedup=60, clock=lambda: now[0], sleep=sleep)
    for minute in (0, 1, 2, 10):
        pacer.wait([_mention(minute, ts=f"2026-01-01T00:{minute:02d}:00Z")])
    assert abs(now[0] - 10.0) < 1e-9  # ten event minutes at 60× is ten seconds


def test_parse_lines_still_accepts_str_and_bytes_lines():
    summary = IngestSummary()
    ids = [m.id for m in parse_lines([json.dumps(LINE), json.dumps({**LINE, "id": "2"}).encode()], summary)]
    assert ids == ["1", "2"]
    assert isinstance(list(parse_lines(io.BytesIO(json.dumps(LINE).encode()), IngestSummary()))[0], Mention)
