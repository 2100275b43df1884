"""Seasonal baseline: priors for new brands, learning level and daily shape, forgetting, robustness."""

from __future__ import annotations

import json
import math
import random

from detection_support import T0, daily, poisson

from streams.baseline import NEGATIVE, TOTAL, Baseline
from streams.detection_config import BaselineSettings

M0 = int(T0 // 60)


def feed(base: Baseline, minutes: int, rate, seed: int = 3, start: int | None = None, paused=(False, False)):
    """Fold `minutes` minutes of Poisson totals (15% negative) generated from `rate(minute)`."""
    rng = random.Random(seed)
    first = base.folded_upto + 1 if start is None else start
    counts = {}
    for m in range(first, first + minutes):
        total = poisson(rng, rate(m))
        counts[m] = (total, sum(1 for _ in range(total) if rng.random() < 0.15))
    base.fold_until(first + minutes - 1, lambda m: counts.get(m, (0, 0)), paused)
    return counts


def test_new_brand_starts_on_the_prior() -> None:
    settings = BaselineSettings(prior_total_per_hour=30, prior_negative_per_hour=3)
    base = Baseline(settings, M0)
    assert math.isclose(base.rate(TOTAL, M0) * 60, 30)
    assert math.isclose(base.rate(NEGATIVE, M0) * 60, 3)
    share, weight = base.share()
    assert math.isclose(share, settings.prior_negative_share)
    assert weight == settings.prior_share_mentions


def test_recent_level_replaces_the_prior_within_an_hour() -> None:
    base = Baseline(BaselineSettings(), M0)
    feed(base, 90, lambda m: 10.0)
    assert 8.5 < base.rate(TOTAL, M0 + 91) < 11.5  # prior was 20/h = 0.33/min
    share, _ = base.share()
    assert 0.12 < share < 0.18


def test_daily_rhythm_is_learned_after_a_few_days() -> None:
    base = Baseline(BaselineSettings(), M0)
    feed(base, 4 * 1440, lambda m: 5.0 * daily(m * 60))
    night = min(range(24), key=lambda h: daily(h * 3600.0))
    peak = max(range(24), key=lambda h: daily(h * 3600.0))
    day5 = M0 + 4 * 1440 + 60 * 24  # a later day, so the level cannot help
    at = lambda h: base.rate(TOTAL, (day5 // 1440) * 1440 + h * 60)  # noqa: E731
    assert at(peak) / at(night) > 2.5  # true ratio is 1.6/0.4 = 4
    assert abs(at(peak) - 5.0 * daily(peak * 3600.0)) < 1.5


def test_old_weeks_are_forgotten() -> None:
    settings = BaselineSettings(half_life_days=7)
    base = Baseline(settings, M0)
    feed(base, 2 * 7 * 1440, lambda m: 4.0)
    feed(base, 3 * 7 * 1440, lambda m: 12.0)
    assert base.rate(TOTAL, base.folded_upto + 1) > 9.0  # most of the way from 4 to 12


def test_one_hour_spike_barely_moves_a_mature_baseline() -> None:
    base = Baseline(BaselineSettings(), M0)
    feed(base, 5 * 1440, lambda m: 6.0)
    before = base.rate(NEGATIVE, base.folded_upto + 1)
    feed(base, 60, lambda m: 60.0)  # a 10x crisis hour
    feed(base, 120, lambda m: 6.0)
    after = base.rate(NEGATIVE, base.folded_upto + 1)
    assert after < before * 1.5, (before, after)


def test_paused_learning_keeps_an_incident_out() -> None:
    base = Baseline(BaselineSettings(), M0)
    feed(base, 3 * 1440, lambda m: 6.0)
    hour = (base.folded_upto + 1) // 60
    before = base.series[NEGATIVE].hod_rate[hour % 24]
    feed(base, 60, lambda m: 6.0 * 0.15 * 20 / 0.15, paused=(True, True))
    feed(base, 1, lambda m: 6.0)  # closes the hour
    assert base.series[NEGATIVE].hod_rate[hour % 24] <= before * 1.05


def test_noisy_brand_learns_a_wider_dispersion() -> None:
    quiet = Baseline(BaselineSettings(), M0)
    noisy = Baseline(BaselineSettings(), M0)
    feed(quiet, 3 * 1440, lambda m: 8.0)
    rng = random.Random(9)
    factors = {}

    def bursty(m: int) -> float:
        block = m // 5
        if block not in factors:
            factors[block] = rng.gammavariate(2.0, 0.5)  # rate multiplier with variance 0.5
        return 8.0 * factors[block]

    feed(noisy, 3 * 1440, bursty)
    assert quiet.dispersion(TOTAL, 5) < 0.05
    assert noisy.dispersion(TOTAL, 5) > 0.25


def test_snapshot_round_trip_reproduces_estimates() -> None:
    base = Baseline(BaselineSettings(), M0)
    feed(base, 2 * 1440 + 37, lambda m: 3.0 * daily(m * 60))
    copy = Baseline.from_dict(json.loads(json.dumps(base.to_dict())), BaselineSettings())
    for m in range(base.folded_upto, base.folded_upto + 24 * 60, 97):
        for series in (TOTAL, NEGATIVE):
            assert math.isclose(base.rate(series, m), copy.rate(series, m), rel_tol=1e-3)
    # Both continue identically.
    feed(base, 300, lambda m: 3.0, seed=5)
    feed(copy, 300, lambda m: 3.0, seed=5)
    assert math.isclose(base.rate(TOTAL, base.folded_upto), copy.rate(TOTAL, copy.folded_upto), rel_tol=1e-3)
    assert len(json.dumps(base.to_dict())) < 15_000


def test_late_counts_land_in_the_open_hour() -> None:
    base = Baseline(BaselineSettings(), M0)
    feed(base, 30, lambda m: 2.0)
    total_before = base._hour_counts[TOTAL]
    base.late(M0 + 10, 5, 2)
    assert base._hour_counts[TOTAL] == total_before + 5
