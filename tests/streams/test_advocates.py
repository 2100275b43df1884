"""Advocates digest core: daily periods in local time, a bounded de-duplicated top-K of positive
high-reach posts per brand, one digest per brand and period, checkpoints that survive restarts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from streams.advocates import (
    COUNTS_CHECKPOINT_SECONDS,
    AdvocatesBoard,
    Digest,
    DigestSchedule,
)
from streams.brand_batch import (
    TOP_POSITIVE_PER_MINUTE,
    TOP_POSTS_PER_MINUTE,
    BrandBatch,
    BrandBatchBuilder,
    PostSummary,
)
from streams.config import AdvocatesConfig


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# Asia/Tehran is UTC+03:30 (no DST since 2022): 09:00 local is 05:30 UTC.
SEND = utc("2024-05-02T05:30:00")  # the digest of period "2024-05-02T09:00"
DAY = 86400.0


def post(
    i: int, *, reach: float = 5_000, ts: float = SEND - 3600, sentiment: str = "positive", **kw: Any
) -> PostSummary:
    fields: dict[str, Any] = dict(
        id=f"p{i}",
        platform="twitter",
        text=f"novinnet is great, thank you team number {'abcdefghijklmnop'[i % 16]}{i}",
        created_at=ts,
        author_id=f"a{i}",
        author_handle=f"fan{i}",
        followers=int(reach),
        verified=False,
        reach=reach,
        reshares=0,
        views=0,
        sentiment=sentiment,
        score=0.9 if sentiment == "positive" else -0.9,
        category=None,
        url=f"https://x.example/fan{i}/status/{i}",
        lang="en",
    )
    fields.update(kw)
    return PostSummary(**fields)


def batch_of(*posts: PostSummary, brand: str = "novinnet") -> BrandBatch:
    builder = BrandBatchBuilder()
    for p in posts:
        builder.add(brand, p)
    (batch,) = builder.build()
    return batch


def board(**settings: Any) -> AdvocatesBoard:
    return AdvocatesBoard(AdvocatesConfig(**{"enabled": True, "min_reach": 1000, "top_k": 3, **settings}))


def feed(b: AdvocatesBoard, posts: list[PostSummary], wall_now: float, brand: str = "novinnet") -> None:
    for p in posts:  # one batch per post: the per-minute bound of the batch is tested separately
        b.ingest(batch_of(p, brand=brand), wall_now=wall_now, partition=1)


# ---- schedule ---------------------------------------------------------------------------------


def test_period_is_the_local_day_ending_at_send_at() -> None:
    schedule = DigestSchedule(9 * 3600, "Asia/Tehran")
    before = schedule.period_of(SEND - 1)  # 08:59:59 Tehran
    assert (before.start, before.end, before.key) == (SEND - DAY, SEND, "2024-05-02T09:00")
    at = schedule.period_of(SEND)  # 09:00:00 belongs to the next period
    assert (at.start, at.end, at.key) == (SEND, SEND + DAY, "2024-05-03T09:00")
    late_evening = schedule.period_of(utc("2024-05-01T20:00:00"))  # 23:30 Tehran on May 1st
    assert late_evening.key == "2024-05-02T09:00"


def test_periods_follow_daylight_saving_and_seconds_in_send_at() -> None:
    schedule = DigestSchedule(9 * 3600, "America/New_York")
    spring = schedule.period_of(utc("2024-03-10T12:00:00"))  # 08:00 EDT, clocks went forward at 02:00
    assert spring.key == "2024-03-10T09:00" and spring.end - spring.start == 23 * 3600
    fine = DigestSchedule(9 * 3600 + 30 * 60 + 15, "UTC").period_of(utc("2024-05-02T09:30:14"))
    assert fine.key == "2024-05-02T09:30:15" and fine.end == utc("2024-05-02T09:30:15")


# ---- the batch builder carries positive posts ---------------------------------------------------


def test_positive_posts_reach_the_detect_stage_even_when_negatives_fill_top_posts() -> None:
    builder = BrandBatchBuilder()
    for i in range(12):
        builder.add("novinnet", post(i, reach=90_000 + i, sentiment="negative"))
    for i in range(12, 17):
        builder.add("novinnet", post(i, reach=1_000 * i))
    (batch,) = builder.build()
    (agg,) = batch.minutes.values()
    assert len(agg.top_posts) == TOP_POSTS_PER_MINUTE and all(
        p.sentiment == "negative" for p in agg.top_posts
    )
    assert [p.id for p in agg.top_positive] == ["p16", "p15", "p14"][:TOP_POSITIVE_PER_MINUTE]
    again = BrandBatch.from_dict(json.loads(json.dumps(batch.to_dict())))
    assert [p.id for p in again.minutes[agg.minute].top_positive] == [p.id for p in agg.top_positive]
    other = BrandBatchBuilder()
    other.add("novinnet", post(30, reach=50_000))
    (more,) = other.build()
    agg.merge(more.minutes[agg.minute])
    assert [p.id for p in agg.top_positive] == ["p30", "p16", "p15"]
    legacy = batch.to_dict()
    for minute in legacy["minutes"]:
        del minute["top_positive"]  # a record from before this field existed still decodes
    assert BrandBatch.from_dict(legacy).minutes[agg.minute].top_positive == []


# ---- candidates -----------------------------------------------------------------------------


def test_top_k_by_reach_above_the_floor_positive_only_no_fresh_accounts() -> None:
    b = board(top_k=3, min_reach=1000)
    posts = [
        post(1, reach=5_000),
        post(2, reach=80_000),
        post(3, reach=999),  # under the floor
        post(4, reach=1_000_000, sentiment="negative"),
        post(5, reach=20_000),
        post(6, reach=40_000, followers=3),  # a fresh, unverified account with bought views
        post(7, reach=40_000, followers=3, verified=True),  # verified: a real account
        post(8, reach=10_000),
    ]
    feed(b, posts, wall_now=SEND - 60)
    assert b.due(SEND - 1) == []  # not yet 09:00
    (digest,) = b.due(SEND + 2)
    assert [p.id for p in digest.posts] == ["p2", "p7", "p5"]
    assert digest.brand == "novinnet" and digest.period_key == "2024-05-02T09:00"
    assert (digest.period_start, digest.period_end) == (SEND - DAY, SEND)
    assert digest.key == "advocates:novinnet:2024-05-02T09:00"
    assert digest.positive_mentions == 7 and digest.mentions == 8


def test_one_entry_per_post_per_author_and_per_near_duplicate_text() -> None:
    b = board(top_k=5)
    story = "Thank you NovinNet, the technician fixed everything in ten minutes"
    feed(
        b,
        [
            post(1, reach=10_000, text=story),
            post(1, reach=12_000, text=story),  # the same post re-polled with more reach: kept once
            post(2, reach=30_000, text=f"RT @fan1: {story}"),  # a reshare of it: the same text
            post(3, reach=8_000, author_id="a9"),
            post(4, reach=9_000, author_id="a9"),  # the same person again: the better post stays
            post(5, reach=7_000),
            post(6, reach=6_000, text=f"{story}!!! 100% https://t.example/x"),  # a copy, weaker
        ],
        wall_now=SEND - 60,
    )
    (digest,) = b.due(SEND)
    ids = [p.id for p in digest.posts]
    assert ids == ["p2", "p4", "p5"]
    assert len(ids) == len(set(ids))


def test_exactly_one_digest_per_period_and_next_period_separate() -> None:
    b = board()
    feed(b, [post(1), post(2, reach=9_000)], wall_now=SEND - 120)
    first = b.due(SEND + 1)
    assert [d.period_key for d in first] == ["2024-05-02T09:00"]
    assert b.due(SEND + 2) == [] and b.due(SEND + 3600) == []
    feed(b, [post(3, ts=SEND + 100)], wall_now=SEND + 200)
    assert b.due(SEND + DAY - 1) == []
    (second,) = b.due(SEND + DAY)
    assert second.period_key == "2024-05-03T09:00" and [p.id for p in second.posts] == ["p3"]


def test_brands_are_separate_and_empty_periods_send_nothing() -> None:
    b = board()
    feed(b, [post(1)], wall_now=SEND - 60, brand="novinnet")
    feed(b, [post(2, reach=10)], wall_now=SEND - 60, brand="tazeban")  # counted, but under the floor
    digests = b.due(SEND)
    assert [(d.brand, [p.id for p in d.posts]) for d in digests] == [("novinnet", ["p1"])]


def test_a_slightly_late_post_rolls_into_the_next_digest_an_old_one_is_dropped() -> None:
    b = board()
    feed(b, [post(1)], wall_now=SEND - 60)
    assert len(b.due(SEND + 1)) == 1
    feed(b, [post(2, ts=SEND - 30), post(3, ts=SEND - 3 * 3600)], wall_now=SEND + 5)  # lag around 09:00
    (next_day,) = b.due(SEND + DAY)
    assert [p.id for p in next_day.posts] == ["p2"]


def test_replayed_history_and_future_dates_are_not_candidates() -> None:
    b = board()
    feed(b, [post(1, ts=SEND - 3 * DAY), post(2, ts=SEND + 2 * 3600)], wall_now=SEND - 60)
    assert b.due(SEND + DAY + 1) == []


def test_a_worker_down_over_send_at_sends_the_missed_digest_once_but_not_older_ones() -> None:
    b = board()
    feed(b, [post(1, ts=SEND - 2 * DAY + 60)], wall_now=SEND - 2 * DAY + 120)  # period ending May 1st
    feed(b, [post(2, ts=SEND - 60)], wall_now=SEND - 30)  # period ending May 2nd
    digests = b.due(SEND + 5 * 3600)  # down from before May 1st 09:00 until May 2nd 14:00
    assert [(d.period_key, [p.id for p in d.posts]) for d in digests] == [("2024-05-02T09:00", ["p2"])]
    assert b.due(SEND + 5 * 3600 + 1) == []


# ---- checkpoints ------------------------------------------------------------------------------


def test_checkpoint_round_trip_keeps_candidates_and_what_was_sent() -> None:
    b = board()
    feed(b, [post(1, reach=7_000), post(2, reach=70_000)], wall_now=SEND - 600)
    saved = json.loads(json.dumps(b.snapshot("novinnet")))  # through the changelog's JSON
    restarted = board()
    assert restarted.restore("novinnet", saved)
    assert restarted.partition_of("novinnet") == 1
    (digest,) = restarted.due(SEND)
    assert [p.id for p in digest.posts] == ["p2", "p1"]
    after_send = json.loads(json.dumps(restarted.snapshot("novinnet")))
    again = board()
    assert again.restore("novinnet", after_send)
    assert again.due(SEND + 60) == [], "a restart after the digest went out must not cut it again"
    assert not board().restore("novinnet", {"v": 999})
    assert not board().restore("novinnet", {"v": 1, "periods": [{"start": "x"}]})


def test_dirty_brands_candidates_at_once_counts_only_now_and_then() -> None:
    b = board()
    feed(b, [post(1)], wall_now=SEND - 600)
    assert b.take_dirty(SEND - 600) == ["novinnet"]
    assert b.take_dirty(SEND - 599) == []
    b.ingest(batch_of(post(2, reach=5)), wall_now=SEND - 500)  # under the floor: only counts change
    assert b.take_dirty(SEND - 500) == []
    assert b.take_dirty(SEND - 500 + COUNTS_CHECKPOINT_SECONDS) == ["novinnet"]


def test_partition_ownership_and_forget() -> None:
    b = board()
    feed(b, [post(1)], wall_now=SEND - 60)
    assert b.brands_on({1}) == ["novinnet"] and b.brands_on({0, 2}) == []
    b.forget("novinnet")
    assert b.brands() == [] and b.due(SEND) == []


# ---- config -----------------------------------------------------------------------------------


def test_disabled_board_keeps_nothing_and_sends_nothing() -> None:
    b = board(enabled=False)
    feed(b, [post(1)], wall_now=SEND - 60)
    assert b.brands() == [] and b.due(SEND) == []


def test_hot_reload_top_k_floor_and_schedule() -> None:
    b = board(top_k=3)
    early = SEND - 4 * 3600  # 05:00 Tehran
    feed(
        b,
        [post(i, reach=r, ts=early) for i, r in ((1, 2_000), (2, 20_000), (3, 200_000))],
        wall_now=early + 60,
    )
    b.update_config(AdvocatesConfig(enabled=True, top_k=2, min_reach=5_000, send_at="07:00"))
    assert b.due(SEND - 2 * 3600 - 1) == []  # 07:00 Tehran is SEND - 2 h
    (digest,) = b.due(SEND - 2 * 3600)  # the candidates were re-bucketed into the period ending at 07:00
    assert digest.period_key == "2024-05-02T07:00"
    assert [p.id for p in digest.posts] == ["p3", "p2"]


def test_digest_round_trips_as_json() -> None:
    b = board()
    feed(b, [post(1, text="نوین‌نت عالیه، ممنون از پشتیبانی <!channel>")], wall_now=SEND - 60)
    (digest,) = b.due(SEND)
    again = Digest.from_dict(json.loads(json.dumps(digest.to_dict(), ensure_ascii=False)))
    assert again == digest and again.key == digest.key


def test_explain_shows_the_open_period() -> None:
    b = board()
    feed(b, [post(1, reach=12_345)], wall_now=SEND - 60)
    info = b.explain("novinnet")
    (period,) = info["periods"]
    assert period["key"] == "2024-05-02T09:00" and period["posts"][0]["reach"] == 12_345
    assert period["end"].startswith("2024-05-02T09:00:00+03:30")
    assert board().explain("tazeban")["periods"] == []


# ---- properties -------------------------------------------------------------------------------

_posts = st.lists(
    st.tuples(
        st.integers(0, 40),  # post id
        st.integers(0, 8),  # author
        st.integers(0, 5),  # text family
        st.integers(0, 100_000),  # reach
        st.integers(0, 3 * 86400),  # seconds before SEND
    ),
    max_size=60,
)


def _summary(pid: int, author: int, family: int, reach: int, ago: int) -> PostSummary:
    return post(
        pid,
        reach=float(reach),
        ts=SEND - 1 - ago,
        author_id=f"a{author}",
        text=f"novinnet thanks {'abcdef'[family]} {'abcdef'[family]}",
        followers=reach,
    )


@given(_posts, st.integers(1, 6))
def test_digest_invariants_hold_for_any_stream(raw: list[tuple[int, int, int, int, int]], top_k: int) -> None:
    b = board(top_k=top_k, min_reach=1000)
    posts = [_summary(*r) for r in raw]
    feed(b, posts, wall_now=SEND - 1)
    digests = b.due(SEND)
    assert len(digests) <= 1
    eligible = [p for p in posts if p.reach >= 1000 and SEND - DAY <= p.created_at < SEND]
    if not eligible:
        assert digests == []
        return
    (digest,) = digests
    chosen = digest.posts
    assert 1 <= len(chosen) <= top_k
    assert all(p.reach >= 1000 and SEND - DAY <= p.created_at < SEND for p in chosen)
    reaches = [p.reach for p in chosen]
    assert reaches == sorted(reaches, reverse=True)
    for i, a in enumerate(chosen):  # no post, author or text twice
        for other in chosen[i + 1 :]:
            assert (a.id, a.author_id, a.text) != (other.id, other.author_id, other.text)
            assert a.id != other.id and a.author_id != other.author_id and a.text != other.text
    assert chosen[0].reach == max(p.reach for p in eligible), "the best post is always in the digest"


@given(st.lists(st.integers(1000, 10**6), min_size=1, max_size=40, unique=True), st.integers(1, 8))
def test_without_duplicates_the_digest_is_the_exact_top_k(reaches: list[int], top_k: int) -> None:
    b = board(top_k=top_k)
    posts = [post(i, reach=float(r), text=f"thanks {i} " + "x" * (i + 1)) for i, r in enumerate(reaches)]
    feed(b, posts, wall_now=SEND - 1)
    (digest,) = b.due(SEND)
    assert [p.reach for p in digest.posts] == sorted(map(float, reaches), reverse=True)[:top_k]


def test_restoring_into_a_brand_fed_meanwhile_merges_both() -> None:
    b = board()
    feed(b, [post(1, reach=7_000)], wall_now=SEND - 600)
    saved = b.snapshot("novinnet")
    restarted = board()
    feed(
        restarted, [post(2, reach=9_000)], wall_now=SEND - 300
    )  # a batch arrived before the recovery callback
    assert restarted.restore("novinnet", saved)
    (digest,) = restarted.due(SEND)
    assert [p.id for p in digest.posts] == ["p2", "p1"]
    assert digest.positive_mentions == 2
