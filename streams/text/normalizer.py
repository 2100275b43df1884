"""PLACEHOLDER (to be replaced by the text-core work): minimal normalization."""

from __future__ import annotations

import re

_TRANS = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه", "\u200c": " "})
_TOKEN = re.compile(r"[#@]?\w+", re.UNICODE)


def normalize(text: str) -> str:
    return text.translate(_TRANS).lower()


def tokenize(normalized: str) -> list[str]:
    return _TOKEN.findall(normalized)
