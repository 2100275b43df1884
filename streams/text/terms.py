"""PLACEHOLDER: key terms of a text for alert evidence."""

from __future__ import annotations

from streams.text.analysis import AnalyzedText


def key_terms(view: AnalyzedText, limit: int = 8) -> list[str]:
    return [t for t in view.tokens if len(t) > 3][:limit]
