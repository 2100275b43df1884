"""`bohran ingest FILE|-`: JSONL mentions into Kafka, packed, with a progress bar and a summary."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from streams import topics
from streams.ingest import IngestSummary, Pacer, make_producer, parse_lines, produce_mentions


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        file: str = typer.Argument(..., help="JSONL file of mentions, or - for stdin"),
        kafka: str = typer.Option("127.0.0.1:9092", "--kafka", envvar="KAFKA_BOOTSTRAP"),
        pack: int = typer.Option(500, "--pack", min=1, help="mentions per Kafka record"),
        rate: float | None = typer.Option(None, "--rate", help="mentions per second"),
        speedup: float | None = typer.Option(None, "--speedup", help="replay at event-time pace × this"),
        max_text_chars: int = typer.Option(10_000, "--max-text-chars"),
    ) -> None:
        """Validate and produce mentions to the `mentions` topic; bad lines are reported with reasons."""
        console = Console(stderr=True)
        layout = topics.TopicLayout.from_env()
        topics.ensure_topics(kafka, layout)
        summary = IngestSummary()
        if file == "-":
            source = sys.stdin.buffer
            total = None
        else:
            path = Path(file)
            if not path.exists():
                console.print(f"[red]no such file: {file}[/red]")
                raise typer.Exit(2)
            source = path.open("rb")
            total = sum(1 for _ in path.open("rb"))
        producer = make_producer(kafka)
        with Progress(
            TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False, disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("mentions", total=total)
            records = produce_mentions(
                producer,
                layout.name(topics.MENTIONS),
                parse_lines(source, summary, max_text_chars=max_text_chars),
                pack=pack,
                pacer=Pacer(rate=rate, speedup=speedup) if (rate or speedup) else None,
                on_sent=lambda n: progress.advance(task, n),
            )
        producer.close()
        console.print(f"accepted {summary.accepted}, rejected {summary.rejected}, records {records}")
        for reason, count in summary.reasons.most_common():
            console.print(f"  rejected {count}: {reason}")
        for example in summary.examples:
            console.print(f"  {example}")
        if summary.rejected and not summary.accepted:
            raise typer.Exit(1)
