"""Key terms of a mention for alert evidence ("what people are saying").

Content words only: stopwords of Persian (formal and colloquial), English and Finglish, URLs,
handles (people, and a way to ping someone from an alert), numbers, emoji, punctuation and
one-letter tokens are left out. Hashtags are kept: they are often the name of the incident.
Terms keep their first-appearance order and appear once.
"""

from __future__ import annotations

from collections.abc import Collection

from streams.text.analysis import AnalyzedText
from streams.text.normalizer import KIND_CODE, LATIN_CODES, TokenKind
from streams.text.wordlists import load_wordlist

STOPWORDS = (
    load_wordlist("stopwords_fa.txt")
    | load_wordlist("stopwords_en.txt")
    | load_wordlist("stopwords_finglish.txt")
)
_HASHTAG_CODE = KIND_CODE[TokenKind.HASHTAG]
_TERM_CODES = frozenset({KIND_CODE[TokenKind.FA], KIND_CODE[TokenKind.OTHER], _HASHTAG_CODE, *LATIN_CODES})


def key_terms(view: AnalyzedText, limit: int = 8, *, exclude: Collection[str] = ()) -> list[str]:
    """Up to `limit` content terms of the mention, in order; `exclude` drops more (e.g. brand aliases)."""
    terms: list[str] = []
    if limit <= 0:
        return terms
    for token, code in zip(view.tokens, view.kind_codes, strict=True):
        if code not in _TERM_CODES or len(token) < 2 or token in STOPWORDS or token in exclude:
            continue
        if code == _HASHTAG_CODE and len(token) < 3:
            continue
        if token not in terms:
            terms.append(token)
            if len(terms) >= limit:
                break
    return terms
