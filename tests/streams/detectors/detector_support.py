"""A brand state primed with days of normal traffic, for judging one detector at one moment."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detection_support import T0, daily, minute_agg, poisson, post  # noqa: E402

from streams.baseline import Baseline  # noqa: E402
from streams.brand_batch import MinuteAggregate  # noqa: E402
from streams.detection_config import DetectionConfig  # noqa: E402
from streams.detectors import BrandView  # noqa: E402
from streams.rolling_state import RollingState  # noqa: E402

__all__ = ["Primed", "prime", "post", "minute_agg", "T0"]


@dataclass
class Primed:
    config: DetectionConfig
    rolling: RollingState
    baseline: Baseline
    now_minute: int  # first minute after the history
    first_seen: float

    def add(self, offset: int, agg: MinuteAggregate) -> None:
        self.rolling.add(self.now_minute + offset, agg)

    def add_minute(self, offset: int, total: int, negative: int, **kw) -> None:
        minute = self.now_minute + offset
        self.rolling.add(minute, minute_agg(minute * 60, total, negative, **kw))

    def view(self, offset: int, *, spike_until: float = 0.0) -> BrandView:
        """The brand judged at the end of minute now_minute + offset."""
        now = (self.now_minute + offset) * 60 + 59.0
        lag = max(self.config.negative_volume.window_minutes, self.config.negative_share.window_minutes)
        self.baseline.fold_until(self.now_minute + offset - lag, self.rolling.minute)
        return BrandView(
            brand="acme",
            now=now,
            rolling=self.rolling,
            baseline=self.baseline,
            config=self.config,
            minutes_seen=(now - self.first_seen) / 60.0,
            spike_until=spike_until,
        )


def prime(
    config: DetectionConfig | None = None,
    *,
    days: float = 3.0,
    total_per_minute: float = 10.0,
    share: float = 0.15,
    seed: int = 1,
    cycle: bool = True,
) -> Primed:
    config = config or DetectionConfig()
    rng = random.Random(seed)
    start = int(T0 // 60)
    minutes = int(days * 1440)
    rolling = RollingState(config.history_minutes, config.evidence_minutes)
    baseline = Baseline(config.baseline, start)
    counts: dict[int, tuple[int, int]] = {}
    for m in range(start, start + minutes):
        rate = total_per_minute * (daily(m * 60) if cycle else 1.0)
        total = poisson(rng, rate)
        negative = sum(1 for _ in range(total) if rng.random() < share)
        counts[m] = (total, negative)
        if m >= start + minutes - config.history_minutes:
            rolling.add(m, minute_agg(m * 60, total, negative))
    baseline.fold_until(start + minutes - 1, lambda m: counts.get(m, (0, 0)))
    return Primed(config, rolling, baseline, start + minutes, float(start * 60))
