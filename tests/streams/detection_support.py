"""Builders for detection tests: minute aggregates, posts, and a driver that feeds an engine."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable

from streams.brand_batch import BrandBatch, MinuteAggregate, PostSummary
from streams.config import BrandConfig, StreamsConfig
from streams.detection import DetectionEngine
from streams.signal import Signal

T0 = 1_760_000_400.0  # on the hour (UTC)


def post(
    pid: str,
    created_at: float,
    *,
    sentiment: str = "negative",
    reach: float = 100.0,
    followers: int | None = None,
    text: str | None = None,
    author: str | None = None,
    reshares: int = 0,
) -> PostSummary:
    followers = int(reach) if followers is None else followers
    return PostSummary(
        id=pid,
        platform="twitter",
        text=text if text is not None else f"complaint number {pid} about the service being down",
        created_at=created_at,
        author_id=author or f"a-{pid}",
        author_handle=author or f"h{pid}",
        followers=followers,
        verified=False,
        reach=reach,
        reshares=reshares,
        views=0,
        sentiment=sentiment,
        score=-0.8 if sentiment == "negative" else 0.5,
        category="outage" if sentiment == "negative" else None,
        url=f"https://x.example/{pid}",
    )


def minute_agg(
    minute_start: float,
    total: int,
    negative: int,
    *,
    posts: Iterable[PostSummary] = (),
    fresh: int = 0,
    duplicates: int = 0,
    authors: dict[str, int] | None = None,
    positive: int | None = None,
) -> MinuteAggregate:
    """A minute's aggregate; negative authors default to `negative` distinct ids."""
    negative = min(negative, total)
    if positive is None:
        positive = (total - negative) // 2
    agg = MinuteAggregate(
        minute=int(minute_start),
        total=total,
        negative=negative,
        positive=positive,
        neutral=total - negative - positive,
        reach=float(total * 100),
        negative_reach=float(negative * 100),
        new_authors=fresh,
        near_duplicates=duplicates,
    )
    if negative:
        agg.authors = (
            authors
            if authors is not None
            else {f"u{int(minute_start)}-{i}": 1 for i in range(min(negative, 20))}
        )
        agg.platforms = {"twitter": negative}
        agg.terms = {"down": negative}
        agg.categories = {"outage": negative}
    agg.top_posts = sorted(posts, key=lambda p: (p.sentiment == "negative", p.reach), reverse=True)[:5]
    for p in agg.top_posts:
        if p.sentiment == "negative":
            agg.negative_reach = max(agg.negative_reach, 0.0) + p.reach
    return agg


def batch(brand: str, aggs: Iterable[MinuteAggregate]) -> BrandBatch:
    b = BrandBatch(brand)
    for agg in aggs:
        b.minutes[agg.minute] = agg
        b.mentions += agg.total
    return b


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def daily(ts: float) -> float:
    """A smooth day/night activity factor (mean about 1)."""
    hour = (ts % 86400) / 3600.0
    return 1.0 + 0.6 * math.sin((hour - 9.0) / 24.0 * 2 * math.pi)


def config(*brands: str, detection: dict | None = None, brand_overrides: dict | None = None) -> StreamsConfig:
    return StreamsConfig.model_validate(
        {
            "brands": [
                BrandConfig(
                    id=b, name=b, aliases=[b], detection=(brand_overrides or {}).get(b, {})
                ).model_dump()
                for b in brands
            ],
            "detection": detection or {},
        }
    )


class Feeder:
    """Feeds an engine one event-time minute at a time, like the detect agent would (one batch a minute)."""

    def __init__(self, engine: DetectionEngine, brand: str, seed: int = 1) -> None:
        self.engine = engine
        self.brand = brand
        self.rng = random.Random(seed)
        self.signals: list[Signal] = []

    def minute(self, minute_start: float, total: int, negative: int, **kw) -> list[Signal]:
        agg = minute_agg(minute_start, total, negative, **kw)
        self.engine.ingest(batch(self.brand, [agg]), wall_now=minute_start + 60)
        out = self.engine.evaluate(self.brand, minute_start + 59, wall_now=minute_start + 60)
        self.signals.extend(out)
        return out

    def run(
        self,
        start: float,
        minutes: int,
        total_rate: Callable[[float], float],
        negative_share: Callable[[float], float] | float = 0.15,
        extra_negative: Callable[[float], float] | None = None,
    ) -> list[Signal]:
        """Poisson traffic: `total_rate(ts)` mentions/min, a share negative, plus extra complaints."""
        out: list[Signal] = []
        for i in range(minutes):
            ts = start + i * 60
            share = negative_share(ts) if callable(negative_share) else negative_share
            total = poisson(self.rng, total_rate(ts))
            negative = sum(1 for _ in range(total) if self.rng.random() < share)
            extra = poisson(self.rng, extra_negative(ts)) if extra_negative else 0
            out.extend(self.minute(ts, total + extra, negative + extra))
        return out


def firing(signals: Iterable[Signal], detector: str | None = None) -> list[Signal]:
    return [s for s in signals if s.status == "firing" and (detector is None or s.detector == detector)]


def pages(signals: Iterable[Signal]) -> list[Signal]:
    return [s for s in signals if s.status == "firing" and s.severity in ("warning", "critical")]
