"""The HTTP ingest API against an in-memory sink: auth, limits, validation, rate limiting, OpenAPI.
(Writing to real Kafka is tests/integration/test_ingest_api.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from streams.ingest import PackedRecord, partition_for
from streams.ingest_server import (
    IngestApi,
    IngestServerSettings,
    TokenAuth,
    TokenBucket,
    openapi_document,
    parse_tokens,
)
from streams.mention import decode_record

TOKEN = "tok-collector-0123456789"
OTHER = "tok-partner-abcdefghijkl"
FIXTURES = Path(__file__).parent / "adapters" / "fixtures"


def mention(i: int, **extra) -> dict:
    return {
        "id": f"m{i}",
        "platform": "telegram",
        "text": "تازه بان دیر آورد",
        "created_at": "2026-02-15T07:00:00Z",
        **extra,
    }


class MemorySink:
    def __init__(self, partitions: int | None = 3) -> None:
        self.records: list[PackedRecord] = []
        self.fail = False
        self._partitions = partitions

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def partitions(self) -> int | None:
        return self._partitions

    async def write(self, records: list[PackedRecord]) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.records.extend(records)

    def mentions(self) -> list:
        return [m for r in self.records for m in decode_record(r.value)[0]]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make_client(sink, clock):
    clients: list[TestClient] = []

    async def make(**overrides) -> TestClient:
        settings = IngestServerSettings(
            topic="mentions", tokens={"collector": TOKEN, "partner": OTHER}, **overrides
        )
        client = TestClient(TestServer(IngestApi(settings, sink, clock=clock).app()))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_one_mention_an_array_and_ndjson_are_accepted(make_client, sink):
    client = await make_client()
    resp = await client.post("/v1/mentions", json=mention(1), headers=auth())
    assert resp.status == 202
    assert await resp.json() == {"accepted": 1, "rejected": [], "records": 1}
    resp = await client.post("/v1/mentions", json=[mention(2), mention(3)], headers=auth())
    assert resp.status == 202 and (await resp.json())["accepted"] == 2
    body = "\n".join(json.dumps(mention(i), ensure_ascii=False) for i in (4, 5, 6)) + "\n"
    resp = await client.post(
        "/v1/mentions", data=body.encode(), headers={**auth(), "Content-Type": "application/x-ndjson"}
    )
    assert resp.status == 202 and (await resp.json())["accepted"] == 3
    assert sorted(m.id for m in sink.mentions()) == [f"m{i}" for i in range(1, 7)]
    for record in sink.records:  # routed by platform:id like every bohran producer
        assert all(partition_for(m, 3) == record.partition for m in decode_record(record.value)[0])


async def test_invalid_items_are_listed_by_index_and_valid_ones_written(make_client, sink):
    client = await make_client()
    items = [
        mention(1),
        {"id": "x", "created_at": "2026-02-15T07:00:00Z"},
        mention(2, text=5),
        mention(3, created_at="yesterday"),
        "not an object",
        mention(4),
    ]
    resp = await client.post("/v1/mentions", json=items, headers=auth())
    assert resp.status == 202
    body = await resp.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["reason"]) for r in body["rejected"]] == [
        (1, "missing_field"),
        (2, "wrong_type"),
        (3, "bad_timestamp"),
        (4, "not_an_object"),
    ]
    assert all(r["detail"] for r in body["rejected"])
    assert sorted(m.id for m in sink.mentions()) == ["m1", "m4"]


async def test_ndjson_bad_lines_are_item_errors(make_client, sink):
    client = await make_client()
    body = (json.dumps(mention(1)) + "\n\n{broken\n" + json.dumps(mention(2)) + "\n").encode()
    resp = await client.post(
        "/v1/mentions", data=body, headers={**auth(), "Content-Type": "application/x-ndjson"}
    )
    result = await resp.json()
    assert resp.status == 202 and result["accepted"] == 2
    assert result["rejected"] == [{"index": 1, "reason": "invalid_json", "detail": "line is not JSON"}]


async def test_nothing_valid_is_422_and_nothing_is_written(make_client, sink):
    client = await make_client()
    resp = await client.post("/v1/mentions", json=[{"id": "1"}], headers=auth())
    assert resp.status == 422
    assert (await resp.json())["rejected"][0]["reason"] == "missing_field"
    assert sink.records == []


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{nope", "application/json", 400, "invalid_json"),
        (b"", "application/json", 400, "empty_body"),
        (b"[]", "application/json", 400, "empty_body"),
        (b"42", "application/json", 400, "not_an_object"),
        (b"\xff\xfe", "application/json", 400, "invalid_utf8"),
        (b"\n\n", "application/x-ndjson", 400, "empty_body"),
        (b"id=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"{}", "application/json; charset=latin-1", 415, "unsupported_charset"),
    ],
)
async def test_unreadable_bodies(make_client, body, content_type, status, code):
    client = await make_client()
    resp = await client.post("/v1/mentions", data=body, headers={**auth(), "Content-Type": content_type})
    assert resp.status == status
    assert (await resp.json())["error"] == code


async def test_missing_wrong_or_malformed_tokens_are_401(make_client, sink):
    client = await make_client()
    for headers in (
        {},
        {"Authorization": "Bearer nope-nope-nope-nope"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ):
        resp = await client.post("/v1/mentions", json=mention(1), headers=headers)
        assert resp.status == 401, headers
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert sink.records == []
    resp = await client.post("/v1/mentions", json=mention(1), headers={"Authorization": f"bearer {OTHER}"})
    assert resp.status == 202  # the scheme is case-insensitive


async def test_oversize_bodies_are_413_before_and_while_reading(make_client, sink):
    client = await make_client(max_body_bytes=2048)
    big = json.dumps([mention(i) for i in range(40)]).encode()
    assert len(big) > 2048
    resp = await client.post("/v1/mentions", data=big, headers={**auth(), "Content-Type": "application/json"})
    assert resp.status == 413 and (await resp.json())["error"] == "body_too_large"

    async def chunks():  # chunked: no Content-Length to check up front
        for i in range(0, len(big), 500):
            yield big[i : i + 500]

    resp = await client.post(
        "/v1/mentions", data=chunks(), headers={**auth(), "Content-Type": "application/json"}
    )
    assert resp.status == 413
    assert sink.records == []


async def test_too_many_items_is_400_like_any_schema_violation(make_client):
    client = await make_client(max_items=3)
    resp = await client.post("/v1/mentions", json=[mention(i) for i in range(4)], headers=auth())
    assert resp.status == 400 and (await resp.json())["error"] == "too_many_items"


async def test_flood_is_throttled_per_token_with_retry_after(make_client, sink, clock):
    client = await make_client(rate_per_s=10, burst=20)
    statuses = []
    for i in range(30):
        resp = await client.post("/v1/mentions", json=mention(i), headers=auth())
        statuses.append(resp.status)
        if resp.status == 429:
            assert int(resp.headers["Retry-After"]) >= 1
    assert statuses[:20] == [202] * 20 and set(statuses[20:]) == {429}
    # Another token has its own bucket.
    assert (await client.post("/v1/mentions", json=mention(99), headers=auth(OTHER))).status == 202
    # A batch bigger than what is left waits for the refill, then passes.
    clock.now += 1.0  # 10 tokens back
    resp = await client.post("/v1/mentions", json=[mention(100 + i) for i in range(15)], headers=auth())
    assert resp.status == 429 and resp.headers["Retry-After"] == "1"
    clock.now += 0.5
    resp = await client.post("/v1/mentions", json=[mention(100 + i) for i in range(15)], headers=auth())
    assert resp.status == 202
    assert len(sink.mentions()) == 20 + 1 + 15


async def test_kafka_failure_is_503_and_nothing_is_reported_accepted(make_client, sink):
    client = await make_client()
    sink.fail = True
    resp = await client.post("/v1/mentions", json=mention(1), headers=auth())
    assert resp.status == 503 and resp.headers["Retry-After"] == "5"
    assert (await resp.json())["error"] == "kafka_unavailable"


async def test_platform_payloads_via_format(make_client, sink):
    client = await make_client()
    body = (FIXTURES / "telegram_bot_updates.json").read_bytes()
    resp = await client.post(
        "/v1/sources/telegram-bot", data=body, headers={**auth(), "Content-Type": "application/json"}
    )
    result = await resp.json()
    assert resp.status == 202 and result["accepted"] == 6
    assert sorted(r["reason"] for r in result["rejected"]) == ["not_a_post", "not_a_post"]
    rss = (FIXTURES / "news_rss.xml").read_bytes()
    resp = await client.post(
        "/v1/sources/rss", data=rss, headers={**auth(), "Content-Type": "application/rss+xml"}
    )
    assert resp.status == 202 and (await resp.json())["accepted"] == 2
    resp = await client.post("/v1/sources/myspace", json=mention(1), headers=auth())
    assert resp.status == 404 and (await resp.json())["error"] == "unknown_format"
    resp = await client.post("/v1/sources/x", data=b"a,b", headers={**auth(), "Content-Type": "image/png"})
    assert resp.status == 415


async def test_openapi_and_health_need_no_token(make_client):
    client = await make_client()
    resp = await client.get("/v1/openapi.json")
    doc = await resp.json()
    assert resp.status == 200 and doc["openapi"].startswith("3.")
    assert doc["paths"]["/v1/mentions"]["post"]["responses"].keys() >= {"202", "401", "413", "422", "429"}
    resp = await client.get("/healthz")
    assert resp.status == 200 and (await resp.json())["ok"] is True


def test_openapi_limits_follow_the_settings():
    settings = IngestServerSettings(
        topic="t", tokens={"a": TOKEN}, max_text_chars=500, max_items=7, burst=100
    )
    doc = openapi_document(settings)
    assert doc["components"]["schemas"]["Mention"]["properties"]["text"]["maxLength"] == 500
    body = doc["paths"]["/v1/mentions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["oneOf"][1]["maxItems"] == 7
    assert set(doc["components"]["schemas"]["Mention"]["required"]) == {"id", "text", "created_at"}


def test_settings_refuse_no_tokens_and_clamp_items_to_the_burst():
    with pytest.raises(ValueError, match="at least one token"):
        IngestServerSettings(topic="t", tokens={})
    assert IngestServerSettings(topic="t", tokens={"a": TOKEN}, max_items=5000, burst=100).max_items == 100


def test_parse_tokens():
    assert parse_tokens(f"collector:{TOKEN}, partner:{OTHER}") == {"collector": TOKEN, "partner": OTHER}
    assert parse_tokens("") == {} and parse_tokens(None) == {}
    for bad, message in (
        (f"{TOKEN}", "name:token"),
        ("a:short", "shorter than 16"),
        (f"a:{TOKEN},a:{OTHER}", "twice"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_tokens(bad)


def test_token_auth_identifies_names():
    authn = TokenAuth({"collector": TOKEN, "partner": OTHER})
    assert authn.identify(TOKEN) == "collector" and authn.identify(OTHER) == "partner"
    assert authn.identify(TOKEN[:-1]) is None and authn.identify("") is None and authn.identify(None) is None


def test_token_bucket():
    bucket = TokenBucket(rate=2, burst=4, now=0)
    assert bucket.take(4, now=0) == 0
    assert bucket.take(1, now=0) == pytest.approx(0.5)
    assert bucket.take(1, now=0.5) == 0
    assert bucket.take(3, now=100) == 0 and bucket.tokens == pytest.approx(1)  # refill capped at burst


async def test_ndjson_is_split_on_newlines_only(make_client, sink):
    """JSON allows raw U+2028, U+0085 and \\x1c in strings; str.splitlines would cut such a line in two."""
    client = await make_client()
    texts = ["تازه بان\u2028خط دوم", "novinnet\x85down", "a\x1cb", "crlf line"]
    body = "\r\n".join(
        json.dumps(mention(i, text=t), ensure_ascii=False) for i, t in enumerate(texts)
    ).encode()
    resp = await client.post(
        "/v1/mentions", data=body, headers={**auth(), "Content-Type": "application/x-ndjson"}
    )
    assert resp.status == 202, await resp.text()
    assert (await resp.json())["rejected"] == []
    assert sorted(m.text for m in sink.mentions()) == sorted(texts)


async def test_numbers_too_large_for_a_float_never_break_the_request(make_client, sink):
    """JSON integers are unbounded; float() of a 400-digit one raises OverflowError."""
    client = await make_client()
    huge = b"1" + b"0" * 400
    base = b'{"id":"1","text":"x","created_at":'
    bad_time = base + huge + b"}"
    resp = await client.post(
        "/v1/mentions", data=bad_time, headers={**auth(), "Content-Type": "application/json"}
    )
    assert resp.status == 422
    assert (await resp.json())["rejected"][0]["reason"] in ("wrong_type", "bad_timestamp")
    big_count = base + b'"2026-02-15T07:00:00Z","metrics":{"likes":' + huge + b"}}"
    resp = await client.post(
        "/v1/mentions", data=big_count, headers={**auth(), "Content-Type": "application/json"}
    )
    assert resp.status in (202, 422)  # rejected, or clamped like any huge count; never a 500
    if resp.status == 202:
        assert sink.mentions()[0].metrics.likes == 10**12
