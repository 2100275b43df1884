"""Bad input goes to mentions-dlq with its reason; the worker keeps processing good mentions after it.
A mention produced by a non-Python client (Debian's kcat) is processed like any other."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

from kafka_helpers import produce_raw, read_topic

from streams import topics


def good(i: int, text: str = "اینترنت نوین نت امروز خوب بود") -> dict:
    return {"id": f"g{i}", "platform": "telegram", "text": text,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "author": {"id": f"a{i}", "followers": 10}}


def enriched_mentions(values: list[dict]) -> int:
    return sum(v["mentions"] for v in values)


def test_bad_records_are_dead_lettered_with_reasons_and_good_ones_flow(start_worker, kafka_bootstrap, namespace):
    start_worker()
    bad = {
        "invalid_json": b"{not json",
        "invalid_utf8": b'{"id": "x", "text": "\xff\xfe", "created_at": "2026-01-01T00:00:00Z"}',
        "missing_field": json.dumps({"id": "m1", "created_at": "2026-01-01T00:00:00Z"}).encode(),
        "wrong_type": json.dumps({"id": "m2", "text": 42, "created_at": "2026-01-01T00:00:00Z"}).encode(),
        "text_too_long": json.dumps({"id": "m3", "text": "ب" * 20_000,
                                     "created_at": "2026-01-01T00:00:00Z"}).encode(),
    }
    records = [json.dumps(good(1)).encode(), *bad.values(), json.dumps([good(2), good(3)]).encode()]
    produce_raw(kafka_bootstrap, namespace + topics.MENTIONS, records)

    dlq = read_topic(kafka_bootstrap, namespace + topics.MENTIONS_DLQ, lambda v: len(v) >= len(bad), timeout_s=60)
    assert sorted(r["reason"] for r in dlq) == sorted(bad)
    for record in dlq:
        assert record["stage"] == "enrich" and record["detail"]
        assert record["raw_latin1"].encode("latin-1") in bad.values() or record["reason"] == "text_too_long"
    enriched = read_topic(kafka_bootstrap, namespace + topics.MENTIONS_ENRICHED,
                          lambda v: enriched_mentions(v) >= 3, timeout_s=60)
    assert enriched_mentions(enriched) == 3
    assert {v["brand"] for v in enriched} == {"novinnet"}


def test_mention_produced_by_kcat_is_processed(start_worker, kafka_bootstrap, namespace):
    assert shutil.which("kcat"), "kcat missing: `make test` installs it via deploy/local/system-packages.sh"
    start_worker()
    payload = json.dumps(good(7, "تازه بان سفارشم رو دیر آورد"), ensure_ascii=False)
    subprocess.run(
        ["kcat", "-P", "-b", kafka_bootstrap, "-t", namespace + topics.MENTIONS, "-k", "k7"],
        input=payload.encode(), check=True, timeout=30,
    )
    enriched = read_topic(kafka_bootstrap, namespace + topics.MENTIONS_ENRICHED, lambda v: len(v) >= 1, timeout_s=60)
    assert enriched[0]["brand"] == "tazeban"
    post_ids = [p["id"] for m in enriched[0]["minutes"] for p in m["top_posts"]]
    assert post_ids == ["g7"]
