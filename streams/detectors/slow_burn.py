"""Slow burn: a one-sided CUSUM of standardized negative counts per step (an hour by default).

No single window shows a complaint level creeping up over a day, but the running sum of small
excesses does. Each completed step adds z - drift (z capped at `max_step`, so one spike is the job of
the volume detector, not this one); the sum never goes below 0. It is compared with the slow
baseline (seasonal profile and long-run mean, not the recent level), so the climb does not raise its
own yardstick; expected complaints are scaled up when every other mention is up too (a busy day is
not a burn). A step overlapping an open spike incident adds nothing: that excess is already paged.
The sum, the step and the start of the current drift are kept in `memory` (snapshot).
"""

from __future__ import annotations

import math
from typing import Any

from streams.baseline import NEGATIVE, TOTAL
from streams.detection_config import SlowBurnSettings
from streams.detectors import Assessment, BrandView, gate, severity_for

NAME = "slow_burn"
_GRACE_MINUTES = 1  # a step is judged this long after it ends, so stragglers are in
_RATIO_PRIOR = 20.0  # mentions: keeps the volume ratio near 1 for small brands
_RATIO_BOUNDS = (1.0, 2.0)  # only ever raise expectations: a quiet day must not make complaints look high


def _volume_ratio(view: BrandView, counts: Any, first: int, last: int) -> float:
    """How much busier the brand is this step than its profile, judged on NON-negative mentions.

    A Saturday after a quiet Friday, a holiday, a campaign: all raise every mention, not just
    complaints. Scaling the expected complaints up by the non-negative volume's ratio keeps such days
    from reading as a burn, while a real burn (more complaints, same everything else) stays visible.
    Never below 1: a profile inflated by a past campaign must not make today's complaints look high.
    """
    base = view.baseline
    expected_other = base.expected(TOTAL, first, last, slow=True) - base.expected(
        NEGATIVE, first, last, slow=True
    )
    observed_other = counts.total - counts.negative
    ratio = (observed_other + _RATIO_PRIOR) / (max(expected_other, 0.0) + _RATIO_PRIOR)
    return min(_RATIO_BOUNDS[1], max(_RATIO_BOUNDS[0], ratio))


def assess(view: BrandView, settings: SlowBurnSettings, memory: dict[str, Any]) -> Assessment:
    step = settings.window_minutes
    usable_end = view.now_minute - _GRACE_MINUTES  # last minute a step may include
    aligned = (usable_end + 1) // step * step  # start of the step in progress
    if view.minutes_seen < settings.warmup_minutes or "next" not in memory:
        memory.update(next=aligned, s=0.0, start=aligned, neg=0, exp=0.0)
    else:
        oldest = view.rolling.oldest_kept()
        while memory["next"] + step - 1 <= usable_end:
            first = memory["next"]
            last = first + step - 1
            memory["next"] = last + 1
            if first < oldest:
                continue  # outside the ring (after a long pause): cannot judge that step
            counts = view.rolling.window(first, last)
            x = counts.negative
            mu = view.baseline.expected(NEGATIVE, first, last, slow=True) * _volume_ratio(
                view, counts, first, last
            )
            alpha = max(settings.dispersion, view.baseline.dispersion(NEGATIVE, step))
            sd = math.sqrt(max(mu, 1.0) + alpha * mu * mu)
            z = max(-settings.max_step, min(settings.max_step, (x - mu) / sd))
            if z > 0 and view.spike_until >= first * 60:
                z = 0.0  # that excess belongs to a spike incident already open, not to a burn
            s_new = max(0.0, memory["s"] + z - settings.drift)
            if memory["s"] == 0.0 and s_new > 0.0:
                memory.update(start=first, neg=0, exp=0.0)
            if s_new > 0.0:
                memory["neg"] += x
                memory["exp"] += mu
            else:
                memory.update(start=last + 1, neg=0, exp=0.0)
            memory["s"] = s_new
    score = float(memory["s"])
    burn_neg = int(memory["neg"])
    floor_ok = burn_neg >= settings.min_count
    active, clear = gate(score, floor_ok, settings)
    counts = view.window(min(step, view.config.history_minutes))
    normal_share, _ = view.baseline.share()
    if view.minutes_seen < settings.warmup_minutes:
        reason = f"warming up: needs {settings.warmup_minutes} min of history"
    elif active:
        reason = (
            f"negative mentions have run above normal since the drift began: {burn_neg} vs "
            f"{memory['exp']:.1f} expected (CUSUM {score:.1f} >= {settings.threshold:g})"
        )
    elif score > 0 and not floor_ok:
        reason = f"CUSUM {score:.1f} but only {burn_neg} negative mentions in the drift (floor {settings.min_count})"
    else:
        reason = f"CUSUM {score:.1f} < {settings.threshold:g}"
    return Assessment(
        detector=NAME,
        score=score,
        threshold=settings.threshold,
        critical_threshold=settings.critical_threshold,
        active=active,
        clear=clear,
        severity=severity_for(score, settings),
        observed=burn_neg,
        expected=float(memory["exp"]),
        window_start=float(memory["start"] * 60),
        window_end=float(memory["next"] * 60),
        reason=reason,
        total=counts.total,
        negative=counts.negative,
        negative_share=counts.share,
        baseline_share=normal_share,
        reach=counts.negative_reach,
        details={"cusum": round(score, 3), "drift_negative": burn_neg},
    )
