"""Rolling minute state: window sums, the ring's horizon, bounded evidence, compact snapshots."""

from __future__ import annotations

import json

from detection_support import T0, minute_agg, post

from streams.rolling_state import RollingState

M0 = int(T0 // 60)


def test_window_sums_the_minutes_inside_it_only() -> None:
    state = RollingState(history_minutes=60, evidence_minutes=10)
    for i in range(10):
        state.add(M0 + i, minute_agg((M0 + i) * 60, total=10, negative=i))
    w = state.window(M0 + 5, M0 + 9)
    assert (w.total, w.negative) == (50, 5 + 6 + 7 + 8 + 9)
    assert w.share == w.negative / 50
    assert state.window(M0 + 20, M0 + 25).total == 0


def test_adding_the_same_minute_twice_accumulates() -> None:
    state = RollingState(60, 10)
    state.add(M0, minute_agg(M0 * 60, total=3, negative=1))
    state.add(M0, minute_agg(M0 * 60, total=4, negative=2, fresh=1, duplicates=1))
    assert state.minute(M0) == (7, 3)
    w = state.window(M0, M0)
    assert (w.fresh, w.duplicates) == (1, 1)


def test_ring_forgets_minutes_older_than_history() -> None:
    state = RollingState(history_minutes=60, evidence_minutes=10)
    state.add(M0, minute_agg(M0 * 60, total=5, negative=5))
    state.add(M0 + 60, minute_agg((M0 + 60) * 60, total=1, negative=0))  # same slot, an hour later
    assert state.minute(M0) == (0, 0)
    assert state.minute(M0 + 60) == (1, 0)
    assert state.oldest_kept() == M0 + 1
    # An aggregate for a minute older than the slot's occupant is refused, not mixed in.
    state.add(M0, minute_agg(M0 * 60, total=9, negative=9))
    assert state.minute(M0 + 60) == (1, 0)


def test_evidence_kept_only_for_recent_minutes() -> None:
    state = RollingState(history_minutes=120, evidence_minutes=10)
    for i in range(30):
        m = M0 + i
        state.add(m, minute_agg(m * 60, 5, 2, posts=[post(f"p{i}", m * 60 + 5)]))
    kept = state.evidence(M0, M0 + 29)
    assert [a.minute // 60 for a in kept] == list(range(M0 + 20, M0 + 30))
    assert state.window(M0, M0 + 29).total == 150  # counts outlive evidence


def test_distinct_authors_counts_voices_not_posts() -> None:
    state = RollingState(60, 10)
    state.add(M0, minute_agg(M0 * 60, 6, 6, authors={"angry": 6}))
    state.add(M0 + 1, minute_agg((M0 + 1) * 60, 2, 2, authors={"angry": 1, "other": 1}))
    assert state.distinct_authors(M0, M0 + 1, enough=10) == 2
    assert state.distinct_authors(M0, M0 + 1, enough=1) == 1  # stops counting once enough
    bare = RollingState(60, 10)
    bare.add(M0, minute_agg(M0 * 60, 6, 6, authors={}))
    assert bare.distinct_authors(M0, M0, enough=3) == -1  # no author data: unknown, not zero


def test_snapshot_round_trip_keeps_windows_and_evidence() -> None:
    state = RollingState(history_minutes=90, evidence_minutes=15)
    for i in range(200):
        m = M0 + i
        state.add(m, minute_agg(m * 60, 20 + i % 7, i % 5, posts=[post(f"p{i}", m * 60 + 1, reach=1000 + i)]))
    data = json.loads(json.dumps(state.to_dict()))
    copy = RollingState.from_dict(data, 90, 15)
    for first, last in ((M0 + 120, M0 + 199), (M0 + 190, M0 + 199), (M0 + 150, M0 + 160)):
        a, b = state.window(first, last), copy.window(first, last)
        assert (a.total, a.negative, a.positive, a.fresh) == (b.total, b.negative, b.positive, b.fresh)
        assert abs(a.reach - b.reach) < 1.0 * (last - first + 1)
    best = max((p for agg in state.evidence(M0, M0 + 199) for p in agg.top_posts), key=lambda p: p.reach)
    restored = [p.id for agg in copy.evidence(M0, M0 + 199) for p in agg.top_posts]
    assert best.id in restored


def test_snapshot_of_a_busy_brand_stays_small() -> None:
    """Six hours of a big brand, with long posts in every minute: still a few tens of KB."""
    state = RollingState(history_minutes=360, evidence_minutes=60)
    long_text = "این سرویس افتضاح است و از صبح قطع است " * 20
    for i in range(360):
        m = M0 + i
        posts = [post(f"p{i}-{k}", m * 60 + k, reach=10_000 + k, text=long_text) for k in range(5)]
        agg = minute_agg(m * 60, 40, 12, posts=posts)
        agg.terms = {f"term{k}": k for k in range(20)}
        state.add(m, agg)
    size = len(json.dumps(state.to_dict(), ensure_ascii=False).encode("utf-8"))
    assert size < 40_000, size
