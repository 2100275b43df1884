"""Total-volume spike: informational unless the extra mentions are mostly negative."""

from __future__ import annotations

from detector_support import prime

from streams.detectors.total_volume import assess


def test_positive_campaign_is_info_not_a_page() -> None:
    p = prime()
    for i in range(5):
        p.add_minute(i, 100, 3, positive=85)
    a = assess(p.view(4), p.config.total_volume, {})
    assert a.active and a.severity == "info"
    assert a.details["negative_part_of_excess"] < 0.1


def test_mostly_negative_surge_pages() -> None:
    p = prime()
    for i in range(5):
        p.add_minute(i, 100, 80)
    a = assess(p.view(4), p.config.total_volume, {})
    assert a.active and a.severity in ("warning", "critical")


def test_normal_volume_is_quiet() -> None:
    p = prime()
    for i in range(5):
        p.add_minute(i, 11, 2)
    assert not assess(p.view(4), p.config.total_volume, {}).active
