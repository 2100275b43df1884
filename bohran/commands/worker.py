"""`bohran worker`: one stream-processing worker (enrich + detect + alert agents, /metrics)."""

from __future__ import annotations

from pathlib import Path

import typer

from bohran.config import ConfigError


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(
        config: Path = typer.Option(Path("bohran.yaml"), "--config", "-c", envvar="BOHRAN_CONFIG"),
        kafka: str = typer.Option("127.0.0.1:9092", "--kafka", envvar="KAFKA_BOOTSTRAP", help="bootstrap servers"),
        redis: str | None = typer.Option(None, "--redis", envvar="REDIS_URL"),
        web_port: int = typer.Option(6066, "--web-port", envvar="BOHRAN_WEB_PORT", help="serves /metrics"),
        web_host: str = typer.Option("127.0.0.1", "--web-host", envvar="BOHRAN_WEB_HOST"),
        data_dir: Path = typer.Option(Path(".local/worker"), "--data-dir", envvar="BOHRAN_DATA_DIR"),
        loglevel: str = typer.Option("INFO", "--loglevel"),
    ) -> None:
        """Run a worker until Ctrl-C / SIGTERM."""
        from bohran.worker import run_worker
        from streams.app import WorkerSettings

        settings = WorkerSettings.from_env(
            bootstrap=kafka, config_path=str(config), redis_url=redis, web_port=web_port, web_host=web_host,
            data_dir=str(data_dir),
        )
        try:
            run_worker(settings, loglevel=loglevel.upper())
        except ConfigError as exc:
            typer.echo(f"{exc.source}: invalid config", err=True)
            for problem in exc.problems:
                typer.echo(f"  - {problem}", err=True)
            raise typer.Exit(2) from None
