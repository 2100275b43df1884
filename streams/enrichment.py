"""The enrich stage's pure core: validated mentions in, per-brand partial aggregates out.

Each mention is analysed once (normalize + tokenize), matched against the configured brands,
scored for sentiment, categorised and given a reach; then it is folded into one `BrandBatch` per
brand. The Faust agent, `bohran classify` and `bohran backtest` all call this same code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from streams.brand_batch import POST_TEXT_CHARS, BrandBatch, BrandBatchBuilder, PostSummary
from streams.brand_matcher import BrandMatcher
from streams.category import categorize
from streams.config import StreamsConfig
from streams.mention import Mention
from streams.reach import reach
from streams.sentiment import SentimentScorer
from streams.text.analysis import AnalyzedText, analyze
from streams.text.terms import key_terms


@dataclass(slots=True, frozen=True)
class EnrichedMention:
    mention: Mention
    lang: str
    brands: tuple[str, ...]
    sentiment: str
    score: float
    category: str | None
    reach: float
    terms: tuple[str, ...]
    near_duplicate_key: str | None = None  # set for negative mentions (bot-flood evidence)

    def classification(self) -> dict[str, object]:
        """The `bohran classify` output line."""
        return {
            "id": self.mention.id,
            "lang": self.lang,
            "brands": list(self.brands),
            "sentiment": self.sentiment,
            "score": round(self.score, 4),
            "category": self.category,
            "reach": round(self.reach, 1),
        }


@dataclass(slots=True)
class EnrichResult:
    batches: list[BrandBatch]
    matched: int = 0  # mentions that matched at least one brand
    unmatched: int = 0
    by_platform: dict[tuple[str, str], int] = field(default_factory=dict)  # (platform, status) -> n


class Enricher:
    """Holds the compiled brand matcher and scorer; rebuilt when the config changes."""

    def __init__(self, config: StreamsConfig) -> None:
        self.config = config
        self.matcher = BrandMatcher(config.brands)
        self.scorer = SentimentScorer()

    def enrich(self, mention: Mention) -> EnrichedMention:
        view = analyze(mention.text)
        brands = tuple(self.matcher.match(view, mention.brands))
        label, score = self.scorer.score(view)
        category = categorize(view) if label == "negative" else None
        return EnrichedMention(
            mention=mention,
            lang=mention.lang or view.lang,
            brands=brands,
            sentiment=label,
            score=score,
            category=category,
            reach=reach(mention),
            terms=tuple(key_terms(view)) if label == "negative" else (),
            near_duplicate_key=_near_duplicate_key(view) if label == "negative" else None,
        )

    def enrich_batch(self, mentions: Iterable[Mention]) -> EnrichResult:
        builder = BrandBatchBuilder()
        result = EnrichResult(batches=[])
        for mention in mentions:
            enriched = self.enrich(mention)
            status = "matched" if enriched.brands else "unmatched"
            key = (mention.platform, status)
            result.by_platform[key] = result.by_platform.get(key, 0) + 1
            if not enriched.brands:
                result.unmatched += 1
                continue
            result.matched += 1
            post = to_post_summary(enriched)
            for brand in enriched.brands:
                builder.add(brand, post, enriched.terms, near_duplicate_key=enriched.near_duplicate_key)
        result.batches = builder.build()
        return result


def to_post_summary(enriched: EnrichedMention) -> PostSummary:
    m = enriched.mention
    return PostSummary(
        id=m.id,
        platform=m.platform,
        text=m.text[:POST_TEXT_CHARS],
        created_at=m.created_at,
        author_id=m.author.id,
        author_handle=m.author.handle,
        followers=m.author.followers,
        verified=m.author.verified,
        reach=enriched.reach,
        reshares=m.metrics.reshares,
        views=m.metrics.views,
        sentiment=enriched.sentiment,
        score=enriched.score,
        category=enriched.category,
        url=m.url,
        lang=enriched.lang,
    )


def _near_duplicate_key(view: AnalyzedText) -> str:
    """Texts that differ only in handles, links, digits or punctuation share a key (bot floods)."""
    words = [t for t in view.tokens if not t.startswith(("@", "http")) and not t.isdigit()]
    return " ".join(words[:24])
