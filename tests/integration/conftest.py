"""Real components for integration tests: Apache Kafka (KRaft), Redis, SMTP, a Slack-shaped receiver.

Kafka and Redis are started once per session by the project's own launcher (or taken from
KAFKA_BOOTSTRAP / REDIS_URL); every test gets its own topic prefix and Redis namespace so tests
sharing the broker never see each other's data.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bohran.local_stack import WorkerProcess, load_launcher
from bohran.receivers import SmtpReceiver, WebhookReceiver
from streams import topics

pytestmark = pytest.mark.integration
_counter = itertools.count()


@pytest.fixture(scope="session")
def launcher() -> Any:
    return load_launcher()


@pytest.fixture(scope="session")
def kafka_bootstrap(launcher: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = launcher.ensure_kafka(run_dir=tmp_path_factory.mktemp("kafka"), die_with_parent=True)
    yield service.address
    if service.started_here:
        service.stop()


@pytest.fixture(scope="session")
def redis_url(launcher: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = launcher.ensure_redis(run_dir=tmp_path_factory.mktemp("redis"), die_with_parent=True)
    yield service.address
    if service.started_here:
        service.stop()


@pytest.fixture
def slack() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def namespace() -> str:
    return f"t{os.getpid()}x{next(_counter)}x{int(time.time() * 1000) % 10**8}."


BASE_CONFIG: dict[str, Any] = {
    "brands": [
        {"id": "novinnet", "name": "نوین‌نت (NovinNet)", "aliases": ["نوین نت", "novinnet"],
         "handles": ["@novinnet"], "hashtags": ["#نوین_نت"]},
        {"id": "tazeban", "name": "تازه‌بان (Tazeban)", "aliases": ["تازه بان", "tazeban"],
         "handles": ["@tazeban"], "hashtags": ["#تازه_بان"]},
    ],
    "alerting": {
        "group_interval_seconds": 300,
        "repeat_interval_seconds": 14400,
        "cooldown_seconds": 3600,
        "route": {"receiver": "pr-oncall"},
        "receivers": [{"name": "pr-oncall", "channels": ["slack-pr", "email-pr"]}],
        "channels": [
            {"type": "slack", "name": "slack-pr", "webhook_url_env": "BOHRAN_TEST_SLACK_WEBHOOK"},
            {"type": "email", "name": "email-pr", "smtp_host": "127.0.0.1", "smtp_port": 0, "security": "none",
             "from_addr": "bohran@example.org", "to": ["pr-oncall@example.org"]},
        ],
    },
}


@pytest.fixture
def start_worker(
    kafka_bootstrap: str, redis_url: str, slack: WebhookReceiver, smtp: SmtpReceiver, namespace: str,
    tmp_path: Path,
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start `bohran worker` subprocesses wired to this test's receivers and namespace."""
    workers: list[WorkerProcess] = []

    def start(config: dict[str, Any] | None = None, **env: str) -> WorkerProcess:
        config = yaml.safe_load(yaml.safe_dump(config or BASE_CONFIG))
        for channel in config["alerting"]["channels"]:
            if channel["type"] == "email":
                channel["smtp_port"] = smtp.port
        path = tmp_path / f"bohran-{len(workers)}.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        worker_env = {
            "KAFKA_BOOTSTRAP": kafka_bootstrap,
            "REDIS_URL": redis_url,
            "BOHRAN_TEST_SLACK_WEBHOOK": slack.url,
            "BOHRAN_TOPIC_PREFIX": namespace,
            "BOHRAN_REDIS_PREFIX": namespace,
            "BOHRAN_PARTITIONS": "3",
            "BOHRAN_TICK_SECONDS": "1",
            "BOHRAN_DATA_DIR": str(tmp_path / f"worker-{len(workers)}"),
            **env,
        }
        topics.ensure_topics(kafka_bootstrap, topics.TopicLayout(partitions=3, prefix=namespace))
        worker = WorkerProcess(path, worker_env, tmp_path / f"worker-{len(workers)}.log").start()
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()
