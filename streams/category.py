"""PLACEHOLDER: complaint category."""

from __future__ import annotations

from streams.text.analysis import AnalyzedText

CATEGORIES = ("outage", "billing", "delivery", "staff", "defect", "safety", "fraud", "price")
_WORDS = {"قطع": "outage", "down": "outage", "outage": "outage", "scam": "fraud", "کلاهبرداری": "fraud"}


def categorize(view: AnalyzedText) -> str | None:
    for token in view.tokens:
        if token in _WORDS:
            return _WORDS[token]
    return None
