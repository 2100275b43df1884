"""`bohran config check|show`: validate a config file; print the effective config."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bohran.config import ConfigError, load_config


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Validate and inspect bohran.yaml.", no_args_is_help=True)

    @config_app.command("check")
    def check(
        file: Path = typer.Argument(..., help="the YAML config file"),
        no_env: bool = typer.Option(False, "--no-env", help="do not require the secret env vars to be set"),
    ) -> None:
        """Exit non-zero with precise messages (path and line) if FILE is not a valid config."""
        try:
            config = load_config(file, check_env=not no_env)
        except ConfigError as exc:
            typer.echo(f"{exc.source}: invalid config", err=True)
            for problem in exc.problems:
                typer.echo(f"  - {problem}", err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"{file}: ok ({len(config.brands)} brands, {len(config.alerting.channels)} channels, "
            f"{len(config.alerting.receivers)} receivers)"
        )

    @config_app.command("show")
    def show(
        file: Path = typer.Argument(..., help="the YAML config file"),
        brand: str | None = typer.Option(None, "--brand", help="show one brand with its effective detection settings"),
    ) -> None:
        """Print the effective config (defaults merged with overrides) as JSON."""
        try:
            config = load_config(file, check_env=False)
        except ConfigError as exc:
            for problem in exc.problems:
                typer.echo(f"  - {problem}", err=True)
            raise typer.Exit(1) from None
        if brand is None:
            typer.echo(json.dumps(config.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2))
            return
        found = config.brand(brand)
        if found is None:
            typer.echo(f"unknown brand {brand!r}", err=True)
            raise typer.Exit(1)
        data = found.model_dump(mode="json", exclude={"detection"})
        data["detection"] = config.detection_for(brand).model_dump(mode="json")
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))

    app.add_typer(config_app, name="config")
