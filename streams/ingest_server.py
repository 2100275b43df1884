"""HTTP ingest API: `POST /v1/mentions` into the `mentions` topic, acknowledged only once Kafka has it.

For sources that push (scrapers, partner webhooks, a team's own collectors) rather than files.
Contract, in the order a request meets it:

  1. bearer token (from `BOHRAN_INGEST_TOKENS=name:token,...`), compared in constant time → 401
  2. the token's bucket is not empty → 429 with Retry-After
  3. Content-Type application/json (one mention or an array) or application/x-ndjson → 415
  4. body size ≤ max_body_bytes (checked on Content-Length before reading, and while reading) → 413
  5. the body parses (400), holds ≤ max_items items (400); the token's bucket pays one token per
     item → 429 with Retry-After when it cannot
  6. every item is validated by `parse_mention`; invalid ones are listed in the response
     ({"index", "reason", "detail"}) and not written; none valid → 422
  7. valid mentions are packed, routed by "platform:id" and written with acks=all; the response is
     202 only after every record is acknowledged, else 503 (nothing is reported accepted)

A retried request after a 503 or a lost 202 is safe: the enrich stage drops (platform, id) it has
already seen (`streams.dedupe`). `POST /v1/sources/{format}` takes a platform's own payload (an X API
response, Telegram Bot API updates, an Instagram webhook, an RSS feed, a CSV with default columns)
through the same adapters as `bohran ingest --format`, with `index` counting adapter items.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import io
import json
import logging
import math
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from streams.adapters import (
    FORMAT_NAMES,
    AdapterError,
    AdapterOptions,
    Candidate,
    Skipped,
    convert,
    ndjson_lines,
)
from streams.ingest import DEFAULT_PACK, MAX_PACK_BYTES, PackedRecord, pack_for_partitions, validate
from streams.mention import MAX_TEXT_CHARS, InvalidMention, Mention

log = logging.getLogger("bohran.ingest")

JSON_TYPE = "application/json"
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/ndjson")
API_VERSION = "1.0.0"


# --------------------------------------------------------------------------------------------------
# Settings, tokens, rate limiting (pure)
# --------------------------------------------------------------------------------------------------


def parse_tokens(spec: str | None) -> dict[str, str]:
    """`name1:token1,name2:token2` → {name: token}. Tokens shorter than 16 characters are refused:
    they are guessable, and the API's only protection."""
    tokens: dict[str, str] = {}
    for entry in (spec or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, token = entry.partition(":")
        name, token = name.strip(), token.strip()
        if not sep or not name or not token:
            raise ValueError(f"BOHRAN_INGEST_TOKENS entry {name or entry[:8]!r}… is not name:token")
        if len(token) < 16:
            raise ValueError(f"BOHRAN_INGEST_TOKENS: token for {name!r} is shorter than 16 characters")
        if name in tokens:
            raise ValueError(f"BOHRAN_INGEST_TOKENS: name {name!r} appears twice")
        tokens[name] = token
    return tokens


class TokenAuth:
    """Finds which named token a presented bearer token is, without timing leaks.

    Both sides are hashed first so comparisons take the same time whatever the lengths, and every
    configured token is compared (no early exit), so timing says nothing about which one matched.
    """

    def __init__(self, tokens: dict[str, str]) -> None:
        self._digests = [(name, hashlib.sha256(token.encode()).digest()) for name, token in tokens.items()]

    def identify(self, presented: str | None) -> str | None:
        if not presented:
            return None
        digest = hashlib.sha256(presented.encode("utf-8", "surrogateescape")).digest()
        found = None
        for name, expected in self._digests:
            if hmac.compare_digest(digest, expected) and found is None:
                found = name
        return found


class TokenBucket:
    """Classic token bucket: `rate` tokens/s, at most `burst` banked. Pure; time comes from the caller."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def wait_time(self, cost: float, now: float) -> float:
        """Seconds until `cost` tokens are available (0 = now)."""
        self._refill(now)
        if self.tokens >= cost:
            return 0.0
        return (cost - self.tokens) / self.rate

    def take(self, cost: float, now: float) -> float:
        """Take `cost` tokens and return 0, or take nothing and return seconds to wait."""
        wait = self.wait_time(cost, now)
        if wait == 0.0:
            self.tokens -= cost
        return wait


@dataclass(slots=True)
class IngestServerSettings:
    topic: str
    tokens: dict[str, str]
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 4 * 1024 * 1024
    max_items: int = 5000
    rate_per_s: float = 2000.0  # mentions per second per token
    burst: float = 10_000.0  # mentions a token may send at once after being idle
    max_text_chars: int = MAX_TEXT_CHARS
    pack: int = DEFAULT_PACK
    send_timeout_s: float = 30.0
    adapter_options: AdapterOptions = field(default_factory=AdapterOptions)

    def __post_init__(self) -> None:
        if not self.tokens:
            raise ValueError("the ingest API needs at least one token (BOHRAN_INGEST_TOKENS=name:token)")
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1")
        # A request must be able to pass the bucket when it is full.
        self.max_items = max(1, min(self.max_items, int(self.burst)))


# --------------------------------------------------------------------------------------------------
# Where accepted mentions go
# --------------------------------------------------------------------------------------------------


class MentionSink(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def write(self, records: list[PackedRecord]) -> None:
        """Return only when every record is durably acknowledged; raise otherwise."""
        ...

    async def partitions(self) -> int | None: ...


class KafkaSink:
    """aiokafka producer with acks=all: an acknowledged record is on every in-sync replica."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self._producer: Any = None
        self._partitions: list[int] | None = None

    async def start(self) -> None:
        from aiokafka import AIOKafkaProducer

        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id="bohran-ingest-api",
            acks="all",
            enable_idempotence=True,  # broker-side dedupe of the producer's own retries
            linger_ms=2,
            max_batch_size=MAX_PACK_BYTES + 64 * 1024,
            max_request_size=16 * 1024 * 1024,
            request_timeout_ms=30_000,
        )
        await self._producer.start()
        await self.partitions()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def partitions(self) -> int | None:
        """The topic's partition count, looked up until known (a just-created topic may lag in metadata)."""
        if self._partitions is None and self._producer is not None:
            with contextlib.suppress(Exception):
                found = await asyncio.wait_for(self._producer.partitions_for(self.topic), timeout=10)
                self._partitions = sorted(found) or None
        return len(self._partitions) if self._partitions else None

    async def write(self, records: list[PackedRecord]) -> None:
        if self._producer is None:
            raise RuntimeError("Kafka producer is not started")
        pending = []
        for record in records:
            partition = (
                self._partitions[record.partition]
                if self._partitions and record.partition is not None
                else None
            )
            pending.append(
                await self._producer.send(self.topic, value=record.value, key=record.key, partition=partition)
            )
        await asyncio.gather(*pending)


# --------------------------------------------------------------------------------------------------
# The application
# --------------------------------------------------------------------------------------------------


def _error(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": code, "detail": detail}, status=status, headers=headers)


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


@dataclass(slots=True)
class _Parsed:
    candidates: list[tuple[int, Any]]  # (index, decoded value)
    rejected: list[dict[str, Any]]  # items that failed before validation (bad NDJSON line, adapter)


class IngestApi:
    """Request handling; holds the per-token buckets. `clock` is injectable for tests."""

    def __init__(
        self, settings: IngestServerSettings, sink: MentionSink, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.clock = clock
        self.auth = TokenAuth(settings.tokens)
        now = clock()
        self.buckets = {
            name: TokenBucket(settings.rate_per_s, settings.burst, now) for name in settings.tokens
        }
        self.counters: dict[str, int] = {"accepted": 0, "rejected": 0, "requests": 0, "throttled": 0}
        self.openapi = openapi_document(settings)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.settings.max_body_bytes + 1)
        app.router.add_post("/v1/mentions", self.post_mentions)
        app.router.add_post("/v1/sources/{format}", self.post_source)
        app.router.add_get("/v1/openapi.json", self.get_openapi)
        app.router.add_get("/healthz", self.get_health)

        async def on_startup(_: web.Application) -> None:
            await self.sink.start()

        async def on_cleanup(_: web.Application) -> None:
            await self.sink.stop()

        app.on_startup.append(on_startup)
        app.on_cleanup.append(on_cleanup)
        return app

    async def get_openapi(self, request: web.Request) -> web.Response:
        return web.json_response(self.openapi)

    async def get_health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "topic": self.settings.topic, **self.counters})

    def _token_name(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.auth.identify(credentials.strip())

    async def post_mentions(self, request: web.Request) -> web.Response:
        return await self._ingest(request, "mention")

    async def post_source(self, request: web.Request) -> web.Response:
        return await self._ingest(request, request.match_info["format"])

    async def _ingest(self, request: web.Request, fmt: str) -> web.Response:
        self.counters["requests"] += 1
        name = self._token_name(request)
        if name is None:
            challenge = 'Bearer realm="bohran-ingest"'
            if request.headers.get("Authorization"):
                challenge += ', error="invalid_token"'
            return _error(
                401, "unauthorized", "a valid bearer token is required", {"WWW-Authenticate": challenge}
            )
        bucket = self.buckets[name]
        wait = bucket.wait_time(1, self.clock())
        if wait > 0:
            self.counters["throttled"] += 1
            return _error(429, "rate_limited", f"token {name!r} is over its rate", _retry_after(wait))

        if fmt != "mention" and fmt not in FORMAT_NAMES:
            return _error(404, "unknown_format", f"format must be one of {', '.join(FORMAT_NAMES)}")
        media_type = request.content_type.lower()
        is_ndjson = media_type in NDJSON_TYPES
        adapter_body = fmt not in ("mention", "jsonl")
        if not (is_ndjson or media_type == JSON_TYPE or (adapter_body and media_type in _ADAPTER_TYPES)):
            accepted = ", ".join((JSON_TYPE, NDJSON_TYPES[0], *(_ADAPTER_TYPES if adapter_body else ())))
            return _error(415, "unsupported_media_type", f"send one of {accepted}")
        charset = request.charset
        if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
            return _error(415, "unsupported_charset", "the body must be UTF-8")

        limit = self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            return _error(413, "body_too_large", f"the body is over {limit} bytes")
        body = await _read_limited(request, limit)
        if body is None:
            return _error(413, "body_too_large", f"the body is over {limit} bytes")

        try:
            parsed = self._parse(body, fmt, is_ndjson)
        except _BadBody as exc:
            return _error(400, exc.code, exc.detail)
        items = len(parsed.candidates) + len(parsed.rejected)
        if items > self.settings.max_items:
            return _error(
                400, "too_many_items", f"{items} items; at most {self.settings.max_items} per request"
            )
        wait = bucket.take(items, self.clock())
        if wait > 0:
            self.counters["throttled"] += 1
            return _error(
                429, "rate_limited", f"{items} items is over token {name!r}'s rate", _retry_after(wait)
            )

        mentions: list[Mention] = []
        rejected = list(parsed.rejected)
        for index, value in parsed.candidates:
            try:
                mentions.append(validate(value, max_text_chars=self.settings.max_text_chars))
            except InvalidMention as exc:
                rejected.append({"index": index, "reason": exc.reason, "detail": exc.detail})
        rejected.sort(key=lambda r: r["index"])
        self.counters["rejected"] += len(rejected)
        if not mentions:
            return web.json_response({"accepted": 0, "rejected": rejected, "records": 0}, status=422)

        records = pack_for_partitions(mentions, await self.sink.partitions(), self.settings.pack)
        try:
            await asyncio.wait_for(self.sink.write(records), timeout=self.settings.send_timeout_s)
        except Exception as exc:  # noqa: BLE001 - any producer failure means "not written"
            log.warning("ingest write failed for token %s: %s", name, exc)
            return _error(
                503, "kafka_unavailable", "the mentions could not be written; retry", _retry_after(5)
            )
        self.counters["accepted"] += len(mentions)
        return web.json_response(
            {"accepted": len(mentions), "rejected": rejected, "records": len(records)}, status=202
        )

    def _parse(self, body: bytes, fmt: str, is_ndjson: bool) -> _Parsed:
        if fmt not in ("mention", "jsonl"):
            return self._parse_adapter(body, fmt)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _BadBody("invalid_utf8", f"byte {exc.start} is not UTF-8") from exc
        if is_ndjson or fmt == "jsonl":
            candidates: list[tuple[int, Any]] = []
            rejected: list[dict[str, Any]] = []
            lines = [line for line in ndjson_lines(text) if line.strip()]
            if not lines:
                raise _BadBody("empty_body", "no NDJSON lines")
            for index, line in enumerate(lines):
                try:
                    candidates.append((index, json.loads(line)))
                except (json.JSONDecodeError, RecursionError):
                    rejected.append({"index": index, "reason": "invalid_json", "detail": "line is not JSON"})
            return _Parsed(candidates, rejected)
        if not text.strip():
            raise _BadBody("empty_body", "the body is empty")
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise _BadBody("invalid_json", "the body is not JSON") from exc
        if isinstance(value, dict):
            return _Parsed([(0, value)], [])
        if isinstance(value, list):
            if not value:
                raise _BadBody("empty_body", "the array is empty")
            return _Parsed(list(enumerate(value)), [])
        raise _BadBody("not_an_object", "send a mention object or an array of them")

    def _parse_adapter(self, body: bytes, fmt: str) -> _Parsed:
        candidates: list[tuple[int, Any]] = []
        rejected: list[dict[str, Any]] = []
        try:
            for index, item in enumerate(convert(fmt, io.BytesIO(body), self.settings.adapter_options)):
                if isinstance(item, Candidate):
                    candidates.append((index, item.value))
                elif isinstance(item, Skipped):
                    reason = item.reason if item.rejected else "not_a_post"
                    rejected.append(
                        {"index": index, "reason": reason, "detail": f"{item.where}: {item.detail}"}
                    )
        except AdapterError as exc:
            raise _BadBody("unreadable", str(exc)) from exc
        if not candidates and not rejected:
            raise _BadBody("empty_body", f"no {fmt} items in the body")
        return _Parsed(candidates, rejected)


_ADAPTER_TYPES = ("application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "text/csv")


class _BadBody(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it passes `limit` bytes (chunked bodies have no Content-Length)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


# --------------------------------------------------------------------------------------------------
# Running it
# --------------------------------------------------------------------------------------------------


class IngestServer:
    """Starts the API on an event loop (the CLI's, or a test's) and reports the bound port."""

    def __init__(self, settings: IngestServerSettings, sink: MentionSink) -> None:
        self.api = IngestApi(settings, sink)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> int:
        self._runner = web.AppRunner(self.api.app(), access_log=None)
        await self._runner.setup()
        # Bind the socket ourselves so port 0 (tests) reports the port the OS chose.
        family = socket.AF_INET6 if ":" in self.api.settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.api.settings.host, self.api.settings.port))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def serve_forever(self, on_started: Callable[[int], None] | None = None) -> None:
        port = await self.start()
        if on_started is not None:
            on_started(port)
        try:
            await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await self.stop()


# --------------------------------------------------------------------------------------------------
# OpenAPI
# --------------------------------------------------------------------------------------------------


def _mention_schema(max_text_chars: int) -> dict[str, Any]:
    """JSON Schema of what `parse_mention` accepts. Optional fields may be null (= absent); ids may be
    JSON integers (X and Telegram ids often are); counts may be fractional (truncated)."""
    no_nul = "^[^\\u0000]*$"
    # Mention text also refuses explicit bidi embeddings/overrides/isolates (see streams.mention).
    plain_text = "^[^\\u0000\\u202a-\\u202e\\u2066-\\u2069]*$"
    # Python's str.strip() also strips \x1c-\x1f and \x85, which ECMA's \s does not cover.
    not_blank = "^[^\\u0000]*[^\\s\\u0000\\u001c-\\u001f\\u0085][^\\u0000]*$"

    def text(max_length: int, **extra: Any) -> dict[str, Any]:
        return {"type": "string", "maxLength": max_length, "pattern": no_nul, "nullable": True, **extra}

    def some_id(description: str) -> dict[str, Any]:
        return {"anyOf": [text(256), {"type": "integer"}], "nullable": True, "description": description}

    count = {
        "type": "number",
        "minimum": 0,
        "nullable": True,
        "description": "Non-negative; fractions are truncated",
    }
    return {
        "type": "object",
        "description": "One social-media post that may mention a brand. Unknown properties are ignored.",
        "required": ["id", "text", "created_at"],
        "properties": {
            "id": {
                "anyOf": [
                    {"type": "string", "minLength": 1, "maxLength": 256, "pattern": not_blank},
                    {"type": "integer"},
                ],
                "description": "Unique per platform; the same platform+id is counted once downstream.",
            },
            "platform": text(
                32, description="twitter, instagram, telegram, news, web, ... (default unknown)"
            ),
            "text": {"type": "string", "maxLength": max_text_chars, "pattern": plain_text},
            "created_at": {
                "anyOf": [
                    {"type": "string", "format": "date-time", "description": "RFC 3339 with an offset"},
                    {"type": "number", "description": "epoch seconds"},
                ],
                "description": (
                    "Event time. Must also fall between 2006-01-01 and one day from now; a time outside "
                    "that range is rejected with reason bad_timestamp (a clock or unit error)."
                ),
                "example": "2026-03-01T08:15:00Z",
            },
            "url": text(2048),
            "lang": text(16),
            "author": {
                "type": "object",
                "nullable": True,
                "properties": {
                    "id": some_id("Platform account id (default: anon:<mention id>)"),
                    "handle": text(256),
                    "followers": count,
                    "verified": {"type": "boolean", "nullable": True},
                },
            },
            "metrics": {
                "type": "object",
                "nullable": True,
                "properties": {"likes": count, "reshares": count, "replies": count, "views": count},
            },
            "reshare_of": some_id("Mention id of the post this one reshares or quotes"),
            "reply_to": some_id("Mention id of the post this one answers"),
            "brands": {
                "type": "array",
                "items": {"type": "string"},
                "maxItems": 64,
                "nullable": True,
                "description": "Brand ids the producer already knows the post is about.",
            },
        },
    }


def openapi_document(settings: IngestServerSettings) -> dict[str, Any]:
    """The API's OpenAPI 3.0 document, built from the same limits the server enforces."""
    error = {"$ref": "#/components/schemas/Error"}

    def error_response(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
        response: dict[str, Any] = {"description": description, "content": {JSON_TYPE: {"schema": error}}}
        if headers:
            response["headers"] = headers
        return response

    retry_after = {
        "Retry-After": {
            "description": "Seconds to wait before retrying",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
    result = {"$ref": "#/components/schemas/IngestResult"}
    ingest_responses = {
        "202": {
            "description": "Accepted and acknowledged by Kafka (some items may be rejected)",
            "content": {JSON_TYPE: {"schema": result}},
        },
        "400": error_response(
            "The body cannot be read (not JSON / NDJSON / the format), is empty, or has too many items"
        ),
        "401": error_response(
            "Missing or unknown bearer token",
            {"WWW-Authenticate": {"schema": {"type": "string"}}},
        ),
        "413": error_response("Body over the size limit"),
        "415": error_response("Unsupported Content-Type or charset"),
        "422": {
            "description": "No item was valid; nothing was written",
            "content": {JSON_TYPE: {"schema": result}},
        },
        "429": error_response("Over the token's rate", retry_after),
        "503": error_response("Kafka did not acknowledge; nothing is reported accepted", retry_after),
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "bohran ingest API",
            "version": API_VERSION,
            "description": (
                "Push social-media mentions into bohran. Each accepted mention is written to Kafka with "
                "acks=all before the 202 is sent; retries are safe because the same platform+id is counted "
                "once downstream."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/v1/mentions": {
                "post": {
                    "operationId": "postMentions",
                    "summary": "Ingest one mention, an array of mentions, or NDJSON",
                    "requestBody": {
                        "required": True,
                        "description": (
                            f"At most {settings.max_body_bytes} bytes and {settings.max_items} items. With "
                            "application/x-ndjson, `index` in rejections counts non-blank lines from 0."
                        ),
                        "content": {
                            JSON_TYPE: {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/Mention"},
                                        {
                                            "type": "array",
                                            "minItems": 1,
                                            "maxItems": settings.max_items,
                                            "items": {"$ref": "#/components/schemas/Mention"},
                                        },
                                    ]
                                }
                            },
                            "application/x-ndjson": {
                                "schema": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": settings.max_items,
                                    "items": {"$ref": "#/components/schemas/Mention"},
                                    "description": "One Mention object per line",
                                }
                            },
                        },
                    },
                    "responses": ingest_responses,
                }
            },
            "/v1/sources/{format}": {
                "post": {
                    "operationId": "postSourcePayload",
                    "summary": "Ingest a platform's own payload through a bohran adapter",
                    "description": (
                        "The body is the platform's format, not the Mention schema: an X API v2 response or "
                        "filtered-stream lines (x), Bot API updates (telegram-bot), a Telegram Desktop export "
                        "(telegram-export), Graph API media/comments or a webhook body (instagram), an RSS or "
                        "Atom feed (rss), CSV with columns named like Mention fields (csv), or mentions as "
                        "NDJSON (jsonl). `index` in rejections counts the adapter's items; items that are "
                        "not posts (service messages, media without captions) are listed with reason "
                        "not_a_post."
                    ),
                    "parameters": [
                        {
                            "name": "format",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": list(FORMAT_NAMES)},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "description": f"At most {settings.max_body_bytes} bytes and {settings.max_items} items.",
                        "content": {
                            JSON_TYPE: {"schema": {}},
                            "application/x-ndjson": {"schema": {"type": "array", "items": {}}},
                            **{media: {"schema": {"type": "string"}} for media in _ADAPTER_TYPES},
                        },
                    },
                    "responses": {
                        **ingest_responses,
                        "404": error_response("Unknown format"),
                    },
                }
            },
            "/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3 document",
                            "content": {JSON_TYPE: {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "getHealth",
                    "summary": "Liveness",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The server is up",
                            "content": {
                                JSON_TYPE: {
                                    "schema": {
                                        "type": "object",
                                        "required": ["ok"],
                                        "properties": {"ok": {"type": "boolean"}},
                                    }
                                }
                            },
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Mention": _mention_schema(settings.max_text_chars),
                "Rejection": {
                    "type": "object",
                    "required": ["index", "reason", "detail"],
                    "properties": {
                        "index": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Position of the item in the array / NDJSON lines",
                        },
                        "reason": {
                            "type": "string",
                            "description": "Stable machine code, e.g. missing_field",
                        },
                        "detail": {"type": "string"},
                    },
                },
                "IngestResult": {
                    "type": "object",
                    "required": ["accepted", "rejected"],
                    "properties": {
                        "accepted": {"type": "integer", "minimum": 0},
                        "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/Rejection"}},
                        "records": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Kafka records written (mentions are packed)",
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
        },
    }
