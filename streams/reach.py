"""PLACEHOLDER: reach of a mention."""

from __future__ import annotations

from streams.mention import Mention


def reach(mention: Mention) -> float:
    return float(max(mention.author.followers, mention.metrics.views))
