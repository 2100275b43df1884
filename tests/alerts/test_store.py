"""The Redis store against a real redis-server: state, silences, acks, outbox, idempotency, fail-open."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from alert_support import T0, FakeClock, RedisServer, build_signal
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from alerts.config import AlertingConfig
from alerts.policy import Ack, AlertPolicy, BrandState
from alerts.silences import new_silence
from alerts.store import AlertStore, ClaimResult, OutboxEntry
from streams.config import BrandConfig

BRANDS = [BrandConfig(id="novinnet", name="NovinNet", aliases=["novinnet"])]


def policy_with_alert(clock: FakeClock) -> tuple[AlertPolicy, list]:
    policy = AlertPolicy(AlertingConfig(), BRANDS, clock=clock)
    decision = policy.on_signal(build_signal())
    return policy, decision.notifications


async def save_everything(store: AlertStore, policy: AlertPolicy, notifications=()) -> None:
    await store.save(
        alerts=list(policy.alerts.items()),
        groups=list(policy.groups.items()),
        history=policy.history,
        outbox=[OutboxEntry(n, T0) for n in notifications],
    )


@pytest.fixture
async def store(redis_server: RedisServer) -> AsyncIterator[AlertStore]:
    store = AlertStore.from_url(redis_server.url, namespace="t", probe_interval=0, on_failopen=None)
    yield store
    await store.aclose()


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    await client.aclose()


async def test_brand_state_round_trips(
    store: AlertStore, raw: Redis, redis_server: RedisServer, clock: FakeClock
) -> None:
    policy, notifications = policy_with_alert(clock)
    await save_everything(store, policy, notifications)

    assert await raw.smembers("t:brands") == {"novinnet"}
    assert set(await raw.hkeys("t:brand:novinnet")) == {"alert:negative_volume", "group:default"}
    loaded = await store.load_brand("novinnet")
    assert loaded is not None
    assert loaded.alerts == policy.alerts
    assert loaded.groups == policy.groups
    everything = await store.load_all()
    assert everything is not None and set(everything) == {"novinnet"}
    assert everything["novinnet"].alerts == policy.alerts

    # a fresh store object (a restarted worker) sees the same
    other = AlertStore.from_url(redis_server.url, namespace="t")
    try:
        assert (await other.load_brand("novinnet")).alerts == policy.alerts
    finally:
        await other.aclose()

    await store.save(alerts=[("novinnet/negative_volume", None)], groups=[("brand:novinnet/default", None)])
    assert await raw.hkeys("t:brand:novinnet") == []
    assert (await store.load_brand("novinnet")).alerts == {}


async def test_unknown_brand_loads_empty_and_garbage_is_skipped(store: AlertStore, raw: Redis) -> None:
    assert await store.load_brand("nobody") == BrandState()
    await raw.hset("t:brand:x", mapping={"alert:negative_volume": "{not json", "history": "[]"})
    state = await store.load_brand("x")
    assert state is not None and state.alerts == {} and state.history == []


async def test_outbox_saved_with_state_and_removed(store: AlertStore, clock: FakeClock) -> None:
    policy, notifications = policy_with_alert(clock)
    await save_everything(store, policy, notifications)
    entries = await store.outbox()
    assert [e.notification.key for e in entries] == [notifications[0].key]
    assert entries[0].notification == notifications[0]
    await store.outbox_remove(notifications[0].key)
    assert await store.outbox() == []


async def test_silences_and_acks(store: AlertStore) -> None:
    silence = new_silence(
        ["brand=novinnet"], now=T0, author="sara", comment="planned maintenance", duration=3600
    )
    await store.put_silence(silence)
    assert await store.list_silences() == [silence]
    assert await store.get_silence(silence.id) == silence
    expired = silence.expire(T0 + 60)
    await store.put_silence(expired)
    assert await store.get_silence(silence.id) == expired
    await store.delete_silences([silence.id])
    assert await store.list_silences() == []

    ack = Ack("novinnet/negative_volume", "sara", T0, "on it", "novinnet/negative_volume@1")
    other = Ack("novinnet/negative_share", "ali", T0 + 1)
    await store.put_ack(ack)
    await store.put_ack(other)
    assert await store.list_acks() == [ack, other]
    await store.delete_acks([ack])
    assert await store.list_acks() == [other]


# -- idempotency ------------------------------------------------------------------------------------


async def test_claims_are_per_channel_and_delivered_is_final(
    store: AlertStore, redis_server: RedisServer
) -> None:
    worker2 = AlertStore.from_url(redis_server.url, namespace="t")
    try:
        assert await store.claim_delivery("slack", "k1") == ClaimResult.CLAIMED
        assert await worker2.claim_delivery("slack", "k1") == ClaimResult.IN_FLIGHT
        assert await store.claim_delivery("email", "k1") == ClaimResult.CLAIMED  # another channel
        assert await store.delivery_state("slack", "k1") == "in_flight"
        await store.mark_delivered("slack", "k1")
        assert await worker2.claim_delivery("slack", "k1") == ClaimResult.DELIVERED
        assert await store.claim_delivery("slack", "k1") == ClaimResult.DELIVERED
        assert await worker2.delivery_state("slack", "k1") == "delivered"
        assert await store.delivery_state("webhook", "k1") is None
    finally:
        await worker2.aclose()


async def test_a_crashed_senders_claim_expires_and_is_retried(redis_server: RedisServer) -> None:
    crashed = AlertStore.from_url(redis_server.url, namespace="t", in_flight_ttl=1.0)
    successor = AlertStore.from_url(redis_server.url, namespace="t", in_flight_ttl=1.0)
    try:
        assert await crashed.claim_delivery("slack", "k") == ClaimResult.CLAIMED
        assert await successor.claim_delivery("slack", "k") == ClaimResult.IN_FLIGHT
        await asyncio.sleep(1.05)
        assert await successor.claim_delivery("slack", "k") == ClaimResult.CLAIMED
    finally:
        await crashed.aclose()
        await successor.aclose()


async def test_refresh_extends_only_our_claim_and_release_only_drops_our_own(
    redis_server: RedisServer, raw: Redis
) -> None:
    sender = AlertStore.from_url(redis_server.url, namespace="t", in_flight_ttl=10)
    other = AlertStore.from_url(redis_server.url, namespace="t", in_flight_ttl=10)
    try:
        assert await sender.claim_delivery("slack", "k") == ClaimResult.CLAIMED
        await asyncio.sleep(0.3)
        assert await raw.pttl("t:delivery:slack:k") < 9750
        await other.refresh_claim("slack", "k")  # not its claim: no effect
        assert await raw.pttl("t:delivery:slack:k") < 9750
        await sender.refresh_claim("slack", "k")
        assert await raw.pttl("t:delivery:slack:k") > 9750
        await other.release_claim("slack", "k")  # not its claim: no effect
        assert await other.claim_delivery("slack", "k") == ClaimResult.IN_FLIGHT
        await sender.release_claim("slack", "k")  # the delivery failed: a redrive may try again
        assert await other.claim_delivery("slack", "k") == ClaimResult.CLAIMED
    finally:
        await sender.aclose()
        await other.aclose()


# -- fail-open ----------------------------------------------------------------------------------------


def _failopen_metric(operation: str) -> float:
    return REGISTRY.get_sample_value("bohran_redis_failopen_total", {"operation": operation}) or 0.0


async def test_fail_open_then_reconcile_after_redis_restarts(
    redis_server: RedisServer, raw: Redis, clock: FakeClock
) -> None:
    store = AlertStore.from_url(redis_server.url, namespace="t", probe_interval=0)
    try:
        policy, notifications = policy_with_alert(clock)
        await save_everything(store, policy, notifications)
        silence = new_silence(["brand=novinnet"], now=T0, author="sara", comment="c", duration=3600)
        await store.put_silence(silence)
        before = _failopen_metric("state_write")

        redis_server.stop()
        # everything keeps working from local state
        policy.ack("novinnet/negative_volume", "sara")
        await save_everything(store, policy)
        assert store.degraded
        assert await store.load_brand("novinnet") is None  # "keep what you have"
        assert await store.list_silences() == [silence]
        assert await store.claim_delivery("slack", "k-down") == ClaimResult.CLAIMED
        await store.mark_delivered("slack", "k-down")
        assert await store.claim_delivery("slack", "k-down") == ClaimResult.DELIVERED
        await store.outbox_remove(notifications[0].key)
        assert store.failopen_counts["state_write"] >= 2
        assert store.failopen_counts["state_read"] >= 1 and store.failopen_counts["dedupe"] >= 1
        assert _failopen_metric("state_write") >= before + 2

        redis_server.start()  # empty: no persistence
        await raw.connection_pool.disconnect()
        loaded = await store.load_brand("novinnet")  # first call after recovery reconciles
        assert not store.degraded and store.reconciliations == 1
        assert loaded is not None
        assert loaded.alerts["novinnet/negative_volume"].alert.acked_by == "sara"
        assert loaded.groups == policy.groups
        assert await raw.smembers("t:brands") == {"novinnet"}
        assert await raw.hgetall("t:outbox") == {}
        assert [s.id for s in await store.list_silences()] == [silence.id]
        assert await raw.get("t:delivery:slack:k-down") == "delivered"
        assert 0 < await raw.ttl("t:delivery:slack:k-down") <= 7 * 86400
    finally:
        await store.aclose()


async def test_reconcile_keeps_a_newer_revision_in_redis(redis_server: RedisServer, clock: FakeClock) -> None:
    mine = AlertStore.from_url(redis_server.url, namespace="t", probe_interval=0)
    theirs = AlertStore.from_url(redis_server.url, namespace="t")
    try:
        policy, _ = policy_with_alert(clock)
        await save_everything(mine, policy)
        record = policy.alerts["novinnet/negative_volume"]

        redis_server.stop()
        await save_everything(mine, policy)  # local write at revision r while down
        redis_server.start()
        newer = type(record).from_dict(record.to_dict())
        newer.revision += 5
        newer.alert.acked_by = "other-worker"
        await theirs.save(alerts=[(newer.fingerprint, newer)])

        loaded = await mine.load_brand("novinnet")
        assert loaded is not None
        assert loaded.alerts["novinnet/negative_volume"].alert.acked_by == "other-worker"
    finally:
        await mine.aclose()
        await theirs.aclose()


async def test_down_redis_is_probed_at_most_every_probe_interval(redis_server: RedisServer) -> None:
    store = AlertStore.from_url(redis_server.url, namespace="t", probe_interval=60, on_failopen=None)
    try:
        redis_server.stop()
        await store.put_silence(new_silence(["brand=a"], now=T0, author="a", comment="c", duration=60))
        redis_server.start()
        started = time.monotonic()
        for _ in range(50):
            await store.list_silences()
        assert store.degraded  # no probe yet: Redis is not even asked
        assert time.monotonic() - started < 0.5
        assert store.failopen_counts["silences"] >= 51
    finally:
        await store.aclose()


async def test_never_reachable_redis_fails_open_from_the_start() -> None:
    store = AlertStore.from_url("redis://127.0.0.1:1/0", namespace="t", probe_interval=60, on_failopen=None)
    try:
        assert await store.claim_delivery("slack", "k") == ClaimResult.CLAIMED
        await store.mark_delivered("slack", "k")
        assert await store.claim_delivery("slack", "k") == ClaimResult.DELIVERED
        assert await store.load_all() is None
        assert store.degraded
    finally:
        await store.aclose()


async def test_memory_only_store_needs_no_redis(clock: FakeClock) -> None:
    store = AlertStore(None)
    policy, notifications = policy_with_alert(clock)
    await save_everything(store, policy, notifications)
    assert await store.load_brand("novinnet") is None
    assert [e.notification.key for e in await store.outbox()] == [notifications[0].key]
    assert store.local_brands()["novinnet"].alerts == policy.alerts
    assert await store.claim_delivery("c", "k") == ClaimResult.CLAIMED
    assert store.failopen_counts == {}
