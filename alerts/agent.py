"""The alert stage's Faust agent: signals → lifecycle (Redis) → channels; dead letters → alerts-dlq.

Thin on purpose: the dispatcher holds the policy and delivery; this module only wires it to the
`signals` topic, a wall-clock timer (group_interval, repeats, outbox retries) and the audit and
dead-letter topics. `signals` is keyed by brand, so one worker owns a brand's alerts at a time.
Deliveries run in the background: a channel retrying through an outage must not stall the agent
(the next signals, other brands' pages, other channels) — each outcome is audited when it is known.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Any

import faust
import httpx

from alerts.channels.registry import build_channels
from alerts.channels.retry import DeliveryOutcome
from alerts.digest import DigestDelivery, build_digest_senders
from alerts.dispatcher import AlertDispatcher, DeadLetter
from alerts.notification import Notification
from alerts.store import AlertStore
from streams import metrics, topics
from streams.advocates import Digest
from streams.app import declare_topic, encode_json
from streams.signal import Signal

log = logging.getLogger("bohran.alerts")
DIGEST_BATCH = 50  # advocates digests delivered concurrently


class AlertRuntime:
    """Creates the dispatcher inside the worker's event loop (Redis and HTTP clients are loop-bound)."""

    def __init__(
        self,
        config: Any,
        redis_url: str | None,
        namespace: str,
        dlq_topic: faust.TopicT,
        audit_topic: faust.TopicT | None = None,
    ) -> None:
        self.config = config
        self.redis_url = redis_url
        self.namespace = namespace
        self.dlq_topic = dlq_topic
        self.audit_topic = audit_topic
        self.dispatcher: AlertDispatcher | None = None
        self.http: httpx.AsyncClient | None = None
        self.digests: DigestDelivery | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AlertDispatcher:
        async with self._lock:
            if self.dispatcher is None:
                if self.redis_url:
                    store = AlertStore.from_url(self.redis_url, namespace=self.namespace)
                else:
                    log.warning("no REDIS_URL: alert state is kept in memory only (not shared, lost on restart)")
                    store = AlertStore(None, namespace=self.namespace)
                self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
                channels = build_channels(self.config.alerting.channels, http=self.http)
                self.dispatcher = AlertDispatcher(
                    self.config,
                    store,
                    channels,
                    dead_letter_sink=self._dead_letter,
                    background_delivery=True,
                    on_delivered=self._audit,
                )
                await self.dispatcher.restore()
            return self.dispatcher

    async def digest_delivery(self) -> DigestDelivery:
        """The advocates digest's delivery, sharing the dispatcher's Redis store and HTTP client."""
        dispatcher = await self.get()
        if self.digests is None:
            senders = build_digest_senders(self.config.alerting.channels, http=self.http)
            self.digests = DigestDelivery(self.config, dispatcher.store, senders)
        return self.digests

    async def _audit(self, notification: Notification, outcomes: list[DeliveryOutcome]) -> None:
        """One `alerts` audit record per channel outcome, keyed by brand."""
        if self.audit_topic is None:
            return
        fingerprints = [a.fingerprint for a in notification.alerts]
        for outcome in outcomes:
            await self.audit_topic.send(
                key=notification.brand.encode(),
                value=encode_json({
                    "at": time.time(), "key": notification.key, "kind": notification.kind,
                    "fingerprint": fingerprints[0] if fingerprints else None, "fingerprints": fingerprints,
                    "status": notification.status, "severity": notification.severity,
                    "channel": outcome.channel, "ok": outcome.ok, "attempts": outcome.attempts,
                    "error": outcome.error, "elapsed": outcome.elapsed,
                }),
            )  # fmt: skip

    async def _dead_letter(self, letter: DeadLetter) -> None:
        log.error("notification %s to %s dead-lettered: %s", letter.notification.key, letter.channel, letter.error)
        await self.dlq_topic.send(value=letter.to_bytes())
        metrics.count_dlq("alert", "delivery_failed")

    def apply_config(self, config: Any) -> None:
        """Hot reload: routes, timings and channels apply to the next decision."""
        self.config = config
        if self.dispatcher is not None:
            self.dispatcher.update_config(config, build_channels(config.alerting.channels, http=self.http))
        if self.digests is not None:
            self.digests.update_config(config, build_digest_senders(config.alerting.channels, http=self.http))

    async def close(self) -> None:
        if self.digests is not None:
            await self.digests.aclose()
        if self.dispatcher is not None:
            await self.dispatcher.aclose()
        if self.http is not None:
            await self.http.aclose()


def install_alert_agent(app: faust.App, settings: Any, config: Any) -> AlertRuntime:
    layout: topics.TopicLayout = settings.layout

    signals_topic = declare_topic(app, layout, topics.SIGNALS)
    audit_topic = declare_topic(app, layout, topics.ALERTS)
    dlq_topic = declare_topic(app, layout, topics.ALERTS_DLQ)
    namespace = os.environ.get("BOHRAN_REDIS_PREFIX", "") + "bohran"
    runtime = AlertRuntime(config, settings.redis_url, namespace, dlq_topic, audit_topic)

    @app.agent(signals_topic, name="alert")
    async def alert(stream: faust.StreamT) -> None:
        async for value in stream:
            try:
                signal = Signal.from_dict(json.loads(value))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("dropping undecodable signal: %s", exc)
                continue
            dispatcher = await runtime.get()
            await dispatcher.on_signal(signal)  # decided and saved in order; delivered in the background

    digests_topic = declare_topic(app, layout, topics.DIGESTS)

    async def deliver_digest(digest: Digest) -> None:
        delivery = await runtime.digest_delivery()
        for outcome in await delivery.deliver(digest):
            await audit_topic.send(
                key=digest.brand.encode(),
                value=encode_json({
                    "at": time.time(), "kind": "advocates_digest", "key": digest.key, "channel": outcome.channel,
                    "ok": outcome.ok, "attempts": outcome.attempts, "error": outcome.error,
                    "elapsed": outcome.elapsed,
                }),
            )  # fmt: skip

    @app.agent(digests_topic, name="advocates-digest")
    async def advocates_digest(stream: faust.StreamT) -> None:
        """Advocates digests cut by the detect stage's tick, delivered once per brand and period.
        Many brands' digests fall due at the same minute: a batch is delivered concurrently (one
        channel retrying does not hold up the others) and acknowledged only after it, so a crash
        mid-delivery re-delivers and the Redis idempotency key keeps it to once."""
        async for values in stream.take(DIGEST_BATCH, within=1.0):
            digests = []
            for value in values:
                try:
                    digests.append(Digest.from_dict(json.loads(value)))
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("dropping undecodable digest: %s", exc)
            await asyncio.gather(*(deliver_digest(d) for d in digests))

    @app.timer(interval=1.0)
    async def alert_tick() -> None:
        dispatcher = await runtime.get()
        await dispatcher.tick()

    @app.on_before_shutdown.connect
    async def close_alerts(app_: faust.App, **_: Any) -> None:
        await runtime.close()

    return runtime
