"""Negative-share shift: a jump in the share of complaints, with or without more volume."""

from __future__ import annotations

from detector_support import prime

from streams.detectors.negative_share import assess


def test_share_jump_at_flat_volume_fires() -> None:
    p = prime(total_per_minute=10, share=0.15)
    for i in range(15):
        p.add_minute(i, 10, 6)
    a = assess(p.view(14), p.config.negative_share, {})
    assert a.active and a.severity in ("warning", "critical")
    assert a.negative_share == 0.6 and 0.1 < a.baseline_share < 0.2
    assert a.expected < a.observed


def test_normal_share_does_not_fire() -> None:
    p = prime(total_per_minute=10, share=0.15)
    for i in range(15):
        p.add_minute(i, 10, 2)
    a = assess(p.view(14), p.config.negative_share, {})
    assert not a.active and a.clear


def test_too_few_mentions_never_fire() -> None:
    p = prime(total_per_minute=0.2)
    for i in range(15):
        p.add_minute(i, 1 if i % 2 else 0, 1 if i % 2 else 0)  # 7 mentions, all negative
    a = assess(p.view(14), p.config.negative_share, {})
    assert not a.active and "floor" in a.reason


def test_small_lift_on_a_huge_window_stays_quiet() -> None:
    p = prime(total_per_minute=400, share=0.15, days=2)
    for i in range(15):
        p.add_minute(i, 400, 80)  # 20% vs 15%: statistically certain, practically normal
    a = assess(p.view(14), p.config.negative_share, {})
    assert not a.active


def test_fast_window_sees_a_fresh_jump() -> None:
    p = prime(total_per_minute=10, share=0.15)
    for i in range(10):
        p.add_minute(i, 10, 1)
    for i in range(10, 15):
        p.add_minute(i, 10, 8)
    a = assess(p.view(14), p.config.negative_share, {})
    assert a.active and a.details["window_minutes"] == 5
