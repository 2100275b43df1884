"""Detectors: pure functions from one brand's state at one event time to an `Assessment`.

Each detector computes a score in its own statistic and says whether its condition holds (`active`),
whether it is clearly over (`clear`, the hysteresis level), what severity it would have and why.
The firing/pending/resolve state machine that turns assessments into signals lives in
`streams.detection` and is the same for every detector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from streams.baseline import Baseline
from streams.detection_config import DetectionConfig, DetectorSettings
from streams.rolling_state import RollingState, WindowCounts

Severity = str  # "info" | "warning" | "critical"


@dataclass(slots=True)
class BrandView:
    """What a detector sees: one brand's rolling counts and baseline at one evaluation time."""

    brand: str
    now: float  # event time of the evaluation (epoch seconds)
    rolling: RollingState
    baseline: Baseline
    config: DetectionConfig
    minutes_seen: float  # since the brand was first seen
    spike_until: float = 0.0  # last event time a spike incident (volume/share/viral) was open
    _windows: dict[int, WindowCounts] = field(default_factory=dict)

    @property
    def now_minute(self) -> int:
        return int(self.now // 60)

    @property
    def fraction(self) -> float:
        """How much of the current minute the expectation covers.

        Always the whole minute: aggregates do not say how far into the minute their data reaches,
        and expecting a full minute for a partial one errs on the quiet side (a live evaluation
        mid-minute judges 4.x minutes of data against 5 minutes of normal).
        """
        return 1.0

    def window(self, minutes: int) -> WindowCounts:
        """Counts over the last `minutes` minutes, the current (partial) minute included."""
        counts = self._windows.get(minutes)
        if counts is None:
            last = self.now_minute
            counts = self.rolling.window(last - minutes + 1, last)
            self._windows[minutes] = counts
        return counts

    def window_bounds(self, minutes: int) -> tuple[float, float]:
        return float((self.now_minute - minutes + 1) * 60), self.now

    def expected(self, series: int, minutes: int, *, slow: bool = False) -> float:
        last = self.now_minute
        return self.baseline.expected(series, last - minutes + 1, last, self.fraction, slow=slow)


@dataclass(slots=True)
class Assessment:
    """One detector's verdict at one evaluation."""

    detector: str
    score: float
    threshold: float
    critical_threshold: float
    active: bool  # the firing condition holds now
    clear: bool  # below the hysteresis level: counts towards resolving
    severity: Severity
    observed: float
    expected: float
    window_start: float
    window_end: float
    reason: str
    total: int = 0
    negative: int = 0
    negative_share: float = 0.0
    baseline_share: float = 0.0
    reach: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    focus_posts: list[Any] = field(default_factory=list)  # posts that explain this verdict first

    def explain(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 3),
            "threshold": self.threshold,
            "critical_threshold": self.critical_threshold,
            "condition": self.active,
            "clear": self.clear,
            "severity": self.severity,
            "observed": round(self.observed, 3),
            "expected": round(self.expected, 3),
            "window_start": self.window_start,
            "window_end": self.window_end,
            "reason": self.reason,
            **{k: v for k, v in self.details.items() if isinstance(v, int | float | str | bool)},
        }


def severity_for(score: float, settings: DetectorSettings) -> Severity:
    return "critical" if score >= settings.critical_threshold else "warning"


def gate(score: float, floor_ok: bool, settings: DetectorSettings) -> tuple[bool, bool]:
    """(active, clear) with the shared floor + hysteresis rule."""
    active = floor_ok and score >= settings.threshold
    clear = (not floor_ok) or score < settings.threshold * settings.clear_ratio
    return active, clear


AssessFn = Callable[[BrandView, Any, dict[str, Any]], Assessment]


def registry() -> dict[str, AssessFn]:
    """Detector name -> assess function, in a stable order."""
    from streams.detectors import negative_share, negative_volume, slow_burn, total_volume, viral_post

    return {
        "negative_volume": negative_volume.assess,
        "negative_share": negative_share.assess,
        "viral_post": viral_post.assess,
        "total_volume": total_volume.assess,
        "slow_burn": slow_burn.assess,
    }
