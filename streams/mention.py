"""The Mention schema and its validation: the one place that decides what input is acceptable.

Records on `mentions` may hold one mention (a JSON object), a JSON array of mentions, or NDJSON
(one object per line): bohran's own producers pack many mentions into one Kafka record because
per-record overhead in Faust dominates (see DESIGN.md). Every item that fails validation becomes a
`Rejection` carrying the original bytes and a machine-readable reason; nothing raises past here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_TEXT_CHARS = 10_000
MAX_RECORD_BYTES = 8 * 1024 * 1024
# Event times further than this in the future are a producer bug (clock or unit error), not news.
MAX_FUTURE_SKEW_S = 24 * 3600.0
# 2006-01-01: older "event times" are unit errors (seconds vs ms) or garbage.
MIN_EVENT_TIME = 1136073600.0
# Explicit bidi embeddings, overrides and isolates can make a post display as something other than
# what it says (the "Trojan Source" trick) once it is quoted in an alert. Organic Persian text uses
# the marks (LRM/RLM/ALM) and ZWNJ, which stay allowed; these controls do not occur in it.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(slots=True, frozen=True)
class Author:
    id: str
    handle: str | None = None
    followers: int = 0
    verified: bool = False


@dataclass(slots=True, frozen=True)
class Metrics:
    likes: int = 0
    reshares: int = 0
    replies: int = 0
    views: int = 0


@dataclass(slots=True, frozen=True)
class Mention:
    id: str
    platform: str
    text: str
    created_at: float  # event time, epoch seconds UTC
    author: Author
    metrics: Metrics = field(default_factory=Metrics)
    url: str | None = None
    lang: str | None = None
    reshare_of: str | None = None
    reply_to: str | None = None
    brands: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The wire form (RFC 3339 time), inverse of `parse_mention`."""
        out: dict[str, Any] = {
            "id": self.id,
            "platform": self.platform,
            "text": self.text,
            "created_at": format_time(self.created_at),
            "author": {
                "id": self.author.id,
                "handle": self.author.handle,
                "followers": self.author.followers,
                "verified": self.author.verified,
            },
            "metrics": {
                "likes": self.metrics.likes,
                "reshares": self.metrics.reshares,
                "replies": self.metrics.replies,
                "views": self.metrics.views,
            },
        }
        for key in ("url", "lang", "reshare_of", "reply_to"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.brands:
            out["brands"] = list(self.brands)
        return out


class InvalidMention(ValueError):
    """A mention that cannot be accepted; `reason` is a short stable code used as a metric label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True, frozen=True)
class Rejection:
    """One rejected input item, destined for `mentions-dlq`."""

    reason: str
    detail: str
    raw: bytes

    def to_dlq_record(self, stage: str) -> dict[str, Any]:
        return {
            "stage": stage,
            "reason": self.reason,
            "detail": self.detail,
            # The original bytes, losslessly: latin-1 maps every byte to one code point.
            "raw_latin1": self.raw.decode("latin-1"),
            "rejected_at": format_time(datetime.now(UTC).timestamp()),
        }


# Reasons (bounded set: they are metric label values).
REASONS = (
    "invalid_utf8",
    "invalid_json",
    "not_an_object",
    "missing_field",
    "wrong_type",
    "text_too_long",
    "bad_timestamp",
    "record_too_large",
    "empty_record",
    "bidi_control",
)


def format_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: Any) -> float:
    """RFC 3339 string (or epoch seconds) → epoch seconds; naive times are rejected, not guessed."""
    if isinstance(value, bool):
        raise InvalidMention("wrong_type", "created_at must be an RFC 3339 string")
    if isinstance(value, int | float):
        try:
            ts = float(value)
        except OverflowError as exc:  # JSON integers are unbounded
            raise InvalidMention("bad_timestamp", "created_at is out of range") from exc
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidMention("bad_timestamp", f"created_at {value[:40]!r} is not RFC 3339") from exc
        if parsed.tzinfo is None:
            raise InvalidMention("bad_timestamp", "created_at has no UTC offset")
        ts = parsed.timestamp()
    else:
        raise InvalidMention("wrong_type", "created_at must be an RFC 3339 string")
    if not math.isfinite(ts) or ts < MIN_EVENT_TIME:
        raise InvalidMention("bad_timestamp", "created_at is before 2006")
    if ts > datetime.now(UTC).timestamp() + MAX_FUTURE_SKEW_S:
        raise InvalidMention("bad_timestamp", "created_at is more than a day in the future")
    return ts


def _str(obj: dict[str, Any], key: str, *, required: bool, max_len: int = 2048) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise InvalidMention("missing_field", f"{key} is required")
        return None
    if not isinstance(value, str):
        if isinstance(value, int) and not isinstance(value, bool) and key in ("id", "reshare_of", "reply_to"):
            value = str(value)  # numeric platform ids are common (X, Telegram)
        else:
            raise InvalidMention("wrong_type", f"{key} must be a string")
    if required and not value.strip():
        raise InvalidMention("missing_field", f"{key} is empty")
    if len(value) > max_len:
        raise InvalidMention("wrong_type", f"{key} is longer than {max_len} characters")
    if "\x00" in value:
        raise InvalidMention("wrong_type", f"{key} contains a NUL character")
    return value


def _count(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidMention("wrong_type", f"{key} must be a non-negative integer")
    if isinstance(value, float) and not math.isfinite(value):  # math.isfinite(huge int) would overflow
        raise InvalidMention("wrong_type", f"{key} must be a non-negative integer")
    if value < 0:
        raise InvalidMention("wrong_type", f"{key} must be a non-negative integer")
    return int(min(value, 10**12))


def _flag(obj: dict[str, Any], key: str) -> bool:
    value = obj.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):  # bool("no") is True: guessing would flip meanings
        raise InvalidMention("wrong_type", f"{key} must be true or false")
    return value


def parse_mention(obj: Any, *, max_text_chars: int = MAX_TEXT_CHARS) -> Mention:
    """Validate one decoded JSON value against the Mention schema."""
    if not isinstance(obj, dict):
        raise InvalidMention("not_an_object", f"expected a JSON object, got {type(obj).__name__}")
    mention_id = _str(obj, "id", required=True, max_len=256)
    text = obj.get("text")
    if text is None:
        raise InvalidMention("missing_field", "text is required")
    if not isinstance(text, str):
        raise InvalidMention("wrong_type", "text must be a string")
    if len(text) > max_text_chars:
        raise InvalidMention("text_too_long", f"text has {len(text)} characters, limit {max_text_chars}")
    if "\x00" in text:
        raise InvalidMention("wrong_type", "text contains a NUL character")
    if not BIDI_CONTROLS.isdisjoint(text):
        raise InvalidMention(
            "bidi_control", "text contains explicit bidi embedding/override/isolate characters"
        )
    if "created_at" not in obj:
        raise InvalidMention("missing_field", "created_at is required")
    created_at = parse_time(obj["created_at"])
    platform = _str(obj, "platform", required=False, max_len=32) or "unknown"

    raw_author = obj.get("author") or {}
    if not isinstance(raw_author, dict):
        raise InvalidMention("wrong_type", "author must be an object")
    author = Author(
        id=_str(raw_author, "id", required=False, max_len=256) or f"anon:{mention_id}",
        handle=_str(raw_author, "handle", required=False, max_len=256),
        followers=_count(raw_author, "followers"),
        verified=_flag(raw_author, "verified"),
    )
    raw_metrics = obj.get("metrics") or {}
    if not isinstance(raw_metrics, dict):
        raise InvalidMention("wrong_type", "metrics must be an object")
    metrics = Metrics(
        likes=_count(raw_metrics, "likes"),
        reshares=_count(raw_metrics, "reshares"),
        replies=_count(raw_metrics, "replies"),
        views=_count(raw_metrics, "views"),
    )
    brands = obj.get("brands") or ()
    if not isinstance(brands, list | tuple) or not all(isinstance(b, str) for b in brands):
        raise InvalidMention("wrong_type", "brands must be a list of strings")
    return Mention(
        id=mention_id,  # type: ignore[arg-type]
        platform=platform.lower(),
        text=text,
        created_at=created_at,
        author=author,
        metrics=metrics,
        url=_str(obj, "url", required=False),
        lang=_str(obj, "lang", required=False, max_len=16),
        reshare_of=_str(obj, "reshare_of", required=False, max_len=256),
        reply_to=_str(obj, "reply_to", required=False, max_len=256),
        brands=tuple(brands[:64]),
    )


_UNDECODED = object()  # an NDJSON line whose JSON is parsed per item, so one bad line loses only itself


def _items(raw: bytes) -> list[tuple[bytes | None, Any]] | Rejection:
    """Split one record into (original bytes, decoded JSON) items, or reject it whole.

    Array items carry no bytes: re-encoding every item costs ~6 µs a mention on the hot path, so
    only the rejected ones are encoded again (for their dead-letter record).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Salvage NDJSON: only the undecodable lines are lost.
        if b"\n" in raw.strip():
            return [(line, _UNDECODED) for line in raw.split(b"\n") if line.strip()]
        return Rejection("invalid_utf8", f"byte {exc.start} is not UTF-8", raw)
    stripped = text.strip()
    if not stripped:
        return Rejection("empty_record", "record is empty", raw)
    try:
        value = json.loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        if "\n" in stripped:  # NDJSON
            # "\n" only: str.splitlines also splits on U+2028, U+0085, \x1c-\x1e, which JSON strings may hold raw.
            return [(line.encode("utf-8"), _UNDECODED) for line in stripped.split("\n") if line.strip()]
        return Rejection("invalid_json", "record is not JSON", raw)
    if isinstance(value, list):
        if not value:
            return Rejection("empty_record", "record is an empty array", raw)
        return [(None, item) for item in value]
    return [(raw, value)]


def decode_record(
    raw: bytes | None, *, max_text_chars: int = MAX_TEXT_CHARS
) -> tuple[list[Mention], list[Rejection]]:
    """Decode one Kafka record value into valid mentions and rejections; never raises."""
    if raw is None:
        return [], [Rejection("empty_record", "record has no value", b"")]
    if len(raw) > MAX_RECORD_BYTES:
        return [], [Rejection("record_too_large", f"record has {len(raw)} bytes", raw[:4096])]
    split = _items(raw)
    if isinstance(split, Rejection):
        return [], [split]
    mentions: list[Mention] = []
    rejections: list[Rejection] = []
    for item_bytes, value in split:
        try:
            if value is _UNDECODED:
                assert item_bytes is not None
                try:
                    value = json.loads(item_bytes.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise InvalidMention("invalid_utf8", f"byte {exc.start} is not UTF-8") from exc
                except (json.JSONDecodeError, RecursionError) as exc:
                    raise InvalidMention("invalid_json", "line is not JSON") from exc
            mentions.append(parse_mention(value, max_text_chars=max_text_chars))
        except InvalidMention as exc:
            rejections.append(
                Rejection(exc.reason, exc.detail, item_bytes if item_bytes is not None else _encode(value))
            )
    return mentions, rejections


def _encode(value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return repr(value)[:4096].encode("utf-8", "replace")
