"""Delivery faults (#5, #8) on real Kafka, Redis, SMTP and an HTTP receiver, with a real `bohran worker`.

Signals are produced straight onto the worker's `signals` topic (the alert stage's only input), so
each test controls exactly which incidents exist and when; everything after that is the product:
the lifecycle in Redis, routing, the Slack webhook and SMTP channels, retries, `alerts-dlq`, and
the `bohran alerts redrive` CLI.

1. Redis goes away and comes back empty on the same port: the worker keeps paging from local state
   (counted in `bohran_redis_failopen_total`), writes its state back once Redis answers, and no
   incident pages twice or is lost.
2. The Slack receiver answers 500, then 429 with Retry-After, for ~32 s: Retry-After is honoured,
   email is not held up meanwhile, every alert that is still inside its deadline is delivered
   exactly once on recovery, the one past its deadline lands in `alerts-dlq` with the error, and
   `bohran alerts redrive` delivers it exactly once (a second redrive sends nothing).
3. The SMTP server is down (port closed) and comes back: the email arrives exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from kafka import KafkaProducer
from kafka_helpers import read_topic, wait_for

from bohran.local_stack import REPO_ROOT
from bohran.receivers import Reply, SmtpReceiver, WebhookReceiver
from streams import topics
from streams.signal import Signal

pytestmark = pytest.mark.integration

BRANDS = {"alfa": "Alfa Telecom", "bravo": "Bravo Bank", "charlie": "Charlie Cargo"}


def alerting_config(channels: list[str], group_interval: float = 600, **delivery: float) -> dict[str, Any]:
    """Three brands, one receiver with `channels`; the delivery settings given."""
    return {
        "brands": [{"id": b, "name": name, "aliases": [b]} for b, name in BRANDS.items()],
        "alerting": {
            "group_interval_seconds": group_interval,
            "repeat_interval_seconds": 14400,
            "cooldown_seconds": 3600,
            "route": {"receiver": "pr-oncall"},
            "receivers": [{"name": "pr-oncall", "channels": channels}],
            "channels": [
                {"type": "slack", "name": "slack-pr", "webhook_url_env": "BOHRAN_TEST_SLACK_WEBHOOK"},
                {"type": "email", "name": "email-pr", "smtp_host": "127.0.0.1", "smtp_port": 0,
                 "security": "none", "from_addr": "bohran@example.org", "to": ["pr-oncall@example.org"]},
            ],
            "delivery": delivery,
        },
    }  # fmt: skip


class SignalSender:
    """Produces signals onto the test's `signals` topic, keyed by brand like the detect stage does."""

    def __init__(self, bootstrap: str, namespace: str) -> None:
        self.topic = namespace + topics.SIGNALS
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        self.started: dict[str, float] = {}

    def send(self, brand: str, *, status: str = "firing", severity: str = "warning") -> None:
        now = time.time()
        started = self.started.setdefault(brand, now - 300)
        signal = Signal(
            brand=brand, detector="negative_volume", status=status, severity=severity,  # type: ignore[arg-type]
            score=8.0, threshold=6.0, observed=40, expected=5, started_at=started, evaluated_at=now,
            window_start=now - 300, window_end=now, negative_share=0.5, baseline_share=0.1,
            total=80, negative=40, summary=f"{brand} outage complaints",
        )  # fmt: skip
        value = json.dumps(signal.to_dict(), ensure_ascii=False).encode()
        self.producer.send(self.topic, key=brand.encode(), value=value).get(timeout=30)

    def close(self) -> None:
        self.producer.close()


@pytest.fixture
def signals(kafka_bootstrap: str, namespace: str) -> Iterator[SignalSender]:
    sender = SignalSender(kafka_bootstrap, namespace)
    yield sender
    sender.close()


def slack_brand(request: Any) -> str | None:
    text = request.json().get("text", "")
    found = [b for b, name in BRANDS.items() if name in text]
    return found[0] if len(found) == 1 else None


def slack_pages(slack: WebhookReceiver, kind: str = "") -> Counter[str]:
    """Delivered (2xx) Slack messages per brand; `kind` filters on the message text (e.g. "Resolved ·")."""
    return Counter(slack_brand(r) for r in slack.received() if kind in r.json().get("text", ""))


def emails(smtp: SmtpReceiver) -> Counter[str]:
    return Counter(b for m in smtp.messages for b, name in BRANDS.items() if name in str(m["Subject"]))


def scrape(worker: Any, metric: str) -> dict[str, float]:
    """`metric{labels} value` lines from the worker's /metrics, by label string."""
    with urllib.request.urlopen(f"{worker.base_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(metric + "{") or line.startswith(metric + " "):
            name, _, value = line.rpartition(" ")
            values[name.removeprefix(metric)] = float(value)
    return values


def test_redis_restart_fails_open_then_reconciles_without_double_pages(
    launcher, start_worker, signals, slack, namespace, tmp_path, monkeypatch
):
    run_dir = tmp_path / "own-redis"
    own = launcher.ensure_redis(run_dir, respect_env=False, die_with_parent=True, log=launcher._quiet)
    port = own.details["port"]
    try:
        config = alerting_config(["slack-pr"], group_interval=2)  # resolved notices go out within 2 s
        worker = start_worker(config, REDIS_URL=own.address)
        db = redis.Redis.from_url(own.address, decode_responses=True)
        ns = namespace + "bohran"

        signals.send("alfa")
        wait_for(lambda: slack_pages(slack)["alfa"] == 1, 30, what="alfa paged")
        wait_for(lambda: db.smembers(f"{ns}:brands") == {"alfa"}, 10, what="alfa's state in Redis")

        own.stop()
        signals.send("alfa")  # the same incident again while Redis is down: an update, not a page
        signals.send("bravo")  # a new incident while Redis is down: paged from local state
        wait_for(lambda: slack_pages(slack)["bravo"] == 1, 30, what="bravo paged while Redis is down")
        time.sleep(3)  # a few timer ticks while Redis is down
        failopen = scrape(worker, "bohran_redis_failopen_total")
        assert sum(failopen.values()) > 0, f"fail-open not counted: {failopen}"

        # Redis comes back on the same port, empty (no persistence): the worker writes its state back.
        monkeypatch.setattr(launcher, "free_loopback_ports", lambda count=1: [port])
        own = launcher.start_redis(run_dir, die_with_parent=True, log=launcher._quiet)
        assert own.details["port"] == port
        db = redis.Redis.from_url(own.address, decode_responses=True)
        wait_for(lambda: db.smembers(f"{ns}:brands") == {"alfa", "bravo"}, 30, what="state reconciled")
        marks = {k: db.get(k) for k in db.scan_iter(f"{ns}:delivery:slack-pr:*")}
        assert len(marks) == 2 and set(marks.values()) == {"delivered"}, marks
        assert db.hlen(f"{ns}:outbox") == 0

        signals.send("alfa")
        signals.send("bravo")
        signals.send("charlie")
        wait_for(lambda: slack_pages(slack)["charlie"] == 1, 30, what="charlie paged after Redis is back")

        # A fresh worker (a restart or a rebalance) continues from what Redis now holds.
        worker.stop()
        start_worker(config, REDIS_URL=own.address)
        for brand in BRANDS:
            signals.send(brand)
        signals.send("alfa", status="resolved")
        wait_for(lambda: slack_pages(slack, "Resolved ·")["alfa"] == 1, 30, what="alfa's resolved notice")
        time.sleep(3)
        firing = slack_pages(slack) - slack_pages(slack, "Resolved ·")
        assert firing == {"alfa": 1, "bravo": 1, "charlie": 1}, [
            r.json()["text"][:80] for r in slack.received()
        ]
        assert slack_pages(slack, "Resolved ·") == {"alfa": 1}
    finally:
        own.stop()


def redrive(config: Path, kafka: str, redis_url: str, namespace: str, slack: WebhookReceiver,
            *extra: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = {
        **os.environ,
        "BOHRAN_TOPIC_PREFIX": namespace,
        "BOHRAN_REDIS_PREFIX": namespace,
        "BOHRAN_TEST_SLACK_WEBHOOK": slack.url,
    }
    return subprocess.run(
        [sys.executable, "-m", "bohran.cli", "alerts", "redrive", "--kafka", kafka, "--config", str(config),
         "--redis", redis_url, "--timeout", "5", *extra],
        env=env, cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def flat(text: str) -> str:
    """CLI output with rich's line wrapping undone."""
    return " ".join(text.split())


def test_slack_outage_retry_after_deadline_dlq_and_redrive(
    start_worker, signals, slack, smtp, kafka_bootstrap, redis_url, namespace
):
    # Timeline (s): 0-12 Slack answers 500, 12-32 429 with Retry-After 4, then 200. Deadline 26 s:
    # alfa (sent at 0) runs out during the outage; bravo and charlie (sent at 12, 14) outlast it.
    # Backoff tops out at 1.5 s, so a longer gap between two attempts can only be Retry-After.
    config = alerting_config(
        ["slack-pr", "email-pr"], initial_backoff_seconds=0.5, max_backoff_seconds=1.5, deadline_seconds=26
    )
    worker = start_worker(config)
    slack.answer_with(Reply(500, body="internal_error"))
    outage = time.monotonic()

    def at(second: float) -> None:
        time.sleep(max(0.0, outage + second - time.monotonic()))

    signals.send("alfa")
    wait_for(lambda: emails(smtp)["alfa"] == 1, 10, what="alfa's email")
    at(12)
    slack.answer_with(Reply.rate_limited(4))
    signals.send("bravo")
    # A failing Slack must not hold up other deliveries: bravo's email goes out at once although
    # alfa's Slack message is still being retried.
    wait_for(lambda: emails(smtp)["bravo"] == 1, 5, what="bravo's email while Slack is failing")
    at(14)
    signals.send("charlie")
    wait_for(lambda: emails(smtp)["charlie"] == 1, 5, what="charlie's email while Slack is rate limiting")

    dlq = read_topic(kafka_bootstrap, namespace + topics.ALERTS_DLQ, lambda v: len(v) >= 1, timeout_s=30)
    assert time.monotonic() - outage < 32, "alfa was dead-lettered at its deadline, during the outage"
    at(32)
    slack.answer_with(Reply())
    wait_for(lambda: slack_pages(slack)["bravo"] == 1 and slack_pages(slack)["charlie"] == 1, 15,
             what="bravo and charlie delivered after recovery")  # fmt: skip
    time.sleep(3)

    assert slack_pages(slack) == {"bravo": 1, "charlie": 1}
    assert emails(smtp) == {"alfa": 1, "bravo": 1, "charlie": 1}
    statuses = Counter(r.status for r in slack.requests)
    assert statuses[500] >= 3 and statuses[429] >= 3, statuses

    # Retry-After honoured: after every 429, that message's next attempt waits the 4 s it was told.
    by_brand: dict[str, list[Any]] = {}
    for request in slack.requests:
        by_brand.setdefault(slack_brand(request), []).append(request)
    gaps = [
        b.at - a.at for rs in by_brand.values() for a, b in zip(rs, rs[1:], strict=False) if a.status == 429
    ]
    assert gaps and min(gaps) >= 3.9 and max(gaps) < 6.5, gaps
    backoffs = [
        b.at - a.at for rs in by_brand.values() for a, b in zip(rs, rs[1:], strict=False) if a.status == 500
    ]
    assert backoffs and max(backoffs) < 3.0, backoffs

    # Every outcome is audited on `alerts`, including deliveries that finished long after their signal.
    audit = read_topic(kafka_bootstrap, namespace + topics.ALERTS, lambda v: len(v) >= 6, timeout_s=10)
    slack_audit = {a["fingerprint"].partition("/")[0]: a for a in audit if a["channel"] == "slack-pr"}
    assert {b: (a["ok"], a["attempts"] >= 3) for b, a in slack_audit.items()} == {
        "alfa": (False, True), "bravo": (True, True), "charlie": (True, True)
    }, audit  # fmt: skip
    assert sorted(a["fingerprint"] for a in audit if a["channel"] == "email-pr" and a["ok"]) == [
        f"{b}/negative_volume" for b in sorted(BRANDS)
    ]

    [letter] = read_topic(kafka_bootstrap, namespace + topics.ALERTS_DLQ, lambda v: len(v) >= 1, timeout_s=5)
    assert dlq == [letter]
    assert letter["channel"] == "slack-pr" and letter["notification"]["brand"] == "alfa"
    assert "HTTP 429" in letter["error"] or "HTTP 500" in letter["error"], letter["error"]
    assert "deadline" in letter["error"] and letter["attempts"] >= 5 and letter["retryable"] is True

    first = redrive(worker.config_path, kafka_bootstrap, redis_url, namespace, slack)
    assert first.returncode == 0, first.stderr
    assert "dead letters read 1: delivered 1, already delivered 0, failed 0" in flat(first.stderr), (
        first.stderr
    )
    assert slack_pages(slack) == {"alfa": 1, "bravo": 1, "charlie": 1}
    assert emails(smtp) == {"alfa": 1, "bravo": 1, "charlie": 1}, "redrive retries only the failed channel"

    second = redrive(worker.config_path, kafka_bootstrap, redis_url, namespace, slack)
    assert second.returncode == 0, second.stderr
    assert "dead letters read 0: delivered 0, already delivered 0, failed 0" in flat(second.stderr)
    # Even reading the topic again from the start (another group) sends nothing: it was delivered.
    third = redrive(
        worker.config_path, kafka_bootstrap, redis_url, namespace, slack, "--group", namespace + "again"
    )
    assert third.returncode == 0, third.stderr
    assert "dead letters read 1: delivered 0, already delivered 1, failed 0" in flat(third.stderr)
    assert slack_pages(slack) == {"alfa": 1, "bravo": 1, "charlie": 1}


def test_smtp_down_then_back_delivers_the_email_exactly_once(start_worker, signals, smtp, slack):
    smtp.stop()  # port closed: connections are refused
    worker = start_worker(alerting_config(["email-pr"], initial_backoff_seconds=0.5, max_backoff_seconds=2,
                                 deadline_seconds=60))  # fmt: skip
    signals.send("alfa")
    time.sleep(8)
    assert smtp.messages == []
    smtp.start()  # the same port again
    wait_for(lambda: emails(smtp)["alfa"] == 1, 15, what="the email after SMTP came back")
    time.sleep(4)
    assert emails(smtp) == {"alfa": 1}
    assert len(smtp.messages) == 1
    assert slack.requests == []
    sent = scrape(worker, "bohran_notifications_total")
    assert sent['{channel="email-pr",outcome="sent"}'] == 1
    assert sent['{channel="email-pr",outcome="retried"}'] >= 3, sent
    assert sent.get('{channel="email-pr",outcome="dead_lettered"}', 0) == 0
