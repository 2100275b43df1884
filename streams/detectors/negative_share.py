"""Negative-share shift: the share of negative mentions jumps, whether or not volume moves.

Score = z of the window's share against the brand's normal share, with three variance terms: the
binomial noise of this window (exact binomial tail, so 10 complaints out of 20 mentions is judged as
lumpy as it is), the natural wobble of the share (`share_noise`, so a brand with 5,000 mentions in a
window does not page on a two-point move) and the uncertainty of the normal share itself (large
for a brand seen for minutes, which is what keeps new brands quiet but not deaf).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from streams.detection_config import NegativeShareSettings
from streams.detectors import Assessment, BrandView, gate, severity_for
from streams.detectors.tail import log_betainc

_NORMAL = NormalDist()

NAME = "negative_share"


def share_z(negative: int, total: int, normal: float, weight: float, share_noise: float) -> float:
    """z of `negative` of `total` against a normal share, exact for small windows.

    The binomial tail P(X >= negative) is computed exactly (incomplete beta) and expressed as a
    z-score, then shrunk by how much of the share's variance is sampling noise rather than the
    natural wobble (`share_noise`) or the uncertainty of the normal share itself. For big windows
    this is the familiar (p - p0) / sd; for 20 mentions it is honest about how lumpy 10-of-20 is.
    """
    if total <= 0:
        return 0.0
    normal = min(max(normal, 1e-6), 1 - 1e-6)
    var_sampling = normal * (1.0 - normal) / total
    var_other = share_noise**2 + normal * (1.0 - normal) / max(weight, 1.0)
    if negative <= normal * total:
        return (negative / total - normal) / math.sqrt(var_sampling + var_other)
    ln_tail = log_betainc(float(negative), float(total - negative + 1), normal)  # P(X >= negative)
    z_sampling = (
        -_NORMAL.inv_cdf(max(math.exp(ln_tail), 1e-300)) if ln_tail > -690 else math.sqrt(-2 * ln_tail)
    )
    return max(0.0, z_sampling) * math.sqrt(var_sampling / (var_sampling + var_other))


def _judge(
    view: BrandView, settings: NegativeShareSettings, minutes: int
) -> tuple[float, int, Any, float, float]:
    counts = view.window(minutes)
    normal, weight = view.baseline.share()
    z = share_z(counts.negative, counts.total, normal, weight, settings.share_noise)
    return max(0.0, z), minutes, counts, normal, z


def assess(view: BrandView, settings: NegativeShareSettings, memory: dict[str, Any]) -> Assessment:
    best = _judge(view, settings, settings.window_minutes)
    fast_minutes = settings.fast_window_minutes
    if 0 < fast_minutes < settings.window_minutes:
        fast = _judge(view, settings, fast_minutes)
        # Fewer minutes, so a share there must rest on twice the floor to be trusted.
        if fast[0] > best[0] and fast[2].total >= 2 * settings.min_count:
            best = fast
    score, minutes, counts, normal, z = best
    n = counts.total
    share = counts.share
    lift = share - normal
    floor_ok = n >= settings.min_count and share >= settings.min_share and lift >= settings.min_lift
    active, clear = gate(score, floor_ok, settings)
    if not clear and (n < settings.min_count or lift < settings.min_lift / 2):
        clear = True
    start, end = view.window_bounds(minutes)
    if n < settings.min_count:
        reason = f"{n} mentions in {minutes} min is under the floor of {settings.min_count}"
    elif share < settings.min_share or lift < settings.min_lift:
        reason = f"negative share {share:.0%} (normal {normal:.0%}) is below the minimum share/lift"
    elif active:
        reason = f"negative share {share:.0%} vs normal {normal:.0%} over {n} mentions in {minutes} min (z {z:.1f})"
    else:
        reason = f"negative share {share:.0%} vs normal {normal:.0%}: z {z:.1f} < {settings.threshold:g}"
    return Assessment(
        detector=NAME,
        score=score,
        threshold=settings.threshold,
        critical_threshold=settings.critical_threshold,
        active=active,
        clear=clear,
        severity=severity_for(score, settings),
        observed=counts.negative,
        expected=normal * n,
        window_start=start,
        window_end=end,
        reason=reason,
        total=n,
        negative=counts.negative,
        negative_share=share,
        baseline_share=normal,
        reach=counts.negative_reach,
        details={"share": round(share, 4), "normal_share": round(normal, 4), "window_minutes": minutes},
    )
