"""Silences: matchers, time window, validation, parsing of durations and timestamps."""

from __future__ import annotations

import pytest
from alert_support import T0

from alerts.silences import (
    Matcher,
    Silence,
    first_muting,
    new_silence,
    parse_duration,
    parse_timestamp,
)

LABELS = {"brand": "novinnet", "detector": "negative_volume", "severity": "warning", "team": "isp"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("brand=novinnet", True),
        ("brand=tazeban", False),
        ("brand!=tazeban", True),
        ("brand!=novinnet", False),
        ("detector=~negative_.*", True),
        ("detector=~negative", False),  # a regex must match the whole value
        ("detector!~viral.*", True),
        ("severity=~warning|critical", True),
        ("category=", True),  # missing label reads as empty
        ("category!=", False),
        ('team="isp"', True),  # quotes are optional
        ("brand = novinnet", True),
    ],
)
def test_matchers(text: str, expected: bool) -> None:
    assert Matcher.parse(text).matches(LABELS) is expected


def test_matcher_parse_and_print() -> None:
    m = Matcher.parse("detector=~neg.*")
    assert (m.name, m.op, m.value) == ("detector", "=~", "neg.*")
    assert str(m) == "detector=~neg.*"
    assert Matcher.from_dict(m.to_dict()) == m


@pytest.mark.parametrize("text", ["brand", "=x", "1brand=x", "brand=~(", "bra nd=x"])
def test_bad_matchers_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        Matcher.parse(text)


def silence(**overrides) -> Silence:
    fields = {
        "matchers": ["brand=novinnet"],
        "now": T0,
        "author": "sara",
        "comment": "planned maintenance",
        "duration": 3600,
        "silence_id": "s1",
    }
    fields.update(overrides)
    return new_silence(**fields)


def test_silence_window_and_state() -> None:
    s = silence(starts_at=T0 + 60)
    assert s.state(T0) == "pending" and not s.active(T0)
    assert s.state(T0 + 60) == "active" and s.mutes(LABELS, T0 + 60)
    assert s.ends_at == T0 + 3660
    assert s.state(T0 + 3660) == "expired" and not s.mutes(LABELS, T0 + 3660)


def test_all_matchers_must_match() -> None:
    s = silence(matchers=["brand=novinnet", "severity=critical"])
    assert not s.matches(LABELS)
    assert s.matches({**LABELS, "severity": "critical"})


def test_expire_ends_now_and_a_pending_one_never_starts() -> None:
    s = silence()
    ended = s.expire(T0 + 100)
    assert ended.ends_at == T0 + 100 and ended.state(T0 + 100) == "expired"
    assert ended.updated_at == T0 + 100
    assert ended.expire(T0 + 200) is ended
    future = silence(starts_at=T0 + 500)
    cancelled = future.expire(T0 + 100)
    assert not any(cancelled.active(t) for t in (T0 + 100, T0 + 500, T0 + 1000))


def test_round_trip() -> None:
    s = silence(matchers=[Matcher("severity", "info", "!="), "detector=~viral.*"])
    assert Silence.from_dict(s.to_dict()) == s
    assert s.describe() == "severity!=info, detector=~viral.*"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"matchers": []}, "at least one matcher"),
        ({"author": " "}, "author"),
        ({"comment": ""}, "comment"),
        ({"duration": -5}, "positive"),
        ({"duration": None, "ends_at": T0 - 1}, "past"),
        ({"duration": None}, "exactly one"),
        ({"ends_at": T0 + 10}, "exactly one"),
    ],
)
def test_invalid_silences(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        silence(**overrides)


def test_until_instead_of_duration_and_generated_ids() -> None:
    s = new_silence(["brand=x"], now=T0, author="a", comment="c", ends_at=T0 + 90)
    assert s.ends_at == T0 + 90 and len(s.id) == 12
    assert new_silence(["brand=x"], now=T0, author="a", comment="c", duration=1).id != s.id


def test_first_muting_prefers_the_longest() -> None:
    short = silence(silence_id="short", duration=60)
    long = silence(silence_id="long", duration=7200)
    other = silence(silence_id="other", matchers=["brand=tazeban"], duration=9999)
    assert first_muting([short, long, other], LABELS, T0 + 1).id == "long"
    assert first_muting([short, other], LABELS, T0 + 61) is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1w", 604800), ("1h30m", 5400), ("1.5h", 5400)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "2", "h", "2x", "0m", "2h-1m", "m2"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_parse_timestamp() -> None:
    assert parse_timestamp("2024-05-01T10:00:00Z") == T0
    assert parse_timestamp("2024-05-01T13:30:00+03:30") == T0
    assert parse_timestamp("2024-05-01T10:00:00") == T0  # no zone: UTC
    assert parse_timestamp(str(T0)) == T0
    with pytest.raises(ValueError):
        parse_timestamp("tomorrow")
