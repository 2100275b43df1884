"""Silences: a person mutes the alerts whose labels match, for a bounded time, and says who and why.

Matchers follow Alertmanager: `label=value`, `label!=value`, `label=~regex`, `label!~regex`; a regex
must match the whole value and a missing label reads as the empty string. A silence always ends
(`ends_at`), so a forgotten one cannot hide the next crisis forever; the author and comment are
required so whoever is paged next knows who muted what and why.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

MatchOp = Literal["=", "!=", "=~", "!~"]
SilenceState = Literal["pending", "active", "expired"]
_OPS: tuple[MatchOp, ...] = ("=~", "!~", "!=", "=")  # longest first, so "=~" is not read as "="
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class Matcher:
    """One condition on one label."""

    name: str
    value: str
    op: MatchOp = "="

    def __post_init__(self) -> None:
        if not _LABEL_NAME.match(self.name):
            raise ValueError(f"invalid label name {self.name!r}")
        if self.op not in _OPS:
            raise ValueError(f"invalid matcher operator {self.op!r}")
        if self.op in ("=~", "!~"):
            try:
                _ = self._regex
            except re.error as exc:
                raise ValueError(f"invalid regular expression {self.value!r}: {exc}") from None

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile(self.value)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = self._regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """`brand=novinnet`, `severity!=info`, `detector=~neg.*` (quotes around the value are optional)."""
        for op in _OPS:
            name, sep, value = text.partition(op)
            if sep:
                name, value = name.strip(), value.strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                return cls(name=name, value=value, op=op)
        raise ValueError(f"not a matcher (expected label=value, !=, =~ or !~): {text!r}")

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "value": self.value, "op": self.op}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Matcher:
        return cls(name=str(data["name"]), value=str(data["value"]), op=data.get("op", "="))


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    author: str
    comment: str
    created_at: float = 0.0
    updated_at: float = 0.0

    def __post_init__(self) -> None:
        if not self.matchers:
            raise ValueError("a silence needs at least one matcher")
        if self.ends_at <= self.starts_at:
            raise ValueError("a silence must end after it starts")
        if not self.author.strip():
            raise ValueError("a silence needs an author")
        if not self.comment.strip():
            raise ValueError("a silence needs a comment saying why")

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def state(self, now: float) -> SilenceState:
        if now < self.starts_at:
            return "pending"
        return "active" if now < self.ends_at else "expired"

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)

    def mutes(self, labels: Mapping[str, str], now: float) -> bool:
        return self.active(now) and self.matches(labels)

    def expire(self, now: float) -> Silence:
        """End now (a pending silence ends before it starts, so it never mutes anything)."""
        if self.ends_at <= now:
            return self
        starts_at = min(self.starts_at, now - 0.001)  # keeps ends_at > starts_at for a pending one
        return replace(self, starts_at=starts_at, ends_at=now, updated_at=now)

    def describe(self) -> str:
        return ", ".join(str(m) for m in self.matchers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": [m.to_dict() for m in self.matchers],
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "author": self.author,
            "comment": self.comment,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Silence:
        return cls(
            id=str(data["id"]),
            matchers=tuple(Matcher.from_dict(m) for m in data["matchers"]),
            starts_at=float(data["starts_at"]),
            ends_at=float(data["ends_at"]),
            author=str(data["author"]),
            comment=str(data["comment"]),
            created_at=float(data.get("created_at", 0.0)),
            updated_at=float(data.get("updated_at", 0.0)),
        )


def new_silence(
    matchers: Iterable[Matcher | str],
    *,
    now: float,
    author: str,
    comment: str,
    duration: float | None = None,
    ends_at: float | None = None,
    starts_at: float | None = None,
    silence_id: str | None = None,
) -> Silence:
    """A silence from now (or `starts_at`) for `duration` seconds or until `ends_at`."""
    parsed = tuple(m if isinstance(m, Matcher) else Matcher.parse(m) for m in matchers)
    start = now if starts_at is None else starts_at
    if (duration is None) == (ends_at is None):
        raise ValueError("give exactly one of duration or ends_at")
    if duration is not None:
        if duration <= 0:
            raise ValueError("duration must be positive")
        ends_at = start + duration
    assert ends_at is not None
    if ends_at <= now:
        raise ValueError("the silence would end in the past")
    return Silence(
        id=silence_id or uuid.uuid4().hex[:12],
        matchers=parsed,
        starts_at=start,
        ends_at=ends_at,
        author=author,
        comment=comment,
        created_at=now,
        updated_at=now,
    )


def first_muting(silences: Iterable[Silence], labels: Mapping[str, str], now: float) -> Silence | None:
    """The active silence that mutes these labels (the one ending last, so the listing says how long)."""
    muting = [s for s in silences if s.mutes(labels, now)]
    return max(muting, key=lambda s: (s.ends_at, s.id)) if muting else None


def parse_duration(text: str) -> float:
    """`90s`, `15m`, `2h`, `1d`, `1w`, or combinations like `1h30m`, in seconds."""
    compact = text.strip().lower().replace(" ", "")
    if not compact:
        raise ValueError("empty duration")
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(compact) or total <= 0:
        raise ValueError(f"not a duration (e.g. 30m, 2h, 1d, 1h30m): {text!r}")
    return total


def parse_timestamp(text: str) -> float:
    """RFC 3339 / ISO 8601 (no zone means UTC) or epoch seconds."""
    value = text.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a timestamp (RFC 3339 or epoch seconds): {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
