"""`bohran ingest FILE|-`: mentions from a file (JSONL or a platform format) into Kafka, packed,
paced if asked, with a progress bar and a summary of what was accepted, rejected and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, BinaryIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from streams import topics
from streams.adapters import FORMAT_NAMES, AdapterError, AdapterOptions, converter
from streams.adapters.csv_mapping import parse_column_map
from streams.ingest import IngestSummary, Pacer, make_producer, produce_mentions, read_mentions


def print_summary(console: Console, summary: IngestSummary) -> None:
    console.print(
        f"accepted {summary.accepted}, rejected {summary.rejected}, duplicates {summary.duplicates}, "
        f"skipped {sum(summary.skipped.values())}, records {summary.records}"
    )
    for reason, count in summary.reasons.most_common():
        console.print(f"  rejected {count}: {reason}")
    for reason, count in summary.skipped.most_common():
        console.print(f"  skipped {count}: {reason} (not a post)")
    for example in summary.examples:
        console.print(f"  {example}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        file: str = typer.Argument(..., help="input file, or - for stdin"),
        fmt: str = typer.Option("jsonl", "--format", "-f", help=f"input format: {', '.join(FORMAT_NAMES)}"),
        column_map: str | None = typer.Option(
            None, "--map", help="csv: field=column pairs, e.g. id=post_id,text=body,author.followers=fans"
        ),
        timezone: str | None = typer.Option(
            None, "--timezone", help="IANA zone for times without an offset (Telegram export `date`, CSV)"
        ),
        platform: str | None = typer.Option(None, "--platform", help="platform for csv / rss items"),
        followers: int = typer.Option(
            0, "--followers", min=0, help="audience of channel posts / feed items when the source lacks it"
        ),
        kafka: str = typer.Option("127.0.0.1:9092", "--kafka", envvar="KAFKA_BOOTSTRAP"),
        pack: int = typer.Option(500, "--pack", min=1, help="mentions per Kafka record"),
        rate: float | None = typer.Option(None, "--rate", min=0.001, help="mentions per second"),
        speedup: float | None = typer.Option(
            None, "--speedup", min=0.001, help="replay at event-time pace × this (input in time order)"
        ),
        max_text_chars: int = typer.Option(10_000, "--max-text-chars", min=1),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="write the converted mentions as JSONL to stdout instead of Kafka"
        ),
    ) -> None:
        """Convert, validate and produce mentions to the `mentions` topic; bad items are reported with reasons."""
        console = Console(stderr=True)
        if rate and speedup:
            console.print("[red]--rate and --speedup exclude each other[/red]")
            raise typer.Exit(2)
        try:
            options = AdapterOptions(
                timezone=timezone,
                column_map=parse_column_map(column_map),
                platform=platform,
                followers=followers,
            )
            options.zone()
            converter(fmt)
        except AdapterError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
        if column_map and fmt != "csv":
            console.print("[yellow]--map only applies to --format csv; ignored[/yellow]")

        source, total = _open(file, fmt, console)
        summary = IngestSummary()
        mentions = read_mentions(source, summary, fmt=fmt, options=options, max_text_chars=max_text_chars)
        try:
            if dry_run:
                _write_jsonl(mentions)
            else:
                summary.records = _produce(
                    console,
                    kafka,
                    mentions,
                    total=total,
                    pack=pack,
                    pacer=Pacer(rate=rate, speedup=speedup) if (rate or speedup) else None,
                )
        except AdapterError as exc:
            console.print(f"[red]{fmt}: {exc}[/red]")
            raise typer.Exit(2) from None
        finally:
            if source is not sys.stdin.buffer:
                source.close()
        print_summary(console, summary)
        if summary.rejected and not summary.accepted:
            raise typer.Exit(1)


def _open(file: str, fmt: str, console: Console) -> tuple[BinaryIO, int | None]:
    if file == "-":
        return sys.stdin.buffer, None
    path = Path(file)
    if not path.is_file():
        console.print(f"[red]no such file: {file}[/red]")
        raise typer.Exit(2)
    total = None
    if fmt == "jsonl":  # one mention per line: the line count is a good progress total
        with path.open("rb") as counting:
            total = sum(1 for line in counting if line.strip())
    return path.open("rb"), total


def _write_jsonl(mentions: Any) -> None:
    out = sys.stdout
    for mention in mentions:
        out.write(json.dumps(mention.to_dict(), ensure_ascii=False) + "\n")
    out.flush()


def _produce(
    console: Console, kafka: str, mentions: Any, *, total: int | None, pack: int, pacer: Pacer | None
) -> int:
    layout = topics.TopicLayout.from_env()
    topics.ensure_topics(kafka, layout)
    producer = make_producer(kafka)
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("mentions", total=total)
            return produce_mentions(
                producer,
                layout.name(topics.MENTIONS),
                mentions,
                pack=pack,
                pacer=pacer,
                on_sent=lambda n: progress.advance(task, n),
            )
    finally:
        producer.close()
