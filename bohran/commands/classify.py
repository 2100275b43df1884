"""`bohran classify`: run the enrich core on mentions (or plain texts) from stdin, print JSON lines."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer

from bohran.config import ConfigError, load_config
from streams.config import StreamsConfig
from streams.enrichment import Enricher
from streams.mention import Author, InvalidMention, Mention, parse_mention


def register(app: typer.Typer) -> None:
    @app.command("classify")
    def classify(
        config: Path | None = typer.Option(None, "--config", "-c", help="bohran.yaml (for brand matching)"),
        text: bool = typer.Option(False, "--text", help="stdin has one plain text per line, not JSONL mentions"),
    ) -> None:
        """Read mentions on stdin; write {id, lang, brands, sentiment, score, category} per line."""
        streams_config = StreamsConfig()
        if config is not None:
            try:
                streams_config = load_config(config, check_env=False)
            except ConfigError as exc:
                typer.echo("\n".join(exc.problems), err=True)
                raise typer.Exit(1) from None
        enricher = Enricher(streams_config)
        failures = 0
        for line_no, line in enumerate(sys.stdin, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if text:
                mention = Mention(id=str(line_no), platform="text", text=line, created_at=time.time(), author=Author(id="-"))
            else:
                try:
                    mention = parse_mention(json.loads(line))
                except (json.JSONDecodeError, InvalidMention) as exc:
                    failures += 1
                    typer.echo(f"line {line_no}: {exc}", err=True)
                    continue
            out = enricher.enrich(mention).classification()
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        if failures:
            raise typer.Exit(1)
