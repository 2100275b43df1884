"""Source adapters: platform-shaped payloads in, Mention wire dicts out.

An adapter only *translates* (Telegram message → mention dict, tweet → mention dict, ...); it never
decides what is acceptable. Every dict it yields still goes through `streams.mention.parse_mention`,
the one place that validates, so a mention from an adapter, from the HTTP API and from `kcat` is
held to the same rules. Things in the source that are not posts at all (service messages, photos
without captions, API error objects) are `Skipped` with `rejected=False`: they are counted but are
not errors. Things that should have been posts but cannot be read are `Skipped(rejected=True)`.

Adapters are plain functions `convert(source, options) -> Iterator[Candidate | Skipped]`, where
`source` is a binary file (or any iterable of byte lines): line formats stream, document formats
(one JSON or XML document) read it whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class AdapterError(ValueError):
    """The input as a whole cannot be read in this format (wrong format, bad column map, ...)."""


@dataclass(frozen=True, slots=True)
class AdapterOptions:
    """What a source does not say about itself and the operator has to tell us."""

    # IANA zone for timestamps written without an offset (Telegram Desktop's `date`, many CSVs).
    # Without it such timestamps are rejected rather than guessed.
    timezone: str | None = None
    # csv: mention field (e.g. "author.followers") -> column name.
    column_map: Mapping[str, str] = field(default_factory=dict)
    # Platform for sources that do not name one (csv, rss); adapters with a fixed platform ignore it.
    platform: str | None = None
    # Audience of posts whose author's follower count the source does not carry
    # (a Telegram channel's subscribers, a news site's readers). 0 = unknown.
    followers: int = 0

    def zone(self) -> ZoneInfo | None:
        if not self.timezone:
            return None
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise AdapterError(f"unknown timezone {self.timezone!r}") from exc


@dataclass(frozen=True, slots=True)
class Candidate:
    """A mention dict in the wire form, not yet validated; `where` locates it in the source."""

    where: str
    value: Any


@dataclass(frozen=True, slots=True)
class Skipped:
    """An item that produced no mention: not a post (`rejected=False`) or unreadable (`rejected=True`)."""

    where: str
    reason: str  # short snake_case code
    detail: str
    rejected: bool = True


Item = Candidate | Skipped
Converter = Callable[[BinaryIO | Iterable[bytes], AdapterOptions], Iterator[Item]]


# --------------------------------------------------------------------------------------------------
# Helpers shared by the adapters
# --------------------------------------------------------------------------------------------------


def read_all(source: BinaryIO | Iterable[bytes] | bytes) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    read = getattr(source, "read", None)
    if read is not None:
        return read()
    return b"".join(source)


def json_documents(source: BinaryIO | Iterable[bytes] | bytes) -> Iterator[tuple[str, Any] | Skipped]:
    """One JSON document, or NDJSON of documents (saved stream output, one API page per line).

    Yields ("document N" / "line N", value) pairs, or a `Skipped` for a line that is not JSON.
    """
    data = read_all(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Skipped("input", "invalid_utf8", f"byte {exc.start} is not UTF-8")
        return
    if not text.strip():
        return
    try:
        yield "document", json.loads(text)
        return
    except (json.JSONDecodeError, RecursionError):
        pass
    lines = ndjson_lines(text)
    if len([line for line in lines if line.strip()]) <= 1:
        yield Skipped("document", "invalid_json", "input is not JSON")
        return
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield f"line {number}", json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            yield Skipped(f"line {number}", "invalid_json", "line is not JSON")


def ndjson_lines(text: str) -> list[str]:
    """NDJSON lines: split on "\\n" only. `str.splitlines` also splits on U+0085, U+2028, \\x1c-\\x1e
    and more, which JSON allows raw inside strings, so it would cut mentions in half."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def localize(value: str, zone: ZoneInfo | None) -> str:
    """An ISO time without an offset, read in `zone`; unchanged when it has one or no zone is known."""
    if zone is None:
        return value
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return value  # parse_mention reports it
    if parsed.tzinfo is not None:
        return value
    return parsed.replace(tzinfo=zone).isoformat()


def as_int(value: Any) -> int | Any:
    """Counts as sources write them ("1,204", "3.5K", 12.0) → int; anything else is returned as is
    so that validation names the field that is wrong."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) < 1e15 else value
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "").replace(" ", "")
        if not text:
            return None
        scale = 1
        suffix = text[-1:].lower()
        if suffix in ("k", "m", "b"):
            scale = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}[suffix]
            text = text[:-1]
        try:
            number = float(text)
        except ValueError:
            return value
        if number != number or abs(number) > 1e15:
            return value
        return int(round(number * scale))
    return value


def drop_none(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


# --------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------


def _jsonl(source: BinaryIO | Iterable[bytes], options: AdapterOptions) -> Iterator[Item]:
    """Mentions already in the wire form, one JSON object per line."""
    for number, line in enumerate(source, start=1):
        if isinstance(line, str):
            line = line.encode("utf-8")
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Skipped(f"line {number}", "invalid_utf8", f"byte {exc.start} is not UTF-8")
            continue
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            yield Skipped(f"line {number}", "invalid_json", "line is not JSON")
            continue
        yield Candidate(f"line {number}", value)


def _formats() -> dict[str, Converter]:
    from streams.adapters import csv_mapping, instagram, rss, telegram, x

    return {
        "jsonl": _jsonl,
        "telegram-export": telegram.convert_export,
        "telegram-bot": telegram.convert_bot_updates,
        "x": x.convert,
        "instagram": instagram.convert,
        "rss": rss.convert,
        "csv": csv_mapping.convert,
    }


FORMAT_NAMES = ("jsonl", "telegram-export", "telegram-bot", "x", "instagram", "rss", "csv")


def converter(name: str) -> Converter:
    """The adapter for a `--format` name; AdapterError names the known ones."""
    formats = _formats()
    try:
        return formats[name]
    except KeyError:
        raise AdapterError(f"unknown format {name!r}; known: {', '.join(FORMAT_NAMES)}") from None


def convert(
    name: str, source: BinaryIO | Iterable[bytes] | bytes, options: AdapterOptions | None = None
) -> Iterator[Item]:
    if isinstance(source, bytes | bytearray):
        import io

        source = io.BytesIO(bytes(source))
    return converter(name)(source, options or AdapterOptions())
