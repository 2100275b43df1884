"""Ties the lifecycle to Redis and the channels: decide, persist, deliver exactly once per channel.

Order of work for every input (signal, timer tick, ack, silence, config reload):
1. load the brand's state from Redis (the source of truth when reachable: after a restart or a
   rebalance this worker continues where the previous owner stopped), plus silences and the ack
   inbox written by the CLI;
2. let the policy decide (pure);
3. save the changed state *and* the decided notifications (the outbox) in one transaction;
4. deliver each notification to each of its channels, claiming the channel's idempotency key in
   Redis first (`SET NX`): a key already `delivered` is never sent again, whoever decided it;
5. drop the outbox entry. A crash between 3 and 5 leaves the entry, and the next tick (of this or
   any worker) delivers it; the idempotency keys make that safe.

Delivery is at-least-once per channel with the key making duplicates harmless; a channel that still
fails at the retry deadline yields a `DeadLetter` (`take_dead_letters()` or the `dead_letter_sink`
callback) for the `alerts-dlq` topic, which `redrive()` sends again. If Redis is down the store
fails open and all of this continues from local state.

A worker delivers in the background (`background_delivery=True`): steps 1-3 stay in input order,
but a channel retrying through an outage (minutes, up to its deadline) must not hold up the next
signal, the timers, or other channels' pages. Outcomes then go to `on_delivered`, and shutdown
gives the claims of unfinished deliveries back so the next owner resends them from the outbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from alerts.channels.base import Channel
from alerts.channels.retry import DeliveryOutcome, RetryPolicy, deliver_with_retry
from alerts.config import AlertingConfig, DeliveryConfig
from alerts.notification import Alert, Notification
from alerts.policy import AlertPolicy, AlertRecord, BrandState, Decision
from alerts.silences import Silence
from alerts.store import AlertStore, ClaimResult, OutboxEntry
from streams.config import BrandConfig
from streams.signal import Signal

log = logging.getLogger("bohran.alerts.dispatcher")

SILENCE_RETENTION_SECONDS = 7 * 86400.0  # expired silences stay listed this long
DEFAULT_OUTBOX_GRACE_SECONDS = 30.0


class AlertingSettings(Protocol):
    """What the dispatcher needs from the whole config (`bohran.config.BohranConfig` fits)."""

    @property
    def alerting(self) -> AlertingConfig: ...

    @property
    def brands(self) -> Sequence[BrandConfig]: ...


@dataclass(slots=True)
class DeadLetter:
    """A notification one channel could not take before the deadline: the `alerts-dlq` record."""

    notification: Notification
    channel: str
    error: str
    attempts: int
    failed_at: float
    retryable: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.notification.key,
            "channel": self.channel,
            "error": self.error,
            "attempts": self.attempts,
            "failed_at": self.failed_at,
            "retryable": self.retryable,
            "notification": self.notification.to_dict(),
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeadLetter:
        return cls(
            notification=Notification.from_dict(data["notification"]),
            channel=str(data["channel"]),
            error=str(data.get("error", "")),
            attempts=int(data.get("attempts", 0)),
            failed_at=float(data.get("failed_at", 0.0)),
            retryable=data.get("retryable"),
        )


def retry_policy_for(delivery: DeliveryConfig) -> RetryPolicy:
    return RetryPolicy(
        initial_backoff=delivery.initial_backoff_seconds,
        max_backoff=delivery.max_backoff_seconds,
        multiplier=delivery.multiplier,
        jitter=delivery.jitter,
        deadline=delivery.deadline_seconds,
    )


class _ClaimKeepingChannel:
    """Wraps a channel so each attempt first extends our delivery claim: a retry loop that runs for
    minutes must not look like a crashed sender to other workers."""

    def __init__(self, channel: Channel, store: AlertStore, key: str, slots: asyncio.Semaphore) -> None:
        self._channel = channel
        self._store = store
        self._key = key
        self._slots = slots
        self.name = channel.name
        self.kind = channel.kind
        self._first = True

    async def send(self, notification: Notification) -> None:
        if not self._first:
            await self._store.refresh_claim(self.name, self._key)
        self._first = False
        async with self._slots:  # held for one attempt only, never across a backoff sleep
            await self._channel.send(notification)

    async def aclose(self) -> None:  # the wrapped channel belongs to the dispatcher's owner
        return None


def _metrics() -> Any:
    try:
        from streams import metrics
    except ImportError:  # pragma: no cover - metrics are optional here
        return None
    return metrics


class AlertDispatcher:
    """Serialises lifecycle decisions per process; deliveries run concurrently outside the lock."""

    def __init__(
        self,
        config: AlertingSettings,
        store: AlertStore,
        channels: Mapping[str, Channel],
        clock: Callable[[], float] = time.time,
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        monotonic: Callable[[], float] = time.monotonic,
        outbox_grace: float = DEFAULT_OUTBOX_GRACE_SECONDS,
        dead_letter_sink: Callable[[DeadLetter], Awaitable[None]] | None = None,
        background_delivery: bool = False,
        on_delivered: Callable[[Notification, list[DeliveryOutcome]], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.channels: dict[str, Channel] = dict(channels)
        self.clock = clock
        self.policy = AlertPolicy(config.alerting, config.brands, clock=clock)
        self._sleep = sleep
        self._rand = rand
        self._monotonic = monotonic
        self.outbox_grace = outbox_grace
        self._dead_letter_sink = dead_letter_sink
        self._dead_letters: list[DeadLetter] = []
        self.background_delivery = background_delivery
        self._on_delivered = on_delivered
        self._deliveries: set[asyncio.Task[None]] = set()  # background deliveries still running
        self._lock = asyncio.Lock()
        self._in_flight: set[str] = set()  # notification keys this process is delivering now
        self._pending = Decision()  # from update_config (sync), committed at the next call
        self._restored = False
        self._retired: list[Channel] = []  # replaced by a reload; closed once nothing is in flight
        self._apply_delivery_settings(config.alerting.delivery)

    # -- inputs ----------------------------------------------------------------------------------

    async def restore(self) -> None:
        """Adopt every brand's state from Redis (done automatically on first use)."""
        async with self._lock:
            await self._restore()

    async def on_signal(self, signal: Signal) -> list[DeliveryOutcome]:
        async with self._lock:
            decision = await self._prepare([signal.brand])
            step = self.policy.on_signal(signal)
            if step.ignored:
                log.debug("signal %s ignored: %s", signal.fingerprint, step.ignored)
            decision.merge(step)
            await self._commit(decision)
        return await self._deliver_all(decision.notifications)

    async def tick(self) -> list[DeliveryOutcome]:
        """Timers (group_wait, group_interval, repeat, silence and cooldown expiry) and outbox retries."""
        async with self._lock:
            decision = await self._prepare(None)
            decision.merge(self.policy.tick())
            await self._commit(decision)
            await self._prune_silences()
        outcomes = await self._deliver_all(decision.notifications)
        outcomes.extend(await self._redeliver_outbox())
        await self._close_retired_channels()
        return outcomes

    async def ack(self, fingerprint: str, by: str, comment: str = "") -> Alert:
        """Acknowledge an open alert; LookupError if there is none."""
        brand = fingerprint.partition("/")[0]
        async with self._lock:
            decision = await self._prepare([brand])
            try:
                decision.merge(self.policy.ack(fingerprint, by, comment))
            finally:
                await self._commit(decision)
            alert = self.policy.alerts[fingerprint].alert
        await self._deliver_all(decision.notifications)
        return alert

    async def add_silence(self, silence: Silence) -> Silence:
        await self.store.put_silence(silence)
        async with self._lock:
            decision = await self._prepare(None)
            decision.merge(self.policy.add_silence(silence))
            await self._commit(decision)
        await self._deliver_all(decision.notifications)
        return silence

    async def list_silences(self) -> list[Silence]:
        return await self.store.list_silences()

    async def expire_silence(self, silence_id: str) -> Silence:
        """End a silence now; LookupError if there is no such silence."""
        silence = await self.store.get_silence(silence_id) or self.policy.silences.get(silence_id)
        if silence is None:
            raise LookupError(f"no silence {silence_id!r}")
        expired = silence.expire(self.clock())
        return await self.add_silence(expired)

    def update_config(self, config: AlertingSettings, channels: Mapping[str, Channel] | None = None) -> None:
        """Hot reload: new timings, routes and brands apply now; resulting messages go out on the next call."""
        self.config = config
        if channels is not None:
            kept = {id(c) for c in channels.values()}
            self._retired.extend(c for c in self.channels.values() if id(c) not in kept)
            self.channels = dict(channels)
        self._apply_delivery_settings(config.alerting.delivery)
        self._pending.merge(self.policy.update_config(config.alerting, config.brands))

    async def redrive(self, data: Mapping[str, Any]) -> list[DeliveryOutcome]:
        """Send a dead letter (or a bare notification dict) again. Channels that already delivered
        its key are skipped; a dead letter retries only the channel that failed."""
        if "notification" in data:
            notification = Notification.from_dict(data["notification"])
            channel = data.get("channel")
            names = [str(channel)] if channel else list(notification.channels)
        else:
            notification = Notification.from_dict(dict(data))
            names = list(notification.channels)
        return await self._deliver(notification, names, redrive=True)

    def take_dead_letters(self) -> list[DeadLetter]:
        """Dead letters since the last call (when no `dead_letter_sink` was given)."""
        letters, self._dead_letters = self._dead_letters, []
        return letters

    def alerts(self) -> list[AlertRecord]:
        """Open alerts as this process knows them."""
        return self.policy.open_alerts()

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait for background deliveries (those started meanwhile too); True if none is left."""
        loop = asyncio.get_running_loop()  # real time: the injected clocks may stand still in tests
        deadline = None if timeout is None else loop.time() + timeout
        while self._deliveries:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(set(self._deliveries), timeout=remaining)
        return True

    async def aclose(self, grace: float = 2.0) -> None:
        """Let background deliveries finish for `grace` seconds, cancel the rest (their claims are
        released and their outbox entries stay for the next owner), then close channels and store."""
        if not await self.drain(grace):
            pending = list(self._deliveries)
            log.warning("shutting down with %d delivery(ies) unfinished; left in the outbox", len(pending))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for channel in [*self.channels.values(), *self._retired]:
            await channel.aclose()
        self._retired.clear()
        await self.store.aclose()

    async def _close_retired_channels(self) -> None:
        if not self._retired or self._in_flight:
            return
        retired, self._retired = self._retired, []
        for channel in retired:
            try:
                await channel.aclose()
            except Exception:  # noqa: BLE001 - a channel that fails to close must not stop ticks
                log.warning("closing replaced channel %s failed", channel.name, exc_info=True)

    # -- state -----------------------------------------------------------------------------------

    def _apply_delivery_settings(self, delivery: DeliveryConfig) -> None:
        self.retry_policy = retry_policy_for(delivery)
        if delivery.max_concurrent_per_channel != getattr(self, "_slot_limit", None):
            self._slot_limit = delivery.max_concurrent_per_channel
            self._slots: dict[str, asyncio.Semaphore] = {}  # sends already waiting keep their old one
        self.store.in_flight_ttl = delivery.in_flight_ttl_seconds
        self.store.delivered_ttl = delivery.idempotency_ttl_seconds

    def _send_slots(self, channel: str) -> asyncio.Semaphore:
        slots = self._slots.get(channel)
        if slots is None:
            slots = self._slots[channel] = asyncio.Semaphore(self._slot_limit)
        return slots

    async def _restore(self) -> None:
        states = await self.store.load_all()
        if states is None:  # fail-open: keep what this process knows
            if not self._restored:
                log.warning("Redis unreachable at start: alert state starts from local memory (fail-open)")
        else:
            for brand in self.policy.brands_with_state() - set(states):
                self.policy.replace_brand(brand, BrandState())
            for brand, state in states.items():
                self.policy.replace_brand(brand, state)
        self._restored = True

    async def _prepare(self, brands: Iterable[str] | None) -> Decision:
        """Commit what a config reload decided, then adopt Redis's view of `brands` (None: all),
        the silences and the ack inbox."""
        decision = Decision()
        if self._pending.changes_state or self._pending.notifications:
            pending, self._pending = self._pending, Decision()
            await self._commit(pending)
            decision.notifications.extend(pending.notifications)
        if not self._restored or brands is None:
            await self._restore()
        else:
            for brand in brands:
                state = await self.store.load_brand(brand)
                if state is not None:
                    self.policy.replace_brand(brand, state)
        decision.merge(self.policy.set_silences(await self.store.list_silences()))
        acks = await self.store.list_acks()
        if acks:
            decision.merge(self.policy.apply_acks(acks))
        return decision

    async def _commit(self, decision: Decision) -> None:
        now = self.clock()
        for notification in decision.notifications:
            self._in_flight.add(notification.key)
        await self.store.save(
            alerts=[(fp, self.policy.alerts.get(fp)) for fp in sorted(decision.changed_alerts)],
            groups=[(gid, self.policy.groups.get(gid)) for gid in sorted(decision.changed_groups)],
            history={brand: self.policy.history.get(brand, []) for brand in decision.changed_history},
            outbox=[OutboxEntry(n, now) for n in decision.notifications],
        )
        if decision.handled_acks:
            await self.store.delete_acks(decision.handled_acks)
        self._record_state_metrics(decision)
        decision.changed_alerts.clear()
        decision.changed_groups.clear()
        decision.changed_history.clear()
        decision.handled_acks.clear()
        decision.transitions.clear()

    async def _prune_silences(self) -> None:
        now = self.clock()
        old = [s.id for s in self.policy.silences.values() if s.ends_at + SILENCE_RETENTION_SECONDS < now]
        if old:
            await self.store.delete_silences(old)

    # -- delivery --------------------------------------------------------------------------------

    async def _deliver_all(self, notifications: Iterable[Notification]) -> list[DeliveryOutcome]:
        """Deliver now and return the outcomes, or (background delivery) start and return []."""
        if self.background_delivery:
            for notification in notifications:
                self._start_delivery(notification)
            return []
        results = await asyncio.gather(*(self._deliver_and_report(n) for n in notifications))
        return [outcome for outcomes in results for outcome in outcomes]

    def _start_delivery(self, notification: Notification) -> None:
        self._in_flight.add(notification.key)  # now, so the next tick does not start it a second time
        task = asyncio.create_task(
            self._deliver_in_background(notification), name=f"deliver-{notification.key}"
        )
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver_in_background(self, notification: Notification) -> None:
        try:
            await self._deliver_and_report(notification)
        except Exception:  # noqa: BLE001 - nobody awaits this task: log, the outbox keeps the entry
            log.exception("delivering notification %s failed unexpectedly", notification.key)
        finally:
            self._in_flight.discard(notification.key)

    async def _deliver_and_report(self, notification: Notification) -> list[DeliveryOutcome]:
        outcomes = await self._deliver(notification, notification.channels)
        if self._on_delivered is not None and outcomes:
            try:
                await self._on_delivered(notification, outcomes)
            except Exception:  # noqa: BLE001 - an audit hiccup must not look like a failed delivery
                log.warning("on_delivered callback failed for %s", notification.key, exc_info=True)
        return outcomes

    async def _redeliver_outbox(self) -> list[DeliveryOutcome]:
        """Entries left by a crash (ours or another worker's) once they are older than the grace."""
        now = self.clock()
        due = [
            e.notification
            for e in await self.store.outbox()
            if e.notification.key not in self._in_flight and now - e.enqueued_at >= self.outbox_grace
        ]
        if due:
            log.info("redelivering %d notification(s) left in the outbox", len(due))
        return await self._deliver_all(due)

    async def _deliver(
        self, notification: Notification, names: Sequence[str], *, redrive: bool = False
    ) -> list[DeliveryOutcome]:
        self._in_flight.add(notification.key)
        try:
            results = await asyncio.gather(
                *(self._deliver_to(notification, n, redrive=redrive) for n in names)
            )
            if all(state != ClaimResult.IN_FLIGHT for _, state in results):
                await self.store.outbox_remove(notification.key)
        finally:
            self._in_flight.discard(notification.key)
        return [outcome for outcome, _ in results if outcome is not None]

    async def _deliver_to(
        self, notification: Notification, name: str, *, redrive: bool
    ) -> tuple[DeliveryOutcome | None, str]:
        channel = self.channels.get(name)
        if channel is None:
            outcome = DeliveryOutcome(name, False, 0, f"channel {name!r} is not configured", 0.0, False)
            await self._dead_letter(notification, outcome)
            return outcome, "failed"
        claim = await self.store.claim_delivery(name, notification.key)
        if claim is ClaimResult.DELIVERED:
            self._record_notification(name, "deduplicated")
            return None, claim
        if claim is ClaimResult.IN_FLIGHT:
            return None, claim
        try:
            outcome = await deliver_with_retry(
                _ClaimKeepingChannel(channel, self.store, notification.key, self._send_slots(name)),
                notification,
                self.retry_policy,
                sleep=self._sleep,
                clock=self._monotonic,
                rand=self._rand,
            )
        except asyncio.CancelledError:
            # Shutdown mid-retry: hand the claim back so the next owner resends from the outbox
            # now rather than after the claim's TTL.
            await self.store.release_claim(name, notification.key)
            raise
        for _ in range(outcome.attempts - 1):
            self._record_notification(name, "failed")
            self._record_notification(name, "retried")
        if outcome.ok:
            await self.store.mark_delivered(name, notification.key)
            latency = None if redrive else self.clock() - notification.created_at
            self._record_notification(name, "sent", latency)
            return outcome, "sent"
        self._record_notification(name, "failed")
        self._record_notification(name, "dead_lettered")
        await self.store.release_claim(name, notification.key)
        await self._dead_letter(notification, outcome)
        return outcome, "failed"

    async def _dead_letter(self, notification: Notification, outcome: DeliveryOutcome) -> None:
        letter = DeadLetter(
            notification=notification,
            channel=outcome.channel,
            error=outcome.error or "delivery failed",
            attempts=outcome.attempts,
            failed_at=self.clock(),
            retryable=outcome.retryable,
        )
        log.error(
            "notification %s to channel %s dead-lettered after %d attempt(s): %s",
            notification.key,
            outcome.channel,
            outcome.attempts,
            letter.error,
        )
        if self._dead_letter_sink is not None:
            try:
                await self._dead_letter_sink(letter)
                return
            except Exception:  # noqa: BLE001 - keep the letter rather than lose it
                log.exception("dead-letter sink failed; keeping the letter in memory")
        self._dead_letters.append(letter)

    # -- metrics ---------------------------------------------------------------------------------

    def _record_state_metrics(self, decision: Decision) -> None:
        metrics = _metrics()
        if metrics is None:
            return
        try:
            for transition in decision.transitions:
                metrics.record_alert_transition(transition.name, transition.severity)
            for fingerprint in decision.changed_alerts:
                brand, _, detector = fingerprint.partition("/")
                record = self.policy.alerts.get(fingerprint)
                active = record is not None and record.is_open
                metrics.set_alert_active(
                    brand, detector, record.alert.severity if active and record else None
                )
        except Exception:  # noqa: BLE001 - metrics must never stop paging
            log.debug("alert metrics failed", exc_info=True)

    def _record_notification(self, channel: str, outcome: str, latency: float | None = None) -> None:
        metrics = _metrics()
        if metrics is None:
            return
        try:
            metrics.record_notification(channel, outcome, latency)
        except Exception:  # noqa: BLE001 - metrics must never stop paging
            log.debug("notification metrics failed", exc_info=True)
