"""Issue F on real Kafka: the HTTP ingest API under valid, invalid, oversize, unauthenticated and flood
requests; mentions sent by `kcat` and by the API end up equal in `mentions-enriched`; retries are
counted once; the served OpenAPI document holds for what the server does (schemathesis)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from ingest_support import IngestApiThread, enriched_summary, read_records
from kafka_helpers import read_topic
from schemathesis.specs.openapi.checks import positive_data_acceptance

from streams import topics
from streams.ingest import partition_for
from streams.ingest_server import IngestServerSettings
from streams.mention import decode_record

pytestmark = pytest.mark.integration

TOKEN = "integration-token-0123456789"
PARTNER = "partner-token-abcdefghijklmn"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def mention(i: int, text: str = "اینترنت نوین نت امروز خوب بود", prefix: str = "api-", **extra) -> dict:
    return {
        "id": f"{prefix}{i}",
        "platform": "telegram",
        "text": text,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 120 + i)),
        "author": {"id": f"a{i}", "followers": 100 + i},
        **extra,
    }


def start_api(kafka_bootstrap: str, namespace: str, **overrides) -> IngestApiThread:
    layout = topics.TopicLayout(partitions=3, prefix=namespace)
    topics.ensure_topics(kafka_bootstrap, layout)
    options = {
        "topic": layout.name(topics.MENTIONS),
        "tokens": {"collector": TOKEN, "partner": PARTNER},
        **overrides,
    }
    return IngestApiThread(kafka_bootstrap, IngestServerSettings(**options)).start()


@pytest.fixture
def api(kafka_bootstrap: str, namespace: str) -> Iterator[IngestApiThread]:
    server = start_api(kafka_bootstrap, namespace)
    yield server
    server.stop()


def mentions_in(records) -> list:
    return [m for r in records for m in decode_record(r.value)[0]]


def test_valid_requests_are_on_kafka_when_the_202_arrives(api, kafka_bootstrap, namespace):
    with httpx.Client(base_url=api.url, headers=AUTH, timeout=30) as client:
        one = client.post("/v1/mentions", json=mention(1))
        many = client.post("/v1/mentions", json=[mention(i) for i in range(2, 40)])
        ndjson = "\n".join(json.dumps(mention(i), ensure_ascii=False) for i in range(40, 50))
        lines = client.post(
            "/v1/mentions", content=ndjson.encode(), headers={"Content-Type": "application/x-ndjson"}
        )
    assert (one.status_code, many.status_code, lines.status_code) == (202, 202, 202)
    assert one.json()["accepted"] + many.json()["accepted"] + lines.json()["accepted"] == 49
    # Acknowledged means already readable: no waiting for a producer flush.
    records = read_records(
        kafka_bootstrap, namespace + topics.MENTIONS, lambda r: len(mentions_in(r)) >= 49, timeout_s=10
    )
    got = mentions_in(records)
    assert sorted(m.id for m in got) == sorted(f"api-{i}" for i in range(1, 50))
    assert len(records) < 49  # packed: many mentions per record
    for record in records:
        assert all(partition_for(m, 3) == record.partition for m in decode_record(record.value)[0])


def test_invalid_oversize_and_unauthenticated_requests_write_nothing(kafka_bootstrap, namespace):
    server = start_api(kafka_bootstrap, namespace, max_body_bytes=16 * 1024)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.post("/v1/mentions", json=mention(1)).status_code == 401
            wrong = client.post(
                "/v1/mentions", json=mention(1), headers={"Authorization": "Bearer guess-guess-guess"}
            )
            assert wrong.status_code == 401 and "invalid_token" in wrong.headers["WWW-Authenticate"]
            invalid = client.post(
                "/v1/mentions",
                headers=AUTH,
                json=[{"id": "x"}, mention(2, text=7), mention(3, created_at="2026-13-45")],
            )
            assert invalid.status_code == 422
            assert [r["reason"] for r in invalid.json()["rejected"]] == [
                "missing_field",
                "wrong_type",
                "bad_timestamp",
            ]
            assert (
                client.post(
                    "/v1/mentions", headers={**AUTH, "Content-Type": "application/json"}, content=b"{not json"
                ).status_code
                == 400
            )
            big = [mention(i, text="ن" * 2000) for i in range(10)]
            oversize = client.post("/v1/mentions", headers=AUTH, json=big)
            assert oversize.status_code == 413 and oversize.json()["error"] == "body_too_large"
            mixed = client.post(
                "/v1/mentions", headers=AUTH, json=[{"id": "y"}, mention(99, prefix="sentinel-")]
            )
            assert mixed.status_code == 202
            assert mixed.json()["rejected"] == [
                {"index": 0, "reason": "missing_field", "detail": "text is required"}
            ]
        records = read_records(kafka_bootstrap, namespace + topics.MENTIONS, lambda r: bool(mentions_in(r)))
        time.sleep(1)
        records = read_records(kafka_bootstrap, namespace + topics.MENTIONS, lambda r: True)
        assert [m.id for m in mentions_in(records)] == ["sentinel-99"]  # nothing else reached Kafka
    finally:
        server.stop()


def test_a_flood_is_throttled_per_token_and_only_accepted_mentions_are_written(kafka_bootstrap, namespace):
    server = start_api(kafka_bootstrap, namespace, rate_per_s=20, burst=20)

    async def flood() -> tuple[list[httpx.Response], httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            started = time.monotonic()
            responses = await asyncio.gather(
                *[client.post("/v1/mentions", json=mention(i), headers=AUTH) for i in range(80)]
            )
            elapsed = time.monotonic() - started
            partner = await client.post(
                "/v1/mentions",
                json=mention(500, prefix="partner-"),
                headers={"Authorization": f"Bearer {PARTNER}"},
            )
            return responses, partner, elapsed

    try:
        responses, partner, elapsed = asyncio.run(flood())
    finally:
        server.stop()
    accepted = [r for r in responses if r.status_code == 202]
    throttled = [r for r in responses if r.status_code == 429]
    assert len(accepted) + len(throttled) == 80
    assert 20 <= len(accepted) <= 20 + 20 * elapsed + 1
    assert throttled and all(int(r.headers["Retry-After"]) >= 1 for r in throttled)
    assert partner.status_code == 202  # one token's flood does not starve another
    expected = {json.loads(r.request.content)["id"] for r in accepted} | {"partner-500"}
    records = read_records(
        kafka_bootstrap,
        namespace + topics.MENTIONS,
        lambda r: {m.id for m in mentions_in(r)} >= expected,
        timeout_s=20,
    )
    time.sleep(0.5)
    records = read_records(kafka_bootstrap, namespace + topics.MENTIONS, lambda r: True)
    assert {m.id for m in mentions_in(records)} == expected


BRAND_TEXTS = [
    ("اینترنت نوین‌نت از صبح قطعه، افتضاحه", "novinnet"),
    ("novinnet support answered quickly, thanks", "novinnet"),
    ("تازه بان سفارشم رو دیر آورد و خراب بود", "tazeban"),
    ("میوه‌های #تازه_بان تازه بود", "tazeban"),
    ("@novinnet outage again?! worst ISP ever", "novinnet"),
    ("Is @tazeban open on Fridays?", "tazeban"),
]


def same_mentions(prefix: str, base: float) -> list[dict]:
    out = []
    for i, (text, _) in enumerate(BRAND_TEXTS):
        out.append(
            {
                "id": f"{prefix}{i}",
                "platform": "twitter",
                "text": text,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + i * 60)),
                "url": f"https://social.example/s/{i}",
                "author": {"id": f"u{i}", "handle": f"user{i}", "followers": 1000 * (i + 1)},
                "metrics": {"likes": i, "reshares": i * 2, "replies": 1, "views": 5000},
            }
        )
    return out


def total_mentions(values: list[dict]) -> int:
    return sum(v["mentions"] for v in values)


def test_kcat_and_api_mentions_end_up_equal_in_mentions_enriched(
    start_worker, kafka_bootstrap, namespace, api
):
    assert shutil.which("kcat"), "kcat missing: `make test` installs it via deploy/local/system-packages.sh"
    start_worker()
    n = len(BRAND_TEXTS)
    base = time.time() - 600
    kcat_lines = "\n".join(json.dumps(m, ensure_ascii=False) for m in same_mentions("kcat-", base)) + "\n"
    subprocess.run(
        ["kcat", "-P", "-b", kafka_bootstrap, "-t", namespace + topics.MENTIONS, "-K", "\t"],
        input="".join(f"k{i}\t{line}\n" for i, line in enumerate(kcat_lines.splitlines())).encode(),
        check=True,
        timeout=30,
    )
    first = read_topic(
        kafka_bootstrap, namespace + topics.MENTIONS_ENRICHED, lambda v: total_mentions(v) >= n
    )
    assert total_mentions(first) == n

    with httpx.Client(base_url=api.url, headers=AUTH, timeout=30) as client:
        response = client.post("/v1/mentions", json=same_mentions("http-", base))
    assert response.status_code == 202 and response.json()["accepted"] == n
    both = read_topic(
        kafka_bootstrap, namespace + topics.MENTIONS_ENRICHED, lambda v: total_mentions(v) >= 2 * n
    )
    assert total_mentions(both) == 2 * n
    # Records from several partitions come back in any order: tell them apart by their posts' ids.
    first = [
        v for v in both if all(p["id"].startswith("kcat-") for m in v["minutes"] for p in m["top_posts"])
    ]
    second = [
        v for v in both if all(p["id"].startswith("http-") for m in v["minutes"] for p in m["top_posts"])
    ]
    assert total_mentions(first) == n and total_mentions(second) == n

    from_kcat = enriched_summary(first, "kcat-")
    from_api = enriched_summary(second, "http-")
    assert from_kcat == from_api
    assert {brand for brand, _ in from_kcat} == {"novinnet", "tazeban"}
    assert sum(s["total"] for s in from_kcat.values()) == n

    # And on `mentions` itself the two producers' records decode to the same mentions (ids aside).
    records = read_records(
        kafka_bootstrap, namespace + topics.MENTIONS, lambda r: len(mentions_in(r)) >= 2 * n
    )
    decoded = mentions_in(records)
    by_source = {
        p: sorted((m for m in decoded if m.id.startswith(p)), key=lambda m: m.id) for p in ("kcat-", "http-")
    }
    strip = [[(m.text, m.created_at, m.author, m.metrics, m.url) for m in ms] for ms in by_source.values()]
    assert strip[0] == strip[1] and len(strip[0]) == n


def _dedupe_wired() -> bool:
    import inspect

    from streams import app

    return "dedupe" in inspect.getsource(app)


@pytest.mark.skipif(
    not _dedupe_wired(), reason="streams/app.py does not call streams.dedupe yet (issue F hand-off)"
)
def test_a_retried_request_is_counted_once_downstream(start_worker, kafka_bootstrap, namespace, api):
    start_worker()
    batch = same_mentions("retry-", time.time() - 600)
    with httpx.Client(base_url=api.url, headers=AUTH, timeout=30) as client:
        assert client.post("/v1/mentions", json=batch).status_code == 202
        first = read_topic(
            kafka_bootstrap, namespace + topics.MENTIONS_ENRICHED, lambda v: total_mentions(v) >= len(batch)
        )
        # The client never saw the first 202 and sends it all again, then part of it once more.
        assert client.post("/v1/mentions", json=batch).status_code == 202
        assert client.post("/v1/mentions", json=batch[:2]).status_code == 202
        assert client.post("/v1/mentions", json=[mention(1, prefix="fresh-")]).status_code == 202
    values = read_topic(
        kafka_bootstrap, namespace + topics.MENTIONS_ENRICHED, lambda v: total_mentions(v) >= len(batch) + 1
    )
    time.sleep(3)
    values = read_topic(kafka_bootstrap, namespace + topics.MENTIONS_ENRICHED, lambda v: True)
    assert total_mentions(first) == len(batch)
    assert total_mentions(values) == len(batch) + 1  # only the fresh mention was added


# --- the served OpenAPI document holds (schemathesis) ----------------------------------------------


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value):
    items = value if isinstance(value, list) else [value]
    return "\n".join(json.dumps(item, ensure_ascii=False) for item in items).encode()


def only_the_time_range_rule(ctx, response, case):
    """Schema-valid mentions may be refused for one rule JSON Schema cannot state: created_at must lie
    between 2006 and one day from now (documented). A 422 for any other reason is a schema/server mismatch."""
    if response.status_code == 422:
        reasons = {r["reason"] for r in json.loads(response.content)["rejected"]}
        assert reasons == {"bad_timestamp"}, f"schema-valid items rejected for {reasons}"
    elif response.status_code not in (202, 429):
        raise AssertionError(f"schema-valid request answered {response.status_code}")


@schemathesis.serializer("text/csv", "application/rss+xml", "application/atom+xml", "text/xml")
def _text_payload(ctx, value):
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


CASES = [
    ("/v1/mentions", "POST", schemathesis.GenerationMode.POSITIVE),
    ("/v1/mentions", "POST", schemathesis.GenerationMode.NEGATIVE),
    ("/v1/sources/{format}", "POST", schemathesis.GenerationMode.POSITIVE),
    ("/v1/sources/{format}", "POST", schemathesis.GenerationMode.NEGATIVE),
    ("/v1/openapi.json", "GET", schemathesis.GenerationMode.POSITIVE),
    ("/healthz", "GET", schemathesis.GenerationMode.POSITIVE),
]


@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_api_conforms_to_its_openapi_document(kafka_bootstrap, namespace, path, method, mode):
    """Generated requests (valid and, in negative mode, schema-violating) against the served document:
    no 5xx, only documented status codes and content types, bodies matching the documented schemas,
    auth enforced where the document says, schema-violating requests refused. Mention bodies that fit
    the schema are accepted except for the documented time-range rule; platform payloads are opaque to
    the document (any JSON / text), so for them only the response side is checked."""
    server = start_api(kafka_bootstrap, namespace, rate_per_s=100_000, burst=100_000, max_items=20)
    try:
        schema = schemathesis.openapi.from_url(f"{server.url}/v1/openapi.json")
        operation = schema[path][method]
        extra = {}
        if mode == schemathesis.GenerationMode.POSITIVE and method == "POST":
            extra["excluded_checks"] = [positive_data_acceptance]
            if path == "/v1/mentions":
                extra["additional_checks"] = [only_the_time_range_rule]

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
            database=None,
            derandomize=True,  # the same examples every run: CI must not flake on a new random draw
        )
        def check(case):
            case.call_and_validate(base_url=server.url, headers=AUTH, **extra)

        check()
    finally:
        server.stop()
