"""The dispatcher against a real redis-server: exactly one page per channel across duplicates,
restarts, crashes and a Redis outage; dead letters and redrive; acks and silences from the CLI path."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from alert_support import T0, FakeClock, RedisServer, build_signal
from redis.asyncio import Redis

from alerts.channels.base import DeliveryFailed
from alerts.config import AlertingConfig
from alerts.dispatcher import AlertDispatcher, DeadLetter
from alerts.notification import Notification
from alerts.policy import Ack
from alerts.silences import new_silence
from alerts.store import AlertStore
from streams.config import BrandConfig

BRANDS = [BrandConfig(id="novinnet", name="NovinNet", aliases=["novinnet"], labels={"team": "isp"})]


@dataclass
class Settings:
    alerting: AlertingConfig
    brands: list[BrandConfig] = field(default_factory=lambda: list(BRANDS))


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "group_wait_seconds": 0,
        "group_interval_seconds": 300,
        "repeat_interval_seconds": 3600,
        "cooldown_seconds": 1800,
        "route": {
            "receiver": "pr",
            "routes": [{"match": {"category": "billing"}, "receiver": "after-sales"}],
        },
        "receivers": [
            {"name": "pr", "channels": ["slack", "email"]},
            {"name": "after-sales", "channels": ["email"]},
        ],
        "channels": [{"type": "console", "name": "slack"}, {"type": "console", "name": "email"}],
    }
    base.update(overrides)
    return Settings(AlertingConfig.model_validate(base))


class RecordingChannel:
    """A Channel that records what it delivered; `failures` script the outcome of each attempt."""

    def __init__(self, name: str, failures: list[DeliveryFailed | None] | None = None) -> None:
        self.name = name
        self.kind = "webhook"
        self.sent: list[Notification] = []
        self.failures = list(failures or [])
        self.attempts = 0
        self.hang: asyncio.Event | None = None
        self.closed = False

    async def send(self, notification: Notification) -> None:
        self.attempts += 1
        if self.hang is not None:
            await self.hang.wait()
        if self.failures:
            failure = self.failures.pop(0)
            if failure is not None:
                raise failure
        self.sent.append(notification)

    async def aclose(self) -> None:
        self.closed = True

    def kinds(self) -> list[str]:
        return [n.kind for n in self.sent]


class FakeTime:
    """Monotonic time for the retry loop that only moves when it sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Rig:
    clock: FakeClock
    redis_url: str
    channels: dict[str, RecordingChannel]
    time: FakeTime = field(default_factory=FakeTime)
    stores: list[AlertStore] = field(default_factory=list)

    def dispatcher(self, config: Settings | None = None, **kwargs: Any) -> AlertDispatcher:
        store = AlertStore.from_url(self.redis_url, namespace="d", probe_interval=0)
        self.stores.append(store)
        return AlertDispatcher(
            config or settings(),
            store,
            self.channels,
            self.clock,
            sleep=self.time.sleep,
            monotonic=self.time,
            rand=lambda: 0.5,
            **kwargs,
        )


@pytest.fixture
async def rig(redis_server: RedisServer, clock: FakeClock) -> AsyncIterator[Rig]:
    rig = Rig(
        clock, redis_server.url, {"slack": RecordingChannel("slack"), "email": RecordingChannel("email")}
    )
    yield rig
    for store in rig.stores:
        await store.aclose()


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    await client.aclose()


def kinds(rig: Rig) -> dict[str, list[str]]:
    return {name: channel.kinds() for name, channel in rig.channels.items()}


async def test_a_signal_pages_each_channel_once_and_state_lands_in_redis(rig: Rig, raw: Redis) -> None:
    dispatcher = rig.dispatcher()
    outcomes = await dispatcher.on_signal(build_signal())
    assert sorted((o.channel, o.ok, o.attempts) for o in outcomes) == [("email", True, 1), ("slack", True, 1)]
    assert kinds(rig) == {"slack": ["new"], "email": ["new"]}
    key = rig.channels["slack"].sent[0].key
    assert await raw.get(f"d:delivery:slack:{key}") == "delivered"
    assert await raw.get(f"d:delivery:email:{key}") == "delivered"
    assert await raw.hgetall("d:outbox") == {}
    state = await dispatcher.store.load_brand("novinnet")
    assert state is not None and state.alerts["novinnet/negative_volume"].alert.status == "firing"

    # duplicates of the signal, and ticks, never page again
    for _ in range(3):
        assert await dispatcher.on_signal(build_signal()) == []
    rig.clock.advance(60)
    assert await dispatcher.tick() == []
    assert kinds(rig) == {"slack": ["new"], "email": ["new"]}


async def test_restart_between_firing_and_resolve_sends_no_duplicate(rig: Rig) -> None:
    first = rig.dispatcher()
    await first.on_signal(build_signal())
    # the worker restarts (or the brand's partition moves to another worker)
    second = rig.dispatcher()
    await second.restore()
    assert [r.fingerprint for r in second.alerts()] == ["novinnet/negative_volume"]
    rig.clock.advance(30)
    assert await second.on_signal(build_signal()) == []  # the replayed signal after the rebalance
    assert await second.tick() == []
    rig.clock.advance(600)
    outcomes = await second.on_signal(build_signal(status="resolved", evaluated_at=T0 + 600))
    assert [o.ok for o in outcomes] == [True, True]
    assert kinds(rig) == {"slack": ["new", "resolved"], "email": ["new", "resolved"]}
    # and the old worker, if it lingers, cannot page for the resolved incident again
    rig.clock.advance(4000)
    assert await first.tick() == []
    assert await second.tick() == []
    assert kinds(rig) == {"slack": ["new", "resolved"], "email": ["new", "resolved"]}


async def test_two_workers_deciding_the_same_notification_page_once_per_channel(rig: Rig) -> None:
    a, b = rig.dispatcher(), rig.dispatcher()
    await a.restore()
    await b.restore()
    await a.on_signal(build_signal())
    rig.clock.advance(3600)
    # both workers' timers fire for the same repeat: same state, same key, one delivery
    outcomes = await asyncio.gather(a.tick(), b.tick())
    assert sum(len(o) for o in outcomes) == 2
    assert kinds(rig) == {"slack": ["new", "repeat"], "email": ["new", "repeat"]}


async def test_crash_after_deciding_is_delivered_from_the_outbox_exactly_once(rig: Rig, raw: Redis) -> None:
    config = settings(delivery={"in_flight_ttl_seconds": 1.0})
    hung = RecordingChannel("slack")
    hung.hang = asyncio.Event()
    delivered_email = RecordingChannel("email")
    crashed = AlertDispatcher(
        config,
        AlertStore.from_url(rig.redis_url, namespace="d"),
        {"slack": hung, "email": delivered_email},
        rig.clock,
    )
    rig.stores.append(crashed.store)
    task = asyncio.create_task(crashed.on_signal(build_signal()))
    while hung.attempts == 0 or not delivered_email.sent:
        await asyncio.sleep(0.01)
    key = delivered_email.sent[0].key
    while await raw.get(f"d:delivery:email:{key}") != "delivered":
        await asyncio.sleep(0.01)
    # The worker dies mid-send to slack, after email got it: it never runs again (its task stays
    # hung; a cancel would be a graceful shutdown, which gives the claim back).
    assert len(await raw.hgetall("d:outbox")) == 1

    successor = rig.dispatcher(config, outbox_grace=10)
    assert await successor.tick() == []  # entry is younger than the grace period
    rig.clock.advance(10)
    outcomes = await successor.tick()
    # email was delivered before the crash; slack's claim is still held by the dead worker
    assert outcomes == [] and kinds(rig) == {"slack": [], "email": []}
    await asyncio.sleep(1.05)  # the dead worker's claim expires
    outcomes = await successor.tick()
    assert [(o.channel, o.ok) for o in outcomes] == [("slack", True)]
    assert rig.channels["slack"].kinds() == ["new"]
    assert await raw.hgetall("d:outbox") == {}
    assert await successor.tick() == []
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_background_delivery_does_not_hold_up_the_next_signal(rig: Rig, raw: Redis) -> None:
    """A channel stuck retrying (a Slack outage) must not delay other brands' pages or channels."""
    audited: list[tuple[str, str, bool]] = []

    async def audit(notification: Notification, outcomes: list) -> None:
        audited.extend((notification.brand, o.channel, o.ok) for o in outcomes)

    brands = [*BRANDS, BrandConfig(id="tazeban", name="Tazeban", aliases=["tazeban"])]
    config = Settings(settings().alerting, brands)
    slow_slack = RecordingChannel("slack")
    slow_slack.hang = asyncio.Event()
    rig.channels["slack"] = slow_slack
    dispatcher = rig.dispatcher(config, background_delivery=True, on_delivered=audit)

    assert await dispatcher.on_signal(build_signal()) == []  # returns once decided and saved
    assert await asyncio.wait_for(dispatcher.on_signal(build_signal(brand="tazeban")), 2) == []
    await asyncio.sleep(0.05)
    assert [n.brand for n in rig.channels["email"].sent] == ["novinnet", "tazeban"]
    assert slow_slack.sent == [] and slow_slack.attempts == 2
    assert await dispatcher.tick() == []  # the timer neither waits nor starts them a second time
    assert slow_slack.attempts == 2

    slow_slack.hang.set()
    assert await dispatcher.drain(2)
    assert sorted(audited) == [
        ("novinnet", "email", True),
        ("novinnet", "slack", True),
        ("tazeban", "email", True),
        ("tazeban", "slack", True),
    ]
    assert [n.brand for n in slow_slack.sent] == ["novinnet", "tazeban"]
    assert await raw.hgetall("d:outbox") == {}


async def test_a_burst_across_brands_keeps_at_most_the_configured_sends_in_flight_per_channel(
    rig: Rig,
) -> None:
    """Twelve brands tipping at once must not open twelve Slack POSTs together (Slack rate-limits)."""
    brands = [BrandConfig(id=f"brand{i}", name=f"Brand {i}", aliases=[f"brand{i}"]) for i in range(12)]
    config = Settings(settings(delivery={"max_concurrent_per_channel": 3}).alerting, brands)
    slack = RecordingChannel("slack")
    slack.hang = asyncio.Event()
    rig.channels["slack"] = slack
    dispatcher = rig.dispatcher(config, background_delivery=True)

    for brand in brands:
        await dispatcher.on_signal(build_signal(brand=brand.id))
    await asyncio.sleep(0.1)
    assert slack.attempts == 3  # the rest wait for a slot
    assert len(rig.channels["email"].sent) == 12  # another channel is not held up

    slack.hang.set()
    assert await dispatcher.drain(5)
    assert sorted(n.brand for n in slack.sent) == sorted(b.id for b in brands)


async def test_shutdown_mid_retry_leaves_the_outbox_and_gives_the_claim_back(rig: Rig, raw: Redis) -> None:
    hung = RecordingChannel("slack")
    hung.hang = asyncio.Event()
    rig.channels["slack"] = hung
    leaving = rig.dispatcher(background_delivery=True)
    await leaving.on_signal(build_signal())
    await asyncio.sleep(0.05)
    assert hung.attempts == 1 and len(rig.channels["email"].sent) == 1

    await leaving.aclose(grace=0.1)  # the rebalance/shutdown: slack is still being retried
    assert len(await raw.hgetall("d:outbox")) == 1
    assert [k async for k in raw.scan_iter("d:delivery:slack:*")] == []  # claim released

    hung.hang = None
    successor = rig.dispatcher(outbox_grace=10)
    rig.clock.advance(10)
    outcomes = await successor.tick()  # at once, not after the (120 s) claim TTL
    assert [(o.channel, o.ok) for o in outcomes] == [("slack", True)]
    assert len(rig.channels["email"].sent) == 1 and len(hung.sent) == 1
    assert await raw.hgetall("d:outbox") == {}


async def test_redis_outage_keeps_paging_and_reconciles_after_restart(
    rig: Rig, redis_server: RedisServer, raw: Redis
) -> None:
    dispatcher = rig.dispatcher()
    await dispatcher.on_signal(build_signal())
    redis_server.stop()

    rig.clock.advance(30)
    outcomes = await dispatcher.on_signal(build_signal(severity="critical", evaluated_at=T0 + 30))
    assert [o.ok for o in outcomes] == [True, True]  # paging continues without Redis
    assert dispatcher.store.degraded
    assert await dispatcher.on_signal(build_signal(severity="critical", evaluated_at=T0 + 30)) == []
    rig.clock.advance(600)
    await dispatcher.on_signal(build_signal(status="resolved", evaluated_at=T0 + 630))
    assert kinds(rig) == {
        "slack": ["new", "escalated", "resolved"],
        "email": ["new", "escalated", "resolved"],
    }
    counts = dispatcher.store.failopen_counts
    assert counts["state_write"] > 0 and counts["dedupe"] > 0 and counts["state_read"] > 0

    redis_server.start()  # comes back empty
    await raw.connection_pool.disconnect()
    rig.clock.advance(5)
    assert await dispatcher.tick() == []
    assert not dispatcher.store.degraded
    state = await dispatcher.store.load_brand("novinnet")
    assert state is not None
    record = state.alerts["novinnet/negative_volume"]
    assert record.alert.status == "resolved" and record.max_severity == "critical"
    assert state.history[-1]["severity"] == "critical"
    resolved_key = rig.channels["slack"].sent[-1].key
    assert await raw.get(f"d:delivery:slack:{resolved_key}") == "delivered"

    # a restarted worker adopts the reconciled state: the cooldown holds a replayed burst
    restarted = rig.dispatcher()
    rig.clock.advance(60)
    assert await restarted.on_signal(build_signal(started_at=T0 + 700, evaluated_at=T0 + 700)) == []
    assert kinds(rig)["slack"] == ["new", "escalated", "resolved"]


async def test_failed_channel_is_dead_lettered_and_redriven_without_resending_the_others(rig: Rig) -> None:
    rig.channels["email"].failures = [DeliveryFailed("550 mailbox unavailable", retryable=False)]
    dispatcher = rig.dispatcher()
    outcomes = await dispatcher.on_signal(build_signal())
    assert sorted((o.channel, o.ok) for o in outcomes) == [("email", False), ("slack", True)]
    letters = dispatcher.take_dead_letters()
    assert [(d.channel, d.attempts) for d in letters] == [("email", 1)]
    assert "550" in letters[0].error and letters[0].retryable is False
    assert dispatcher.take_dead_letters() == []

    record = DeadLetter.from_dict(json.loads(letters[0].to_bytes()))
    assert record.notification == letters[0].notification

    # redrive the DLQ record: only email is retried; redriving the whole notification skips slack too
    outcomes = await dispatcher.redrive(record.to_dict())
    assert [(o.channel, o.ok) for o in outcomes] == [("email", True)]
    assert await dispatcher.redrive(record.notification.to_dict()) == []
    assert kinds(rig) == {"slack": ["new"], "email": ["new"]}


async def test_retryable_failures_back_off_then_deliver_or_give_up_at_the_deadline(rig: Rig) -> None:
    busy = DeliveryFailed("HTTP 503", retryable=True)
    rig.channels["slack"].failures = [busy, DeliveryFailed("HTTP 429", retryable=True, retry_after=7.0)]
    config = settings(
        delivery={"initial_backoff_seconds": 1, "max_backoff_seconds": 4, "deadline_seconds": 20}
    )
    dispatcher = rig.dispatcher(config)
    outcomes = {o.channel: o for o in await dispatcher.on_signal(build_signal())}
    assert outcomes["slack"].ok and outcomes["slack"].attempts == 3
    assert rig.time.sleeps == [1.0, 7.0]  # backoff, then the server's Retry-After

    rig.channels["email"].failures = [busy] * 100
    rig.clock.advance(30)
    outcomes = {
        o.channel: o
        for o in await dispatcher.on_signal(build_signal(severity="critical", evaluated_at=T0 + 30))
    }
    assert not outcomes["email"].ok and outcomes["slack"].ok
    assert "deadline" in (outcomes["email"].error or "")
    assert [d.channel for d in dispatcher.take_dead_letters()] == ["email"]


async def test_unconfigured_channel_goes_to_the_sink(rig: Rig) -> None:
    letters: list[DeadLetter] = []

    async def sink(letter: DeadLetter) -> None:
        letters.append(letter)

    del rig.channels["email"]
    dispatcher = rig.dispatcher(dead_letter_sink=sink)
    await dispatcher.on_signal(build_signal())
    assert [(d.channel, d.error) for d in letters] == [("email", "channel 'email' is not configured")]
    assert dispatcher.take_dead_letters() == []


async def test_ack_from_the_cli_inbox_stops_repeats(rig: Rig) -> None:
    dispatcher = rig.dispatcher()
    await dispatcher.on_signal(build_signal())
    cli_store = AlertStore.from_url(rig.redis_url, namespace="d")
    rig.stores.append(cli_store)
    await cli_store.put_ack(Ack("novinnet/negative_volume", "sara", T0 + 10, "on it"))
    rig.clock.advance(10)
    assert await dispatcher.tick() == []
    assert await cli_store.list_acks() == []  # applied, inbox emptied
    state = await cli_store.load_brand("novinnet")
    assert state is not None and state.alerts["novinnet/negative_volume"].alert.acked_by == "sara"
    rig.clock.advance(4 * 3600)
    assert await dispatcher.tick() == []
    assert kinds(rig)["slack"] == ["new"]


async def test_dispatcher_ack_and_unknown_fingerprint(rig: Rig) -> None:
    dispatcher = rig.dispatcher()
    await dispatcher.on_signal(build_signal())
    alert = await dispatcher.ack("novinnet/negative_volume", "sara", "on it")
    assert alert.acked_by == "sara"
    with pytest.raises(LookupError):
        await dispatcher.ack("novinnet/viral_post", "sara")
    rig.clock.advance(3600)
    assert await dispatcher.tick() == []


async def test_silences_added_expired_and_written_by_another_process(rig: Rig) -> None:
    dispatcher = rig.dispatcher()
    silence = new_silence(["brand=novinnet"], now=T0, author="sara", comment="maintenance", duration=3600)
    await dispatcher.add_silence(silence)
    assert await dispatcher.on_signal(build_signal()) == []
    assert [s.id for s in await dispatcher.list_silences()] == [silence.id]
    rig.clock.advance(60)
    expired = await dispatcher.expire_silence(silence.id)
    assert not expired.active(rig.clock())
    assert kinds(rig)["slack"] == ["new"]  # expiring the silence let the alert page
    with pytest.raises(LookupError):
        await dispatcher.expire_silence("nope")

    other = AlertStore.from_url(rig.redis_url, namespace="d")
    rig.stores.append(other)
    await other.put_silence(
        new_silence(["detector=viral_post"], now=rig.clock(), author="ali", comment="c", duration=600)
    )
    assert (
        await dispatcher.on_signal(
            build_signal(detector="viral_post", severity="warning", evaluated_at=T0 + 60)
        )
        == []
    )


async def test_hot_reload_routes_to_the_new_receiver(rig: Rig) -> None:
    dispatcher = rig.dispatcher()
    rig.channels["pager"] = RecordingChannel("pager")
    slack = rig.channels.pop("slack")
    dispatcher.update_config(
        settings(
            receivers=[
                {"name": "pr", "channels": ["pager"]},
                {"name": "after-sales", "channels": ["email"]},
            ],
            channels=[{"type": "console", "name": "pager"}, {"type": "console", "name": "email"}],
        ),
        channels=rig.channels,
    )
    await dispatcher.on_signal(build_signal())
    assert kinds(rig) == {"email": [], "pager": ["new"]} and slack.sent == []
    assert not slack.closed and not rig.channels["email"].closed
    await dispatcher.tick()
    assert slack.closed and not rig.channels["email"].closed  # replaced by the reload: closed once idle


async def test_category_routing_reaches_after_sales_only(rig: Rig) -> None:
    dispatcher = rig.dispatcher()
    await dispatcher.on_signal(build_signal(categories={"billing": 9}))
    sent = rig.channels["email"].sent
    assert kinds(rig) == {"slack": [], "email": ["new"]} and sent[0].receiver == "after-sales"
