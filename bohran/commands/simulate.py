"""`bohran simulate`: synthetic mention traffic with labelled incidents, to a JSONL file or to Kafka."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from streams.backtest import parse_timestamp
from streams.mention import parse_mention
from streams.simulate import SCENARIO_KINDS, Simulation, simulate


def _brands_arg(value: str) -> int | list[str]:
    value = value.strip()
    return int(value) if value.isdigit() else [v.strip() for v in value.split(",") if v.strip()]


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate_cmd(
        days: float = typer.Option(7.0, "--days", min=0.01, help="simulated days"),
        brands: str = typer.Option(
            "8", "--brands", help="how many catalog brands (1-8), or comma-separated ids"
        ),
        seed: int = typer.Option(7, "--seed", help="same seed, same traffic"),
        scenarios: str = typer.Option(
            "all",
            "--scenarios",
            help=f"comma list of {', '.join(SCENARIO_KINDS)} (kind:N for N of them), 'all' or 'none'",
        ),
        start: str | None = typer.Option(None, "--start", help="RFC 3339 start; default: --days before now"),
        scale: float = typer.Option(1.0, "--scale", min=0.001, help="multiply every brand's volume"),
        out: str | None = typer.Option(None, "--out", help="mentions JSONL file ('-' = stdout)"),
        labels: Path | None = typer.Option(None, "--labels", help="write the injected incidents as JSONL"),
        brands_yaml: Path | None = typer.Option(
            None, "--brands-yaml", help="write the simulated brands as a bohran.yaml `brands:` section"
        ),
        kafka: str | None = typer.Option(
            None, "--kafka", help="bootstrap servers: produce to the mentions topic"
        ),
        rate: float | None = typer.Option(None, "--rate", min=0.001, help="mentions per second to Kafka"),
        pack: int = typer.Option(500, "--pack", min=1, help="mentions per Kafka record (JSON array)"),
    ) -> None:
        """Generate realistic mentions (Persian and English) with injected crises and their labels."""
        console = Console(stderr=True)
        try:
            sim = simulate(
                days=days,
                brands=_brands_arg(brands),
                seed=seed,
                scenarios=scenarios,
                start=parse_timestamp(start) if start else None,
                scale=scale,
            )
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
        if labels is not None:
            with labels.open("w", encoding="utf-8") as f:
                for label in sim.labels:
                    f.write(json.dumps(label.to_dict(), ensure_ascii=False) + "\n")
        if brands_yaml is not None:
            section = {
                "brands": [b.brand_config().model_dump(exclude_defaults=True) for b in sim.config.brands]
            }
            brands_yaml.write_text(
                yaml.safe_dump(section, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
        if out is None and kafka is None:
            out = "-"
        total = int(sim.expected_mentions())
        with Progress(
            TextColumn("[bold]simulate"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("mentions", total=total)
            written = _write(sim, out, kafka, rate, pack, lambda n: progress.advance(task, n))
        console.print(
            f"{written} mentions from {sim.config.days:g} days, {len(sim.config.brands)} brands; "
            f"{len(sim.labels)} incidents" + (f" -> {labels}" if labels else "")
        )


def _write(
    sim: Simulation,
    out: str | None,
    kafka: str | None,
    rate: float | None,
    pack: int,
    advance: Callable[[int], None],
) -> int:
    """Write the simulation to a JSONL file / stdout and/or produce it to Kafka; return the count."""
    with contextlib.ExitStack() as stack:
        sink: IO[str] | None = None
        if out == "-":
            sink = sys.stdout
        elif out is not None:
            sink = stack.enter_context(Path(out).open("w", encoding="utf-8"))
        written = 0

        def mentions() -> Iterator[dict[str, Any]]:
            nonlocal written
            for item in sim.mentions():
                written += 1
                if sink is not None:
                    sink.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
                yield item

        if kafka is None:
            for n, _ in enumerate(mentions(), start=1):
                if n % 1000 == 0:
                    advance(1000)
            return written
        from streams import topics
        from streams.ingest import Pacer, make_producer, produce_mentions

        layout = topics.TopicLayout.from_env()
        topics.ensure_topics(kafka, layout)
        producer = make_producer(kafka)
        try:
            produce_mentions(
                producer,
                layout.name(topics.MENTIONS),
                (parse_mention(item) for item in mentions()),
                pack=pack,
                pacer=Pacer(rate=rate) if rate else None,
                on_sent=advance,
            )
        finally:
            producer.close()
        return written
