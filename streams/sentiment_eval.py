"""Scoring a sentiment classifier against labelled text: accuracy, macro-F1, confusion matrix.

Pure (no I/O): `bohran eval-sentiment` and `training/train_sentiment.py` feed it lines and
(gold, predicted) pairs, so the figures in the README, the CLI and the trainer are computed by the
same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from streams.sentiment_model import LABELS

_LABEL_ALIASES = {
    "negative": "negative",
    "neg": "negative",
    "-1": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "0": "neutral",
    "positive": "positive",
    "pos": "positive",
    "1": "positive",
    "+1": "positive",
}


class LabelledFileError(ValueError):
    """A line of a labelled file that is not `text<TAB>label[<TAB>lang]`."""

    def __init__(self, line_number: int, message: str):
        super().__init__(f"line {line_number}: {message}")
        self.line_number = line_number


@dataclass(frozen=True, slots=True)
class LabelledText:
    text: str
    label: str  # one of LABELS
    lang: str | None = None  # third column, when the file has one


def normalize_label(raw: str) -> str | None:
    """negative/neutral/positive (any case, or neg/neu/pos) or -1/0/1 → a LABELS entry."""
    return _LABEL_ALIASES.get(raw.strip().lower())


def parse_labelled_lines(lines: Iterable[str]) -> list[LabelledText]:
    """Parse `text<TAB>label[<TAB>lang]` lines. Blank lines and a first header row (label column
    literally "label") are skipped; anything else malformed raises with its line number. There are
    no comment lines: a mention may well start with "#" (a hashtag)."""
    items: list[LabelledText] = []
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            raise LabelledFileError(number, "expected text<TAB>label[<TAB>lang]")
        if len(columns) > 3:
            raise LabelledFileError(number, f"expected at most 3 tab-separated columns, got {len(columns)}")
        text, raw_label = columns[0], columns[1]
        if raw_label.strip().lower() == "label" and not items:
            continue
        label = normalize_label(raw_label)
        if label is None:
            raise LabelledFileError(
                number, f"unknown label {raw_label!r} (use negative/neutral/positive or -1/0/1)"
            )
        if not text.strip():
            raise LabelledFileError(number, "empty text")
        lang = (columns[2].strip() or None) if len(columns) == 3 else None
        items.append(LabelledText(text, label, lang))
    return items


@dataclass(frozen=True, slots=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int  # gold items of this class


@dataclass(frozen=True, slots=True)
class SentimentReport:
    n: int
    accuracy: float
    macro_f1: float  # mean F1 over the classes present in gold or predictions
    per_class: dict[str, ClassScores]
    confusion: dict[str, dict[str, int]]  # gold label → predicted label → count

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "per_class": {
                label: {"precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support}
                for label, s in self.per_class.items()
            },
            "confusion": self.confusion,
        }


def evaluate(pairs: Iterable[tuple[str, str]], labels: Sequence[str] = LABELS) -> SentimentReport:
    """Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix of (gold, predicted)."""
    confusion = {gold: dict.fromkeys(labels, 0) for gold in labels}
    n = 0
    for gold, predicted in pairs:
        if gold not in confusion or predicted not in confusion:
            raise ValueError(f"labels must be among {tuple(labels)}, got ({gold!r}, {predicted!r})")
        confusion[gold][predicted] += 1
        n += 1
    correct = sum(confusion[label][label] for label in labels)
    per_class: dict[str, ClassScores] = {}
    present: list[float] = []
    for label in labels:
        true_positive = confusion[label][label]
        support = sum(confusion[label].values())
        predicted = sum(confusion[gold][label] for gold in labels)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = ClassScores(precision, recall, f1, support)
        if support or predicted:
            present.append(f1)
    return SentimentReport(
        n=n,
        accuracy=correct / n if n else 0.0,
        macro_f1=sum(present) / len(present) if present else 0.0,
        per_class=per_class,
        confusion=confusion,
    )


def evaluate_by_language(triples: Iterable[tuple[str, str, str | None]]) -> dict[str, SentimentReport]:
    """One report per language tag of (gold, predicted, lang) triples; untagged items go to "?"."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for gold, predicted, lang in triples:
        groups.setdefault(lang or "?", []).append((gold, predicted))
    return {lang: evaluate(pairs) for lang, pairs in sorted(groups.items())}


def format_report(report: SentimentReport, title: str = "") -> str:
    """Human-readable report: headline figures, per-class table, confusion matrix."""
    lines = [title] if title else []
    lines.append(f"items {report.n}   accuracy {report.accuracy:.3f}   macro-F1 {report.macro_f1:.3f}")
    lines.append(f"  {'class':<10}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
    for label, s in report.per_class.items():
        lines.append(f"  {label:<10}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}{s.support:>9}")
    labels = list(report.confusion)
    lines.append("  confusion (rows gold, columns predicted)")
    lines.append("  " + " " * 10 + "".join(f"{label:>10}" for label in labels))
    for gold in labels:
        lines.append(f"  {gold:<10}" + "".join(f"{report.confusion[gold][p]:>10}" for p in labels))
    return "\n".join(lines)
