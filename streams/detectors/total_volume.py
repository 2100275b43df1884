"""Total-volume spike: far more mentions than normal. Informational unless the excess is negative.

A product launch or a campaign that goes well also spikes volume; that must not wake PR up. So this
detector pages (warning/critical) only when at least `negative_excess_share` of the extra mentions
are negative; otherwise it reports an info signal for the dashboard.
"""

from __future__ import annotations

from typing import Any

from streams.baseline import NEGATIVE, TOTAL
from streams.detection_config import TotalVolumeSettings
from streams.detectors import Assessment, BrandView, gate, severity_for
from streams.detectors.tail import tail_score

NAME = "total_volume"


def assess(view: BrandView, settings: TotalVolumeSettings, memory: dict[str, Any]) -> Assessment:
    minutes = settings.window_minutes
    counts = view.window(minutes)
    expected = view.expected(TOTAL, minutes)
    dispersion = max(settings.dispersion, view.baseline.dispersion(TOTAL, minutes))
    score = tail_score(counts.total, expected, dispersion)
    floor_ok = counts.total >= settings.min_count
    active, clear = gate(score, floor_ok, settings)
    excess = counts.total - expected
    negative_excess = counts.negative - view.expected(NEGATIVE, minutes)
    negative_part = max(0.0, negative_excess) / excess if excess > 0 else 0.0
    mostly_negative = negative_part >= settings.negative_excess_share
    severity = severity_for(score, settings) if mostly_negative else "info"
    normal_share, _ = view.baseline.share()
    start, end = view.window_bounds(minutes)
    if not floor_ok:
        reason = f"{counts.total} mentions in {minutes} min is under the floor of {settings.min_count}"
    elif active:
        reason = (
            f"{counts.total} mentions in {minutes} min vs {expected:.1f} expected (score {score:.1f}); "
            f"{negative_part:.0%} of the extra is negative"
            + ("" if mostly_negative else " -> info, not a crisis")
        )
    else:
        reason = (
            f"{counts.total} mentions vs {expected:.1f} expected: score {score:.1f} < {settings.threshold:g}"
        )
    return Assessment(
        detector=NAME,
        score=score,
        threshold=settings.threshold,
        critical_threshold=settings.critical_threshold,
        active=active,
        clear=clear,
        severity=severity,
        observed=counts.total,
        expected=expected,
        window_start=start,
        window_end=end,
        reason=reason,
        total=counts.total,
        negative=counts.negative,
        negative_share=counts.share,
        baseline_share=normal_share,
        reach=counts.reach,
        details={"negative_part_of_excess": round(negative_part, 3), "dispersion": round(dispersion, 4)},
    )
