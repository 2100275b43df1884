"""PLACEHOLDER: tiny lexicon sentiment."""

from __future__ import annotations

from streams.text.analysis import AnalyzedText

_NEG = {"قطع", "افتضاح", "بد", "down", "outage", "terrible", "worst", "broken", "scam", "کلاهبرداری", "خراب"}
_POS = {"عالی", "ممنون", "great", "love", "thanks", "awesome"}


class SentimentScorer:
    def score(self, view: AnalyzedText) -> tuple[str, float]:
        s = sum(1 for t in view.tokens if t in _POS) - sum(1 for t in view.tokens if t in _NEG)
        value = max(-1.0, min(1.0, s / 2))
        return ("negative" if value < 0 else "positive" if value > 0 else "neutral"), value
