"""Per-brand partial aggregates: what the enrich stage sends to `mentions-enriched`.

One record per brand per consumed batch instead of one per mention, because Faust's per-record
cost dominates (DESIGN.md). A batch is bucketed by event minute so the aggregate stage can add it
into its rolling state exactly as if it had seen every mention, and keeps bounded evidence
(top posts, terms, categories, platforms, authors) per minute so alerts can show it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

BUCKET_SECONDS = 60
TOP_POSTS_PER_MINUTE = 5
TOP_POSITIVE_PER_MINUTE = 3  # positive posts carried for the advocates digest (streams/advocates.py)
TOP_TERMS_PER_MINUTE = 20
TOP_AUTHORS_PER_MINUTE = 20
POST_TEXT_CHARS = 500


@dataclass(slots=True)
class PostSummary:
    """Evidence for one mention: enough to show it in an alert and link to it."""

    id: str
    platform: str
    text: str
    created_at: float
    author_id: str
    author_handle: str | None
    followers: int
    verified: bool
    reach: float
    reshares: int
    views: int
    sentiment: str
    score: float
    category: str | None
    url: str | None = None
    lang: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PostSummary:
        return cls(**data)


@dataclass(slots=True)
class MinuteAggregate:
    """Counts and bounded evidence for one brand in one event-time minute."""

    minute: int  # epoch seconds of the bucket start
    total: int = 0
    negative: int = 0
    positive: int = 0
    neutral: int = 0
    reach: float = 0.0
    negative_reach: float = 0.0
    platforms: dict[str, int] = field(default_factory=dict)  # negative mentions by platform
    categories: dict[str, int] = field(default_factory=dict)  # negative mentions by category
    terms: dict[str, int] = field(default_factory=dict)  # terms of negative mentions
    authors: dict[str, int] = field(default_factory=dict)  # negative mentions by author id
    new_authors: int = 0  # negative mentions from accounts with almost no followers (bot-flood evidence)
    near_duplicates: int = 0  # negative mentions whose text repeats another's in this minute
    top_posts: list[PostSummary] = field(default_factory=list)  # by reach, negative first
    # Positive posts by reach: negatives crowd them out of `top_posts`, and the advocates digest needs them.
    top_positive: list[PostSummary] = field(default_factory=list)

    def merge(self, other: MinuteAggregate) -> None:
        """Add another aggregate of the same minute into this one (bounded evidence kept bounded)."""
        self.total += other.total
        self.negative += other.negative
        self.positive += other.positive
        self.neutral += other.neutral
        self.reach += other.reach
        self.negative_reach += other.negative_reach
        self.new_authors += other.new_authors
        self.near_duplicates += other.near_duplicates
        for mine, theirs, limit in (
            (self.platforms, other.platforms, 64),
            (self.categories, other.categories, 64),
            (self.terms, other.terms, TOP_TERMS_PER_MINUTE),
            (self.authors, other.authors, TOP_AUTHORS_PER_MINUTE),
        ):
            merged = Counter(mine)
            merged.update(theirs)
            mine.clear()
            mine.update(dict(merged.most_common(limit)))
        seen = {p.id for p in self.top_posts}
        posts = self.top_posts + [p for p in other.top_posts if p.id not in seen]
        posts.sort(key=_post_rank, reverse=True)
        self.top_posts = posts[:TOP_POSTS_PER_MINUTE]
        if other.top_positive:
            held = {p.id for p in self.top_positive}
            positive = self.top_positive + [p for p in other.top_positive if p.id not in held]
            positive.sort(key=lambda p: p.reach, reverse=True)
            self.top_positive = positive[:TOP_POSITIVE_PER_MINUTE]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MinuteAggregate:
        data = dict(data)
        data["top_posts"] = [PostSummary.from_dict(p) for p in data.get("top_posts", ())]
        data["top_positive"] = [PostSummary.from_dict(p) for p in data.get("top_positive", ())]
        return cls(**data)


def _post_rank(post: PostSummary) -> tuple[int, float]:
    return (1 if post.sentiment == "negative" else 0, post.reach)


@dataclass(slots=True)
class BrandBatch:
    """All of one brand's mentions from one consumed batch, bucketed by minute."""

    brand: str
    minutes: dict[int, MinuteAggregate] = field(default_factory=dict)
    mentions: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "mentions": self.mentions,
            "minutes": [m.to_dict() for m in sorted(self.minutes.values(), key=lambda m: m.minute)],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BrandBatch:
        minutes = [MinuteAggregate.from_dict(m) for m in data["minutes"]]
        return cls(brand=data["brand"], minutes={m.minute: m for m in minutes}, mentions=data["mentions"])


def minute_of(ts: float) -> int:
    return int(ts // BUCKET_SECONDS) * BUCKET_SECONDS


class BrandBatchBuilder:
    """Accumulates enriched brand mentions into one `BrandBatch` per brand."""

    def __init__(self) -> None:
        self._batches: dict[str, BrandBatch] = {}
        self._texts: dict[tuple[str, int], set[str]] = {}

    def add(
        self,
        brand: str,
        post: PostSummary,
        terms: Iterable[str] = (),
        *,
        near_duplicate_key: str | None = None,
    ) -> None:
        batch = self._batches.get(brand)
        if batch is None:
            batch = self._batches[brand] = BrandBatch(brand)
        minute = minute_of(post.created_at)
        agg = batch.minutes.get(minute)
        if agg is None:
            agg = batch.minutes[minute] = MinuteAggregate(minute)
        batch.mentions += 1
        agg.total += 1
        agg.reach += post.reach
        if post.sentiment == "negative":
            agg.negative += 1
            agg.negative_reach += post.reach
            agg.platforms[post.platform] = agg.platforms.get(post.platform, 0) + 1
            if post.category:
                agg.categories[post.category] = agg.categories.get(post.category, 0) + 1
            for term in terms:
                agg.terms[term] = agg.terms.get(term, 0) + 1
            agg.authors[post.author_id] = agg.authors.get(post.author_id, 0) + 1
            if post.followers < 10 and not post.verified:
                agg.new_authors += 1
            if near_duplicate_key is not None:
                seen = self._texts.setdefault((brand, minute), set())
                if near_duplicate_key in seen:
                    agg.near_duplicates += 1
                else:
                    seen.add(near_duplicate_key)
        elif post.sentiment == "positive":
            agg.positive += 1
            best = agg.top_positive
            if len(best) < TOP_POSITIVE_PER_MINUTE or post.reach > best[-1].reach:
                best.append(post)
                best.sort(key=lambda p: p.reach, reverse=True)
                del best[TOP_POSITIVE_PER_MINUTE:]
        else:
            agg.neutral += 1
        posts = agg.top_posts
        if len(posts) < TOP_POSTS_PER_MINUTE or _post_rank(post) > _post_rank(posts[-1]):
            posts.append(post)
            posts.sort(key=_post_rank, reverse=True)
            del posts[TOP_POSTS_PER_MINUTE:]

    def build(self) -> list[BrandBatch]:
        """The finished batches; evidence dictionaries trimmed to their bounds."""
        for batch in self._batches.values():
            for agg in batch.minutes.values():
                if len(agg.terms) > TOP_TERMS_PER_MINUTE:
                    agg.terms = dict(Counter(agg.terms).most_common(TOP_TERMS_PER_MINUTE))
                if len(agg.authors) > TOP_AUTHORS_PER_MINUTE:
                    agg.authors = dict(Counter(agg.authors).most_common(TOP_AUTHORS_PER_MINUTE))
        return list(self._batches.values())
