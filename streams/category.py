"""What a complaint is about (outage, billing, delivery, ...), so an alert can say it in one word.

A keyword lexicon, not a model: categories must be explainable to the PR on-call person
("8 of 10 posts say قطع / vasl nemishe / down"), and the lists in `streams/data/categories.yaml`
can be extended by ops without retraining. Each category sums the weights of its terms found in
the mention (strong 1.0, weak 0.5); the best category needs at least 1.0, ties go to the more
serious category (`PRIORITY`). Terms are matched on normalized tokens (and the words inside
hashtags); a multi-word term also when written joined or with ZWNJ ("بی ادب" = "بی‌ادب" = "بیادب"),
and a `word*` term with common English/Finglish/Persian endings. Scoring is two set intersections
per mention plus an in-place check of the few multi-word terms whose rarest word occurs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from streams.text.analysis import AnalyzedText
from streams.text.normalizer import KIND_CODE, TokenKind, tokenize
from streams.text.wordlists import load_wordlist

CATEGORIES = ("outage", "billing", "delivery", "staff", "defect", "safety", "fraud", "price")
# Tie-break: the more serious (or more urgent for PR) category wins; how people were treated
# outranks what failed ("the courier was rude" is about staff, not delivery).
PRIORITY = ("safety", "fraud", "staff", "outage", "billing", "delivery", "defect", "price")
STRONG = 1.0
WEAK = 0.5
MIN_SCORE = 1.0

CATEGORIES_FILE = Path(__file__).resolve().parent / "data" / "categories.yaml"

# Words too frequent in brand mentions to anchor a phrase on (each anchor found costs a check):
# function words, light verbs, and what every complaint talks about (internet, app, order, ...).
_COMMON_WORDS = (
    load_wordlist("stopwords_fa.txt")
    | load_wordlist("stopwords_en.txt")
    | load_wordlist("stopwords_finglish.txt")
    | frozenset(
        tokenize(
            "نیست نشده نمیشه نمیده نداره نداریم ندارم بار مشکل بدید کنید کرد کرده اینترنت نت سرعت پول "
            "سفارش پشتیبانی جواب قیمت اپ سایت برنامه سرویس حساب کارت گوشی "
            "shode nist not no on up internet net app site order service account card phone"
        )
    )
)


class CategoryLexicon:
    """Category terms indexed so a mention is scored with set intersections, not a loop over words.

    Each distinct term counts once per mention (a post repeating "قطع" five times is not five
    times more about outages than one saying it once).
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        unknown = set(spec) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown categories: {sorted(unknown)}")
        self._rank = {name: PRIORITY.index(name) for name in CATEGORIES}
        self._keys: dict[str, list[tuple[int, float]]] = {}
        # Multi-word terms written with spaces are found from their longest word (the rarest,
        # usually: "working" of "not working", "دسترس" of "از دسترس خارج"), then checked in place.
        self._anchors: dict[str, list[tuple[int, tuple[str, ...], str]]] = {}
        for name, groups in spec.items():
            index = CATEGORIES.index(name)
            for group, weight in (("strong", STRONG), ("weak", WEAK)):
                for term in (groups or {}).get(group, []) or []:
                    self._add(str(term), index, weight)
        self._key_set = frozenset(self._keys)
        self._anchor_set = frozenset(self._anchors)

    def _add(self, term: str, category: int, weight: float) -> None:
        star = term.endswith("*")
        tokens = tokenize(term.rstrip("*"))
        if not tokens:
            return
        key = "".join(tokens)
        forms = inflections(key) if star and len(tokens) == 1 else (key,)
        for form in forms:
            hits = self._keys.setdefault(form, [])
            if all(c != category for c, _ in hits):
                hits.append((category, weight))
        if len(tokens) > 1:
            # "بی‌ادب"/"بیادب" are one token (the key); "بی ادب" is found through its anchor.
            offset = max(range(len(tokens)), key=lambda i: (tokens[i] not in _COMMON_WORDS, len(tokens[i])))
            self._anchors.setdefault(tokens[offset], []).append((offset, tuple(tokens), key))

    def found_terms(self, words: Sequence[str]) -> Iterable[str]:
        """The distinct term keys found in `words`."""
        words = tuple(words)
        found: Iterable[str] = self._key_set.intersection(words)
        anchors = self._anchor_set.intersection(words)
        if anchors:
            phrases: set[str] = set()
            for anchor in anchors:
                positions = (
                    [words.index(anchor)] if words.count(anchor) == 1 else _positions_of(words, (anchor,))
                )
                for i in positions:
                    for offset, phrase, key in self._anchors[anchor]:
                        start = i - offset
                        if start >= 0 and words[start : start + len(phrase)] == phrase:
                            phrases.add(key)
            if phrases:
                found = phrases.union(found)
        return found

    def scores(self, words: Sequence[str]) -> list[float]:
        """Summed term weights per category (index into CATEGORIES), each distinct term once."""
        totals = [0.0] * len(CATEGORIES)
        for key in self.found_terms(words):
            for category, weight in self._keys[key]:
                totals[category] += weight
        return totals

    def best(self, words: Sequence[str]) -> str | None:
        found = self.found_terms(words)
        if not found:
            return None
        if len(found) == 1:  # the common case: one term decides alone
            (key,) = found
            hits = self._keys[key]
            if len(hits) == 1:
                category, weight = hits[0]
                return CATEGORIES[category] if weight >= MIN_SCORE else None
        totals = [0.0] * len(CATEGORIES)
        for key in found:
            for category, weight in self._keys[key]:
                totals[category] += weight
        top = max(totals)
        if top < MIN_SCORE:
            return None
        if totals.count(top) == 1:
            return CATEGORIES[totals.index(top)]
        tied = [CATEGORIES[i] for i, score in enumerate(totals) if score == top]
        return min(tied, key=self._rank.__getitem__)


_LATIN_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "e", "i", "a", "ha", "am", "esh", "an", "ie")
_PERSIAN_SUFFIXES = (
    *("ی", "ها", "های", "هایی", "ای", "ه", "ان", "ا", "یه", "ش", "م", "ت"),
    *("مون", "تون", "شون", "ن", "ید", "ین", "تر", "ترین"),
)


def inflections(stem: str) -> tuple[str, ...]:
    """A `word*` term: the word and the word with common English, Finglish or Persian endings.

    Expanded when the lexicon is built, so matching stays one set intersection per mention.
    """
    suffixes = _LATIN_SUFFIXES if stem.isascii() else _PERSIAN_SUFFIXES
    return (stem, *(stem + suffix for suffix in suffixes))


def _positions_of(items: Sequence[str], wanted: Iterable[str]) -> list[int]:
    """Indexes of `items` that are in `wanted` (small), found with C-level list.index/count."""
    positions: list[int] = []
    for item in wanted:
        start = items.index(item)
        positions.append(start)
        for _ in range(items.count(item) - 1):
            start = items.index(item, start + 1)
            positions.append(start)
    positions.sort()
    return positions


def load_lexicon(path: Path = CATEGORIES_FILE) -> CategoryLexicon:
    with path.open(encoding="utf-8") as handle:
        return CategoryLexicon(yaml.safe_load(handle) or {})


_LEXICON = load_lexicon()


_HASHTAG_CODE = KIND_CODE[TokenKind.HASHTAG]


def _category_words(view: AnalyzedText) -> Sequence[str]:
    """Words, plus the words inside hashtags (#قطعی_اینترنت says "outage" as much as plain words)."""
    codes = view.kind_codes
    if _HASHTAG_CODE not in codes:
        return view.tokens
    words: list[str] = []
    for token, code in zip(view.tokens, codes, strict=True):
        if code == _HASHTAG_CODE:
            words.extend(part for part in token[1:].split("_") if part)
        else:
            words.append(token)
    return tuple(words)


def categorize(view: AnalyzedText, lexicon: CategoryLexicon | None = None) -> str | None:
    """The complaint category of a mention, or None when it names none clearly."""
    words = view.tokens if _HASHTAG_CODE not in view.kind_codes else _category_words(view)
    return (lexicon or _LEXICON).best(words)


def category_scores(view: AnalyzedText, lexicon: CategoryLexicon | None = None) -> dict[str, float]:
    """Per-category evidence (for explaining a decision and for tests)."""
    totals = (lexicon or _LEXICON).scores(_category_words(view))
    return {name: score for name, score in zip(CATEGORIES, totals, strict=True) if score}
