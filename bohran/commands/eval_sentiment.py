"""`bohran eval-sentiment FILE`: score the shipped sentiment model against a labelled file.

FILE has `text<TAB>label[<TAB>lang]` lines (labels negative/neutral/positive or -1/0/1). Prints
accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix, and the same per
language when the third column is present; `--json` prints one JSON object instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from streams.sentiment import SentimentScorer
from streams.sentiment_eval import (
    LabelledFileError,
    evaluate,
    evaluate_by_language,
    format_report,
    parse_labelled_lines,
)
from streams.text.analysis import analyze


def register(app: typer.Typer) -> None:
    @app.command("eval-sentiment")
    def eval_sentiment(
        file: Path = typer.Argument(..., help="text<TAB>label[<TAB>lang] lines", dir_okay=False),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object (for machines)"),
    ) -> None:
        """Accuracy, macro-F1 and confusion matrix of the sentiment model on a labelled file."""
        try:
            items = parse_labelled_lines(file.read_text(encoding="utf-8").splitlines())
        except OSError as exc:
            typer.echo(f"{file}: {exc.strerror or exc}", err=True)
            raise typer.Exit(2) from None
        except (LabelledFileError, UnicodeDecodeError) as exc:
            typer.echo(f"{file}: {exc}", err=True)
            raise typer.Exit(2) from None
        if not items:
            typer.echo(f"{file}: no labelled lines", err=True)
            raise typer.Exit(2)

        scorer = SentimentScorer()
        predicted = [scorer.score(analyze(item.text))[0] for item in items]
        overall = evaluate((item.label, p) for item, p in zip(items, predicted, strict=True))
        by_language = {}
        if any(item.lang for item in items):
            by_language = evaluate_by_language(
                (item.label, p, item.lang) for item, p in zip(items, predicted, strict=True)
            )

        if as_json:
            payload = {
                "file": str(file),
                **overall.to_dict(),
                "by_language": {lang: r.to_dict() for lang, r in by_language.items()},
            }
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        typer.echo(format_report(overall, f"{file}: all items"))
        for lang, report in by_language.items():
            typer.echo("")
            typer.echo(format_report(report, f"language {lang}"))
