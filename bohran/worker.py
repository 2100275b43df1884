"""Composition root of a worker process: config + streams app + the alert agent, then run Faust."""

from __future__ import annotations

import logging
import sys

import faust

from alerts.agent import install_alert_agent
from bohran.config import BohranConfig, load_config
from streams.app import StreamsRuntime, WorkerSettings, create_app
from streams.topics import ensure_topics

log = logging.getLogger("bohran.worker")


def build_worker_app(settings: WorkerSettings, config: BohranConfig) -> tuple[faust.App, StreamsRuntime]:
    def add_alerts(app: faust.App, runtime: StreamsRuntime) -> None:
        install_alert_agent(app, settings, config)

    return create_app(settings, config, on_app=add_alerts)


def run_worker(settings: WorkerSettings, loglevel: str = "INFO") -> None:
    """Create topics with explicit partition counts, then run the Faust worker until signalled."""
    config = load_config(settings.config_path)
    logging.basicConfig(level=loglevel, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    created = ensure_topics(settings.bootstrap, settings.layout)
    if created:
        log.info("created topics %s with %d partitions", ", ".join(created), settings.layout.partitions)
    app, _ = build_worker_app(settings, config)
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False, quiet=True)
    worker.execute_from_commandline()
