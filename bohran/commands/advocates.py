"""`bohran advocates show [--brand ID]`: what the next advocates digests hold, asked of the running
workers (`/advocates/{brand}`; the worker that owns the brand answers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import typer

from alerts.render.escaping import one_line
from bohran.config import ConfigError, load_config


def ask_workers(workers: list[str], brand: str) -> dict[str, Any] | None:
    """The owning worker's view of the brand's board; None if no worker holds it."""
    for base in workers:
        try:
            resp = httpx.get(f"{base.rstrip('/')}/advocates/{brand}", timeout=5.0)
        except httpx.HTTPError as exc:
            typer.echo(f"{base}: unreachable ({exc.__class__.__name__})", err=True)
            continue
        if resp.status_code == 404:
            typer.echo(resp.json().get("error", f"unknown brand {brand!r}"), err=True)
            raise typer.Exit(1)
        data = resp.json()
        if data.get("owned_here") is not False:
            return data
    return None


def describe(view: dict[str, Any]) -> list[str]:
    """A few readable lines per brand: each open period and its candidates, best first."""
    lines = [
        f"{view['brand']}: digest at {view['send_at']} {view['timezone']}, top {view['top_k']}, "
        f"reach ≥ {view['min_reach']:g}" + ("" if view.get("enabled") else " (disabled)")
    ]
    periods = view.get("periods") or []
    if not periods:
        lines.append("  no candidates yet")
    for period in periods:
        lines.append(
            f"  period ending {period['end']}: {period['positive_mentions']} positive of "
            f"{period['mentions']} mentions"
        )
        for i, post in enumerate(period["posts"], 1):
            text = one_line(str(post["text"]))[:80]  # strangers' text: no terminal escapes reach the screen
            lines.append(
                f"    {i}. {one_line(str(post['author']))} on {one_line(str(post['platform']))} · "
                f"reach {post['reach']:,.0f} · {one_line(str(post['url'] or '(no link)'))}"
            )
            lines.append(f"       {text}")
    return lines


def register(app: typer.Typer) -> None:
    advocates_app = typer.Typer(
        help="The daily advocates digest (happy customers to thank).", no_args_is_help=True
    )

    @advocates_app.command("show")
    def show(
        brand: str | None = typer.Option(
            None, "--brand", help="one brand id (default: every configured brand)"
        ),
        worker: list[str] = typer.Option(
            ["http://127.0.0.1:6066"],
            "--worker",
            envvar="BOHRAN_WORKERS",
            help="worker web URL(s); the one that owns the brand answers",
        ),
        config: Path = typer.Option(Path("bohran.yaml"), "--config", "-c", envvar="BOHRAN_CONFIG"),
        as_json: bool = typer.Option(False, "--json", help="print the workers' JSON"),
    ) -> None:
        """The candidates each brand's next digest would name right now."""
        if brand is not None:
            brands = [brand]
        else:
            try:
                brands = [b.id for b in load_config(config, check_env=False).brands]
            except ConfigError as exc:
                typer.echo(f"{exc.source}: " + "; ".join(exc.problems), err=True)
                raise typer.Exit(1) from None
        views = []
        for brand_id in brands:
            view = ask_workers(worker, brand_id)
            if view is None:
                typer.echo(
                    f"{brand_id}: no worker holds candidates (none yet, or workers unreachable)", err=True
                )
                continue
            views.append(view)
        if as_json:
            typer.echo(
                json.dumps(
                    views if brand is None else (views[0] if views else None), ensure_ascii=False, indent=2
                )
            )
        else:
            for view in views:
                typer.echo("\n".join(describe(view)))
        if not views:
            raise typer.Exit(1)

    app.add_typer(advocates_app, name="advocates")
