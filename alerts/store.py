"""Alert state in Redis, failing open: paging must not stop because Redis did.

What lives here (keys under a namespace, default `bohran`):
- `{ns}:brand:{brand}` hash: `alert:{detector}` → AlertRecord, `group:{receiver}` → GroupState,
  `history` → the brand's last resolved incidents. One brand is one key, so a worker that takes over
  a brand after a rebalance or restart loads it in one round trip. `{ns}:brands` lists them.
- `{ns}:silences` hash (id → Silence) and `{ns}:acks` hash (an inbox of acks from the CLI and
  other workers, applied then deleted by the dispatcher).
- `{ns}:outbox` hash: notifications decided but not yet delivered everywhere. Saved in the same
  transaction as the state that produced them, so a crash after deciding re-delivers instead of
  losing the page.
- `{ns}:delivery:{channel}:{key}` strings: the per-channel idempotency mark. `SET NX` claims a
  delivery as `delivering:<token>` with a short TTL refreshed before each attempt; success turns it
  into `delivered` with a long TTL. A crashed sender's claim expires and the delivery is retried;
  a delivered one is never sent again.

Fail-open: every call that cannot reach Redis is answered from a local mirror of everything this
process read or wrote, counted in `bohran_redis_failopen_total{operation}`, and remembered; while
Redis is down it is probed at most every `probe_interval` seconds (so a dead Redis costs no latency
per signal), and when it answers again everything this process knows is written back before
anything else is read (Redis may have restarted empty): a record unless Redis holds a newer
revision of it, deletions made meanwhile, and delivered marks with their remaining TTL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from alerts.notification import Notification
from alerts.policy import Ack, AlertRecord, BrandState, GroupState
from alerts.silences import Silence

try:
    from redis.asyncio.retry import Retry
except ImportError:  # pragma: no cover - older redis-py
    from redis.retry import Retry  # type: ignore[assignment]

log = logging.getLogger("bohran.alerts.store")

REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
DELIVERED = "delivered"
DELIVERING = "delivering:"
_ALERT = "alert:"
_GROUP = "group:"
_HISTORY = "history"

# Compare-and-extend / compare-and-delete, so a worker never touches a claim another worker holds.
_REFRESH_CLAIM = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"
_RELEASE_CLAIM = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
)


class ClaimResult(StrEnum):
    CLAIMED = "claimed"  # go ahead and send
    DELIVERED = "delivered"  # already delivered on this channel: never send again
    IN_FLIGHT = "in_flight"  # someone is sending right now; try again after their claim expires


@dataclass(slots=True)
class OutboxEntry:
    notification: Notification
    enqueued_at: float  # the dispatcher's clock

    def to_dict(self) -> dict[str, Any]:
        return {"notification": self.notification.to_dict(), "enqueued_at": self.enqueued_at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutboxEntry:
        return cls(Notification.from_dict(data["notification"]), float(data["enqueued_at"]))


def _count_failopen_metric(operation: str) -> None:
    try:
        from streams.metrics import count_redis_failopen
    except ImportError:  # pragma: no cover - metrics are optional for the store
        return
    count_redis_failopen(operation)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _revision(raw: str | None) -> float:
    """How new a stored value is: its `revision`, else its `updated_at`, else -1 (local wins)."""
    if raw is None:
        return -1
    try:
        value = json.loads(raw)
    except ValueError:
        return -1
    if not isinstance(value, dict):
        return -1
    for name in ("revision", "updated_at"):
        if isinstance(value.get(name), int | float):
            return float(value[name])
    return -1


def ack_field(ack: Ack) -> str:
    return hashlib.sha256(_dumps(ack.to_dict()).encode("utf-8")).hexdigest()[:20]


def _split_fingerprint(fingerprint: str) -> tuple[str, str]:
    brand, _, detector = fingerprint.partition("/")
    return brand, detector


def _split_group_id(group_id: str) -> tuple[str, str]:
    brand, _, receiver = group_id.removeprefix("brand:").partition("/")
    return brand, receiver


class AlertStore:
    """Redis-backed state with a local mirror; `client=None` keeps everything in memory (no Redis)."""

    def __init__(
        self,
        client: Redis | None,
        *,
        namespace: str = "bohran",
        probe_interval: float = 1.0,
        in_flight_ttl: float = 120.0,
        delivered_ttl: float = 7 * 86400.0,
        on_failopen: Callable[[str], None] | None = _count_failopen_metric,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.namespace = namespace
        self.probe_interval = probe_interval
        self.in_flight_ttl = in_flight_ttl
        self.delivered_ttl = delivered_ttl
        self._on_failopen = on_failopen
        self._monotonic = monotonic
        self._token = f"{DELIVERING}{uuid.uuid4().hex}"
        self._hashes: dict[str, dict[str, str]] = defaultdict(dict)
        self._deleted: dict[str, set[str]] = defaultdict(set)
        self._marks: dict[str, tuple[str, float]] = {}  # delivery key → (value, monotonic expiry)
        self._down = False
        self._next_probe = 0.0
        self.failopen_counts: Counter[str] = Counter()
        self.reconciliations = 0
        self._refresh_script = client.register_script(_REFRESH_CLAIM) if client is not None else None
        self._release_script = client.register_script(_RELEASE_CLAIM) if client is not None else None

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 1.0, **kwargs: Any) -> AlertStore:
        """Short timeouts and no client-side retries: a dead Redis must fail open fast."""
        client = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, **kwargs)

    # -- keys ------------------------------------------------------------------------------------

    @property
    def brands_key(self) -> str:
        return f"{self.namespace}:brands"

    def brand_key(self, brand: str) -> str:
        return f"{self.namespace}:brand:{brand}"

    @property
    def silences_key(self) -> str:
        return f"{self.namespace}:silences"

    @property
    def acks_key(self) -> str:
        return f"{self.namespace}:acks"

    @property
    def outbox_key(self) -> str:
        return f"{self.namespace}:outbox"

    def delivery_key(self, channel: str, key: str) -> str:
        return f"{self.namespace}:delivery:{channel}:{key}"

    # -- health ----------------------------------------------------------------------------------

    @property
    def degraded(self) -> bool:
        """True while answering from local state because Redis is unreachable."""
        return self._down

    @property
    def has_redis(self) -> bool:
        return self._client is not None

    async def ping(self) -> bool:
        """Whether Redis answers now (reconciling first if it just came back)."""
        client = await self._redis("other")
        if client is None:
            return False
        try:
            await client.ping()
        except REDIS_ERRORS as exc:
            self._failed("other", exc)
            return False
        return True

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def _redis(self, operation: str) -> Redis | None:
        """The client if Redis is usable (reconciling first if it just came back), else None."""
        if self._client is None:
            return None
        if not self._down:
            return self._client
        if self._monotonic() < self._next_probe:
            self._count_failopen(operation)
            return None
        try:
            await self._client.ping()
            await self._reconcile()
        except REDIS_ERRORS as exc:
            self._mark_down(exc)
            self._count_failopen(operation)
            return None
        self._down = False
        self.reconciliations += 1
        log.warning("Redis is reachable again; local alert state reconciled")
        return self._client

    def _failed(self, operation: str, exc: BaseException) -> None:
        self._mark_down(exc)
        self._count_failopen(operation)

    def _mark_down(self, exc: BaseException) -> None:
        if not self._down:
            log.warning("Redis unreachable (%s); alerting continues from local state", type(exc).__name__)
        self._down = True
        self._next_probe = self._monotonic() + self.probe_interval

    def _count_failopen(self, operation: str) -> None:
        self.failopen_counts[operation] += 1
        if self._on_failopen is not None:
            try:
                self._on_failopen(operation)
            except Exception:  # noqa: BLE001 - a metrics hiccup must not stop paging
                log.debug("failopen metric failed", exc_info=True)

    # -- generic hashes with a local mirror ------------------------------------------------------

    async def _read_hash(self, operation: str, key: str) -> tuple[dict[str, str], bool]:
        """(fields, fresh): fresh is False when the answer comes from the local mirror."""
        client = await self._redis(operation)
        if client is not None:
            try:
                data = await client.hgetall(key)
            except REDIS_ERRORS as exc:
                self._failed(operation, exc)
            else:
                self._hashes[key] = dict(data)
                return dict(data), True
        return dict(self._hashes.get(key, {})), False

    async def _write_hashes(self, operation: str, writes: Mapping[str, Mapping[str, str | None]]) -> None:
        """HSET / HDEL (value None) in one transaction; mirrored locally and replayed if Redis is down."""
        for key, fields in writes.items():
            mirror = self._hashes[key]
            for name, value in fields.items():
                if value is None:
                    mirror.pop(name, None)
                else:
                    mirror[name] = value
        client = await self._redis(operation)
        if client is not None:
            try:
                async with client.pipeline(transaction=True) as pipe:
                    for key, fields in writes.items():
                        self._queue_hash_write(pipe, key, fields)
                    await pipe.execute()
                return
            except REDIS_ERRORS as exc:
                self._failed(operation, exc)
        for key, fields in writes.items():  # replayed by _reconcile when Redis is back
            for name, value in fields.items():
                if value is None:
                    self._deleted[key].add(name)
                else:
                    self._deleted[key].discard(name)

    def _queue_hash_write(self, pipe: Any, key: str, fields: Mapping[str, str | None]) -> None:
        sets = {name: value for name, value in fields.items() if value is not None}
        deletes = [name for name, value in fields.items() if value is None]
        if sets:
            pipe.hset(key, mapping=sets)
        if deletes:
            pipe.hdel(key, *deletes)
        prefix = f"{self.namespace}:brand:"
        if key.startswith(prefix) and sets:
            pipe.sadd(self.brands_key, key.removeprefix(prefix))

    async def _reconcile(self) -> None:
        """Write local state back after an outage (Redis may have restarted empty).

        Every field this process knows is written unless Redis holds a newer revision of it (then
        the local mirror adopts Redis's); deletions made while down are replayed; delivered marks
        are written with their remaining TTL, so nothing delivered during the outage is sent again.
        """
        client = self._client
        assert client is not None
        for key in list(self._hashes):
            mirror = self._hashes[key]
            names = sorted(mirror)
            if not names:
                continue
            remote = await client.hmget(key, names)
            winners: dict[str, str | None] = {}
            for name, remote_value in zip(names, remote, strict=True):
                local = mirror[name]
                if remote_value is None or _revision(local) >= _revision(remote_value):
                    if local != remote_value:
                        winners[name] = local
                else:
                    mirror[name] = remote_value
            if winners:
                async with client.pipeline(transaction=True) as pipe:
                    self._queue_hash_write(pipe, key, winners)
                    await pipe.execute()
        for key in list(self._deleted):
            names = sorted(self._deleted[key])
            if names:
                await client.hdel(key, *names)
            del self._deleted[key]
        now = self._monotonic()
        for mark, (value, expires) in list(self._marks.items()):
            if value == DELIVERED and expires > now:
                await client.set(mark, DELIVERED, px=max(1, int((expires - now) * 1000)))

    # -- alert state -----------------------------------------------------------------------------

    async def load_brand(self, brand: str) -> BrandState | None:
        """The brand's state from Redis; None when Redis is unreachable (keep what you have)."""
        fields, fresh = await self._read_hash("state_read", self.brand_key(brand))
        return self._parse_brand(brand, fields) if fresh else None

    async def load_all(self) -> dict[str, BrandState] | None:
        """Every brand's state (restart, `bohran alerts list`); None when Redis is unreachable."""
        client = await self._redis("state_read")
        if client is None:
            return None
        try:
            brands = sorted(await client.smembers(self.brands_key))
            async with client.pipeline(transaction=False) as pipe:
                for brand in brands:
                    pipe.hgetall(self.brand_key(brand))
                results = await pipe.execute()
        except REDIS_ERRORS as exc:
            self._failed("state_read", exc)
            return None
        states: dict[str, BrandState] = {}
        for brand, fields in zip(brands, results, strict=True):
            self._hashes[self.brand_key(brand)] = dict(fields)
            if fields:
                states[brand] = self._parse_brand(brand, fields)
        return states

    def local_brands(self) -> dict[str, BrandState]:
        """Whatever the local mirror holds (for a CLI that wants to show something while degraded)."""
        prefix = f"{self.namespace}:brand:"
        return {
            key.removeprefix(prefix): self._parse_brand(key.removeprefix(prefix), fields)
            for key, fields in self._hashes.items()
            if key.startswith(prefix) and fields
        }

    def _parse_brand(self, brand: str, fields: Mapping[str, str]) -> BrandState:
        state = BrandState()
        for name, raw in fields.items():
            try:
                data = json.loads(raw)
                if name.startswith(_ALERT):
                    record = AlertRecord.from_dict(data)
                    state.alerts[record.fingerprint] = record
                elif name.startswith(_GROUP):
                    group = GroupState.from_dict(data)
                    state.groups[group.group_id] = group
                elif name == _HISTORY:
                    state.history = list(data)
            except (ValueError, KeyError, TypeError) as exc:
                log.error("skipping unreadable state %s[%s]: %s", self.brand_key(brand), name, exc)
        return state

    async def save(
        self,
        *,
        alerts: Iterable[tuple[str, AlertRecord | None]] = (),
        groups: Iterable[tuple[str, GroupState | None]] = (),
        history: Mapping[str, list[dict[str, Any]]] | None = None,
        outbox: Iterable[OutboxEntry] = (),
    ) -> None:
        """Write changed records (None deletes) and queue notifications, in one transaction."""
        writes: dict[str, dict[str, str | None]] = defaultdict(dict)
        for fingerprint, record in alerts:
            brand, detector = _split_fingerprint(fingerprint)
            writes[self.brand_key(brand)][_ALERT + detector] = _dumps(record.to_dict()) if record else None
        for group_id, group in groups:
            brand, receiver = _split_group_id(group_id)
            writes[self.brand_key(brand)][_GROUP + receiver] = _dumps(group.to_dict()) if group else None
        for brand, incidents in (history or {}).items():
            writes[self.brand_key(brand)][_HISTORY] = _dumps(incidents) if incidents else None
        for entry in outbox:
            writes[self.outbox_key][entry.notification.key] = _dumps(entry.to_dict())
        if writes:
            await self._write_hashes("state_write", writes)

    # -- outbox ----------------------------------------------------------------------------------

    async def outbox(self) -> list[OutboxEntry]:
        fields, _ = await self._read_hash("state_read", self.outbox_key)
        entries = []
        for key, raw in fields.items():
            try:
                entries.append(OutboxEntry.from_dict(json.loads(raw)))
            except (ValueError, KeyError, TypeError) as exc:
                log.error("dropping unreadable outbox entry %s: %s", key, exc)
                await self._write_hashes("state_write", {self.outbox_key: {key: None}})
        return sorted(entries, key=lambda e: (e.enqueued_at, e.notification.key))

    async def outbox_remove(self, key: str) -> None:
        await self._write_hashes("state_write", {self.outbox_key: {key: None}})

    # -- silences and acks -----------------------------------------------------------------------

    async def put_silence(self, silence: Silence) -> None:
        await self._write_hashes("silences", {self.silences_key: {silence.id: _dumps(silence.to_dict())}})

    async def delete_silences(self, ids: Iterable[str]) -> None:
        fields: dict[str, str | None] = {i: None for i in ids}
        if fields:
            await self._write_hashes("silences", {self.silences_key: fields})

    async def list_silences(self) -> list[Silence]:
        fields, _ = await self._read_hash("silences", self.silences_key)
        silences = []
        for silence_id, raw in fields.items():
            try:
                silences.append(Silence.from_dict(json.loads(raw)))
            except (ValueError, KeyError, TypeError) as exc:
                log.error("skipping unreadable silence %s: %s", silence_id, exc)
        return sorted(silences, key=lambda s: (s.starts_at, s.id))

    async def get_silence(self, silence_id: str) -> Silence | None:
        for silence in await self.list_silences():
            if silence.id == silence_id:
                return silence
        return None

    async def put_ack(self, ack: Ack) -> None:
        await self._write_hashes("silences", {self.acks_key: {ack_field(ack): _dumps(ack.to_dict())}})

    async def list_acks(self) -> list[Ack]:
        fields, _ = await self._read_hash("silences", self.acks_key)
        acks = []
        for name, raw in fields.items():
            try:
                acks.append(Ack.from_dict(json.loads(raw)))
            except (ValueError, KeyError, TypeError) as exc:
                log.error("skipping unreadable ack %s: %s", name, exc)
        return sorted(acks, key=lambda a: (a.at, a.fingerprint))

    async def delete_acks(self, acks: Iterable[Ack]) -> None:
        fields: dict[str, str | None] = {ack_field(a): None for a in acks}
        if fields:
            await self._write_hashes("silences", {self.acks_key: fields})

    # -- delivery idempotency --------------------------------------------------------------------

    def _local_mark(self, mark: str) -> str | None:
        found = self._marks.get(mark)
        if found is None:
            return None
        value, expires = found
        if expires <= self._monotonic():
            del self._marks[mark]
            return None
        return value

    def _set_local_mark(self, mark: str, value: str, ttl: float) -> None:
        self._marks[mark] = (value, self._monotonic() + ttl)

    async def claim_delivery(self, channel: str, key: str) -> ClaimResult:
        """Claim the right to deliver `key` on `channel` (SET NX), unless it was delivered or is in flight."""
        mark = self.delivery_key(channel, key)
        local = self._local_mark(mark)
        if local == DELIVERED:
            return ClaimResult.DELIVERED
        client = await self._redis("dedupe")
        if client is not None:
            try:
                for _ in range(2):  # a claim may expire between SET NX and GET: try once more
                    if await client.set(mark, self._token, nx=True, px=self._ms(self.in_flight_ttl)):
                        self._set_local_mark(mark, self._token, self.in_flight_ttl)
                        return ClaimResult.CLAIMED
                    current = await client.get(mark)
                    if current == DELIVERED:
                        self._set_local_mark(mark, DELIVERED, self.delivered_ttl)
                        return ClaimResult.DELIVERED
                    if current is not None:
                        return ClaimResult.IN_FLIGHT
                return ClaimResult.IN_FLIGHT
            except REDIS_ERRORS as exc:
                self._failed("dedupe", exc)
        if local is not None:
            return ClaimResult.IN_FLIGHT
        self._set_local_mark(mark, self._token, self.in_flight_ttl)
        return ClaimResult.CLAIMED

    async def refresh_claim(self, channel: str, key: str) -> None:
        """Extend our claim before another attempt, so a slow retry loop is not mistaken for a crash."""
        mark = self.delivery_key(channel, key)
        if self._local_mark(mark) == self._token:
            self._set_local_mark(mark, self._token, self.in_flight_ttl)
        client = await self._redis("dedupe")
        if client is None or self._refresh_script is None:
            return
        try:
            await self._refresh_script(keys=[mark], args=[self._token, self._ms(self.in_flight_ttl)])
        except REDIS_ERRORS as exc:
            self._failed("dedupe", exc)

    async def mark_delivered(self, channel: str, key: str) -> None:
        mark = self.delivery_key(channel, key)
        self._set_local_mark(mark, DELIVERED, self.delivered_ttl)
        client = await self._redis("dedupe")
        if client is not None:
            try:
                await client.set(mark, DELIVERED, px=self._ms(self.delivered_ttl))
                return
            except REDIS_ERRORS as exc:
                self._failed("dedupe", exc)

    async def release_claim(self, channel: str, key: str) -> None:
        """Give up our claim after a failed delivery, so a redrive may send it."""
        mark = self.delivery_key(channel, key)
        if self._local_mark(mark) == self._token:
            del self._marks[mark]
        client = await self._redis("dedupe")
        if client is None or self._release_script is None:
            return
        try:
            await self._release_script(keys=[mark], args=[self._token])
        except REDIS_ERRORS as exc:
            self._failed("dedupe", exc)

    async def delivery_state(self, channel: str, key: str) -> str | None:
        """`delivered`, `in_flight` or None (never claimed, or the claim expired)."""
        mark = self.delivery_key(channel, key)
        client = await self._redis("dedupe")
        value: str | None
        if client is not None:
            try:
                value = await client.get(mark)
            except REDIS_ERRORS as exc:
                self._failed("dedupe", exc)
                value = self._local_mark(mark)
        else:
            value = self._local_mark(mark)
        if value is None:
            return None
        return DELIVERED if value == DELIVERED else "in_flight"

    @staticmethod
    def _ms(seconds: float) -> int:
        return max(1, int(seconds * 1000))
