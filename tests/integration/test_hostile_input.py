"""Hostile input on the real pipeline: every bad item reaches mentions-dlq with a reason, the worker
never dies, the DLQ metric counts each one, and good mentions after it are still processed."""

from __future__ import annotations

import json
import random
import re
import time
import urllib.request

from kafka_helpers import produce_raw, read_topic

from streams import topics
from streams.mention import decode_record


def now_iso(offset: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def good(i: int) -> dict:
    return {"id": f"ok{i}", "platform": "twitter", "text": "اینترنت نوین نت امروز عالی بود",
            "created_at": now_iso(), "author": {"id": f"a{i}", "followers": 5}}


HANDWRITTEN: list[bytes] = [
    b"{\"id\": \"1\", \"text\": \"x\", \"created_at\": ",  # truncated JSON
    b"\xc3\x28\xa0\xa1",  # invalid UTF-8
    json.dumps({"id": "2", "text": "a\u0000b", "created_at": now_iso()}).encode(),  # NUL in text
    json.dumps({"id": "3", "text": "click \u202etxt.exe", "created_at": now_iso()}).encode(),  # bidi override
    json.dumps({"id": "4", "text": "a" * 950_000, "created_at": now_iso()}).encode(),  # ~1 MB text (broker limit)
    b"[" * 100_000 + b"]" * 100_000,  # deep nesting
    json.dumps({"id": ["5"], "text": "x", "created_at": now_iso()}).encode(),  # wrong type
    json.dumps({"id": "6", "text": "x", "created_at": now_iso(10 * 365 * 86400)}).encode(),  # far future
    json.dumps({"id": "7", "text": "x", "created_at": "1970-01-01T00:00:01Z"}).encode(),  # ancient
    json.dumps({"id": "8", "text": "x", "created_at": 1.7e12}).encode(),  # milliseconds, not seconds
    json.dumps({"id": "9", "text": "x", "created_at": now_iso(), "author": {"followers": -3}}).encode(),
    b"null",
    b"42",
    b"\"just a string\"",
    b"",
]


def mutations(rng: random.Random, n: int) -> list[bytes]:
    """Byte-level and structural mutations of a valid mention."""
    base = json.dumps(good(0), ensure_ascii=False).encode()
    out = []
    for _ in range(n):
        data = bytearray(base)
        kind = rng.randrange(4)
        if kind == 0:
            for _ in range(rng.randrange(1, 6)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1:
            data = data[: rng.randrange(1, len(data))]
        elif kind == 2:
            obj = good(0)
            key = rng.choice(["id", "text", "created_at", "author", "metrics"])
            obj[key] = rng.choice([None, 7, [], {"a": 1}, True, "", -1.5])
            data = bytearray(json.dumps(obj).encode())
        else:
            data = bytearray(rng.randbytes(rng.randrange(1, 200)))
        out.append(bytes(data))
    return out


def dlq_metric(base_url: str) -> float:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return sum(float(v) for v in re.findall(r'^bohran_dlq_total\{[^}]*stage="enrich"[^}]*\} ([0-9.e+]+)$', text, re.M))


def test_hostile_records_all_dead_lettered_worker_survives(start_worker, kafka_bootstrap, namespace):
    worker = start_worker()
    records = HANDWRITTEN + mutations(random.Random(11), 150)
    expected_rejections = sum(len(decode_record(r)[1]) for r in records)
    expected_accepted = sum(len(decode_record(r)[0]) for r in records)
    assert expected_rejections >= len(HANDWRITTEN)
    for r in HANDWRITTEN:  # every hand-written hostile record is rejected whole
        mentions, rejected = decode_record(r)
        assert not mentions and rejected, r[:80]

    produce_raw(kafka_bootstrap, namespace + topics.MENTIONS, [*records, json.dumps(good(1)).encode()])
    dlq = read_topic(kafka_bootstrap, namespace + topics.MENTIONS_DLQ,
                     lambda v: len(v) >= expected_rejections, timeout_s=90)
    assert len(dlq) == expected_rejections
    assert all(d["reason"] and d["detail"] for d in dlq)
    enriched = read_topic(kafka_bootstrap, namespace + topics.MENTIONS_ENRICHED,
                          lambda v: any(p["id"] == "ok1" for b in v for m in b["minutes"] for p in m["top_posts"]),
                          timeout_s=60)
    assert enriched
    assert worker.proc.poll() is None, "the worker must not die on hostile input"
    assert dlq_metric(worker.base_url) == expected_rejections
    assert expected_accepted >= 0
