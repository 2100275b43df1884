"""`bohran backtest`: what would have fired on history, and how good that is against labels.

Two modes:
  --input mentions.jsonl [--labels labels.jsonl]   the full enrich + detect core, event time from the data
  --counts series.csv [--labels windows.json]      one brand's count series (CSV `timestamp,value`)
With --json, one JSON object per alert (each with `timestamp`), then one `{"summary": ...}` object.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bohran.config import ConfigError, load_config
from streams.backtest import (
    Backtest,
    backtest_counts,
    parse_counts_csv,
    parse_labels,
    score,
    score_counts,
)
from streams.config import StreamsConfig
from streams.simulate import catalog_config

BIG_INPUT_BYTES = 50 * 1024 * 1024  # ~120,000 mentions: worth starting worker processes


def _load(config: Path | None, console: Console) -> StreamsConfig | None:
    if config is None:
        return None
    try:
        return load_config(config, check_env=False)
    except ConfigError as exc:
        for problem in exc.problems:
            console.print(f"[red]{exc.source}: {problem}[/red]")
        raise typer.Exit(2) from None


def _read_json_or_jsonl(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def _counts_windows(raw: Any, series: Path) -> list[Any]:
    """A list of [start, end] pairs; also accepts {file name: [[start, end], ...]} (picks this series)."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            if Path(key).name == series.name:
                return value
        if len(raw) == 1:
            return next(iter(raw.values()))
        raise ValueError(f"labels file has no entry for {series.name}")
    return raw


def register(app: typer.Typer) -> None:
    @app.command("backtest")
    def backtest_cmd(
        config: Path | None = typer.Option(
            None,
            "--config",
            "-c",
            help="bohran.yaml to test (default: the simulator's brands, default detection)",
        ),
        input: Path | None = typer.Option(None, "--input", "-i", help="mentions JSONL"),
        labels: Path | None = typer.Option(
            None, "--labels", help="labels: JSONL incidents, or a JSON list of start/end pairs"
        ),
        counts: Path | None = typer.Option(None, "--counts", help="single count series: CSV timestamp,value"),
        json_out: bool = typer.Option(False, "--json", help="machine output: JSON lines"),
        step: float = typer.Option(60.0, "--step", min=1.0, help="event-time seconds between evaluations"),
        workers: int = typer.Option(
            0, "--workers", min=0, help="processes for parsing + enrichment (0: one per CPU on big inputs)"
        ),
    ) -> None:
        """Replay history through the live detection core; print alerts, precision, recall, delays."""
        console = Console(stderr=True)
        if (input is None) == (counts is None):
            console.print("[red]give exactly one of --input mentions.jsonl or --counts series.csv[/red]")
            raise typer.Exit(2)
        streams_config = _load(config, console)
        source = input or counts
        assert source is not None
        if not source.exists():
            console.print(f"[red]no such file: {source}[/red]")
            raise typer.Exit(2)
        raw_labels = _read_json_or_jsonl(labels) if labels is not None else None
        if counts is not None:
            _run_counts(counts, streams_config, raw_labels, json_out, console)
        else:
            _run_mentions(source, streams_config, raw_labels, json_out, step, workers, console)


def _progress(console: Console, label: str, total: int | None) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _run_mentions(
    path: Path,
    config: StreamsConfig | None,
    raw_labels: Any,
    json_out: bool,
    step: float,
    workers: int,
    console: Console,
) -> None:
    if config is None:
        config = StreamsConfig(brands=catalog_config())
    backtest = Backtest(config, step_seconds=step, keep_signals=False)
    errors: list[str] = []
    size = path.stat().st_size
    if workers == 0:
        workers = (os.cpu_count() or 1) if size > BIG_INPUT_BYTES else 1
    with _progress(console, "backtest", size) as progress, path.open("rb") as f:
        task = progress.add_task("bytes", total=size)

        def lines() -> Iterator[bytes]:
            for line in f:
                progress.advance(task, len(line))
                yield line

        result = backtest.run_lines(lines(), workers=workers, errors=errors)
    summary: dict[str, Any] = {
        "mentions": result.mentions,
        "accepted": result.accepted,
        "late": result.late,
        "invalid_lines": len(errors),
        "brands": result.brands,
        "weeks": round(result.weeks, 3),
        "pages": len(result.pages),
    }
    if raw_labels is not None:
        label_items = raw_labels if isinstance(raw_labels, list) else [raw_labels]
        summary.update(
            score(result.pages, parse_labels(label_items), brands=result.brands, weeks=result.weeks)
        )
    if json_out:
        for page in result.pages:
            typer.echo(json.dumps(page.to_dict(), ensure_ascii=False))
        typer.echo(json.dumps({"summary": summary}, ensure_ascii=False))
        return
    out = Console()
    table = Table(title=f"{len(result.pages)} alerts would have paged")
    for column in ("time (UTC)", "brand", "detector", "severity", "flags", "why"):
        table.add_column(column)
    for page in result.pages:
        d = page.to_dict()
        table.add_row(
            d["timestamp"], page.brand, page.detector, page.severity, ",".join(page.flags), page.summary[:120]
        )
    out.print(table)
    for error in errors[:5]:
        console.print(f"[yellow]skipped {error}[/yellow]")
    _print_summary(out, summary)


def _run_counts(
    path: Path, config: StreamsConfig | None, raw_labels: Any, json_out: bool, console: Console
) -> None:
    try:
        rows = parse_counts_csv(path.read_text(encoding="utf-8").splitlines())
    except ValueError as exc:
        console.print(f"[red]{path}: {exc}[/red]")
        raise typer.Exit(2) from None
    with _progress(console, "backtest", len(rows)) as progress:
        task = progress.add_task("rows", total=len(rows))
        result = backtest_counts(rows, config, progress=lambda n: progress.advance(task, n))
    summary: dict[str, Any] = {
        "rows": result.rows,
        "interval_seconds": result.interval_seconds,
        "alerts": len(result.alerts),
    }
    if raw_labels is not None:
        try:
            windows = parse_labels(_counts_windows(raw_labels, path))
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            console.print(f"[red]labels: {exc}[/red]")
            raise typer.Exit(2) from None
        summary.update(score_counts(result, windows))
    if json_out:
        for alert in result.alerts:
            typer.echo(json.dumps(alert, ensure_ascii=False))
        typer.echo(json.dumps({"summary": summary}, ensure_ascii=False))
        return
    out = Console()
    table = Table(title=f"{len(result.alerts)} alerts")
    for column in ("timestamp", "detector", "severity", "observed", "expected", "score"):
        table.add_column(column)
    for alert in result.alerts:
        table.add_row(
            alert["timestamp"],
            alert["detector"],
            alert["severity"],
            str(alert["observed"]),
            f"{alert['expected']:.1f}",
            f"{alert['score']:.1f}",
        )
    out.print(table)
    _print_summary(out, summary)


def _print_summary(out: Console, summary: dict[str, Any]) -> None:
    for key, value in summary.items():
        if key in ("by_kind", "missed", "false_pages_by_brand", "brands", "labels_detail"):
            continue
        out.print(f"{key}: {value}")
    for kind, stats in summary.get("by_kind", {}).items():
        out.print(f"  {kind}: {stats}")
    for missed in summary.get("missed", []):
        out.print(f"  [red]missed[/red] {missed}")
