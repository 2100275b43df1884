"""Delivering the advocates digest: route, render per channel, send exactly once per brand and period.

A digest is a notification but not an alert: it has no lifecycle, no grouping, no ack and no
repeat, so it does not pass through the alert policy. It shares everything else with alerts: the
receivers and channels of `alerting` (an explicit `advocates.receiver`, or the route tree with the
labels `brand`, the brand's own labels and `kind=advocates`), the retry policy, the metrics, and
the per-channel idempotency key in Redis (`AlertStore.claim_delivery`), here `advocates:<brand>:<period>`:
a digest cut twice (a restart between cutting and checkpointing, a rebalance) is delivered once.

Channels are built here from the same channel settings (one shared HTTP client), because an
alert channel's `send` renders an alert. Alertmanager channels take alerts only and get no digest.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TextIO, cast

import httpx

from alerts.channels import config as cfg
from alerts.channels.base import DEFAULT_HTTP_TIMEOUT, DeliveryFailed, JsonPoster, Secret
from alerts.channels.email import SmtpEmailChannel
from alerts.channels.retry import DeliveryOutcome, deliver_with_retry
from alerts.config import AlertingConfig
from alerts.dispatcher import retry_policy_for
from alerts.render.digest import (
    DigestSummary,
    render_digest_email,
    render_digest_slack,
    render_digest_text,
    render_digest_webhook,
    summarize_digest,
)
from alerts.routing import Router
from alerts.store import AlertStore, ClaimResult
from streams.advocates import Digest
from streams.config import AdvocatesConfig, BrandConfig

log = logging.getLogger("bohran.alerts.digest")

DIGEST_LABEL = {"kind": "advocates"}
CLAIM_POLL_SECONDS = 1.0


class DigestSettings(Protocol):
    """What delivery needs from the whole config (`bohran.config.BohranConfig` fits)."""

    @property
    def alerting(self) -> AlertingConfig: ...

    @property
    def advocates(self) -> AdvocatesConfig: ...

    def brand(self, brand_id: str) -> BrandConfig | None: ...


class DigestSender(Protocol):
    name: str
    kind: str

    async def send(self, summary: DigestSummary) -> None:
        """One attempt; raises DeliveryFailed."""
        ...

    async def aclose(self) -> None: ...


class SlackDigestSender:
    kind = "slack"

    def __init__(self, name: str, url: Secret, *, http: httpx.AsyncClient | None = None) -> None:
        self.name = name
        self._poster = JsonPoster(kind=self.kind, name=name, url=url, http=http, timeout=DEFAULT_HTTP_TIMEOUT)

    async def send(self, summary: DigestSummary) -> None:
        await self._poster.post(render_digest_slack(summary))

    async def aclose(self) -> None:
        await self._poster.aclose()


class WebhookDigestSender:
    kind = "webhook"

    def __init__(
        self,
        name: str,
        url: Secret,
        *,
        bearer_token: Secret | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.name = name
        headers: dict[str, Secret | str] = {}
        if bearer_token is not None:
            headers["Authorization"] = Secret("Bearer " + bearer_token.reveal())
        self._poster = JsonPoster(kind=self.kind, name=name, url=url, http=http, headers=headers)

    async def send(self, summary: DigestSummary) -> None:
        await self._poster.post(render_digest_webhook(summary))

    async def aclose(self) -> None:
        await self._poster.aclose()


class EmailDigestSender:
    """Uses the email channel's SMTP session handling (security modes, auth, reply-code mapping)."""

    kind = "email"

    def __init__(self, channel: SmtpEmailChannel) -> None:
        self.name = channel.name
        self._channel = channel

    async def send(self, summary: DigestSummary) -> None:
        message = render_digest_email(summary, from_addr=self._channel.from_addr, to=self._channel.to)
        await self._channel.send_message(message)

    async def aclose(self) -> None:
        return None


class ConsoleDigestSender:
    kind = "console"

    def __init__(self, name: str, stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    async def send(self, summary: DigestSummary) -> None:
        stream = self._stream if self._stream is not None else sys.stdout
        rule = "─" * 72
        try:
            stream.write(f"{rule}\n{render_digest_text(summary)}{rule}\n")
            stream.flush()
        except (OSError, ValueError) as exc:
            raise DeliveryFailed(f"console channel {self.name!r}: {exc}", retryable=False) from None

    async def aclose(self) -> None:
        return None


def build_digest_senders(
    configs: Sequence[cfg.ChannelConfig],
    *,
    http: httpx.AsyncClient | None = None,
    console_stream: TextIO | None = None,
) -> dict[str, DigestSender]:
    """Senders by channel name. A channel whose secret is missing is left out (and logged): the
    config loader already refuses such a file, so this only happens if the environment changed."""
    senders: dict[str, DigestSender] = {}
    for config in configs:
        try:
            match config:
                case cfg.SlackChannel():
                    senders[config.name] = SlackDigestSender(
                        config.name, Secret(_env(config.webhook_url_env)), http=http
                    )
                case cfg.WebhookChannel():
                    token = _env(config.bearer_token_env) if config.bearer_token_env else None
                    senders[config.name] = WebhookDigestSender(
                        config.name,
                        Secret(_env(config.url_env)),
                        bearer_token=Secret(token) if token else None,
                        http=http,
                    )
                case cfg.EmailChannel():
                    username = _env(config.username_env) if config.username_env else None
                    password = _env(config.password_env) if config.password_env else None
                    senders[config.name] = EmailDigestSender(
                        SmtpEmailChannel(
                            config.name,
                            host=config.smtp_host,
                            port=config.smtp_port,
                            from_addr=config.from_addr,
                            to=config.to,
                            security=config.security,
                            username=Secret(username) if username else None,
                            password=Secret(password) if password else None,
                        )
                    )
                case cfg.ConsoleChannel():
                    senders[config.name] = ConsoleDigestSender(config.name, console_stream)
                case _:
                    pass  # Alertmanager takes alerts, and a digest is not one
        except (LookupError, ValueError) as exc:
            log.error("channel %s cannot send digests: %s", config.name, exc)
    return senders


def _env(name: str | None) -> str:
    value = cfg.resolve_env(name)
    if value is None:
        raise LookupError("no environment variable named")
    return value.strip()


def _metrics() -> Any:
    try:
        from streams import metrics
    except ImportError:  # pragma: no cover - metrics are optional here
        return None
    return metrics


class _Attempt:
    """Adapts a digest sender to the retry loop, which sends one prepared payload per attempt."""

    def __init__(self, sender: DigestSender, summary: DigestSummary) -> None:
        self.name = sender.name
        self.kind = sender.kind
        self._sender = sender
        self._summary = summary

    async def send(self, _: object) -> None:
        await self._sender.send(self._summary)


class DigestDelivery:
    """Routes a digest to its receiver's channels and delivers it at most once per channel."""

    def __init__(
        self,
        config: DigestSettings,
        store: AlertStore,
        senders: Mapping[str, DigestSender],
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.store = store
        self.senders = dict(senders)
        self.clock = clock
        self._sleep = sleep
        self._router = Router(config.alerting)

    def update_config(
        self, config: DigestSettings, senders: Mapping[str, DigestSender] | None = None
    ) -> None:
        """Hot reload: the next digest uses the new receiver, routes and channels."""
        self.config = config
        self._router = Router(config.alerting)
        if senders is not None:
            self.senders = dict(senders)

    def channels_for(self, brand: BrandConfig) -> list[str]:
        """The channels of `advocates.receiver`, or of every receiver the route tree picks."""
        receiver = self.config.advocates.receiver
        if receiver is not None:
            return list(self._router.channels_for(receiver))
        labels = {**brand.labels, "brand": brand.id, **DIGEST_LABEL}
        names: list[str] = []
        for target in self._router.route(labels):
            names += [c for c in target.channels if c not in names]
        return names

    async def deliver(self, digest: Digest) -> list[DeliveryOutcome]:
        """Send to every channel that has not had this digest yet; never raises for delivery errors."""
        brand = self.config.brand(digest.brand)
        if brand is None:
            log.info("digest %s dropped: brand no longer configured", digest.key)
            return []
        if not self.config.advocates.enabled:
            log.info("digest %s dropped: advocates digest disabled", digest.key)
            return []
        summary = summarize_digest(
            digest, brand_name=brand.name, grafana_url=self.config.alerting.grafana_url
        )
        names = [n for n in self.channels_for(brand) if n in self.senders]
        results = await asyncio.gather(*(self._deliver_to(self.senders[n], summary) for n in names))
        return [outcome for outcome in results if outcome is not None]

    async def _claim(self, channel: str, key: str) -> ClaimResult:
        """Claim the delivery; wait out another sender's claim (a crashed one expires)."""
        deadline = self.clock() + self.store.in_flight_ttl + 5.0
        while True:
            claim = await self.store.claim_delivery(channel, key)
            if claim is not ClaimResult.IN_FLIGHT or self.clock() >= deadline:
                return claim
            await self._sleep(CLAIM_POLL_SECONDS)

    async def _deliver_to(self, sender: DigestSender, summary: DigestSummary) -> DeliveryOutcome | None:
        claim = await self._claim(sender.name, summary.key)
        if claim is ClaimResult.DELIVERED:
            self._record(sender.name, "deduplicated")
            return None
        if claim is ClaimResult.IN_FLIGHT:
            log.warning(
                "digest %s to %s: another sender still holds the claim; leaving it", summary.key, sender.name
            )
            return None
        outcome = await deliver_with_retry(
            cast(Any, _Attempt(sender, summary)),
            cast(Any, summary),
            retry_policy_for(self.config.alerting.delivery),
            sleep=self._sleep,
        )
        for _ in range(outcome.attempts - 1):
            self._record(sender.name, "failed")
            self._record(sender.name, "retried")
        if outcome.ok:
            await self.store.mark_delivered(sender.name, summary.key)
            self._record(sender.name, "sent", self.clock() - summary.created_at)
        else:
            await self.store.release_claim(sender.name, summary.key)
            self._record(sender.name, "failed")
            self._record(sender.name, "dead_lettered")
            log.error("digest %s to %s failed: %s", summary.key, sender.name, outcome.error)
        return outcome

    def _record(self, channel: str, outcome: str, latency: float | None = None) -> None:
        metrics = _metrics()
        if metrics is None:
            return
        try:
            metrics.record_notification(channel, outcome, latency)
        except Exception:  # noqa: BLE001 - metrics must never stop a delivery
            log.debug("digest metrics failed", exc_info=True)

    async def aclose(self) -> None:
        for sender in self.senders.values():
            await sender.aclose()
