"""Sentiment features and linear inference from plain-data weights.

Why it is built this way:
- A hand-written lexicon with negation / intensifier / contrast rules carries what a few thousand
  labelled mentions cannot: words the corpus never saw (other domains, other brands). Its output
  enters the model as a handful of dense features, so training decides how much to trust it.
- Word and character n-grams learn what the lexicon misses (colloquial spellings, morphology,
  Finglish). Character n-grams stay inside one word, so a word's whole contribution is a function
  of the word alone and is memoized: scoring a mention costs two dict lookups per token, a rule
  walk over the few tokens the lexicon knows, and two dot products (~90k CPU instructions for a
  150-character mention, about what `analyze` costs), with no approximation.
- Training (`training/train_sentiment.py`) and inference share `token_facts` and `walk`; the
  n-gram part is `sparse_features` there and memoized per-token sums here, and a test checks that
  both give the same logits on the corpus.
Pure: no I/O. The data files are read by `streams.sentiment`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")

# Token roles in the lexicon (column "kind").
POLAR, NEG_PRE, NEG_POST, INTENS, DIMIN, CONTRAST, QUESTION = range(7)
SARCASM, CONCORD, NEUTRAL, QUESTION_LEAD = range(7, 11)
_KINDS = {
    "polar": POLAR,
    "neg_pre": NEG_PRE,
    "neg_post": NEG_POST,
    "intens": INTENS,
    "dimin": DIMIN,
    "contrast": CONTRAST,
    "question": QUESTION,
    "sarcasm": SARCASM,
    "concord": CONCORD,  # هیچ / hich: intensifies, and keeps its noun open to a far negated verb
    "neutral": NEUTRAL,  # معمولی / average: a cue for the neutral label
    "question_lead": QUESTION_LEAD,  # "is", "does": a question cue only as the first token
}


# Rule constants (part of the model definition: changing one needs a retrain).
CONTRAST_BEFORE_SCALE = 0.5  # polarity before the last but/ولی counts half
PRE_NEGATION_WINDOW = 4  # "never had a single problem": tokens a pre-negator reaches forward
POST_NEGATION_REACH = 2  # "خوب کار نمیکنه": words a Persian verb negator reaches back
CONCORD_REACH = 6  # "هیچ مشکلی با تماس تصویری ندارم": after هیچ the verb may stand far away
INTENSIFIER_WINDOW = 2
CHAR_NGRAM_ORDERS = (3, 4)

DENSE_FEATURES: tuple[str, ...] = (
    "lex_pos",
    "lex_neg",
    "lex_net",
    "has_pos",
    "has_neg",
    "pos_and_neg",
    "no_polar",
    "negation",
    "contrast",
    "after_contrast_net",
    "question_mark",
    "question_word",
    "question_no_polar",
    "question_neg",
    "neutral_cue",
    "exclamation",
    "sarcasm_mark",
    "sarcasm_with_praise",
    "emoji_pos",
    "emoji_neg",
    "script_fa",
    "script_en",
    "script_finglish",
    "length",
)

# --- canonical tokens ----------------------------------------------------------------------------

_FOLD = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "آ": "ا",
        "ؤ": "و",
        "\u200c": None,
        "\u200d": None,
        "\u0640": None,
        "'": None,
        "’": None,
        "\ufe0f": None,
        **{chr(cp): None for cp in range(0x064B, 0x0660)},
        **{chr(cp): None for cp in range(0x1F3FB, 0x1F400)},  # skin tones
        **{chr(0x06F0 + d): str(d) for d in range(10)},
        **{chr(0x0660 + d): str(d) for d in range(10)},
    }
)
_RUN3 = re.compile(r"(.)\1{2,}")
_RUN2 = re.compile(r"(.)\1+")
_IS_FA = re.compile(r"[\u0600-\u06ff]")
_PUNCT_ONLY = re.compile(r"^[!?؟.…]+$")

# Written apart by some writers/normalizers; joined before lookup (می خوام → میخوام).
_JOIN_NEXT = frozenset({"می", "نمی", "بی"})
_JOIN_PREV = frozenset({"ها", "های", "هایی", "تر", "ترین"})
JOINERS = _JOIN_NEXT | _JOIN_PREV

_FA_SUFFIXES = (
    "هایی", "های", "ها", "ترین", "تر", "شون", "شان", "تون", "تان", "مون", "مان",
    "است", "اند", "ایم", "ست", "اش", "ای", "یه", "ام", "ه", "ی", "ش", "م", "ن",
)  # fmt: skip
_LATIN_SUFFIXES = (
    "tarin", "tar", "esh", "ash", "ing", "ies", "am", "ie", "ye", "ed", "es", "ly", "ha", "e", "i", "s", "d",
)  # fmt: skip


def _by_last_letter(suffixes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Suffixes grouped by their last letter, longest first: a word only tries the few that fit."""
    return {last: tuple(x for x in suffixes if x[-1] == last) for last in {x[-1] for x in suffixes}}


_SUFFIXES_BY_LAST = {**_by_last_letter(_FA_SUFFIXES), **_by_last_letter(_LATIN_SUFFIXES)}


def canonical_word(token: str) -> str:
    """Lookup form of a word: Persian letters, no ZWNJ/diacritics/apostrophes, lower case,
    elongations cut (3+ repeats → 1 in Persian, → 2 in Latin, as written "soo"/"good")."""
    word = token.translate(_FOLD).lower()
    if _IS_FA.search(word):
        return _RUN2.sub(r"\1", word) if _RUN3.search(word) else word
    return _RUN3.sub(r"\1\1", word)


def rejoin_affixes(tokens: Sequence[str]) -> list[str]:
    """Join Persian verb prefixes / plural suffixes that a writer put apart (بی کیفیت → بیکیفیت)."""
    out: list[str] = []
    glue_next = False
    for token in tokens:
        if glue_next and out:
            out[-1] += token
            glue_next = False
            continue
        if token in _JOIN_PREV and out and _IS_FA.search(out[-1]):
            out[-1] += token
            continue
        out.append(token)
        glue_next = token in _JOIN_NEXT
    return out


def char_ngrams(word: str) -> tuple[str, ...]:
    padded = f"<{word}>"
    return tuple(padded[i : i + n] for n in CHAR_NGRAM_ORDERS for i in range(len(padded) - n + 1))


# --- lexicon -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Parsed lexicon: single-word entries, phrases and emoji/emoticon marks.

    Phrases are indexed by their first and second word (`phrases[first][second]` → the remaining
    words and the polarity, longest first), so checking a common first word such as به or "on"
    costs one dict lookup that usually misses."""

    words: Mapping[str, tuple[int, float]]
    phrases: Mapping[str, Mapping[str, tuple[tuple[tuple[str, ...], float], ...]]]
    marks: Mapping[str, tuple[float, bool]]

    def polar_of(self, word: str) -> float:
        """Polarity of a canonical word; an unlisted word is looked up through its suffixes
        (عالیه → عالی, گرونتره → گرون, raziam → razi) and Persian negated verb forms
        (نمی‌ارزه → flipped می‌ارزه). A listed word, even with polarity 0, is final."""
        entry = self.words.get(word)
        if entry is not None:
            return entry[1] if entry[0] == POLAR else 0.0
        persian = _IS_FA.search(word) is not None
        value = self._stemmed(word, 2 if persian else 1)
        if value is not None:
            return value
        if persian:
            for prefix, replacement in (("نمی", "می"), ("ن", "")):
                if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                    base = replacement + word[len(prefix) :]
                    found = self.words.get(base)
                    positive = found[1] if found is not None and found[0] == POLAR else self._stemmed(base, 1)
                    if positive:
                        return flip(positive)
        return 0.0

    def _stemmed(self, word: str, depth: int) -> float | None:
        """Polarity through the first listed stem (None: no stem is listed)."""
        min_stem = 2 if _IS_FA.search(word) else 3
        for suffix in _SUFFIXES_BY_LAST.get(word[-1:], ()):
            if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
                stem = word[: -len(suffix)]
                entry = self.words.get(stem)
                if entry is not None:
                    return entry[1] if entry[0] == POLAR else 0.0
                if depth > 1 and (value := self._stemmed(stem, depth - 1)) is not None:
                    return value
        return None


def parse_lexicon(lines: Iterable[str], tokenize: Callable[[str], Sequence[str]]) -> Lexicon:
    """Parse `term<TAB>kind<TAB>value` lines; `tokenize` is the text core's tokenizer, so a term is
    looked up exactly as a mention's tokens will look. Later files/lines override earlier ones."""
    words: dict[str, tuple[int, float]] = {}
    phrases: dict[str, dict[str, dict[tuple[str, ...], float]]] = {}
    marks: dict[str, tuple[float, bool]] = {}
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[1] not in _KINDS:
            raise ValueError(f"lexicon line {number}: expected term<TAB>kind<TAB>value, got {line!r}")
        term, kind, value = parts[0].strip(), _KINDS[parts[1]], float(parts[2])
        keys = [key for key in (_token_key(t) for t in rejoin_affixes(tokenize(term))) if key]
        if not keys:
            continue
        if len(keys) == 1 and not any(ch.isalnum() for ch in keys[0]):
            marks[keys[0]] = (value, kind == SARCASM)
        elif len(keys) == 1:
            words[keys[0]] = (kind, value)
        elif kind == POLAR:
            phrases.setdefault(keys[0], {}).setdefault(keys[1], {})[tuple(keys[2:])] = value
        else:
            raise ValueError(f"lexicon line {number}: only polar entries may span words, got {line!r}")
    ordered = {
        first: {
            second: tuple(sorted(more.items(), key=lambda item: -len(item[0])))
            for second, more in seconds.items()
        }
        for first, seconds in phrases.items()
    }
    return Lexicon(words, ordered, marks)


def flip(value: float) -> float:
    """Negated polarity: "not good" is bad, "not bad" is only mildly good."""
    return -0.8 * value if value > 0 else -0.5 * value


# --- per-token facts (weight independent, memoized by the scorer) ---------------------------------

# Token kinds for the rule walk. PLAIN (a word the lexicon says nothing about) is the common case
# and takes the shortest path.
K_EMPTY, K_PLAIN, K_LEX, K_MARK, K_QMARK, K_EXCL, K_OTHER = range(7)


@dataclass(frozen=True, slots=True)
class TokenFacts:
    """What the rules and the model need to know about one token."""

    key: str  # model feature key ("" → the token is ignored)
    kind: int  # K_*
    role: int = POLAR
    polarity: float = 0.0  # lexicon polarity (for marks: the emoji's polarity)
    role_value: float = 0.0  # negator fallback polarity / intensifier multiplier
    sarcasm: bool = False
    phrases: Mapping[str, tuple[tuple[tuple[str, ...], float], ...]] | None = None  # see Lexicon
    grams: tuple[tuple[str, float], ...] = field(default=())  # in-word char n-grams and their weights
    parts: tuple[str, ...] = ()  # word features (hashtag parts, else the key itself)


def _token_key(token: str) -> str:
    if not token:
        return ""
    first = token[0]
    if first == "#" and len(token) > 1:
        return "#" + canonical_word(token[1:])
    if first == "@":
        return "<handle>"
    if token.startswith(("http:", "https:", "www.")):
        return "<url>"
    if _PUNCT_ONLY.match(token):
        return "?" if ("?" in token or "؟" in token) else "!" if "!" in token else "…"
    word = canonical_word(token)
    if word.replace(".", "").replace(",", "").isdigit():
        return "<num>"
    return word


def _grams_of(words: Iterable[str]) -> tuple[tuple[str, float], ...]:
    counts: dict[str, float] = {}
    for word in words:
        grams = char_ngrams(word)
        share = 1.0 / len(grams)
        for gram in grams:
            counts[gram] = counts.get(gram, 0.0) + share
    return tuple(counts.items())


def token_facts(token: str, lexicon: Lexicon) -> TokenFacts:
    key = _token_key(token)
    if not key:
        return TokenFacts("", K_EMPTY)
    if key == "?":
        return TokenFacts(key, K_QMARK, parts=(key,))
    if key == "!":
        return TokenFacts(key, K_EXCL, parts=(key,))
    if key in ("<url>", "<handle>", "<num>", "…"):
        return TokenFacts(key, K_OTHER, parts=(key,))
    mark = lexicon.marks.get(key)
    if mark is not None:
        return TokenFacts(key, K_MARK, polarity=mark[0], sarcasm=mark[1], parts=(key,))
    if not any(ch.isalnum() for ch in key):  # an emoji the lexicon has no polarity for
        return TokenFacts(key, K_OTHER, parts=(key,))
    if key[0] == "#":
        pieces = tuple(p for p in key[1:].split("_") if p)
        polarity = sum(lexicon.polar_of(p) for p in pieces)
        for i in range(len(pieces) - 1):
            seconds = lexicon.phrases.get(pieces[i])
            for more, value in seconds.get(pieces[i + 1], ()) if seconds else ():
                if pieces[i + 2 : i + 2 + len(more)] == more:
                    polarity += value
                    break
        kind = K_LEX if polarity else K_PLAIN
        return TokenFacts(key, kind, polarity=polarity, grams=_grams_of(pieces), parts=pieces)
    entry = lexicon.words.get(key)
    if entry is None:
        role, polarity, role_value = POLAR, lexicon.polar_of(key), 0.0
        if not polarity and _is_negated_verb(key):  # "لک نمیندازه": flips the word before it
            role = NEG_POST
    elif entry[0] == POLAR:
        role, polarity, role_value = POLAR, entry[1], 0.0
    else:
        role, polarity, role_value = entry[0], 0.0, entry[1]
    phrases = lexicon.phrases.get(key)
    kind = K_LEX if (role != POLAR or polarity or phrases) else K_PLAIN
    return TokenFacts(key, kind, role, polarity, role_value, False, phrases, _grams_of((key,)), (key,))


def _is_negated_verb(word: str) -> bool:
    """An unlisted present-tense negated verb (نمی‌…, Finglish nemi…): Persian puts it last."""
    return (word.startswith("نمی") and len(word) >= 5) or (word.startswith("nemi") and len(word) >= 6)


def mention_facts(tokens: Sequence[str], lexicon: Lexicon) -> list[TokenFacts]:
    """Facts of a mention's tokens, affixes rejoined (the un-memoized form training uses)."""
    if not JOINERS.isdisjoint(tokens):
        tokens = rejoin_affixes(tokens)
    return [token_facts(t, lexicon) for t in tokens]


# --- the rule walk ------------------------------------------------------------------------------

# What the walk needs of a token the rules act on: (kind, role, polarity, role_value, sarcasm,
# phrases); None for every other token (plain words, URLs, numbers: the model alone sees those).
Lexical = tuple[int, int, float, float, bool, "Mapping | None"]


def lexical_of(facts: TokenFacts) -> Lexical | None:
    if facts.kind in (K_EMPTY, K_PLAIN, K_OTHER):
        return None
    return (facts.kind, facts.role, facts.polarity, facts.role_value, facts.sarcasm, facts.phrases)


class _SameKey(dict):
    """key_of for sequences that already are canonical keys (training side)."""

    def __missing__(self, key: str) -> str:
        return key


SAME_KEY: Mapping[str, str] = _SameKey()


def walk(
    lexicals: Sequence[Lexical | None],
    tokens: Sequence[str],
    key_of: Mapping[str, str],
    lang: str,
    finglish: bool,
) -> tuple[list[float], int]:
    """Lexicon rules over one mention: phrases, negation (English/Finglish "not good" forward,
    Persian "خوب نیست" backward), intensifiers, contrast (the clause after ولی/but dominates),
    questions, emoji and sarcasm marks.

    `lexicals[i]` is `lexical_of` token i (None for plain words); `key_of[tokens[j]]` gives the
    canonical key of a token, needed only to match phrases. Returns the dense features
    (`DENSE_FEATURES` order) and `cut`, the index where the last contrast clause starts (n-gram
    features before it count `CONTRAST_BEFORE_SCALE`). Only the tokens the lexicon knows are
    visited (most are plain words); windows are token distances. Runs on every mention, hence
    the flat style.
    """
    n = len(lexicals)
    prev_pos = prev_neg = seg_pos = seg_neg = 0.0  # polarity before / after the last contrast
    emoji_pos = emoji_neg = 0.0
    last_val = 0.0  # the latest polar unit, still open to a Persian post-negator
    last_at = -100
    last_reach = POST_NEGATION_REACH
    last_flipped = True
    has_last = False
    neg_at = mult_at = concord_at = -100  # where the open pre-negator / intensifier / هیچ stands
    pre_fallback = 0.0  # polarity of a pre-negator that has flipped nothing (yet)
    mult = 1.0
    flips = 0
    cut = 0
    contrast = qmark = qword = excl = sarcasm = neutral = False
    skip_to = -1
    for i in compress(range(n), lexicals):
        if i <= skip_to:
            continue
        kind, role, polarity, role_value, sarcastic, phrases = lexicals[i]  # type: ignore[misc]
        if kind != K_LEX:
            if kind == K_MARK:
                if polarity > 0:
                    seg_pos += polarity
                    emoji_pos += polarity
                else:
                    seg_neg -= polarity
                    emoji_neg -= polarity
                if sarcastic:
                    sarcasm = True
            elif kind == K_QMARK:
                qmark = True
                neg_at = -100
            else:
                excl = True
            continue
        if phrases is not None and i + 1 < n:
            for more, value in phrases.get(key_of[tokens[i + 1]], ()):
                end = i + 1 + len(more)
                if end < n and all(key_of[tokens[i + 1 + j]] == word for j, word in enumerate(more, 1)):
                    polarity = value
                    role = POLAR
                    skip_to = end
                    break
        if role == POLAR:
            if not polarity:  # a phrase start that did not match here
                continue
            if i - mult_at <= INTENSIFIER_WINDOW:
                polarity *= mult
                mult_at = -100
            flipped = False
            if i - neg_at <= PRE_NEGATION_WINDOW:
                polarity = -0.8 * polarity if polarity > 0 else -0.5 * polarity
                flipped = True
                flips += 1
                neg_at = -100
                pre_fallback = 0.0
            if has_last:
                if last_val > 0:
                    seg_pos += last_val
                else:
                    seg_neg -= last_val
            last_val, last_at, last_flipped, has_last = polarity, i, flipped, True
            last_reach = CONCORD_REACH if i - concord_at <= INTENSIFIER_WINDOW else POST_NEGATION_REACH
        elif role == NEG_POST:
            if has_last and not last_flipped and i - last_at <= last_reach:
                last_val = -0.8 * last_val if last_val > 0 else -0.5 * last_val
                last_flipped = True
                flips += 1
            elif role_value > 0:
                seg_pos += role_value
            elif role_value < 0:
                seg_neg -= role_value
        elif role == NEG_PRE:
            if pre_fallback > 0:
                seg_pos += pre_fallback
            elif pre_fallback < 0:
                seg_neg -= pre_fallback
            neg_at = i
            pre_fallback = role_value
        elif role in (INTENS, DIMIN):
            mult = role_value
            mult_at = i
        elif role == CONCORD:
            mult = role_value
            mult_at = concord_at = i
        elif role == CONTRAST:
            if has_last:
                if last_val > 0:
                    seg_pos += last_val
                else:
                    seg_neg -= last_val
                has_last = False
            if pre_fallback > 0:
                seg_pos += pre_fallback
            elif pre_fallback < 0:
                seg_neg -= pre_fallback
            pre_fallback = 0.0
            neg_at = -100
            prev_pos += seg_pos
            prev_neg += seg_neg
            seg_pos = seg_neg = 0.0
            contrast = True
            cut = i + 1
        elif role == QUESTION:
            qword = True
        elif role == NEUTRAL:
            neutral = True
        elif role == QUESTION_LEAD and i == 0:
            qword = True
    if has_last:
        if last_val > 0:
            seg_pos += last_val
        else:
            seg_neg -= last_val
    if pre_fallback > 0:
        seg_pos += pre_fallback
    elif pre_fallback < 0:
        seg_neg -= pre_fallback
    pos = CONTRAST_BEFORE_SCALE * prev_pos + seg_pos
    neg = CONTRAST_BEFORE_SCALE * prev_neg + seg_neg
    has_pos = pos > 0.0
    has_neg = neg > 0.0
    polar = has_pos or has_neg
    question = qmark or qword
    return [
        math.log1p(pos),
        math.log1p(neg),
        math.tanh((pos - neg) / 3.0),
        1.0 if has_pos else 0.0,
        1.0 if has_neg else 0.0,
        1.0 if has_pos and has_neg else 0.0,
        0.0 if polar else 1.0,
        1.0 if flips else 0.0,
        1.0 if contrast else 0.0,
        math.tanh((seg_pos - seg_neg) / 3.0) if contrast else 0.0,
        1.0 if qmark else 0.0,
        1.0 if qword else 0.0,
        1.0 if question and not polar else 0.0,
        1.0 if question and has_neg else 0.0,
        1.0 if neutral else 0.0,
        1.0 if excl else 0.0,
        1.0 if sarcasm else 0.0,
        1.0 if sarcasm and has_pos else 0.0,
        math.log1p(emoji_pos),
        math.log1p(emoji_neg),
        0.0 if lang == "en" or finglish else 1.0,
        1.0 if lang == "en" and not finglish else 0.0,
        1.0 if finglish else 0.0,
        math.log1p(n) / 3.0,
    ], cut


def lexicon_signals(facts: Sequence[TokenFacts], lang: str, finglish: bool) -> tuple[list[float], int]:
    """Dense lexicon/rule features and the contrast cut of a mention (no model weights needed)."""
    return walk([lexical_of(f) for f in facts], [f.key for f in facts], SAME_KEY, lang, finglish)


def sparse_features(facts: Sequence[TokenFacts], cut: int) -> dict[str, float]:
    """The n-gram features of a mention, named "w|word" and "c|gram" (training side; the scorer
    sums memoized per-token vectors instead, which is the same dot product)."""
    features: dict[str, float] = {}
    norm = 1.0 / math.sqrt(max(len(facts), 1))
    for i, f in enumerate(facts):
        scale = norm * (CONTRAST_BEFORE_SCALE if i < cut else 1.0)
        for part in f.parts:
            name = "w|" + part
            features[name] = features.get(name, 0.0) + scale
        for gram, share in f.grams:
            name = "c|" + gram
            features[name] = features.get(name, 0.0) + scale * share
    return features


# --- weights and inference ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentimentWeights:
    """A trained linear model as plain data (what `sentiment_weights.json` holds)."""

    bias: tuple[float, float, float]
    dense: tuple[tuple[float, float, float], ...]  # one row per DENSE_FEATURES entry
    words: Mapping[str, tuple[float, float, float]]
    chars: Mapping[str, tuple[float, float, float]]

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> SentimentWeights:
        if tuple(data["labels"]) != LABELS:
            raise ValueError(f"weights labels {data['labels']!r} != {LABELS!r}")
        if tuple(data["dense"]) != DENSE_FEATURES:
            raise ValueError("weights were trained with other dense features; retrain the model")

        def rows(table: Mapping[str, Sequence[float]]) -> dict[str, tuple[float, float, float]]:
            return {k: (float(v[0]), float(v[1]), float(v[2])) for k, v in table.items()}

        bias = data["bias"]
        return cls(
            (float(bias[0]), float(bias[1]), float(bias[2])),
            tuple(rows(data["dense"]).values()),
            rows(data["words"]),
            rows(data["chars"]),
        )

    def to_json_dict(self, digits: int = 4) -> dict[str, Any]:
        def row(v: Sequence[float]) -> list[float]:
            return [round(x, digits) for x in v]

        return {
            "labels": list(LABELS),
            "bias": row(self.bias),
            "dense": {name: row(v) for name, v in zip(DENSE_FEATURES, self.dense, strict=True)},
            "words": {k: row(v) for k, v in sorted(self.words.items())},
            "chars": {k: row(v) for k, v in sorted(self.chars.items())},
        }

    def weight_of(self, feature: str) -> tuple[float, float, float] | None:
        """Weight row of a sparse feature name as `sparse_features` spells it ("w|…", "c|…")."""
        table = self.words if feature.startswith("w|") else self.chars
        return table.get(feature[2:])


class LinearSentimentModel:
    """Lexicon rules + linear model over word and char n-grams; `predict` is the hot path.

    Softmax is unchanged by adding one number to all three logits, so the model is held relative
    to the neutral label, and a token's two remaining numbers are memoized as one complex number
    (real: negative, imag: positive): `sum()` over a mention's tokens then adds both in C.
    """

    _CACHE_LIMIT = 100_000  # memoized tokens (~40 MB); social text is Zipfian, so this rarely fills

    def __init__(self, lexicon: Lexicon, weights: SentimentWeights):
        self.lexicon = lexicon
        self.weights = weights
        self._vectors: dict[str, complex] = {}  # token → memoized n-gram logits
        self._lexicals: dict[str, Lexical] = {}  # token → what the rules need (lexical tokens only)
        self._keys: dict[str, str] = {}  # token → canonical key (for phrase matching)
        self._neg_column = tuple(row[0] - row[1] for row in weights.dense)
        self._pos_column = tuple(row[2] - row[1] for row in weights.dense)
        self._neg_bias = weights.bias[0] - weights.bias[1]
        self._pos_bias = weights.bias[2] - weights.bias[1]

    def _learn(self, tokens: Iterable[str]) -> None:
        """Memoize the tokens not seen yet."""
        if len(self._vectors) >= self._CACHE_LIMIT:
            self._vectors.clear()
            self._lexicals.clear()
            self._keys.clear()
        words, chars = self.weights.words, self.weights.chars
        for token in tokens:
            if token in self._vectors:
                continue
            facts = token_facts(token, self.lexicon)
            v0 = v1 = v2 = 0.0
            for part in facts.parts:
                row = words.get(part)
                if row is not None:
                    v0 += row[0]
                    v1 += row[1]
                    v2 += row[2]
            for gram, share in facts.grams:
                row = chars.get(gram)
                if row is not None:
                    v0 += row[0] * share
                    v1 += row[1] * share
                    v2 += row[2] * share
            self._vectors[token] = complex(v0 - v1, v2 - v1)
            self._keys[token] = facts.key
            lexical = lexical_of(facts)
            if lexical is not None:
                self._lexicals[token] = lexical

    def logits(self, tokens: Sequence[str], lang: str, finglish: bool) -> tuple[float, float, float]:
        """Logits up to a shared shift: (negative - neutral, 0, positive - neutral)."""
        if not JOINERS.isdisjoint(tokens):
            tokens = rejoin_affixes(tokens)
        vectors = list(map(self._vectors.get, tokens))
        if None in vectors:
            self._learn(tokens)
            vectors = list(map(self._vectors.get, tokens))
        dense, cut = walk(list(map(self._lexicals.get, tokens)), tokens, self._keys, lang, finglish)
        total = sum(vectors, 0j)  # type: ignore[arg-type]
        if cut:  # tokens before the last contrast word count less
            total += (CONTRAST_BEFORE_SCALE - 1.0) * sum(vectors[:cut], 0j)  # type: ignore[arg-type]
        n = len(vectors)
        if n:
            total /= math.sqrt(n)
        return (
            self._neg_bias + math.sumprod(dense, self._neg_column) + total.real,
            0.0,
            self._pos_bias + math.sumprod(dense, self._pos_column) + total.imag,
        )

    def predict(self, tokens: Sequence[str], lang: str, finglish: bool = False) -> tuple[str, float]:
        """(label, score in [-1, 1]) where score = P(positive) - P(negative)."""
        neg, _, pos = self.logits(tokens, lang, finglish)
        top = neg if neg > pos else pos
        if top < 0.0:
            top = 0.0
        e_neg, e_neu, e_pos = math.exp(neg - top), math.exp(-top), math.exp(pos - top)
        score = (e_pos - e_neg) / (e_neg + e_neu + e_pos)
        if neg >= pos:
            return ("negative", score) if neg >= 0.0 else ("neutral", score)
        return ("positive", score) if pos > 0.0 else ("neutral", score)
