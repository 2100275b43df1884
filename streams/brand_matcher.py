"""PLACEHOLDER: brand matching by token lookup."""

from __future__ import annotations

from collections.abc import Sequence

from streams.config import BrandConfig
from streams.text.analysis import AnalyzedText
from streams.text.normalizer import normalize


class BrandMatcher:
    def __init__(self, brands: Sequence[BrandConfig]) -> None:
        self._names: dict[str, str] = {}
        for brand in brands:
            for name in [*brand.aliases, *brand.handles, *brand.hashtags]:
                self._names[normalize(name).lstrip("@#")] = brand.id

    def match(self, view: AnalyzedText, pre_tagged: Sequence[str] = ()) -> list[str]:
        found = [b for b in pre_tagged if b in self._names.values()]
        for token in view.tokens:
            brand = self._names.get(token.lstrip("@#"))
            if brand and brand not in found:
                found.append(brand)
        return found
