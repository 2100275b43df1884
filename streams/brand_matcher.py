"""Which configured brands a mention is about: hash lookups over token windows, never a loop over brands.

Every alias, handle, hashtag and exclusion phrase of every brand is turned into a *key* once, at
construction: its normalized word tokens, spelling-folded (`match_fold`: Finglish variants) and
concatenated without spaces. "نوین نت", "نوین‌نت" and "نویننت" all become the key نویننت; "Novin Net"
becomes novinnet. Matching a mention:
1. one C-level set intersection of its tokens with all keys and key prefixes finds the few
   positions where a match can start (most tokens of most mentions are never touched in Python);
2. from each such position a window grows, token by token, while its concatenation is a prefix of
   some key, and the longest window that is a key wins (leftmost-longest: "snapp food" is SnappFood,
   not Snapp).
So a key matches whole tokens only (word boundaries: "snapp" is not found inside "snappfood"),
however the text splits it (novinnet, novin net, نوین نت, نوین‌نت), and the work per mention depends
on the mention, not on the number of brands: 10,000 brands cost what 10 do, only memory grows.

Variants registered per alias: Persian names with clitics glued on (اسنپو, نوین‌نته, دیجیکالام),
madda left out (اسیاتک for آسیاتک), the Finglish ezafe (hamrahe aval for "hamrah aval").

Where each kind of config entry matches:
- aliases: plain words, hashtag parts (#قطعی_نوین_نت), handle bodies (@novinnet), URL parts
  (novinnet.ir, instagram.com/novinnet);
- hashtags: hashtags only (their words, split at "_"); handles: handles and URL parts only;
- `substring_ok` aliases: also inside longer words (one trie-shaped regex over the text);
- `exclude` phrases: anywhere in plain words or hashtags; a mention containing one is not matched
  for that brand (pre-tagged brand ids from the source are trusted and kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from streams.config import BrandConfig
from streams.text.analysis import AnalyzedText
from streams.text.normalizer import (
    FIRST_WORD_CODE,
    KIND_CODE,
    LATIN_CODES,
    TokenKind,
    match_fold,
    tokens_and_kinds,
)

MAX_WINDOW_TOKENS = 8  # the longest alias/exclusion, in text tokens, that is looked for
MIN_SPLIT_PREFIX = 3  # shortest first piece of a key split where the config did not split it
# Endings colloquial Persian attaches to a name (object marker, "is", possessives, plural, ...).
PERSIAN_CLITICS = ("و", "رو", "ه", "ی", "یه", "ها", "های", "ش", "م", "ت", "مون", "تون", "شون", "اش", "ام")

_WORD = TokenKind.NUMBER  # kinds <= this are words
_HASHTAG = TokenKind.HASHTAG
_HANDLE = TokenKind.HANDLE
_HASHTAG_CODE = KIND_CODE[TokenKind.HASHTAG]
_HANDLE_CODE = KIND_CODE[TokenKind.HANDLE]
_URL_CODE = KIND_CODE[TokenKind.URL]
_NO_KEYS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
_NO_PREFIXES: frozenset[str] = frozenset()
_SPECIAL_CODES_RE = re.compile(f"[{_HASHTAG_CODE}{_HANDLE_CODE}{_URL_CODE}]")
_URL_SPLIT = re.compile(r"[./\-_?=&#:~+%]+")


@dataclass(slots=True)
class _Entry:
    """What finding one key means: these brands are mentioned / these brands are excluded."""

    brands: list[int] = field(default_factory=list)
    excludes: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _KeySpace:
    """Keys valid in one context (plain words, hashtags, ...) and the prefixes a window may grow from.

    A window grows while its text is a prefix of some key. Prefixes at the key's own word
    boundaries ("novin" of "novin net") are always kept. Other prefixes let a text split a key
    where the config did not ("novin net" for the alias "novinnet", "دیجی کالا" for "دیجیکالا"),
    but only from `MIN_SPLIT_PREFIX` characters: shorter ones are the most common words of the
    language (با، تا، را، to, in) and would make the scan try windows at half the tokens.
    """

    keys: dict[str, _Entry] = field(default_factory=dict)
    prefixes: set[str] = field(default_factory=set)

    def add(
        self, parts: Sequence[str], brand: int, *, exclude: bool = False, split_from: int = MIN_SPLIT_PREFIX
    ) -> None:
        """Register a key; `split_from` is the shortest prefix a text may split it at (see above)."""
        if any("آ" in part for part in parts):
            # Madda is often left out (اسیا for آسیا): register the key both ways.
            self.add(
                [part.replace("آ", "ا") for part in parts], brand, exclude=exclude, split_from=split_from
            )
        key = "".join(parts)
        if not key:
            return
        entry = self.keys.get(key)
        if entry is None:
            entry = self.keys[key] = _Entry()
        bucket = entry.excludes if exclude else entry.brands
        if brand not in bucket:
            bucket.append(brand)
        for count in range(1, len(parts)):
            self.prefixes.add("".join(parts[:count]))
        for end in range(split_from, len(key)):
            self.prefixes.add(key[:end])


def _phrase_tokens(text: str) -> tuple[list[str], list[TokenKind]]:
    tokens, kinds = tokens_and_kinds(text)
    return match_fold(" ".join(tokens)).split(" ") if tokens else [], kinds


class BrandMatcher:
    """Finds configured brands in analyzed mentions. Build once per config; `match` is read-only."""

    def __init__(self, brands: Sequence[BrandConfig]) -> None:
        self._ids: list[str] = [brand.id for brand in brands]
        self._known: frozenset[str] = frozenset(self._ids)
        self._words = _KeySpace()  # aliases + exclusions: valid in words, hashtags and URLs
        self._tags = _KeySpace()  # configured hashtags: valid in hashtags only
        self._handles: dict[str, list[int]] = {}
        substrings: dict[str, list[int]] = {}
        for index, brand in enumerate(brands):
            self._add_brand(index, brand, substrings)
        self._substring_brands = {key: tuple(ids) for key, ids in substrings.items()}
        self._substring_re = _trie_regex(substrings) if substrings else None
        # Freeze entries into tuples: the scan only reads them.
        self._word_keys = {k: (tuple(e.brands), tuple(e.excludes)) for k, e in self._words.keys.items()}
        self._tag_keys = {k: (tuple(e.brands), tuple(e.excludes)) for k, e in self._tags.keys.items()}
        self._word_prefixes = frozenset(self._words.prefixes)
        self._word_trigger = frozenset(self._word_keys) | self._word_prefixes
        self._tag_prefixes = frozenset(self._tags.prefixes)
        self._handle_keys = {k: tuple(v) for k, v in self._handles.items()}
        del self._words, self._tags, self._handles

    @property
    def brand_ids(self) -> tuple[str, ...]:
        return tuple(self._ids)

    # --- construction ----------------------------------------------------------------------

    def _add_brand(self, index: int, brand: BrandConfig, substrings: dict[str, list[int]]) -> None:
        for alias in brand.aliases:
            tokens, kinds = _phrase_tokens(alias)
            if len(tokens) == 1 and kinds[0] is _HANDLE:
                self._add_handle(tokens[0][1:], index)
            elif len(tokens) == 1 and kinds[0] is _HASHTAG:
                self._add_hashtag(tokens[0], index)
            else:
                self._add_alias(tokens, kinds, index)
        for handle in brand.handles:
            tokens, kinds = _phrase_tokens("@" + handle.strip().lstrip("@"))
            if len(tokens) == 1 and kinds[0] is _HANDLE:
                self._add_handle(tokens[0][1:], index)
        for hashtag in brand.hashtags:
            tokens, kinds = _phrase_tokens("#" + hashtag.strip().lstrip("#"))
            if len(tokens) == 1 and kinds[0] is _HASHTAG:
                self._add_hashtag(tokens[0], index)
        for phrase in brand.exclude:
            tokens, kinds = _phrase_tokens(phrase)
            words = [t for t, k in zip(tokens, kinds, strict=True) if k <= _WORD]
            self._words.add(words, index, exclude=True)
        for alias in brand.substring_ok:
            tokens, kinds = _phrase_tokens(alias)
            key = "".join(t for t, k in zip(tokens, kinds, strict=True) if k <= _WORD)
            if key:
                bucket = substrings.setdefault(key, [])
                if index not in bucket:
                    bucket.append(index)

    def _add_alias(self, tokens: list[str], kinds: list[TokenKind], index: int) -> None:
        words = [t for t, k in zip(tokens, kinds, strict=True) if k <= _WORD]
        if not words:
            return
        variants = [words]
        word_kinds = [k for k in kinds if k <= _WORD]
        if len(words) > 1 and all(k is TokenKind.LATIN for k in word_kinds):
            # Finglish ezafe: "hamrah aval" is also written "hamrahe aval" / "hamrah-e aval".
            variants.append([w if w.endswith("e") else w + "e" for w in words[:-1]] + words[-1:])
        if word_kinds[-1] is TokenKind.FA:
            # Colloquial Persian glues clitics to names: اسنپو (Snapp + object marker), دیجیکالام
            # (my Digikala), نوین‌نته (it's NovinNet). They are not other words, so they still match.
            for clitic in PERSIAN_CLITICS:
                # No split prefixes: the name's own already cover a name split in the text.
                key_length = sum(map(len, words)) + len(clitic)
                self._words.add([*words[:-1], words[-1] + clitic], index, split_from=key_length)
        for parts in variants:
            self._words.add(parts, index)

    def _add_hashtag(self, tag: str, index: int) -> None:
        self._tags.add([part for part in tag[1:].split("_") if part], index)

    def _add_handle(self, body: str, index: int) -> None:
        bucket = self._handles.setdefault(body, [])
        if index not in bucket:
            bucket.append(index)

    # --- matching --------------------------------------------------------------------------

    def match(self, view: AnalyzedText, pre_tagged: Sequence[str] = ()) -> list[str]:
        """Brand ids in order of first appearance; valid pre-tagged ids first, in their order."""
        found: list[str] = []
        for brand_id in pre_tagged:
            if brand_id in self._known and brand_id not in found:
                found.append(brand_id)
        tokens = view.tokens
        if not tokens:
            return found
        codes = view.kind_codes
        # Folding changes Latin letters only: skip it when there is no Latin word.
        words_folded = _L in codes or _E in codes or _G in codes or _D in codes or _H in codes
        folded: Sequence[str] = _folded_tokens(tokens) if words_folded else tokens
        hits: list[tuple[int, tuple[int, ...]]] = []
        excluded: set[int] = set()
        starts = self._word_trigger.intersection(folded)
        if starts:
            if len(starts) == 1:
                (start,) = starts
                positions = (
                    [folded.index(start)] if folded.count(start) == 1 else _positions_of(folded, starts)
                )
            else:
                positions = _positions_of(folded, starts)
            self._scan_words(folded, codes, positions, hits, excluded)
        if _HASHTAG_CODE in codes or _HANDLE_CODE in codes or _URL_CODE in codes:
            self._scan_specials(folded, codes, words_folded, hits, excluded)
        if self._substring_re is not None:
            text = " ".join(folded if words_folded else _folded_tokens(tokens))
            for found_key in self._substring_re.finditer(text):
                position = text.count(" ", 0, found_key.start())
                hits.append((position, self._substring_brands[found_key.group()]))
        if not hits:
            return found
        if len(hits) > 1:
            hits.sort(key=_position)
        ids = self._ids
        for _, brand_indexes in hits:
            for brand_index in brand_indexes:
                if brand_index not in excluded and ids[brand_index] not in found:
                    found.append(ids[brand_index])
        return found

    def _scan_words(
        self,
        folded: Sequence[str],
        codes: str,
        positions: list[int],
        hits: list[tuple[int, tuple[int, ...]]],
        excluded: set[int],
    ) -> None:
        """Leftmost-longest matching of word windows starting at `positions` (in text order)."""
        keys = self._word_keys
        prefixes = self._word_prefixes
        covered_until = 0
        n = len(folded)
        for i in positions:
            token = folded[i]
            entry = keys.get(token)
            best: tuple[int, ...] = ()
            best_end = i
            if entry is not None:
                if entry[1]:
                    excluded.update(entry[1])
                if entry[0]:
                    best, best_end = entry[0], i + 1
            if token in prefixes:
                window = token
                j = i + 1
                limit = min(n, i + MAX_WINDOW_TOKENS)
                while j < limit and codes[j] >= FIRST_WORD_CODE:
                    window += folded[j]
                    j += 1
                    entry = keys.get(window)
                    if entry is not None:
                        if entry[1]:
                            excluded.update(entry[1])
                        if entry[0]:
                            best, best_end = entry[0], j
                    if window not in prefixes:
                        break
            if best and i >= covered_until:
                hits.append((i, best))
                covered_until = best_end

    def _scan_specials(
        self,
        folded: Sequence[str],
        codes: str,
        already_folded: bool,
        hits: list[tuple[int, tuple[int, ...]]],
        excluded: set[int],
    ) -> None:
        """Hashtags, handles and URLs, each on its own."""
        for found_code in _SPECIAL_CODES_RE.finditer(codes):
            i = found_code.start()
            code = found_code.group()
            token = folded[i] if already_folded else _fold_token(folded[i])
            if code == _HASHTAG_CODE:
                self._scan_parts(token[1:].split("_"), i, hits, excluded, hashtag=True)
            elif code == _HANDLE_CODE:
                self._match_handle(token[1:], i, hits)
            else:
                self._match_url(token, i, hits, excluded)

    def _scan_parts(
        self,
        parts: list[str],
        position: int,
        hits: list[tuple[int, tuple[int, ...]]],
        excluded: set[int],
        *,
        hashtag: bool,
    ) -> None:
        """Leftmost-longest windows over the words of one hashtag or URL, reported at its position.

        Hashtags also match configured hashtags; URLs only aliases (their handles are looked up
        part by part by the caller).
        """
        word_keys, word_prefixes = self._word_keys, self._word_prefixes
        tag_keys, tag_prefixes = (self._tag_keys, self._tag_prefixes) if hashtag else (_NO_KEYS, _NO_PREFIXES)
        n = len(parts)
        covered_until = 0
        for i in range(n):
            best: tuple[int, ...] = ()
            best_end = i
            window = ""
            for j in range(i, min(n, i + MAX_WINDOW_TOKENS)):
                window += parts[j]
                for entry in (word_keys.get(window), tag_keys.get(window)):
                    if entry is not None:
                        if entry[1]:
                            excluded.update(entry[1])
                        if entry[0]:
                            best, best_end = entry[0], j + 1
                if window not in word_prefixes and window not in tag_prefixes:
                    break
            if best and i >= covered_until:
                hits.append((position, best))
                covered_until = best_end

    def _match_handle(self, body: str, position: int, hits: list[tuple[int, tuple[int, ...]]]) -> None:
        brands = self._handle_keys.get(body)
        if brands:
            hits.append((position, brands))
            return
        entry = self._word_keys.get(body.replace("_", "").replace(".", ""))
        if entry is not None and entry[0]:
            hits.append((position, entry[0]))

    def _match_url(
        self, url: str, position: int, hits: list[tuple[int, tuple[int, ...]]], excluded: set[int]
    ) -> None:
        rest = url.split("://", 1)[-1]
        parts = [p for p in _URL_SPLIT.split(rest) if p]
        for part in parts:
            brands = self._handle_keys.get(part)
            if brands:
                hits.append((position, brands))
        self._scan_parts(parts, position, hits, excluded, hashtag=False)


def _position(hit: tuple[int, tuple[int, ...]]) -> int:
    return hit[0]


def _positions_of(items: Sequence[str], wanted: Iterable[str]) -> list[int]:
    """Indexes of `items` that are in `wanted` (a few), found with C-level index/count."""
    positions: list[int] = []
    for item in wanted:
        start = items.index(item)
        positions.append(start)
        for _ in range(items.count(item) - 1):
            start = items.index(item, start + 1)
            positions.append(start)
    positions.sort()
    return positions


_G, _H, _L, _D, _E = LATIN_CODES

# token → match_fold(token): folding whole mentions with str.replace costs more than one memo
# lookup per token, and tokens repeat. A pure function cache, cleared when it grows too large.
_FOLD_MEMO: dict[str, str] = {}
_FOLD_MEMO_LIMIT = 200_000


def _fold_token(token: str) -> str:
    folded = _FOLD_MEMO.get(token)
    if folded is None:
        if len(_FOLD_MEMO) > _FOLD_MEMO_LIMIT:
            _FOLD_MEMO.clear()
        folded = _FOLD_MEMO[token] = match_fold(token)
    return folded


def _folded_tokens(tokens: Sequence[str]) -> list[str]:
    folded = list(map(_FOLD_MEMO.get, tokens))
    if None in folded:
        folded = list(map(_fold_token, tokens))
    return folded  # type: ignore[return-value]


def _trie_regex(keys: Iterable[str]) -> re.Pattern[str]:
    """One regex for many literal keys, shaped like a trie so each position costs O(key length)."""
    trie: dict[str, dict] = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + render(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Longest first: try the longer continuations, fall back to ending here.
        return "(?:" + body + ")?" if ends else body

    return re.compile(render(trie))
