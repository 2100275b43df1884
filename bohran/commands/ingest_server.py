"""`bohran ingest-server`: the HTTP ingest API (`POST /v1/mentions`) in front of the `mentions` topic."""

from __future__ import annotations

import asyncio
import contextlib
import os

import typer
from rich.console import Console

from streams import topics
from streams.adapters import AdapterError, AdapterOptions
from streams.ingest_server import IngestServer, IngestServerSettings, KafkaSink, parse_tokens

TOKENS_ENV = "BOHRAN_INGEST_TOKENS"


def register(app: typer.Typer) -> None:
    @app.command("ingest-server")
    def ingest_server(
        host: str = typer.Option("127.0.0.1", "--host", envvar="BOHRAN_INGEST_HOST"),
        port: int = typer.Option(8080, "--port", envvar="BOHRAN_INGEST_PORT", min=0, max=65535),
        kafka: str = typer.Option("127.0.0.1:9092", "--kafka", envvar="KAFKA_BOOTSTRAP"),
        max_body_bytes: int = typer.Option(4 * 1024 * 1024, "--max-body-bytes", min=1024),
        max_items: int = typer.Option(5000, "--max-items", min=1),
        rate: float = typer.Option(2000.0, "--rate", min=0.001, help="mentions per second per token"),
        burst: float = typer.Option(10_000.0, "--burst", min=1, help="mentions a token may send at once"),
        max_text_chars: int = typer.Option(10_000, "--max-text-chars", min=1),
        timezone: str | None = typer.Option(
            None, "--timezone", help="for ?format= payloads with naive times"
        ),
    ) -> None:
        """Serve the ingest API; tokens come from BOHRAN_INGEST_TOKENS=name:token,... (required)."""
        console = Console(stderr=True)
        try:
            tokens = parse_tokens(os.environ.get(TOKENS_ENV))
            options = AdapterOptions(timezone=timezone)
            options.zone()
            layout = topics.TopicLayout.from_env()
            settings = IngestServerSettings(
                topic=layout.name(topics.MENTIONS),
                tokens=tokens,
                host=host,
                port=port,
                max_body_bytes=max_body_bytes,
                max_items=max_items,
                rate_per_s=rate,
                burst=burst,
                max_text_chars=max_text_chars,
                adapter_options=options,
            )
        except (ValueError, AdapterError) as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
        topics.ensure_topics(kafka, layout)
        server = IngestServer(settings, KafkaSink(kafka, settings.topic))

        def started(bound: int) -> None:
            console.print(
                f"ingest API on http://{host}:{bound}/v1/mentions → {settings.topic} "
                f"({len(tokens)} token(s), {rate:g}/s per token); OpenAPI at /v1/openapi.json"
            )

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(server.serve_forever(started))
