"""Viral negative post: reach of one spreading post (with its reshares/copies), not of a mere big account."""

from __future__ import annotations

from detector_support import T0, post, prime

from streams.detectors.viral_post import assess

STORY = "this company broke my guitar and ignored me for three months, worst support, share this"


def _reshares(p, start_offset: int, minutes: int, per_minute: int, reach: float) -> None:
    for i in range(minutes):
        minute = p.now_minute + start_offset + i
        posts = [
            post(
                f"r{i}-{k}",
                minute * 60 + k,
                reach=reach,
                text=f"RT @storyteller: {STORY}",
                author=f"fan{i}-{k}",
            )
            for k in range(per_minute)
        ]
        p.add_minute(start_offset + i, 10 + per_minute, 2 + per_minute, posts=posts)


def test_spreading_post_pages_by_exposure() -> None:
    p = prime()
    root = post("root", p.now_minute * 60 + 3, reach=60_000, text=STORY, author="storyteller")
    p.add_minute(0, 11, 3, posts=[root])
    _reshares(p, 1, 4, 5, reach=3_000)
    a = assess(p.view(4), p.config.viral_post, {})
    assert a.active and a.severity == "warning"
    assert a.details["spreading"] and a.details["spread"] >= p.config.viral_post.min_reshares
    assert a.observed >= 60_000 + 19 * 3_000
    assert a.details["lead_post"] == "root"
    assert a.focus_posts[0].id == "root"


def test_big_account_complaining_alone_is_info() -> None:
    p = prime()
    p.add_minute(0, 11, 2, posts=[post("celeb", p.now_minute * 60 + 1, reach=900_000)])
    a = assess(p.view(0), p.config.viral_post, {})
    assert a.active and a.severity == "info"
    assert "not spreading" in a.reason


def test_huge_spreading_post_is_critical() -> None:
    p = prime()
    p.add_minute(
        0, 11, 3, posts=[post("root", p.now_minute * 60 + 3, reach=800_000, text=STORY, reshares=40)]
    )
    _reshares(p, 1, 2, 5, reach=30_000)
    a = assess(p.view(2), p.config.viral_post, {})
    assert a.severity == "critical"


def test_copies_by_fresh_accounts_are_not_spread() -> None:
    p = prime()
    for i in range(5):
        minute = p.now_minute + i
        bots = [
            post(
                f"b{i}-{k}",
                minute * 60 + k,
                reach=40_000 if k == 0 and i == 0 else 3,
                followers=3,
                text=STORY,
                author=f"bot{i}{k}",
            )
            for k in range(5)
        ]
        p.add_minute(i, 20, 8, posts=bots)
    a = assess(p.view(4), p.config.viral_post, {})
    assert not (a.active and a.severity != "info")


def test_quiet_window_is_cheaply_clear() -> None:
    p = prime()
    p.add_minute(0, 10, 1, posts=[post("x", T0, reach=500)])
    a = assess(p.view(0), p.config.viral_post, {})
    assert not a.active and a.clear
