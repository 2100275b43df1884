"""`bohran alerts list|redrive`, `bohran ack`, `bohran silence add|list|expire`.

These talk to the same Redis state the workers use. Acks and silences are written there and the
workers pick them up on their next signal or timer tick (every few seconds), so the CLI never needs
a worker to be reachable. Unlike the workers, the CLI does not fail open: if Redis cannot be reached
it says so and exits non-zero, because an ack or silence that only lived in this process would be lost.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from alerts.policy import Ack, AlertRecord
from alerts.silences import Matcher, Silence, new_silence, parse_duration, parse_timestamp
from alerts.store import AlertStore
from bohran.config import ConfigError, load_config
from streams import topics

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
REDRIVE_GROUP = "bohran-redrive"

RedisOption = typer.Option(DEFAULT_REDIS, "--redis", envvar="REDIS_URL", help="Redis URL of the alert state")
NamespaceOption = typer.Option(
    None,
    "--namespace",
    envvar="BOHRAN_REDIS_NAMESPACE",
    help="Redis key prefix (default: $BOHRAN_REDIS_PREFIX + 'bohran', as the workers use)",
)


def _namespace(value: str | None) -> str:
    """The workers' namespace unless told otherwise (alerts/agent.py builds it the same way)."""
    return value or os.environ.get("BOHRAN_REDIS_PREFIX", "") + "bohran"


ConfigOption = typer.Option(Path("bohran.yaml"), "--config", "-c", envvar="BOHRAN_CONFIG")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def _iso(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _fail(message: str, code: int = 1) -> typer.Exit:
    Console(stderr=True).print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(code)


async def _connected_store(redis_url: str, namespace: str | None) -> AlertStore:
    store = AlertStore.from_url(
        redis_url, namespace=_namespace(namespace), on_failopen=None, probe_interval=3600
    )
    if not await store.ping():
        await store.aclose()
        raise _fail(f"cannot reach Redis at {redis_url}", 2)
    return store


async def _check_written(store: AlertStore, redis_url: str) -> None:
    if store.degraded:
        raise _fail(f"Redis at {redis_url} went away: nothing was saved", 2)


def _config_or_exit(path: Path) -> Any:
    try:
        return load_config(path, check_env=False)
    except ConfigError as exc:
        console = Console(stderr=True)
        console.print(f"{exc.source}: invalid config", highlight=False)
        for problem in exc.problems:
            console.print(f"  - {problem}", highlight=False)
        raise typer.Exit(2) from None


# -- alerts list ------------------------------------------------------------------------------------


def _alert_row(record: AlertRecord, pending_acks: dict[str, Ack], now: float) -> dict[str, Any]:
    alert = record.alert
    pending = pending_acks.get(record.fingerprint)
    return {
        "fingerprint": record.fingerprint,
        "brand": alert.brand,
        "detector": alert.detector,
        "status": alert.status,
        "severity": alert.severity,
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "incident_id": alert.incident_id,
        "acked_by": alert.acked_by or (pending.by if pending else None),
        "ack_pending": alert.acked_by is None and pending is not None,
        "ack_comment": record.ack_comment or (pending.comment if pending else None),
        "silenced_by": alert.silenced_by,
        "inhibited_by": record.inhibited_by,
        "held_until": record.hold_until if record.held(now) else None,
        "receivers": list(record.receivers),
        "observed": alert.signal.observed,
        "expected": alert.signal.expected,
        "summary": alert.signal.summary,
    }


def _list_alerts(redis_url: str, namespace: str | None, include_resolved: bool) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        store = await _connected_store(redis_url, namespace)
        try:
            states = await store.load_all()
            acks = await store.list_acks()
        finally:
            await store.aclose()
        if states is None:
            raise _fail(f"cannot read alert state from Redis at {redis_url}", 2)
        pending = {a.fingerprint: a for a in acks}
        now = time.time()
        records = [r for state in states.values() for r in state.alerts.values()]
        records = [r for r in records if include_resolved or r.is_open]
        records.sort(key=lambda r: (r.alert.status == "resolved", r.brand, r.fingerprint))
        return [_alert_row(r, pending, now) for r in records]

    return asyncio.run(run())


# -- redrive ----------------------------------------------------------------------------------------


def _dead_letter_records(
    consumer: Any, topic: str, limit: int | None, idle_timeout: float
) -> Iterator[tuple[Any, Any]]:
    """(TopicPartition, record) for every record present when we started, in partition order;
    records added meanwhile (including our own re-dead-lettered ones) wait for the next run."""
    from kafka.structs import TopicPartition

    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        return
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    end = consumer.end_offsets(assigned)
    remaining = {tp for tp in assigned if consumer.position(tp) < end[tp]}
    seen = 0
    idle_since = time.monotonic()
    while remaining and (limit is None or seen < limit):
        batch = consumer.poll(timeout_ms=500, max_records=1)
        if not batch:
            if time.monotonic() - idle_since > idle_timeout:
                break
            continue
        idle_since = time.monotonic()
        for tp, records in batch.items():
            for record in records:
                if record.offset >= end[tp]:
                    remaining.discard(tp)
                    consumer.pause(tp)
                    continue
                seen += 1
                yield tp, record
            if consumer.position(tp) >= end[tp]:
                remaining.discard(tp)


def register(app: typer.Typer) -> None:
    alerts_app = typer.Typer(help="Alerts the workers track; resend dead letters.", no_args_is_help=True)
    silence_app = typer.Typer(
        help="Mute matching alerts for a while (who, why, until when).", no_args_is_help=True
    )

    @alerts_app.command("list")
    def list_alerts(
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
        include_resolved: bool = typer.Option(False, "--all", help="also recently resolved alerts"),
        redis: str = RedisOption,
        namespace: str | None = NamespaceOption,
    ) -> None:
        """Open alerts (pending/firing) with severity, since when, ack, silence and inhibition."""
        rows = _list_alerts(redis, namespace, include_resolved)
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        console = Console()
        if not rows:
            console.print("no open alerts" if not include_resolved else "no alerts")
            return
        table = Table("fingerprint", "status", "severity", "since", "acked", "muted", "receivers")
        for row in rows:
            acked = row["acked_by"] or ""
            if acked and row["ack_pending"]:
                acked += " (pending)"
            muted = (
                f"silence {row['silenced_by']}"
                if row["silenced_by"]
                else f"by {row['inhibited_by']}"
                if row["inhibited_by"]
                else f"cooldown to {_iso(row['held_until'])}"
                if row["held_until"]
                else ""
            )
            cells = (row["fingerprint"], row["status"], row["severity"], _iso(row["starts_at"]), acked, muted)
            table.add_row(*(Text(c) for c in (*cells, ", ".join(row["receivers"]))))
        console.print(table)

    @alerts_app.command("redrive")
    def redrive(
        kafka: str = typer.Option(
            "127.0.0.1:9092", "--kafka", envvar="KAFKA_BOOTSTRAP", help="bootstrap servers"
        ),
        topic: str | None = typer.Option(None, "--topic", help="dead-letter topic (default: alerts-dlq)"),
        config: Path = ConfigOption,
        redis: str = RedisOption,
        namespace: str | None = NamespaceOption,
        group: str = typer.Option(
            REDRIVE_GROUP, "--group", help="consumer group whose offsets mark progress"
        ),
        limit: int | None = typer.Option(None, "--max", min=1, help="resend at most this many"),
        dry_run: bool = typer.Option(False, "--dry-run", help="show what would be resent; commit nothing"),
        idle_timeout: float = typer.Option(10.0, "--timeout", help="give up after this many idle seconds"),
    ) -> None:
        """Resend notifications from `alerts-dlq` through the configured channels.

        Channels that already delivered a notification are skipped (idempotency keys), and a
        dead letter retries only the channel that failed. A resend that fails again goes back to
        the topic with the new error, so nothing is lost.
        """
        from kafka import KafkaConsumer, KafkaProducer
        from kafka.errors import KafkaError
        from kafka.structs import OffsetAndMetadata

        from alerts.channels.registry import ChannelBuildError, build_channels
        from alerts.dispatcher import AlertDispatcher

        settings = _config_or_exit(config)
        dlq = topic or topics.TopicLayout.from_env().name(topics.ALERTS_DLQ)
        console = Console(stderr=True)

        async def run() -> tuple[int, int, int, int]:
            try:
                channels = build_channels(settings.alerting.channels)
            except ChannelBuildError as exc:
                raise _fail("cannot build channels: " + "; ".join(exc.problems), 2) from None
            store = await _connected_store(redis, namespace)
            dispatcher = AlertDispatcher(settings, store, channels)
            try:
                consumer = KafkaConsumer(
                    bootstrap_servers=kafka,
                    group_id=group,
                    enable_auto_commit=False,
                    auto_offset_reset="earliest",
                    client_id="bohran-redrive",
                )
            except KafkaError as exc:
                await dispatcher.aclose()
                raise _fail(f"cannot reach Kafka at {kafka}: {exc}", 2) from None
            producer = None if dry_run else KafkaProducer(bootstrap_servers=kafka, client_id="bohran-redrive")
            counts = [0, 0, 0, 0]  # records, delivered, skipped, failed
            try:
                for tp, record in _dead_letter_records(consumer, dlq, limit, idle_timeout):
                    counts[0] += 1
                    try:
                        data = json.loads(record.value)
                        notification = data.get("notification", data)
                        label = (
                            f"{notification['key']} ({notification.get('brand')}, {notification.get('kind')})"
                        )
                    except (ValueError, KeyError, TypeError) as exc:
                        console.print(f"offset {record.offset}: unreadable dead letter skipped: {exc}")
                        counts[3] += 1
                        if not dry_run:
                            consumer.commit({tp: OffsetAndMetadata(record.offset + 1, "", -1)})
                        continue
                    if dry_run:
                        console.print(
                            f"would resend {label} to {data.get('channel') or notification.get('channels')}"
                        )
                        continue
                    outcomes = await dispatcher.redrive(data)
                    if not outcomes:
                        counts[2] += 1
                        console.print(f"{label}: already delivered, skipped")
                    for outcome in outcomes:
                        if outcome.ok:
                            counts[1] += 1
                            console.print(f"{label}: delivered to {outcome.channel}")
                        else:
                            counts[3] += 1
                            console.print(f"{label}: {outcome.channel} failed again: {outcome.error}")
                    for letter in dispatcher.take_dead_letters():
                        assert producer is not None
                        producer.send(
                            dlq, key=letter.notification.brand.encode("utf-8"), value=letter.to_bytes()
                        )
                    if producer is not None:
                        producer.flush()
                    consumer.commit({tp: OffsetAndMetadata(record.offset + 1, "", -1)})
            finally:
                consumer.close()
                if producer is not None:
                    producer.close()
                await dispatcher.aclose()
            return counts[0], counts[1], counts[2], counts[3]

        records, delivered, skipped, failed = asyncio.run(run())
        console.print(
            f"dead letters read {records}: delivered {delivered}, already delivered {skipped}, failed {failed}",
            highlight=False,
        )
        if failed:
            raise typer.Exit(1)

    @app.command("ack")
    def ack(
        fingerprint: str = typer.Argument(..., help="brand/detector, as `bohran alerts list` shows"),
        by: str | None = typer.Option(None, "--by", help="who takes it (default: your user name)"),
        comment: str = typer.Option("", "--comment", help="what you are doing about it"),
        redis: str = RedisOption,
        namespace: str | None = NamespaceOption,
    ) -> None:
        """Acknowledge an open alert: repeats stop (until it escalates); shown in the next update."""
        who = by or _user()

        async def run() -> str:
            store = await _connected_store(redis, namespace)
            try:
                brand = fingerprint.partition("/")[0]
                state = await store.load_brand(brand)
                record = state.alerts.get(fingerprint) if state is not None else None
                if record is None or not record.is_open:
                    raise _fail(f"no open alert {fingerprint!r} (see `bohran alerts list`)")
                await store.put_ack(Ack(fingerprint, who, time.time(), comment, record.alert.incident_id))
                await _check_written(store, redis)
                return record.alert.incident_id
            finally:
                await store.aclose()

        incident = asyncio.run(run())
        typer.echo(f"acknowledged {fingerprint} (incident {incident}) as {who}")

    @silence_app.command("add")
    def silence_add(
        brand: Annotated[
            list[str] | None, typer.Option("--brand", help="brand id (repeat for a regex alternative)")
        ] = None,
        detector: str | None = typer.Option(None, "--detector"),
        severity: str | None = typer.Option(None, "--severity"),
        matcher: Annotated[
            list[str] | None,
            typer.Option("--matcher", "-m", help="label=value, label!=value, label=~regex, label!~regex"),
        ] = None,
        duration: str | None = typer.Option(None, "--duration", help="e.g. 30m, 2h, 1d"),
        until: str | None = typer.Option(None, "--until", help="end time, RFC 3339 or epoch seconds"),
        starts: str | None = typer.Option(None, "--starts", help="start time (default: now)"),
        author: str | None = typer.Option(None, "--author", help="who silences (default: your user name)"),
        comment: str = typer.Option(..., "--comment", help="why (required)"),
        redis: str = RedisOption,
        namespace: str | None = NamespaceOption,
    ) -> None:
        """Silence alerts matching all the given matchers, for --duration or --until."""
        try:
            brand = brand or []
            matchers: list[Matcher] = []
            if len(brand) == 1:
                matchers.append(Matcher("brand", brand[0]))
            elif brand:
                matchers.append(Matcher("brand", "|".join(re.escape(b) for b in brand), "=~"))
            if detector:
                matchers.append(Matcher("detector", detector))
            if severity:
                matchers.append(Matcher("severity", severity))
            matchers.extend(Matcher.parse(m) for m in matcher or [])
            if (duration is None) == (until is None):
                raise ValueError("give exactly one of --duration or --until")
            silence = new_silence(
                matchers,
                now=time.time(),
                author=author or _user(),
                comment=comment,
                duration=parse_duration(duration) if duration else None,
                ends_at=parse_timestamp(until) if until else None,
                starts_at=parse_timestamp(starts) if starts else None,
            )
        except ValueError as exc:
            raise _fail(str(exc), 2) from None

        async def run() -> None:
            store = await _connected_store(redis, namespace)
            try:
                await store.put_silence(silence)
                await _check_written(store, redis)
            finally:
                await store.aclose()

        asyncio.run(run())
        typer.echo(silence.id)
        Console(stderr=True).print(
            f"silenced [{silence.describe()}] until {_iso(silence.ends_at)} by {silence.author}",
            highlight=False,
        )

    @silence_app.command("list")
    def silence_list(
        include_expired: bool = typer.Option(False, "--all", help="also expired silences"),
        as_json: bool = typer.Option(False, "--json"),
        redis: str = RedisOption,
        namespace: str | None = NamespaceOption,
    ) -> None:
        """Active and pending silences (with --all, expired ones too)."""

        async def run() -> list[Silence]:
            store = await _connected_store(redis, namespace)
            try:
                return await store.list_silences()
            finally:
                await store.aclose()

        now = time.time()
        silences = [s for s in asyncio.run(run()) if include_expired or s.state(now) != "expired"]
        if as_json:
            typer.echo(
                json.dumps(
                    [{**s.to_dict(), "state": s.state(now)} for s in silences], ensure_ascii=False, indent=2
                )
            )
            return
        if not silences:
            typer.echo("no silences")
            return
        table = Table("id", "state", "matchers", "starts", "ends", "author", "comment")
        for s in silences:
            cells = (
                s.id,
                s.state(now),
                s.describe(),
                _iso(s.starts_at),
                _iso(s.ends_at),
                s.author,
                s.comment,
            )
            table.add_row(*(Text(c) for c in cells))  # Text: user input is never read as markup
        Console().print(table)

    @silence_app.command("expire")
    def silence_expire(
        silence_id: str = typer.Argument(..., help="the id `bohran silence add` printed"),
        redis: str = RedisOption,
        namespace: str | None = NamespaceOption,
    ) -> None:
        """End a silence now."""

        async def run() -> Silence:
            store = await _connected_store(redis, namespace)
            try:
                silence = await store.get_silence(silence_id)
                if silence is None:
                    raise _fail(f"no silence {silence_id!r}")
                expired = silence.expire(time.time())
                await store.put_silence(expired)
                await _check_written(store, redis)
                return expired
            finally:
                await store.aclose()

        expired = asyncio.run(run())
        typer.echo(f"expired {expired.id} [{expired.describe()}]")

    app.add_typer(alerts_app, name="alerts")
    app.add_typer(silence_app, name="silence")
