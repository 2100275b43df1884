"""One pass over a mention's text that every enrich step shares (normalize once, tokenize once)."""

from __future__ import annotations

from dataclasses import dataclass

from streams.text.normalizer import normalize, tokenize


@dataclass(slots=True, frozen=True)
class AnalyzedText:
    raw: str
    normalized: str
    tokens: tuple[str, ...]
    lang: str  # "fa" | "en" | "und"


def detect_language(text: str) -> str:
    persian = sum(1 for ch in text if "\u0600" <= ch <= "\u06ff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if persian == 0 and latin == 0:
        return "und"
    return "fa" if persian >= latin else "en"


def analyze(text: str) -> AnalyzedText:
    normalized = normalize(text)
    return AnalyzedText(text, normalized, tuple(tokenize(normalized)), detect_language(text))
