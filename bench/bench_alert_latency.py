"""Alert latency: from the tipping mention's produce to the Slack stand-in receiving the POST.

Not a timed test: run it, read the figures.

    .venv/bin/python bench/bench_alert_latency.py [--incidents 24] [--background-rate 5000] [--out FILE]

Setup. One `bohran worker` (Kafka, Redis, the Slack stand-in `bohran.receivers.WebhookReceiver` on
loopback) with `streams.simulate`'s eight catalog brands plus `--incidents` incident brands
(`incident00`, `incident01`, ...). Every incident brand has a quiet history first: about one
neutral or positive mention every 4 minutes over the last 90 minutes, backdated and produced before
the worker starts, so its detectors are warm and its baseline is low. Then background traffic of
`--background-rate` mentions/s for the catalog brands (simulated texts, stamped with the current time,
packed 500 per record, as bohran's producers send them) runs for the whole measurement; the catalog
brands are new to the worker, so their warm-ups keep this steady traffic from paging.

Incidents. One brand at a time: complaints about it are produced as single-mention records (as an
outside producer would send them), one every `--burst-interval` seconds, from distinct authors, until
the Slack stand-in receives a POST naming the brand (or `--burst-max` were sent; then it waits up to
30 s more). Each incident is a new brand, hence a new fingerprint and a new group, so each pages.

Reference. Before each incident one small record is produced to a probe topic on the same broker and
timed until an aiokafka consumer in this process receives it (`kafka_round_trip_s`): the latency is
also reported as a multiple of that.

Tipping mention, precisely. After the run, each incident's mentions (its history, then its complaints
in the order sent, with their event times) are replayed through the same pure core the worker runs
(`Enricher` + `DetectionEngine`, same config), one mention at a time with an evaluation after each.
The tipping mention is the first complaint after which the engine emits a `firing` signal for the
brand: from that mention on, the detector's condition holds. Latency = the POST's arrival time at the
stand-in minus the time that mention was handed to the Kafka producer (both read from this
process's monotonic clock). The worker may fire on a later mention (its batches are evaluated as a
whole) or, if its evaluation differs, on an earlier one: `sent_before_post` shows how many complaints
had been sent when the POST arrived, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import bench_pipeline as pipeline  # noqa: E402
from bench_enrich_core import MentionFactory, brand_names  # noqa: E402

from bohran.receivers import ReceivedRequest  # noqa: E402
from streams import topics  # noqa: E402
from streams.mention import format_time  # noqa: E402

GOAL_P99_S = 2.0
HISTORY_MINUTES = 90
HISTORY_EVERY_S = 240.0


# --------------------------------------------------------------------------------------------------
# Brands and mentions


def incident_brands(count: int) -> list[dict[str, Any]]:
    """`count` brands with made-up names, ids incident00.. (the id appears in every Slack message)."""
    names = brand_names(count, seed=29)
    return [
        {
            "id": f"incident{i:02d}",
            "name": f"{persian} ({latin.title()})",
            "aliases": [persian, latin],
            "handles": [f"@{latin}"],
            "hashtags": [f"#{persian}"],
        }
        for i, (latin, persian) in enumerate(names)
    ]


def quiet_history(
    factory: MentionFactory, brand: tuple[str, str], end: float, rng: random.Random
) -> list[dict]:
    """A quiet brand's last `HISTORY_MINUTES`: a neutral or positive mention every few minutes."""
    out = []
    ts = end - HISTORY_MINUTES * 60
    while ts < end:
        out.append(factory.mention(ts, brand, negative=False, followers=rng.randrange(50, 3000)))
        ts += HISTORY_EVERY_S * (0.5 + rng.random())
    return out


class BackgroundTraffic:
    """Simulated mentions at a steady rate, stamped now, packed 500 per record, from a thread."""

    def __init__(self, bootstrap: str, topic: str, rate: float, pool: Sequence[dict[str, Any]]) -> None:
        self.bootstrap, self.topic, self.rate, self.pool = bootstrap, topic, rate, pool
        self.sent = 0
        self.behind_s = 0.0  # the most the sender ever fell behind its schedule
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="background-traffic", daemon=True)

    def start(self) -> BackgroundTraffic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        producer = pipeline.Producer(self.bootstrap, linger_ms=5)
        start = time.monotonic()
        i = 0
        try:
            while not self._stop.is_set():
                due = start + self.sent / self.rate
                delay = due - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    self.behind_s = max(self.behind_s, -delay)
                now = format_time(datetime.now(UTC).timestamp())
                chunk = []
                for _ in range(pipeline.PACK):
                    mention = dict(self.pool[i % len(self.pool)])
                    mention["id"] = f"bg{i}"
                    mention["created_at"] = now
                    chunk.append(mention)
                    i += 1
                value = json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode()
                producer.send(self.topic, value, chunk[0]["id"].encode())
                self.sent += len(chunk)
        finally:
            producer.close()


class PostClock:
    """Arrival times of Slack POSTs, by the incident brand they name."""

    def __init__(self, brand_ids: Sequence[str]) -> None:
        self.pattern = re.compile(r"\b(" + "|".join(re.escape(b) for b in brand_ids) + r")\b")
        self.first: dict[str, float] = {}
        self.posts = 0
        self.lock = threading.Lock()

    def on_request(self, request: ReceivedRequest) -> None:
        t = time.monotonic()
        try:
            text = json.dumps(request.json(), ensure_ascii=False)
        except ValueError:
            text = request.body.decode("utf-8", "replace")
        with self.lock:
            self.posts += 1
            for brand in set(self.pattern.findall(text)):
                self.first.setdefault(brand, t)

    def arrived(self, brand: str) -> float | None:
        with self.lock:
            return self.first.get(brand)


class KafkaRoundTrip:
    """The reference: produce one small record, see it arrive at an aiokafka consumer in this process.

    Measured on the same broker under the same background traffic, once per incident, so the alert
    latency can be read as a multiple of what Kafka alone takes here.
    """

    def __init__(self, bootstrap: str, topic: str) -> None:
        from kafka.admin import KafkaAdminClient, NewTopic

        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-admin")
        try:  # created up front: a consumer subscribed to a missing topic may miss the first record
            admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        finally:
            admin.close()
        self.bootstrap, self.topic = bootstrap, topic
        self.arrived: dict[str, float] = {}
        self.samples: list[float] = []
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="roundtrip", daemon=True)
        self._thread.start()
        self._task = asyncio.run_coroutine_threadsafe(self._consume(), self._loop)
        if not self._ready.wait(60):
            raise TimeoutError("round-trip consumer did not start")
        self.producer = pipeline.Producer(bootstrap, linger_ms=0)

    async def _consume(self) -> None:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=None,
            auto_offset_reset="latest",
            fetch_max_wait_ms=10,
        )
        await consumer.start()
        try:
            await consumer.seek_to_end()
            self._ready.set()
            async for message in consumer:
                self.arrived[message.value.decode()] = time.monotonic()
        finally:
            await consumer.stop()

    def measure(self, tag: str, timeout_s: float = 10.0) -> float | None:
        t0 = time.monotonic()
        self.producer.send(self.topic, tag.encode())
        deadline = t0 + timeout_s
        while tag not in self.arrived and time.monotonic() < deadline:
            time.sleep(0.001)
        if tag not in self.arrived:
            return None
        self.samples.append(self.arrived[tag] - t0)
        return self.samples[-1]

    def close(self) -> None:
        self.producer.close()
        self._task.cancel()
        time.sleep(0.2)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


# --------------------------------------------------------------------------------------------------
# The tipping mention, by replay through the pure core


def tipping_index(
    config: dict[str, Any], brand: str, history: list[dict], burst: list[dict]
) -> dict[str, Any]:
    """Index in `burst` of the first complaint after which the engine fires for `brand` (None if never)."""
    from bohran.config import BohranConfig
    from streams.detection import DetectionEngine
    from streams.enrichment import Enricher
    from streams.mention import parse_mention

    streams_config = BohranConfig.model_validate(config)
    enricher = Enricher(streams_config)
    engine = DetectionEngine(streams_config)
    for raw in history:
        mention = parse_mention(raw)
        for batch in enricher.enrich_batch([mention]).batches:
            engine.ingest(batch, wall_now=mention.created_at)
            engine.evaluate(batch.brand, wall_now=mention.created_at)
    for index, raw in enumerate(burst):
        mention = parse_mention(raw)
        for batch in enricher.enrich_batch([mention]).batches:
            if batch.brand != brand:
                continue
            engine.ingest(batch, wall_now=mention.created_at)
            for signal in engine.evaluate(brand, wall_now=mention.created_at):
                if signal.status == "firing":
                    return {"index": index, "detector": signal.detector, "severity": signal.severity}
    return {"index": None, "detector": None, "severity": None}


def topic_timestamps(
    bootstrap: str, topic: str, keys: set[str], timeout_s: float = 60.0
) -> dict[str, list[tuple[float, bytes]]]:
    """(Kafka timestamp in wall seconds, value) of every record in `topic` whose key is in `keys`, by key."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def read() -> dict[str, list[tuple[float, bytes]]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
        await consumer.start()
        out: dict[str, list[tuple[float, bytes]]] = {}
        try:
            parts = [TopicPartition(topic, p) for p in pipeline.topic_partitions(bootstrap, topic)]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                positions = [await consumer.position(tp) for tp in parts]
                if all(pos >= ends[tp] for pos, tp in zip(positions, parts, strict=True)):
                    break
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for messages in batches.values():
                    for message in messages:
                        key = (message.key or b"").decode("utf-8", "replace")
                        if key in keys:
                            out.setdefault(key, []).append((message.timestamp / 1000.0, message.value))
        finally:
            await consumer.stop()
        return out

    return asyncio.run(read())


def stage_breakdown(bootstrap: str, prefix: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Where each incident's latency went, from Kafka's record timestamps (set by the worker's producer):
    tipping mention sent -> first enriched record of the brand after it -> first signal of the brand
    after it -> Slack POST; `slack_delivery_s` is the alert agent's own delivery time from its audit
    record on `alerts`. Medians and maxima over incidents; the app is not instrumented for this."""
    keys = {r["brand"] for r in results}
    enriched = topic_timestamps(bootstrap, f"{prefix}{topics.MENTIONS_ENRICHED}", keys)
    signals = topic_timestamps(bootstrap, f"{prefix}{topics.SIGNALS}", keys)
    audits = topic_timestamps(bootstrap, f"{prefix}{topics.ALERTS}", keys)
    names = ("to_enriched_s", "enriched_to_signal_s", "signal_to_post_s", "slack_delivery_s")
    parts: dict[str, list[float]] = {name: [] for name in names}
    for r in results:
        tip_wall, post_wall = r.get("tip_sent_wall"), r.get("post_wall")
        if tip_wall is None or post_wall is None:
            continue
        after = tip_wall - 0.002
        t1 = min((t for t, _ in enriched.get(r["brand"], []) if t >= after), default=None)
        t2 = min((t for t, _ in signals.get(r["brand"], []) if t >= after), default=None)
        if t1 is None or t2 is None:
            continue
        parts["to_enriched_s"].append(t1 - tip_wall)
        parts["enriched_to_signal_s"].append(t2 - t1)
        parts["signal_to_post_s"].append(post_wall - t2)
        for t, value in sorted(audits.get(r["brand"], [])):
            audit = json.loads(value)
            if t >= after and audit.get("ok") and isinstance(audit.get("elapsed"), int | float):
                parts["slack_delivery_s"].append(float(audit["elapsed"]))
                break
    return {
        "incidents": len(parts["to_enriched_s"]),
        **{
            name: {"p50": round(statistics.median(v), 3), "max": round(max(v), 3)}
            for name, v in parts.items()
            if v
        },
    }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): with 24 values, p99 is the largest."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


# --------------------------------------------------------------------------------------------------
# The run


def run(
    incidents: int = 24,
    background_rate: float = 5000.0,
    burst_interval: float = 0.05,
    burst_max: int = 60,
    stack: pipeline.Stack | None = None,
) -> dict[str, Any]:
    own_stack = stack is None
    tmp = Path(tempfile.mkdtemp(prefix="bohran-bench-latency-"))
    stack = stack or pipeline.Stack.up(tmp / "stack")
    try:
        return measure(stack, tmp, incidents, background_rate, burst_interval, burst_max)
    finally:
        if own_stack:
            stack.down()


def measure(
    stack: pipeline.Stack,
    tmp: Path,
    incidents: int,
    background_rate: float,
    burst_interval: float,
    burst_max: int,
) -> dict[str, Any]:
    rng = random.Random(17)
    brands = incident_brands(incidents)
    ids = [b["id"] for b in brands]
    clock = PostClock(ids)
    slack = pipeline.SlackStandIn(on_request=clock.on_request)
    pool = pipeline.simulated_workload(20_000, span_hours=0.5).mentions
    background_brands = pipeline.simulated_workload(10, span_hours=0.1).brands
    config = pipeline.bench_config(background_brands + brands)
    names = [(b["aliases"][1], b["aliases"][0]) for b in brands]
    # No complaint names a second incident brand: that brand would collect complaints before its turn.
    factory = MentionFactory(names, seed=23, second_brand_share=0.0)
    now = datetime.now(UTC).timestamp()
    histories = {
        b["id"]: quiet_history(factory, name, now - 120, rng) for b, name in zip(brands, names, strict=True)
    }
    prefix = pipeline.new_namespace("lat")
    layout = pipeline.ensure_layout(stack.bootstrap, prefix)
    topic = layout.name(topics.MENTIONS)
    history_mentions = sorted((m for h in histories.values() for m in h), key=lambda m: m["created_at"])
    pipeline.produce(stack.bootstrap, topic, pipeline.pack(history_mentions))
    worker = pipeline.BenchWorker(stack, prefix, config, tmp / "worker", slack.url)
    background = BackgroundTraffic(stack.bootstrap, topic, background_rate, pool)
    producer = pipeline.Producer(stack.bootstrap, linger_ms=0)
    roundtrip = KafkaRoundTrip(stack.bootstrap, f"{prefix}bench-roundtrip")
    results: list[dict[str, Any]] = []
    try:
        worker.start()
        ready_s = worker.wait_ready(180)
        pipeline.wait_until(
            lambda: (worker.counts() or {}).get("accepted", 0) >= len(history_mentions),
            60,
            "the quiet history to be processed",
            workers=[worker],
        )
        background.start()
        time.sleep(5.0)  # let the background reach its steady state before the first incident
        posts_before = clock.posts
        for i, (brand, name) in enumerate(zip(brands, names, strict=True)):
            roundtrip.measure(f"probe{i}")
            results.append(
                one_incident(
                    producer, topic, factory, brand["id"], name, clock, burst_interval, burst_max, worker
                )
            )
            time.sleep(0.5)
        accounted = worker.counts() or {}
    finally:
        background.stop()
        roundtrip.close()
        producer.close()
        worker.stop()
        slack.stop()

    wall_offset = time.time() - time.monotonic()
    for result in results:
        tip = tipping_index(config, result["brand"], histories[result["brand"]], result.pop("burst"))
        result["tipping"] = tip
        sent_at = result.pop("sent_at")
        post_at = result.pop("post_at")
        if tip["index"] is not None and post_at is not None:
            result["latency_s"] = round(post_at - sent_at[tip["index"]], 3)
            result["tip_sent_wall"] = sent_at[tip["index"]] + wall_offset
            result["post_wall"] = post_at + wall_offset
        else:
            result["latency_s"] = None
    try:
        breakdown: dict[str, Any] = stage_breakdown(stack.bootstrap, prefix, results)
    except (Exception, asyncio.CancelledError) as exc:  # diagnostics must not cost the figures
        breakdown = {"error": repr(exc)}
    for result in results:
        result.pop("tip_sent_wall", None)
        result.pop("post_wall", None)
    latencies = [r["latency_s"] for r in results if r["latency_s"] is not None]
    report: dict[str, Any] = {
        "benchmark": "alert latency: tipping mention produced -> Slack stand-in receives the POST, one worker, "
        f"{background_rate:.0f} mentions/s background",
        "command": f".venv/bin/python bench/bench_alert_latency.py --incidents {incidents} --background-rate "
        f"{background_rate:.0f}",
        "tipping_mention": "first complaint after which the pure engine (same config), fed the brand's history then "
        "its complaints one at a time, emits a firing signal",
        "incidents": len(results),
        "paged": sum(1 for r in results if r["paged"]),
        "measured": len(latencies),
        "worker_ready_seconds": round(ready_s, 2),
        "background": {
            "rate_target": background_rate,
            "sent": background.sent,
            "sender_max_behind_s": round(background.behind_s, 3),
            "worker_accounted_at_end": int(accounted.get("accepted", 0) + accounted.get("rejected", 0)),
            "other_posts": clock.posts - posts_before - sum(1 for r in results if r["paged"]),
        },
        "stages": breakdown,
        "per_incident": results,
    }
    if latencies:
        report["latency_s"] = {
            "p50": round(statistics.median(latencies), 3),
            "p90": round(percentile(latencies, 90), 3),
            "p99": round(percentile(latencies, 99), 3),
            "max": round(max(latencies), 3),
            "min": round(min(latencies), 3),
            "mean": round(statistics.fmean(latencies), 3),
        }
        report["goal"] = {"p99_s": GOAL_P99_S, "met": report["latency_s"]["p99"] <= GOAL_P99_S}
    if roundtrip.samples:
        trips = roundtrip.samples
        report["kafka_round_trip_s"] = {
            "samples": len(trips),
            "p50": round(statistics.median(trips), 4),
            "p99": round(percentile(trips, 99), 4),
        }
        if latencies:
            report["ratios"] = {
                "p50_to_kafka_round_trip_p50": round(
                    report["latency_s"]["p50"] / max(1e-4, statistics.median(trips)), 1
                ),
                "p99_to_kafka_round_trip_p99": round(
                    report["latency_s"]["p99"] / max(1e-4, percentile(trips, 99)), 1
                ),
            }
    return report


def one_incident(
    producer: pipeline.Producer,
    topic: str,
    factory: MentionFactory,
    brand_id: str,
    name: tuple[str, str],
    clock: PostClock,
    interval: float,
    burst_max: int,
    worker: pipeline.BenchWorker,
) -> dict[str, Any]:
    """Complaints about one brand until its POST arrives; returns what was sent and when."""
    burst: list[dict[str, Any]] = []
    sent_at: list[float] = []
    if clock.arrived(brand_id) is not None:  # paged before its burst: nothing to time (reported as such)
        return {
            "brand": brand_id,
            "paged": False,
            "paged_before_burst": True,
            "complaints_sent": 0,
            "sent_before_post": 0,
            "post_after_first_complaint_s": None,
            "post_at": None,
            "sent_at": sent_at,
            "burst": burst,
        }
    started = time.monotonic()
    next_at = started
    while len(burst) < burst_max and clock.arrived(brand_id) is None:
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        ts = datetime.now(UTC).timestamp()
        mention = factory.mention(
            ts, name, negative=True, followers=400 + len(burst) * 7, author=f"{brand_id}-a{len(burst)}"
        )
        value = json.dumps(mention, ensure_ascii=False).encode()
        sent_at.append(time.monotonic())
        producer.send(topic, value, mention["id"].encode())
        burst.append(mention)
        next_at += interval
    producer.flush()
    sent_before = sum(1 for t in sent_at if clock.arrived(brand_id) is None or t < clock.arrived(brand_id))
    deadline = time.monotonic() + 30
    while clock.arrived(brand_id) is None and time.monotonic() < deadline:
        if not worker.alive():
            raise RuntimeError(f"worker died:\n{worker.log_tail()}")
        time.sleep(0.02)
    post_at = clock.arrived(brand_id)
    return {
        "brand": brand_id,
        "paged": post_at is not None,
        "complaints_sent": len(burst),
        "sent_before_post": sent_before,
        "post_after_first_complaint_s": round(post_at - sent_at[0], 3) if post_at is not None else None,
        "post_at": post_at,
        "sent_at": sent_at,
        "burst": burst,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=24)
    parser.add_argument("--background-rate", type=float, default=5000.0)
    parser.add_argument(
        "--burst-interval", type=float, default=0.05, help="seconds between an incident's complaints"
    )
    parser.add_argument("--burst-max", type=int, default=60)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report = run(args.incidents, args.background_rate, args.burst_interval, args.burst_max)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
