"""Which language a mention is in: Persian, English, or Finglish (Persian in Latin letters).

Script decides first: a post with at least as many Persian-script words as Latin words is "fa"
(Persian first; a Latin handle or brand name in a Persian post does not make it English).
A Latin-script post is Finglish ("internetam ghat shode", "kheili bade") when its words look more
Persian than English: each Latin word carries a vote (see `streams.text.finglish`) in its kind
code, so this is a handful of `str.count` calls per mention. Finglish needs at least one clear
Finglish word or two Finglish-looking ones, and more Finglish weight than English weight.
Finglish is reported as lang "fa" with `finglish=True`, so sentiment can treat it as Persian.
No letters at all → "und" (or the language of the hashtags, when the post is only hashtags).
"""

from __future__ import annotations

from collections.abc import Sequence

from streams.text import finglish
from streams.text.normalizer import KIND_CODE, LATIN_CODE_BY_VOTE, LATIN_CODES, TokenKind

_FA = KIND_CODE[TokenKind.FA]
_HASHTAG = KIND_CODE[TokenKind.HASHTAG]
_FINGLISH = LATIN_CODE_BY_VOTE[finglish.FINGLISH]
_FINGLISH_LOOKING = LATIN_CODE_BY_VOTE[finglish.FINGLISH_LOOKING]
_ENGLISH = LATIN_CODE_BY_VOTE[finglish.ENGLISH]
_ENGLISH_LOOKING = LATIN_CODE_BY_VOTE[finglish.ENGLISH_LOOKING]


def detect_language(tokens: Sequence[str], kind_codes: str) -> tuple[str, bool]:
    """(lang, finglish) of normalized tokens and their kind codes: ("fa"|"en"|"und", is Finglish)."""
    persian = kind_codes.count(_FA)
    if persian and persian * 2 >= len(kind_codes):  # most Persian posts: Latin words cannot outnumber
        return "fa", False
    latin = sum(map(kind_codes.count, LATIN_CODES))
    if persian == 0 and latin == 0:
        return _language_of_hashtags(tokens, kind_codes), False
    if persian >= latin:
        return "fa", False
    finglish_weight = kind_codes.count(_FINGLISH) + 0.5 * kind_codes.count(_FINGLISH_LOOKING)
    english_weight = kind_codes.count(_ENGLISH) + 0.5 * kind_codes.count(_ENGLISH_LOOKING)
    if finglish_weight >= 1.0 and finglish_weight > english_weight:
        return "fa", True
    return "en", False


def _language_of_hashtags(tokens: Sequence[str], kind_codes: str) -> str:
    """A post of only hashtags/emoji still has a language if its hashtags have words."""
    for token, code in zip(tokens, kind_codes, strict=True):
        if code == _HASHTAG:
            body = token[1:].replace("_", "")
            if any("\u0600" <= ch <= "\u06ff" for ch in body):
                return "fa"
            if any("a" <= ch <= "z" for ch in body):
                return "en"
    return "und"
