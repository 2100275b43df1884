"""Negative-volume spike: more negative mentions in the window than the seasonal baseline allows.

Score = -log10 P(X >= observed) under a negative binomial around the expected count, with the
brand's learned dispersion (or the configured minimum, whichever is larger). The min-count floor
keeps three angry tweets at 3 a.m. from paging anyone however unlikely they were. Two windows are
judged (the main one and a short one for sharp onsets such as an outage); the stronger one counts.
"""

from __future__ import annotations

from typing import Any

from streams.baseline import NEGATIVE
from streams.detection_config import NegativeVolumeSettings
from streams.detectors import Assessment, BrandView, gate, severity_for
from streams.detectors.tail import tail_score

NAME = "negative_volume"


def _judge(
    view: BrandView, settings: NegativeVolumeSettings, minutes: int
) -> tuple[float, int, float, float, Any]:
    counts = view.window(minutes)
    expected = view.expected(NEGATIVE, minutes)
    dispersion = max(settings.dispersion, view.baseline.dispersion(NEGATIVE, minutes))
    score = tail_score(counts.negative, expected, dispersion)
    return score, minutes, expected, dispersion, counts


def assess(view: BrandView, settings: NegativeVolumeSettings, memory: dict[str, Any]) -> Assessment:
    main = _judge(view, settings, settings.window_minutes)
    best = main
    fast_minutes = settings.fast_window_minutes
    if 0 < fast_minutes < settings.window_minutes:
        fast = _judge(view, settings, fast_minutes)
        if fast[0] > main[0] and fast[4].negative >= settings.min_count:
            best = fast
    score, minutes, expected, dispersion, counts = best
    observed = counts.negative
    floor_ok = observed >= settings.min_count
    authors = -1
    if floor_ok and score >= settings.threshold and settings.min_authors:
        # One furious customer posting five times is not a crisis: count distinct voices.
        last = view.now_minute
        authors = view.rolling.distinct_authors(last - minutes + 1, last, settings.min_authors)
        floor_ok = authors < 0 or authors >= settings.min_authors  # < 0: the data has no authors
    active, clear = gate(score, floor_ok, settings)
    normal_share, _ = view.baseline.share()
    severity = severity_for(score, settings)
    in_step = (
        settings.share_guard
        and counts.total > 0
        and counts.share <= max(normal_share * 1.25, normal_share + 0.05)
    )
    if in_step:
        severity = "info"
    start, end = view.window_bounds(minutes)
    if 0 <= authors < settings.min_authors:
        reason = f"{observed} negative in {minutes} min but from only {authors} author(s) (floor {settings.min_authors})"
    elif not floor_ok:
        reason = f"{observed} negative in {minutes} min is under the floor of {settings.min_count}"
    elif active:
        reason = (
            f"{observed} negative in {minutes} min vs {expected:.1f} expected "
            f"(score {score:.1f} >= {settings.threshold:g})"
        )
        if in_step:
            reason += "; negative share is normal, so negatives rose with overall volume (info)"
    else:
        reason = f"{observed} negative in {minutes} min vs {expected:.1f} expected: score {score:.1f} < {settings.threshold:g}"
    return Assessment(
        detector=NAME,
        score=score,
        threshold=settings.threshold,
        critical_threshold=settings.critical_threshold,
        active=active,
        clear=clear,
        severity=severity,
        observed=observed,
        expected=expected,
        window_start=start,
        window_end=end,
        reason=reason,
        total=counts.total,
        negative=counts.negative,
        negative_share=counts.share,
        baseline_share=normal_share,
        reach=counts.negative_reach,
        details={"dispersion": round(dispersion, 4), "window_minutes": minutes},
    )
