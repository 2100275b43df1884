"""Word lists shipped in `streams/data/`, read once and normalized like the text they are compared to."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from streams.text.normalizer import normalize

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@cache
def load_wordlist(name: str) -> frozenset[str]:
    """Entries of `streams/data/<name>` (one per line, `#` comments), in normalized form.

    Entries are normalized so a list can be written in any spelling (ZWNJ or not, Arabic ي/ك,
    upper case) and still compare equal to tokens. Multi-word entries stay multi-word.
    """
    words: set[str] = set()
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            normalized = normalize(entry)
            if normalized:
                words.add(normalized)
    return frozenset(words)
