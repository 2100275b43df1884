"""Negative-volume spike: fires on real excess, respects floors, shares guard and dispersion."""

from __future__ import annotations

from detector_support import prime

from streams.detection_config import DetectionConfig
from streams.detectors.negative_volume import assess


def test_quiet_minutes_do_not_fire() -> None:
    p = prime()
    for i in range(5):
        p.add_minute(i, 10, 1)
    a = assess(p.view(4), p.config.negative_volume, {})
    assert not a.active and a.clear
    assert a.expected > 3  # five minutes of about 1.5 negative a minute


def test_spike_fires_and_severity_scales() -> None:
    p = prime()
    for i in range(5):
        p.add_minute(i, 22, 12)
    a = assess(p.view(4), p.config.negative_volume, {})
    assert a.active and not a.clear
    assert a.severity == "critical" and a.score >= p.config.negative_volume.critical_threshold
    assert a.observed == 60 and "negative in 5 min" in a.reason

    q = prime()
    for i in range(5):
        q.add_minute(i, 14, 4)
    b = assess(q.view(4), q.config.negative_volume, {})
    assert b.score < a.score


def test_floor_keeps_tiny_counts_quiet_however_unlikely() -> None:
    p = prime(total_per_minute=0.02, share=0.1)  # a brand with ~30 mentions a day
    p.add_minute(0, 3, 3)
    a = assess(p.view(0), p.config.negative_volume, {})
    assert a.score > p.config.negative_volume.threshold  # very unlikely...
    assert not a.active  # ...but three complaints are not a crisis
    assert "floor" in a.reason


def test_one_author_posting_repeatedly_is_not_a_crisis() -> None:
    p = prime(total_per_minute=0.5)
    p.add_minute(0, 8, 8, authors={"furious": 8})
    a = assess(p.view(0), p.config.negative_volume, {})
    assert not a.active and "1 author" in a.reason
    p2 = prime(total_per_minute=0.5)
    p2.add_minute(0, 8, 8)  # eight different people
    assert assess(p2.view(0), p2.config.negative_volume, {}).active


def test_negatives_rising_with_all_volume_are_info() -> None:
    p = prime()
    for i in range(5):
        p.add_minute(i, 150, 22)  # 10x everything, share unchanged
    a = assess(p.view(4), p.config.negative_volume, {})
    assert a.active and a.severity == "info"


def test_short_window_catches_a_sharp_onset_first() -> None:
    cfg = DetectionConfig()
    slow = cfg.model_copy(
        update={"negative_volume": cfg.negative_volume.model_copy(update={"fast_window_minutes": 0})}
    )
    results = {}
    for name, config in (("fast", cfg), ("five_only", slow)):
        p = prime(config)
        for i in range(3):
            p.add_minute(i, 10, 1)
        p.add_minute(3, 18, 9)
        p.add_minute(4, 18, 9)
        results[name] = assess(p.view(4), config.negative_volume, {})
    assert results["fast"].score > results["five_only"].score
    assert results["fast"].details["window_minutes"] == 2


def test_noisy_brand_needs_a_bigger_excess() -> None:
    cfg = DetectionConfig()
    p = prime(cfg)
    for i in range(5):
        p.add_minute(i, 16, 5)
    calm = assess(p.view(4), cfg.negative_volume, {}).score
    noisy_cfg = cfg.model_copy(
        update={"negative_volume": cfg.negative_volume.model_copy(update={"dispersion": 0.6})}
    )
    q = prime(noisy_cfg)
    for i in range(5):
        q.add_minute(i, 16, 5)
    assert assess(q.view(4), noisy_cfg.negative_volume, {}).score < calm
