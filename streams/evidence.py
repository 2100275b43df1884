"""Evidence for a signal: what PR on-call needs to judge an alert in ten seconds.

Top posts by reach (negative first, with links), top terms, complaint categories, platform breakdown,
repeat complainers, and flags: `bot_flood` when the negative mentions are mostly near-duplicates
posted by fresh accounts (coordinated inauthentic activity, handled differently from a real
customer revolt), `viral` when one post's group dominates. Pure: reads minute aggregates only.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from streams.brand_batch import MinuteAggregate, PostSummary
from streams.detection_config import EvidenceSettings
from streams.rolling_state import WindowCounts

FRESH_FOLLOWERS = 10  # same rule as BrandBatchBuilder's new_authors
_RT_PREFIX = re.compile(r"^\s*(rt|ریتوییت|بازنشر)\s*@?[\w.]*\s*:?\s*", re.IGNORECASE)
_LINKS_AND_HANDLES = re.compile(r"https?://\S+|www\.\S+|@[\w.]+")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_KEY_WORDS = 14


@lru_cache(maxsize=65536)
def text_key(text: str) -> str:
    """Posts whose words agree up to handles, links, digits and punctuation share a key."""
    text = _RT_PREFIX.sub("", text)
    text = _LINKS_AND_HANDLES.sub(" ", text)
    words = [w for w in _WORD.findall(text.replace("\u200c", "").lower()) if w != "rt"]
    return " ".join(words[:_KEY_WORDS])


def is_fresh(post: PostSummary) -> bool:
    return post.followers < FRESH_FOLLOWERS and not post.verified


@dataclass(slots=True)
class Evidence:
    top_posts: list[PostSummary] = field(default_factory=list)
    top_terms: list[tuple[str, int]] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    platforms: dict[str, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    repeat_complainers: list[str] = field(default_factory=list)


def bot_flood(counts: WindowCounts, settings: EvidenceSettings, min_negative: int = 10) -> bool:
    """Mostly near-duplicate negative posts from fresh accounts."""
    if counts.negative < min_negative:
        return False
    return (
        counts.duplicates >= settings.bot_duplicate_ratio * counts.negative
        and counts.fresh >= settings.bot_fresh_ratio * counts.negative
    )


def gather(
    aggregates: list[MinuteAggregate],
    counts: WindowCounts,
    settings: EvidenceSettings,
    focus_posts: list[PostSummary] = (),  # type: ignore[assignment]
) -> Evidence:
    """Merge the window's minute evidence into one bounded summary."""
    posts: dict[str, PostSummary] = {}
    terms: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    platforms: Counter[str] = Counter()
    authors: Counter[str] = Counter()
    handles: dict[str, str] = {}
    for agg in aggregates:
        terms.update(agg.terms)
        categories.update(agg.categories)
        platforms.update(agg.platforms)
        authors.update(agg.authors)
        for post in agg.top_posts:
            held = posts.get(post.id)
            if held is None or post.reach > held.reach:
                posts[post.id] = post
            if post.author_handle:
                handles[post.author_id] = post.author_handle
    ranked = sorted(posts.values(), key=lambda p: (p.sentiment == "negative", p.reach), reverse=True)
    top: list[PostSummary] = []
    seen: set[str] = set()
    seen_keys: set[str] = set()
    for post in [*focus_posts, *ranked]:
        key = text_key(post.text)
        if post.id in seen or (key and key in seen_keys and post not in focus_posts):
            continue  # one copy of a reshared text is enough evidence
        seen.add(post.id)
        seen_keys.add(key)
        top.append(post)
        if len(top) >= settings.top_posts:
            break
    flags: list[str] = []
    if bot_flood(counts, settings):
        flags.append("bot_flood")
    repeaters = [a for a, n in authors.most_common() if n >= settings.repeat_complainer_min]
    if repeaters:
        flags.append("repeat_complainer")
    return Evidence(
        top_posts=top,
        top_terms=terms.most_common(settings.top_terms),
        categories=dict(categories.most_common()),
        platforms=dict(platforms.most_common()),
        flags=flags,
        repeat_complainers=[handles.get(a, a) for a in repeaters[:10]],
    )
