"""Slow burn: a CUSUM that catches a creeping rise no single window shows."""

from __future__ import annotations

from detector_support import poisson, prime

from streams.detectors.slow_burn import assess


def _run(p, hours: int, negative_per_minute, *, spike_until: float = 0.0, memory=None):
    import random

    rng = random.Random(4)
    memory = {} if memory is None else memory
    assessments = []
    for minute in range(hours * 60):
        neg = poisson(rng, negative_per_minute(minute))
        p.add_minute(minute, 10 + neg, neg)
        if minute % 10 == 9:
            assessments.append(assess(p.view(minute, spike_until=spike_until), p.config.slow_burn, memory))
    return assessments, memory


def test_gradual_rise_fires_within_hours() -> None:
    p = prime(days=3, cycle=False, total_per_minute=10, share=0.15)
    # Complaints creep from 1.5/min to 3.5/min over 10 hours: each hour only a little above normal.
    results, memory = _run(p, 12, lambda m: 1.5 + 2.0 * min(1.0, m / 600))
    fired = [a for a in results if a.active]
    assert fired, [round(a.score, 1) for a in results]
    first = results.index(fired[0])
    assert first * 10 > 120  # not instantly: it is a drift
    assert fired[0].observed > fired[0].expected
    short_window_max = max(a.negative for a in results)  # what a 60-minute window saw at most
    assert short_window_max < 300


def test_steady_traffic_stays_quiet() -> None:
    p = prime(days=3, cycle=False, total_per_minute=10, share=0.15)
    results, memory = _run(p, 12, lambda m: 1.5)
    assert not any(a.active for a in results)
    assert max(a.score for a in results) < 8


def test_one_spike_hour_is_not_a_burn() -> None:
    p = prime(days=3, cycle=False, total_per_minute=10, share=0.15)
    results, _ = _run(p, 6, lambda m: 15.0 if 60 <= m < 120 else 1.5)
    assert (
        max(a.score for a in results) <= p.config.slow_burn.max_step - p.config.slow_burn.drift + 1e-9 + 0.5
    )
    assert not any(a.active for a in results)


def test_excess_during_an_open_spike_incident_does_not_count() -> None:
    p = prime(days=3, cycle=False, total_per_minute=10, share=0.15)
    end = (p.now_minute + 12 * 60) * 60.0
    results, _ = _run(p, 12, lambda m: 1.5 + 2.0 * min(1.0, m / 600), spike_until=end)
    assert not any(a.active for a in results)


def test_warm_up_keeps_a_young_brand_quiet() -> None:
    p = prime(days=0.5, cycle=False, total_per_minute=10, share=0.15)
    results, memory = _run(p, 4, lambda m: 6.0)
    assert not any(a.active for a in results)
    assert "warming up" in results[-1].reason
