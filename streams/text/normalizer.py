"""Canonical text for matching and scoring: one token stream that every enrich step shares.

Why it looks like this:
- Persian social media mixes Arabic letter forms (ي ك ة ۀ أ إ), Persian, Arabic-Indic and ASCII
  digits, diacritics, kashida (ـ), ZWNJ used, skipped or replaced by a space, elongations
  (خیلیییی, sooooo), emoji, emoticons, hashtags with underscores, handles and URLs. Matching,
  sentiment and category all need the same canonical form, so it is computed once here.
- The hot path must run far above hazm's `Normalizer` (~5,000 texts/s). `str.translate` with a
  dict costs ~0.15 µs per character on non-ASCII text, so the whole text is never translated:
  it is split on whitespace (C speed) and each whitespace-free chunk is normalized once and
  memoized. Social text is Zipfian, so almost every chunk is a cache hit; a miss costs a few µs.
  The memo is a pure function cache (same input, same output), bounded by two generations.

The canonical form (`normalize`) is the tokens joined by single spaces, so
`tokenize(normalize(x)) == tokenize(x)` and `normalize` is idempotent. Token rules:
- Persian words: Arabic letter forms folded to Persian (ي ى ئ→ی, ك→ک, ة ۀ ہ ھ→ه, أ إ ٱ→ا, ؤ→و),
  diacritics (harakat, tanwin, shadda, sukun, hamza marks, superscript alef) and kashida removed,
  ZWNJ removed inside the word (نوین‌نت → نویننت, می‌خوام → میخوام), a letter repeated 3+ times
  collapsed to one (خیلیییی → خیلی; doubled letters such as رییس are kept). The verb prefixes
  می/نمی written apart are joined to their verb and plural/comparative suffixes (ها, های, تر, ترین)
  to their word, so "می خوام", "می‌خوام" and "میخوام" are one token.
- Latin words: case folded, accents removed (café → cafe), a letter repeated 3+ times cut to two
  (sooooo → soo, goooood → good), apostrophes kept (don't) except a final 's (novinnet's → novinnet).
- Numbers: any digit script → ASCII, thousands separators dropped (۱٬۲۰۰ → 1200), ٫ → ".".
- Kept as single tokens: URLs (lowercased, trailing punctuation dropped), @handles (lowercased),
  #hashtags (body normalized like words, underscores kept), emoji (skin tones and variation
  selectors dropped), emoticons (":)))" → ":)", ":((" → ":(", "<3" → "❤"), and runs of ! / ? / ؟
  ("!", "!!", "?", "??", "?!"). Other punctuation only separates tokens.

Each token also gets a kind (`TokenKind`), stored per mention as one letter per token
(`KIND_CODE`, e.g. "ffnlHE"): the hot paths count and scan that string instead of looping in Python.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from enum import IntEnum
from itertools import chain
from operator import itemgetter

from streams.text import finglish


class TokenKind(IntEnum):
    """What a token is; word kinds sort before the others so `kind <= NUMBER` means "a word"."""

    FA = 0  # Persian/Arabic-script word
    LATIN = 1  # Latin-script word (English or Finglish)
    OTHER = 2  # word in another script (Cyrillic, CJK, ...)
    NUMBER = 3
    HASHTAG = 4
    HANDLE = 5
    URL = 6
    EMOJI = 7  # emoji and emoticons
    PUNCT = 8  # ! ? runs


# --- character folding -------------------------------------------------------------------------

_DELETE = (
    "\u0640"  # kashida (tatweel)
    "\u200c\u200d\u200b\u2060\ufeff"  # ZWNJ, ZWJ, ZWSP, word joiner, BOM: removed inside a token
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi controls
    "\u00ad"  # soft hyphen
    "\u0670"  # superscript alef
    "\u0674"  # high hamza
)
_CHAR_FOLD: dict[int, str | None] = {ord(ch): None for ch in _DELETE}
_CHAR_FOLD.update({cp: None for cp in range(0x064B, 0x0660)})  # harakat, tanwin, shadda, sukun, hamza marks
_CHAR_FOLD.update({cp: None for cp in range(0x0610, 0x061B)})  # honorific marks
_CHAR_FOLD.update({cp: None for cp in range(0x06D6, 0x06EE)})  # Quranic annotation marks
_CHAR_FOLD.update(
    {
        ord("ي"): "ی",
        ord("ى"): "ی",
        ord("ئ"): "ی",
        ord("ې"): "ی",
        ord("ۍ"): "ی",
        ord("ێ"): "ی",
        ord("ك"): "ک",
        ord("ڪ"): "ک",
        ord("ګ"): "ک",
        ord("ة"): "ه",
        ord("ۀ"): "ه",
        ord("ہ"): "ه",
        ord("ھ"): "ه",
        ord("ە"): "ه",
        ord("ۂ"): "ه",
        ord("أ"): "ا",
        ord("إ"): "ا",
        ord("ٱ"): "ا",
        ord("ٲ"): "ا",
        ord("ٳ"): "ا",
        ord("ؤ"): "و",
        ord("ۄ"): "و",
        ord("’"): "'",
        ord("‘"): "'",
        ord("ʼ"): "'",
    }
)
for _i in range(10):
    _CHAR_FOLD[0x0660 + _i] = str(_i)  # Arabic-Indic digits
    _CHAR_FOLD[0x06F0 + _i] = str(_i)  # Persian digits
_CHAR_FOLD[0x066B] = "."  # Arabic decimal separator
_CHAR_FOLD[0x066C] = ","  # Arabic thousands separator
_CHAR_TABLE = str.maketrans(_CHAR_FOLD)

# Presentation forms, full-width Latin and "fancy font" letters need NFKC; rare, so only on demand.
_NEEDS_NFKC = re.compile("[\ufb50-\ufdff\ufe70-\ufefe\uff00-\uffef\U0001d400-\U0001d7ff\u2460-\u24ff]")

_PERSIAN_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
_LATIN_ELONGATION = re.compile(r"([a-z])\1{2,}")
_ANY_REPEAT = re.compile(r"([^\W\d_])\1+")

# --- tokenization of one whitespace-free chunk ----------------------------------------------

_FA_CHARS = "\u0621-\u065f\u066e-\u06d3\u06d5-\u06ef\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff\u200c\u200d"
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_DIGIT = "0-9\u0660-\u0669\u06f0-\u06f9"
_EMOJI = (
    "\U0001f000-\U0001f3fa\U0001f400-\U0001faff"  # pictographs, emoticons, transport, flags, ...
    "\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff\u2764\u203c\u2049\u3030\u303d"
)
_CHUNK_TOKEN = re.compile(
    rf"""
    (?P<url>(?:https?://|www\.)\S*[^\s.,;:!?)\]}}>"'\u060c\u061b\u061f\u00bb])
   |(?P<handle>(?<![\w@])@[A-Za-z0-9_.]*[A-Za-z0-9_])
   |(?P<hashtag>(?<![\w&])\#[\w\u200c\u200d\u064b-\u065f\u0670]*[^\W_][\w\u200c\u200d\u064b-\u065f\u0670]*)
   |(?P<emoticon>[:;=][-']?[()\[\]DPp/\\|*]+|<3+)
   |(?P<latin>[{_LATIN_LETTER}0-9]*[{_LATIN_LETTER}][{_LATIN_LETTER}0-9]*(?:['’][{_LATIN_LETTER}]+)?)
   |(?P<number>[{_DIGIT}]+(?:[.,/\u066b\u066c][{_DIGIT}]+)*)
   |(?P<fa>[{_FA_CHARS}]+)
   |(?P<emoji>[{_EMOJI}])
   |(?P<punct>[!?\u061f]+)
   |(?P<other>[^\W\d_]+)
    """,
    re.VERBOSE,
)
_SPACES_IN_HASHTAG = re.compile(r"_+")


def _fold_chars(text: str) -> str:
    """Arabic forms → Persian, digits → ASCII, marks removed, composed madda kept."""
    if "\u0653" in text:  # alef + combining madda is آ, not a bare alef
        text = text.replace("\u0627\u0653", "\u0622")
    return text.translate(_CHAR_TABLE)


def _persian_word(text: str) -> str:
    return _PERSIAN_ELONGATION.sub(r"\1", _fold_chars(text))


def _latin_word(text: str) -> str:
    text = _fold_chars(text).lower()
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    if text.endswith("'s"):  # possessive / "it's": the name matters, not the clitic
        text = text[:-2]
    return _LATIN_ELONGATION.sub(r"\1\1", text)


def squeeze(token: str) -> str:
    """Every run of a repeated letter cut to one ("kheilii" → "kheili", "goood" → "god").

    Too lossy for the canonical form (it merges good/god), useful as a fallback key for lexicon
    lookups of elongated Latin/Finglish words that `normalize` cut to two letters.
    """
    return _ANY_REPEAT.sub(r"\1", token)


def _hashtag(text: str) -> str:
    body = _fold_chars(text[1:]).lower()
    body = _LATIN_ELONGATION.sub(r"\1\1", _PERSIAN_ELONGATION.sub(_collapse_by_script, body))
    body = _SPACES_IN_HASHTAG.sub("_", body).strip("_")
    return "#" + body if body else ""


def _collapse_by_script(match: re.Match[str]) -> str:
    ch = match.group(1)
    return ch + ch if ch.isascii() else ch


def _emoticon(text: str) -> str:
    if text.startswith("<"):
        return "❤"
    eyes = ";" if text[0] == ";" else ":"
    if any(ch in text for ch in "([") and not any(ch in text for ch in ")]"):
        return eyes + "("
    if any(ch in text for ch in ")]D"):
        return eyes + ")"
    if "P" in text or "p" in text:
        return eyes + "p"
    return eyes + "/"


def _punct(text: str) -> str:
    text = text.replace("\u061f", "?")
    if "!" in text and "?" in text:
        return "?!"
    if len(text) == 1:
        return text
    return text[0] * 2


def _number(text: str) -> str:
    return _fold_chars(text).replace(",", "")


def _chunk_tokens(chunk: str) -> tuple[tuple[str, ...], tuple[TokenKind, ...]]:
    """Normalize one whitespace-free chunk into (tokens, kinds). The slow path; memoized by caller."""
    if _NEEDS_NFKC.search(chunk):
        chunk = unicodedata.normalize("NFKC", chunk)
        if any(ch.isspace() for ch in chunk):  # NFKC may produce spaces (e.g. ligatures)
            parts = [_chunk_tokens(part) for part in chunk.split()]
            return tuple(chain.from_iterable(p[0] for p in parts)), tuple(
                chain.from_iterable(p[1] for p in parts)
            )
    tokens: list[str] = []
    kinds: list[TokenKind] = []
    for match in _CHUNK_TOKEN.finditer(chunk):
        group = match.lastgroup
        text = match.group()
        if group == "fa":
            token, kind = _persian_word(text), TokenKind.FA
        elif group == "latin":
            token, kind = _latin_word(text), TokenKind.LATIN
        elif group == "number":
            token, kind = _number(text), TokenKind.NUMBER
        elif group == "hashtag":
            token, kind = _hashtag(text), TokenKind.HASHTAG
        elif group == "handle":
            token, kind = "@" + text[1:].lower(), TokenKind.HANDLE
        elif group == "url":  # the pattern already leaves trailing punctuation out
            token, kind = text.lower(), TokenKind.URL
        elif group == "emoji":
            token, kind = text, TokenKind.EMOJI
        elif group == "emoticon":
            token, kind = _emoticon(text), TokenKind.EMOJI
        elif group == "punct":
            token, kind = _punct(text), TokenKind.PUNCT
        else:
            token, kind = _latin_word(text), TokenKind.OTHER
        if token:
            tokens.append(token)
            kinds.append(kind)
    return tuple(tokens), tuple(kinds)


# Each token's kind is also written as one letter, so that a mention's kinds are one string
# ("ffnlHE...") built by one C-level join, counted with str.count and scanned with str.find.
# Words are lowercase letters, everything else uppercase, so `code >= "a"` means "a word".
# Latin words carry their Finglish/English vote (streams.text.finglish) in the letter.
KIND_CODE = {
    TokenKind.FA: "f",
    TokenKind.LATIN: "l",
    TokenKind.OTHER: "o",
    TokenKind.NUMBER: "n",
    TokenKind.HASHTAG: "H",
    TokenKind.HANDLE: "M",
    TokenKind.URL: "U",
    TokenKind.EMOJI: "E",
    TokenKind.PUNCT: "P",
}
LATIN_CODE_BY_VOTE = {
    finglish.FINGLISH: "g",
    finglish.FINGLISH_LOOKING: "h",
    finglish.NEUTRAL: "l",
    finglish.ENGLISH_LOOKING: "d",
    finglish.ENGLISH: "e",
}
LATIN_CODES = "".join(LATIN_CODE_BY_VOTE.values())
KIND_BY_CODE = {code: kind for kind, code in KIND_CODE.items()} | {
    code: TokenKind.LATIN for code in LATIN_CODES
}
FIRST_WORD_CODE = "a"  # code >= this: a word

_ChunkEntry = tuple[str, str, tuple[str, ...]]  # (tokens joined by " ", kind codes, tokens)


def _token_code(token: str, kind: TokenKind) -> str:
    if kind is TokenKind.LATIN:
        return LATIN_CODE_BY_VOTE[finglish.latin_vote(token)]
    if kind is TokenKind.FA and token in _AFFIXES:
        return _AFFIX_CODE
    return KIND_CODE[kind]


# Chunks that are one plain word (standard Persian letters and ZWNJ, or ASCII letters), maybe
# followed by a separator (، . , ; :), need no character folding: a memo miss on them, the most
# common kind, skips the general tokenizer.
_PLAIN_PERSIAN_WORD = re.compile("([آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی\u200c]+)[.,;:\u060c\u061b]*")
_PLAIN_LATIN_WORD = re.compile("([A-Za-z]+)[.,;:]*")


def _chunk_entry(chunk: str) -> _ChunkEntry:
    plain = _PLAIN_PERSIAN_WORD.fullmatch(chunk)
    if plain is not None:
        token = _PERSIAN_ELONGATION.sub(r"\1", plain.group(1).replace("\u200c", ""))
        if token:
            return token, _token_code(token, TokenKind.FA), (token,)
    plain = _PLAIN_LATIN_WORD.fullmatch(chunk)
    if plain is not None:
        token = _LATIN_ELONGATION.sub(r"\1\1", plain.group(1).lower())
        return token, _token_code(token, TokenKind.LATIN), (token,)
    tokens, kinds = _chunk_tokens(chunk)
    return " ".join(tokens), "".join(map(_token_code, tokens, kinds)), tokens


class _ChunkMemo:
    """Two-generation memo of chunk → (joined tokens, kind codes, tokens): bounded, LRU-like, cheap.

    Lookups hit `young`; a miss is looked up in `old` (promoted) or computed. When `young` is full
    it becomes `old` and the previous `old` is dropped, so at most 2 × capacity chunks are held.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.young: dict[str, _ChunkEntry] = {}
        self.old: dict[str, _ChunkEntry] = {}

    def lookup(self, chunks: list[str]) -> list[_ChunkEntry]:
        entries = list(map(self.young.get, chunks))
        if None in entries:
            self.fill(chunks, entries)
        return entries  # type: ignore[return-value]

    def fill(self, chunks: list[str], entries: list[_ChunkEntry | None]) -> None:
        """Replace the None entries (memo misses) of `chunks`: promoted from `old` or computed."""
        for i, entry in enumerate(entries):
            if entry is None:
                chunk = chunks[i]
                entry = self.old.get(chunk)
                if entry is None:
                    entry = _chunk_entry(chunk)
                if len(self.young) >= self.capacity:
                    self.old = self.young
                    self.young = {}
                self.young[chunk] = entry
                entries[i] = entry

    def clear(self) -> None:
        self.young.clear()
        self.old.clear()


CHUNK_MEMO = _ChunkMemo(capacity=50_000)

_JOINED = itemgetter(0)
_CODES = itemgetter(1)
_TOKENS = itemgetter(2)
_FA_CODE = KIND_CODE[TokenKind.FA]

# Spaced affixes that belong to the neighbouring word (hazm joins them with ZWNJ; we join them).
_VERB_PREFIXES = frozenset({"می", "نمی"})
_WORD_SUFFIXES = frozenset({"ها", "های", "هایی", "هایم", "هایت", "هایش", "هامون", "هاشون", "تر", "ترین"})
_AFFIXES = _VERB_PREFIXES | _WORD_SUFFIXES
# Memo code of a Persian token that may join a neighbour: one `in` test finds mentions that need it.
_AFFIX_CODE = "a"


def _join_affixes(tokens: Sequence[str], codes: str) -> tuple[list[str], str]:
    """Join spaced می/نمی to the next Persian word and ها/تر/... to the previous one.

    Not when the join would put three equal letters together (هه + ها): that would be read back
    as an elongation and change the word, and normalizing twice must give the same text.
    """
    out_tokens: list[str] = []
    out_codes: list[str] = []
    pending_prefix = False
    for token, code in zip(tokens, codes.replace(_AFFIX_CODE, _FA_CODE), strict=True):
        if code == _FA_CODE:
            if pending_prefix and _joinable(out_tokens[-1], token):
                out_tokens[-1] += token
                pending_prefix = False
                continue
            if (
                token in _WORD_SUFFIXES
                and out_codes
                and out_codes[-1] == _FA_CODE
                and out_tokens[-1] not in _AFFIXES
                and _joinable(out_tokens[-1], token)
            ):
                out_tokens[-1] += token
                continue
            pending_prefix = token in _VERB_PREFIXES
        else:
            pending_prefix = False
        out_tokens.append(token)
        out_codes.append(code)
    return out_tokens, "".join(out_codes)


def _joinable(left: str, right: str) -> bool:
    return _PERSIAN_ELONGATION.search(left[-2:] + right[:2]) is None


def normalized_tokens_and_codes(text: str) -> tuple[str, tuple[str, ...], str]:
    """(normalized text, tokens, kind codes) of `text`: the hot path behind `analyze`.

    Almost every chunk is exactly one token, and then the memo's strings are the tokens. A chunk
    with no token (a lone "،") or several ("سلام!") makes the fast path fall back to a split.
    """
    entries = CHUNK_MEMO.lookup(text.split())
    tokens = tuple(map(_JOINED, entries))
    codes = "".join(map(_CODES, entries))
    if len(codes) == len(tokens) and "" not in tokens:
        normalized = " ".join(tokens)
    else:
        tokens = tuple(chain.from_iterable(map(_TOKENS, entries)))
        normalized = " ".join(tokens)
    if _AFFIX_CODE in codes:
        merged, codes = _join_affixes(tokens, codes)
        tokens = tuple(merged)
        normalized = " ".join(tokens)
    return normalized, tokens, codes


def tokens_and_codes(text: str) -> tuple[list[str], str]:
    """Canonical tokens of `text` (raw or normalized) and their kinds as a code string."""
    _, tokens, codes = normalized_tokens_and_codes(text)
    return list(tokens), codes


def tokens_and_kinds(text: str) -> tuple[list[str], list[TokenKind]]:
    """Canonical tokens of `text` (raw or already normalized) with the kind of each token."""
    tokens, codes = tokens_and_codes(text)
    return tokens, [KIND_BY_CODE[code] for code in codes]


def tokenize(normalized: str) -> list[str]:
    """Tokens of a normalized text (raw text works too: the result is the same)."""
    return tokens_and_codes(normalized)[0]


def normalize(text: str) -> str:
    """Canonical form: normalized tokens joined by single spaces (idempotent)."""
    return normalized_tokens_and_codes(text)[0]


def match_fold(normalized: str) -> str:
    """Fold spelling variants that should match each other, on a normalized (space-joined) text.

    Finglish writes one Persian sound several ways; both the config and the text are folded the
    same way, so "sheypoor", "sheipour" and "sheypur" meet, as do "khodro"/"khodrou", "tapsi"/"tapsy",
    "gheymat"/"qeymat". Rules: ph→f, w→v, q→gh, u→o then oo→o (so ou/oo/u all become o), ee→i,
    ey→ei, aa→a, word-final y→i and eh→e (also before "_" in hashtags). Doubled consonants are kept on
    purpose ("snapp" must not become the English word "snap"). Persian is untouched (the brand
    matcher registers آ/ا variants of its keys instead). Spaces are never added or removed, so the
    folded text splits into exactly the original tokens.
    """
    text = (
        normalized.replace("ph", "f")
        .replace("w", "v")
        .replace("q", "gh")
        .replace("u", "o")
        .replace("oo", "o")
        .replace("ee", "i")
        .replace("ey", "ei")
        .replace("aa", "a")
    )
    if "y" in text or "eh" in text:  # word ends: before a space, a hashtag "_" or the end
        text = (
            (text + " ")
            .replace("y ", "i ")
            .replace("eh ", "e ")
            .replace("y_", "i_")
            .replace("eh_", "e_")[:-1]
        )
    return text
