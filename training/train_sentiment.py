"""Train bohran's sentiment model and write `streams/data/sentiment_weights.json`.

    .venv/bin/python training/train_sentiment.py            # train on train.tsv, write weights, print figures
    .venv/bin/python training/train_sentiment.py --select   # first pick hyper-parameters on a dev split
    .venv/bin/python training/train_sentiment.py --check    # train, compare with the shipped file, write nothing

Why it looks like this:
- Pure Python, no numpy/scikit-learn: a multinomial logistic regression trained with AdaGrad over
  the features `streams.sentiment_model` defines (lexicon/rule signals + words and in-word
  character n-grams). A few thousand mentions train in well under a minute.
- Reproducible: fixed seed, fixed example order, no set iteration, weights rounded to 4 digits;
  two runs write byte-identical JSON (`--check` verifies the shipped file).
- `training/corpus/heldout.tsv` (25 %, stratified by language and label) is never used for
  training or for choosing hyper-parameters (`--select` splits a dev set off `train.tsv`).
  `probe_reviews_fa.tsv` (Persian product reviews, another domain) is likewise only evaluated.
- The reported figures are computed by loading the JSON just written and scoring through
  `SentimentScorer`, i.e. exactly what ships.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from streams.sentiment import SentimentScorer, default_lexicon
from streams.sentiment_eval import (
    LabelledText,
    evaluate,
    evaluate_by_language,
    format_report,
    parse_labelled_lines,
)
from streams.sentiment_model import (
    DENSE_FEATURES,
    LABELS,
    Lexicon,
    LinearSentimentModel,
    SentimentWeights,
    lexicon_signals,
    mention_facts,
    sparse_features,
)
from streams.text.analysis import analyze

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "training" / "corpus"
WEIGHTS_PATH = ROOT / "streams" / "data" / "sentiment_weights.json"
SEED = 20240611


@dataclass(frozen=True, slots=True)
class HyperParameters:
    epochs: int = 40
    learning_rate: float = 0.2
    l2_sparse: float = 1e-3  # n-gram weights: they memorize, so they are held back harder
    l2_dense: float = 1e-5  # lexicon/rule weights: they generalize to unseen domains
    min_df: int = 2  # an n-gram must occur in this many training mentions


# What `--select` picks (best dev macro-F1 + worst-language dev macro-F1 on a 20 % dev split of
# train.tsv). The whole grid lies within ~0.02 on dev; the most regularized setting is also the
# safer one for text from other domains.
CHOSEN = HyperParameters()


@dataclass(frozen=True, slots=True)
class Example:
    sparse: tuple[tuple[str, float], ...]
    dense: tuple[tuple[int, float], ...]  # non-zero dense features (index, value)
    label: int
    lang: str


def read_corpus(name: str) -> list[LabelledText]:
    return parse_labelled_lines((CORPUS / name).read_text(encoding="utf-8").splitlines())


def featurize(
    items: list[LabelledText], lexicon: Lexicon
) -> list[tuple[dict[str, float], list[float], int, str]]:
    rows = []
    for item in items:
        view = analyze(item.text)
        facts = mention_facts(view.tokens, lexicon)
        dense, cut = lexicon_signals(facts, view.lang, getattr(view, "finglish", False))
        rows.append((sparse_features(facts, cut), dense, LABELS.index(item.label), item.lang or view.lang))
    return rows


def build_examples(rows, min_df: int) -> list[Example]:
    document_frequency: dict[str, int] = {}
    for sparse, _, _, _ in rows:
        for name in sparse:
            document_frequency[name] = document_frequency.get(name, 0) + 1
    return [
        Example(
            tuple((name, x) for name, x in sparse.items() if document_frequency[name] >= min_df),
            tuple((j, x) for j, x in enumerate(dense) if x),
            label,
            lang,
        )
        for sparse, dense, label, lang in rows
    ]


def train(examples: list[Example], params: HyperParameters, seed: int = SEED) -> SentimentWeights:
    """Multinomial logistic regression, AdaGrad, L2 applied to the weights an example touches,
    classes weighted inversely to their frequency."""
    rng = random.Random(seed)
    counts = [sum(1 for e in examples if e.label == k) for k in range(3)]
    class_weight = [len(examples) / (3 * c) if c else 0.0 for c in counts]
    sparse_w: dict[str, list[float]] = {}
    sparse_g: dict[str, list[float]] = {}
    dense_w = [[0.0, 0.0, 0.0] for _ in DENSE_FEATURES]
    dense_g = [[1e-8, 1e-8, 1e-8] for _ in DENSE_FEATURES]
    bias, bias_g = [0.0, 0.0, 0.0], [1e-8, 1e-8, 1e-8]
    lr, l2s, l2d = params.learning_rate, params.l2_sparse, params.l2_dense
    order = list(range(len(examples)))
    for _ in range(params.epochs):
        rng.shuffle(order)
        for index in order:
            example = examples[index]
            logits = bias[:]
            for name, x in example.sparse:
                w = sparse_w.get(name)
                if w is not None:
                    logits[0] += x * w[0]
                    logits[1] += x * w[1]
                    logits[2] += x * w[2]
            for j, x in example.dense:
                w = dense_w[j]
                logits[0] += x * w[0]
                logits[1] += x * w[1]
                logits[2] += x * w[2]
            top = max(logits)
            exps = [math.exp(v - top) for v in logits]
            total = sum(exps)
            cw = class_weight[example.label]
            delta = [cw * e / total for e in exps]
            delta[example.label] -= cw
            for name, x in example.sparse:
                w = sparse_w.get(name)
                if w is None:
                    w = sparse_w[name] = [0.0, 0.0, 0.0]
                    sparse_g[name] = [1e-8, 1e-8, 1e-8]
                g = sparse_g[name]
                for k in range(3):
                    grad = delta[k] * x + l2s * w[k]
                    g[k] += grad * grad
                    w[k] -= lr * grad / math.sqrt(g[k])
            for j, x in example.dense:
                w, g = dense_w[j], dense_g[j]
                for k in range(3):
                    grad = delta[k] * x + l2d * w[k]
                    g[k] += grad * grad
                    w[k] -= lr * grad / math.sqrt(g[k])
            for k in range(3):
                bias_g[k] += delta[k] * delta[k]
                bias[k] -= lr * delta[k] / math.sqrt(bias_g[k])
    tables: dict[str, dict[str, tuple[float, float, float]]] = {"w": {}, "c": {}}
    for name in sorted(sparse_w):
        w = sparse_w[name]
        if max(abs(v) for v in w) >= 5e-5:
            tables[name[0]][name[2:]] = (w[0], w[1], w[2])
    return SentimentWeights(
        (bias[0], bias[1], bias[2]),
        tuple((w[0], w[1], w[2]) for w in dense_w),
        tables["w"],
        tables["c"],
    )


def shipped_form(weights: SentimentWeights) -> tuple[str, SentimentWeights]:
    """The JSON text written to disk and the weights read back from it (rounded, as shipped)."""
    text = (
        json.dumps(weights.to_json_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"
    )
    return text, SentimentWeights.from_json_dict(json.loads(text))


def predict_all(scorer: SentimentScorer, items: list[LabelledText]) -> list[str]:
    return [scorer.score(analyze(item.text))[0] for item in items]


def macro_f1(items: list[LabelledText], predicted: list[str]) -> float:
    return evaluate((i.label, p) for i, p in zip(items, predicted, strict=True)).macro_f1


def select(train_items: list[LabelledText], lexicon: Lexicon) -> HyperParameters:
    """Grid over a few settings on a stratified dev split of train.tsv (never heldout.tsv)."""
    rng = random.Random(SEED + 1)
    groups: dict[tuple[str | None, str], list[LabelledText]] = {}
    for item in train_items:
        groups.setdefault((item.lang, item.label), []).append(item)
    fit, dev = [], []
    for key in sorted(groups, key=str):
        group = groups[key][:]
        rng.shuffle(group)
        cut = len(group) // 5
        dev += group[:cut]
        fit += group[cut:]
    rows = featurize(fit, lexicon)
    best: tuple[float, HyperParameters] | None = None
    # min_df stays 2: min_df 1 scored within dev noise of it and doubles the shipped file.
    for l2_sparse in (5e-5, 2e-4, 1e-3):
        for epochs in (15, 25, 40):
            for min_df in (2,):
                params = HyperParameters(epochs=epochs, l2_sparse=l2_sparse, min_df=min_df)
                weights = shipped_form(train(build_examples(rows, min_df), params))[1]
                scorer = SentimentScorer(LinearSentimentModel(lexicon, weights))
                predicted = predict_all(scorer, dev)
                by_lang = evaluate_by_language(
                    (i.label, p, i.lang) for i, p in zip(dev, predicted, strict=True)
                )
                worst = min(r.macro_f1 for r in by_lang.values())
                overall = macro_f1(dev, predicted)
                print(f"  {params}  dev macro-F1 {overall:.3f}  worst language {worst:.3f}", flush=True)
                score = overall + worst
                if best is None or score > best[0]:
                    best = (score, params)
    assert best is not None
    print(f"selected {best[1]}")
    return best[1]


def report(name: str, items: list[LabelledText], predicted: list[str]) -> dict[str, float]:
    overall = evaluate((i.label, p) for i, p in zip(items, predicted, strict=True))
    print(format_report(overall, f"== {name}: all languages"))
    figures = {"all": overall.macro_f1}
    if any(i.lang for i in items):
        for lang, r in evaluate_by_language(
            (i.label, p, i.lang) for i, p in zip(items, predicted, strict=True)
        ).items():
            print(format_report(r, f"-- {name}: {lang}"))
            figures[lang] = r.macro_f1
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--select", action="store_true", help="choose hyper-parameters on a dev split first")
    parser.add_argument("--check", action="store_true", help="verify the shipped weights are reproduced")
    args = parser.parse_args(argv)

    lexicon = default_lexicon()
    train_items = read_corpus("train.tsv")
    heldout = read_corpus("heldout.tsv")
    probe = read_corpus("probe_reviews_fa.tsv")
    overlap = {i.text for i in train_items} & {i.text for i in heldout}
    if overlap:
        raise SystemExit(f"{len(overlap)} held-out texts also appear in train.tsv")
    print(f"train {len(train_items)}  heldout {len(heldout)}  probe {len(probe)}  seed {SEED}")

    params = select(train_items, lexicon) if args.select else CHOSEN
    started = time.perf_counter()
    examples = build_examples(featurize(train_items, lexicon), params.min_df)
    weights = train(examples, params)
    text, shipped = shipped_form(weights)
    print(
        f"trained {params} in {time.perf_counter() - started:.1f}s: {len(shipped.words)} words, "
        f"{len(shipped.chars)} char n-grams, {len(text) / 1e6:.2f} MB"
    )

    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print("shipped weights reproduced" if same else f"MISMATCH with {args.out}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")

    scorer = SentimentScorer(LinearSentimentModel(lexicon, shipped))
    figures = {
        "train": report("train (fit)", train_items, predict_all(scorer, train_items))["all"],
        **{f"heldout/{k}": v for k, v in report("heldout", heldout, predict_all(scorer, heldout)).items()},
        "probe_reviews_fa": report(
            "probe: Persian reviews (other domain)", probe, predict_all(scorer, probe)
        )["all"],
    }
    print("summary macro-F1: " + "  ".join(f"{k} {v:.3f}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
