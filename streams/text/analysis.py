"""One pass over a mention's text that every enrich step shares (normalize once, tokenize once).

Brand matching, sentiment, category and key terms all read the same `AnalyzedText`, so the text
is normalized and tokenized exactly once per mention, and they can never disagree about what a
word is.
"""

from __future__ import annotations

from typing import NamedTuple

from streams.text.language import detect_language
from streams.text.normalizer import (
    FIRST_WORD_CODE,
    KIND_BY_CODE,
    KIND_CODE,
    TokenKind,
    normalized_tokens_and_codes,
    tokens_and_codes,
)


class _Fields(NamedTuple):
    raw: str
    normalized: str
    tokens: tuple[str, ...]
    lang: str
    kind_codes: str = ""
    finglish: bool = False


class AnalyzedText(_Fields):
    """A mention's text, normalized and tokenized (see `streams.text.normalizer` for the rules).

    - `normalized`: the tokens joined by single spaces (the canonical text; always, also when a
      view is built by hand: the constructor recomputes it);
    - `tokens[i]` has kind `kinds[i]`; `kind_codes[i]` is the same kind as one letter
      (`normalizer.KIND_CODE`; lowercase = a word, and for Latin words the letter also says
      whether the word looks Finglish or English), the compact form the hot paths use;
    - `lang`: "fa" (Persian script, or Finglish), "en", or "und" (no letters);
    - `finglish`: the text is Persian written in Latin letters (then lang == "fa").

    Immutable (a tuple underneath: constructing a frozen dataclass costs 4× more, per mention).
    """

    __slots__ = ()

    def __new__(
        cls,
        raw: str,
        normalized: str,
        tokens: tuple[str, ...] | list[str],
        lang: str,
        kind_codes: str = "",
        finglish: bool = False,
    ) -> AnalyzedText:
        tokens = tuple(tokens)
        normalized = " ".join(tokens)  # by definition; readers rely on it
        if len(kind_codes) != len(tokens):
            # Built by hand (tests, older callers) without kinds: derive them from the tokens.
            kind_codes = "".join(code_of(token) for token in tokens)
        return super().__new__(cls, raw, normalized, tokens, lang, kind_codes, finglish)

    @property
    def kinds(self) -> tuple[TokenKind, ...]:
        return tuple(map(KIND_BY_CODE.__getitem__, self.kind_codes))

    def _of_kind(self, kind: TokenKind) -> tuple[str, ...]:
        code = KIND_CODE[kind]
        if code not in self.kind_codes:
            return ()
        return tuple(t for t, c in zip(self.tokens, self.kind_codes, strict=True) if c == code)

    @property
    def words(self) -> tuple[str, ...]:
        """Word and number tokens (no hashtags, handles, URLs, emoji or punctuation)."""
        return tuple(t for t, c in zip(self.tokens, self.kind_codes, strict=True) if c >= FIRST_WORD_CODE)

    @property
    def hashtags(self) -> tuple[str, ...]:
        return self._of_kind(TokenKind.HASHTAG)

    @property
    def handles(self) -> tuple[str, ...]:
        return self._of_kind(TokenKind.HANDLE)

    @property
    def urls(self) -> tuple[str, ...]:
        return self._of_kind(TokenKind.URL)

    @property
    def emoji(self) -> tuple[str, ...]:
        """Emoji and emoticons (":)", ":(", "❤"), in order, repeats kept."""
        return self._of_kind(TokenKind.EMOJI)


_new_view = tuple.__new__


def code_of(token: str) -> str:
    """Kind code of one normalized token."""
    codes = tokens_and_codes(token)[1]
    return codes[0] if codes else KIND_CODE[TokenKind.OTHER]


def kind_of(token: str) -> TokenKind:
    """Kind of one normalized token."""
    return KIND_BY_CODE[code_of(token)]


def analyze(text: str) -> AnalyzedText:
    """Normalize, tokenize and detect the language of a mention's text, once."""
    normalized, tokens, codes = normalized_tokens_and_codes(text)
    lang, finglish = detect_language(tokens, codes)
    return _new_view(AnalyzedText, (text, normalized, tokens, lang, codes, finglish))
