"""`bohran explain BRAND`: ask a running worker why a brand's detectors did or did not fire."""

from __future__ import annotations

import json

import httpx
import typer


def register(app: typer.Typer) -> None:
    @app.command("explain")
    def explain(
        brand: str = typer.Argument(..., help="brand id"),
        worker: list[str] = typer.Option(
            ["http://127.0.0.1:6066"], "--worker", envvar="BOHRAN_WORKERS",
            help="worker web URL(s); the one that owns the brand answers",
        ),
    ) -> None:
        """Recent counts, baseline, each detector's score against its threshold, and why."""
        answers = []
        for base in worker:
            try:
                resp = httpx.get(f"{base.rstrip('/')}/explain/{brand}", timeout=5.0)
            except httpx.HTTPError as exc:
                typer.echo(f"{base}: unreachable ({exc.__class__.__name__})", err=True)
                continue
            if resp.status_code == 404:
                typer.echo(resp.json().get("error", "unknown brand"), err=True)
                raise typer.Exit(1)
            data = resp.json()
            if data.get("owned_here") is False:
                continue
            answers.append(data)
        if not answers:
            typer.echo(f"no worker reported state for {brand!r} (no mentions yet, or workers unreachable)", err=True)
            raise typer.Exit(1)
        typer.echo(json.dumps(answers[0], ensure_ascii=False, indent=2))
