"""Does a Latin-script word look like Persian (Finglish) or English? One vote per distinct word.

Used when a mention's tokens are made (the vote is stored with the token, so language detection
per mention is a few counts). Word lists decide first: Finglish function and typical words
("ke", "kheili", "ghat", "nemishe") and English ones ("the", "is", "refund"); a word in both
("to", "man", "in", "are") says nothing. Unknown words vote by spelling: kh/zh/gh, doubled aa and
mi-/nemi- verb shapes look Finglish; th/wh/ck/qu, -tion/-ing/-ness/-ment, a c not in "ch", w or x
look English.

The lists are plain ASCII, read here without the normalizer (which depends on this module).
"""

from __future__ import annotations

import re
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

FINGLISH = 1.0
FINGLISH_LOOKING = 0.5
NEUTRAL = 0.0
ENGLISH_LOOKING = -0.5
ENGLISH = -1.0


def _ascii_words(*names: str) -> frozenset[str]:
    words: set[str] = set()
    for name in names:
        for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
            entry = line.split("#", 1)[0].strip().lower().replace("\u2019", "'")
            if entry and entry.isascii():
                words.add(entry)
    return frozenset(words)


_FINGLISH_WORDS = _ascii_words("stopwords_finglish.txt", "finglish_markers.txt")
_ENGLISH_WORDS = _ascii_words("stopwords_en.txt", "english_markers.txt")
_AMBIGUOUS = _FINGLISH_WORDS & _ENGLISH_WORDS

_FINGLISH_CUES = re.compile(
    r"kh|zh|^gh|[aeo]gh|aa|^(?:mi|nemi)[bdfghjklmnprstvxz]\w*(?:am|im|e|i|an|in|id|ad|and)$"
)
_FINGLISH_ENDINGS = re.compile(r"\w{4,}(?:am|esh|ash|emun|emoon|eton|etun)$")
_ENGLISH_CUES = re.compile(r"th|wh|ck|qu|tion$|sion$|ing$|ough|ould|ness$|ment$")
_ENGLISH_LETTERS = re.compile(r"c(?!h)|w|x|\w{3,}(?:ed|ly|ful|less)$")
_REPEATS = re.compile(r"([a-z])\1+")


def latin_vote(word: str) -> float:
    """FINGLISH/FINGLISH_LOOKING (> 0), ENGLISH/ENGLISH_LOOKING (< 0) or NEUTRAL, for a normalized word."""
    if word in _AMBIGUOUS:
        return NEUTRAL
    if word in _FINGLISH_WORDS or _REPEATS.sub(r"\1", word) in _FINGLISH_WORDS:
        return FINGLISH
    if word in _ENGLISH_WORDS:
        return ENGLISH
    if len(word) < 3 or not word.isalpha():
        return NEUTRAL
    score = 0.0
    if _FINGLISH_CUES.search(word):
        score += 0.6
    if _FINGLISH_ENDINGS.search(word):
        score += 0.3
    if _ENGLISH_CUES.search(word):
        score -= 0.6
    if _ENGLISH_LETTERS.search(word):
        score -= 0.4
    if score >= 0.3:
        return FINGLISH_LOOKING
    if score <= -0.3:
        return ENGLISH_LOOKING
    return NEUTRAL
