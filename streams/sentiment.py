"""Sentiment of a mention: negative / neutral / positive and a score in [-1, 1].

The lexicons (`data/lexicon_fa.tsv`, `data/lexicon_en.tsv`) and the trained weights
(`data/sentiment_weights.json`, written by `training/train_sentiment.py`) ship as plain data and
are read once per process; scoring is pure and memoized per token (see `streams.sentiment_model`).
Persian, Finglish and English share one model: the script of a word already separates its
features, and the language only adds a bias term.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from streams.sentiment_model import Lexicon, LinearSentimentModel, SentimentWeights, parse_lexicon
from streams.text.analysis import AnalyzedText, analyze

LEXICON_FILES = ("lexicon_fa.tsv", "lexicon_en.tsv")
WEIGHTS_FILE = "sentiment_weights.json"


def _tokens_of(term: str) -> tuple[str, ...]:
    return analyze(term).tokens


@cache
def default_lexicon() -> Lexicon:
    """The shipped lexicons, tokenized by the text core exactly like mentions are."""
    data = files("streams") / "data"
    lines: list[str] = []
    for name in LEXICON_FILES:
        lines.extend((data / name).read_text(encoding="utf-8").splitlines())
    return parse_lexicon(lines, _tokens_of)


@cache
def default_weights() -> SentimentWeights:
    raw = (files("streams") / "data" / WEIGHTS_FILE).read_text(encoding="utf-8")
    return SentimentWeights.from_json_dict(json.loads(raw))


@cache
def default_model() -> LinearSentimentModel:
    return LinearSentimentModel(default_lexicon(), default_weights())


class SentimentScorer:
    """`score(view) -> (label, score)`; one per enrich worker (the model itself is shared)."""

    __slots__ = ("_predict",)

    def __init__(self, model: LinearSentimentModel | None = None):
        self._predict = (model or default_model()).predict

    def score(self, view: AnalyzedText) -> tuple[str, float]:
        return self._predict(view.tokens, view.lang, getattr(view, "finglish", False))
