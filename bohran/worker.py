"""Composition root of a worker process: config + streams app + the alert agent, then run Faust."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from collections.abc import Callable
from importlib.metadata import version

import faust

from alerts.agent import AlertRuntime, install_alert_agent
from bohran.config import BohranConfig, load_config
from bohran.config_reload import ConfigReloader
from streams import metrics
from streams.app import StreamsRuntime, WorkerSettings, create_app
from streams.topics import ensure_topics

log = logging.getLogger("bohran.worker")
RELOAD_CHECK_SECONDS = 2.0
# Kafka client loggers that repeat one error per retry while a broker is away.
KAFKA_CLIENT_LOGGERS = (
    "aiokafka",
    "aiokafka.conn",
    "aiokafka.cluster",
    "aiokafka.consumer.fetcher",
    "aiokafka.consumer.group_coordinator",
    "aiokafka.producer.sender",
    "aiokafka.producer.producer",
)


class RepeatedLogThrottle(logging.Filter):
    """Passes each (logger, message template) at most once per `interval_s`, noting how many were held.

    While a broker restarts, aiokafka logs "Unable connect to node" / "Unable to update metadata" on
    every retry of every client: measured ~700 lines/s here, enough to flood a log pipeline during
    exactly the incident someone needs to read it for. One line per interval says the same.
    """

    MAX_KEYS = 1000  # templates are code-defined; the cap only guards against preformatted messages

    def __init__(self, interval_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self._held: dict[tuple[str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        if len(self._last) >= self.MAX_KEYS:
            self._last.clear()
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            record.msg = f"{record.msg} [{held} more like this in the last {self.interval_s:.0f}s]"
        return True


def throttle_kafka_client_logs(interval_s: float = 10.0) -> RepeatedLogThrottle:
    throttle = RepeatedLogThrottle(interval_s)
    for name in KAFKA_CLIENT_LOGGERS:
        logging.getLogger(name).addFilter(throttle)
    return throttle


def build_worker_app(
    settings: WorkerSettings, config: BohranConfig
) -> tuple[faust.App, StreamsRuntime, AlertRuntime, ConfigReloader]:
    """The Faust app with all three stages, plus hot reload (file change or SIGHUP)."""
    holder: dict[str, AlertRuntime] = {}

    def add_alerts(app: faust.App, runtime: StreamsRuntime) -> None:
        holder["alerts"] = install_alert_agent(app, settings, config)

    app, streams_runtime = create_app(settings, config, on_app=add_alerts)
    alert_runtime = holder["alerts"]
    reloader = ConfigReloader(settings.config_path, config, [streams_runtime.apply_config, alert_runtime.apply_config])

    @app.timer(interval=RELOAD_CHECK_SECONDS)
    async def watch_config() -> None:
        reloader.check()

    @app.task
    async def reload_on_sighup() -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, lambda: reloader.check(force=True))

    return app, streams_runtime, alert_runtime, reloader


def run_worker(settings: WorkerSettings, loglevel: str = "INFO") -> None:
    """Create topics with explicit partition counts, then run the Faust worker until signalled."""
    config = load_config(settings.config_path)
    logging.basicConfig(level=loglevel, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("kafka", "aiokafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    throttle_kafka_client_logs()
    created = ensure_topics(settings.bootstrap, settings.layout)
    if created:
        log.info("created topics %s with %d partitions", ", ".join(created), settings.layout.partitions)
    metrics.set_worker_info(version("bohran"))
    metrics.set_configured_channels([c.name for c in config.alerting.channels])
    metrics.record_config_reload(True)
    app, *_ = build_worker_app(settings, config)
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False, quiet=True)
    worker.execute_from_commandline()
