"""The Faust app: topics, the enrich and detect agents, checkpointed per-brand state, /metrics.

Agents are thin: decode → call the pure core (`Enricher`, `DetectionEngine`) → produce. Both
consume in batches (`take_events`) because Faust's per-record machinery dominates the cost
(DESIGN.md); per-brand detector state lives in memory and is checkpointed to a plain table keyed
by brand once per batch, written to the changelog partition of the brand's own input partition.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import faust
from prometheus_client import generate_latest

from streams import metrics, topics
from streams.brand_batch import BrandBatch
from streams.config import StreamsConfig
from streams.dedupe import RecentKeys
from streams.detection import DetectionEngine
from streams.enrichment import Enricher, EnrichResult
from streams.mention import decode_record
from streams.signal import Signal

log = logging.getLogger("bohran.streams")
# Prometheus text format 0.0.4; aiohttp adds the charset itself and refuses one in content_type.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4"
ENRICH_CHUNK = 5000  # mentions enriched between two yields to the event loop


@dataclass(slots=True)
class WorkerSettings:
    bootstrap: str
    config_path: str
    redis_url: str | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    data_dir: str = ".local/worker"
    layout: topics.TopicLayout = field(default_factory=topics.TopicLayout)
    enrich_batch: int = 2000
    detect_batch: int = 500
    batch_within_s: float = 0.25
    detect_within_s: float = 0.05  # detect batches are small and latency-critical
    tick_interval_s: float = 5.0
    worker_id: str = "bohran-1"

    @classmethod
    def from_env(cls, **overrides: Any) -> WorkerSettings:
        env = os.environ
        values: dict[str, Any] = {
            "bootstrap": env.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            "config_path": env.get("BOHRAN_CONFIG", "bohran.yaml"),
            "redis_url": env.get("REDIS_URL"),
            "web_host": env.get("BOHRAN_WEB_HOST", "127.0.0.1"),
            "web_port": int(env.get("BOHRAN_WEB_PORT", "6066")),
            "data_dir": env.get("BOHRAN_DATA_DIR", ".local/worker"),
            "layout": topics.TopicLayout.from_env(),
            "tick_interval_s": float(env.get("BOHRAN_TICK_SECONDS", "5")),
            "worker_id": env.get("BOHRAN_WORKER_ID", "bohran-1"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def encode_json(value: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the wire form of every record bohran's agents produce."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def declare_topic(app: faust.App, layout: topics.TopicLayout, name: str) -> faust.TopicT:
    """A bohran topic with its prefixed name, partition count and raw bytes in and out."""
    return app.topic(layout.name(name), partitions=layout.partitions_for(name), value_serializer="raw",
                     key_serializer="raw")


class StreamsRuntime:
    """Mutable runtime the agents share: current config, compiled enricher, detection engine."""

    def __init__(self, config: StreamsConfig) -> None:
        self.config = config
        self.enricher = Enricher(config)
        self.engine = DetectionEngine(config)
        self.brand_partition: dict[str, int] = {}
        self.recent = RecentKeys()  # (platform, id) seen in the last 6 h: re-polls and retries count once
        metrics.set_configured_brands([b.id for b in config.brands])

    def apply_config(self, config: StreamsConfig) -> None:
        """Hot reload: the next batch uses the new brands and thresholds."""
        self.config = config
        self.enricher = Enricher(config)
        self.engine.update_config(config)
        metrics.set_configured_brands([b.id for b in config.brands])


def record_enrich_metrics(mentions: list[Any], result: EnrichResult, wall_now: float) -> None:
    for (platform, status), n in result.by_platform.items():
        metrics.count_mentions(platform, "accepted", n)
        metrics.count_mentions(platform, status, n)
    for batch in result.batches:
        negative = positive = neutral = 0
        reach = 0.0
        for agg in batch.minutes.values():
            negative += agg.negative
            positive += agg.positive
            neutral += agg.neutral
            reach += agg.reach
        metrics.count_brand_mentions(batch.brand, "negative", negative, reach)
        metrics.count_brand_mentions(batch.brand, "positive", positive)
        metrics.count_brand_mentions(batch.brand, "neutral", neutral)
    lag = metrics.EVENT_LAG.labels("enrich")  # resolve the guarded label once per batch
    for mention in mentions:
        lag.observe(max(0.0, wall_now - mention.created_at))
    metrics.observe_batch("enrich", len(mentions))


def create_app(
    settings: WorkerSettings,
    config: StreamsConfig,
    *,
    on_app: Callable[[faust.App, StreamsRuntime], None] | None = None,
) -> tuple[faust.App, StreamsRuntime]:
    """Build the app with the enrich and detect stages; `on_app` lets alerts/ add its agent."""
    app = faust.App(
        f"{settings.layout.prefix}bohran",
        broker=f"kafka://{settings.bootstrap}",
        store="memory://",
        value_serializer="raw",
        key_serializer="raw",
        topic_partitions=settings.layout.partitions,
        topic_replication_factor=settings.layout.replication,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        datadir=settings.data_dir,
        consumer_auto_offset_reset="earliest",
        broker_commit_every=settings.enrich_batch,
        broker_commit_interval=1.0,
        producer_linger=0.005,
        producer_acks=-1,
        stream_buffer_maxsize=max(4096, settings.enrich_batch * 2),
        table_cleanup_interval=3600.0,
        logging_config=None,
    )
    runtime = StreamsRuntime(config)
    layout = settings.layout

    mentions_topic = declare_topic(app, layout, topics.MENTIONS)
    enriched_topic = declare_topic(app, layout, topics.MENTIONS_ENRICHED)
    signals_topic = declare_topic(app, layout, topics.SIGNALS)
    dlq_topic = declare_topic(app, layout, topics.MENTIONS_DLQ)
    state_table = app.Table(
        "brand-state", default=None, partitions=layout.partitions,
        schema=faust.Schema(key_serializer="json", value_serializer="json"),
        help="per-brand detector state, checkpointed once per batch",
    )

    @app.agent(mentions_topic, name="enrich")
    async def enrich(stream: faust.StreamT) -> None:
        async for events in stream.take_events(settings.enrich_batch, within=settings.batch_within_s):
            wall_now = time.time()
            mentions = []
            for event in events:
                decoded, rejections = decode_record(event.value, max_text_chars=runtime.config.ingest.max_text_chars)
                mentions.extend(decoded)
                for rejection in rejections:
                    metrics.count_dlq("enrich", rejection.reason)
                    metrics.count_mentions("other", "rejected")
                    await dlq_topic.send(value=encode_json(rejection.to_dlq_record("enrich")))
            mentions, duplicates = runtime.recent.fresh(mentions, now=wall_now)
            if duplicates:
                metrics.count_mentions("other", "duplicate", duplicates)
            if not mentions:
                continue
            # Packed records make one take of 2,000 records up to a million mentions: enrich in
            # chunks and yield between them so the detect and alert agents are never starved.
            for start in range(0, len(mentions), ENRICH_CHUNK):
                chunk = mentions[start : start + ENRICH_CHUNK]
                result = runtime.enricher.enrich_batch(chunk)
                record_enrich_metrics(chunk, result, wall_now)
                for batch in result.batches:
                    await enriched_topic.send(key=batch.brand.encode(), value=encode_json(batch.to_dict()))
                await asyncio.sleep(0)

    async def publish(signals: list[Signal]) -> None:
        for signal in signals:
            await signals_topic.send(key=signal.brand.encode(), value=encode_json(signal.to_dict()))

    def checkpoint(brand: str) -> None:
        partition = runtime.brand_partition.get(brand)
        if partition is None:
            return
        snapshot = runtime.engine.snapshot(brand)
        state_table.data[brand] = snapshot
        state_table.send_changelog(partition, brand, snapshot)

    @app.agent(enriched_topic, name="detect")
    async def detect(stream: faust.StreamT) -> None:
        async for events in stream.take_events(settings.detect_batch, within=settings.detect_within_s):
            wall_now = time.time()
            touched: list[str] = []
            for event in events:
                try:
                    batch = BrandBatch.from_dict(json.loads(event.value))
                except (ValueError, KeyError, TypeError) as exc:
                    metrics.count_dlq("detect", "invalid_batch")
                    log.warning("dropping undecodable enriched record: %s", exc)
                    continue
                if runtime.config.brand(batch.brand) is None:
                    continue  # brand removed by a config reload
                if batch.brand not in runtime.brand_partition:
                    saved = state_table.data.get(batch.brand)
                    if saved is not None and batch.brand not in runtime.engine.brands():
                        runtime.engine.restore(batch.brand, saved)
                runtime.brand_partition[batch.brand] = event.message.partition
                result = runtime.engine.ingest(batch, wall_now=wall_now)
                if result.late:
                    metrics.count_late_events("detect", result.late)
                if batch.brand not in touched:
                    touched.append(batch.brand)
            for brand in touched:
                await publish(runtime.engine.evaluate(brand, wall_now=wall_now))
                checkpoint(brand)
                metrics.observe_brand(runtime.engine.explain(brand))
            metrics.observe_batch("detect", len(events))

    @app.timer(interval=settings.tick_interval_s)
    async def tick() -> None:
        signals = runtime.engine.tick(time.time())
        await publish(signals)
        for brand in {s.brand for s in signals}:
            checkpoint(brand)

    @app.timer(interval=10.0)
    async def consumer_lag() -> None:
        """Records behind the head, per source topic, for the partitions this worker owns."""
        consumer = app.consumer
        read_offsets = getattr(consumer, "_read_offset", {})  # Faust keeps no public position API
        lag: dict[str, int] = {}
        for tp in consumer.assignment():
            try:
                head = consumer.highwater(tp)
            except Exception:  # noqa: BLE001 - partition not fetched yet; try next time
                continue
            if head is None:
                continue
            read = read_offsets.get(tp)
            lag[tp.topic] = lag.get(tp.topic, 0) + max(0, head - (read + 1 if read is not None else 0))
        for topic_name, behind in lag.items():
            metrics.set_consumer_lag(topic_name, behind)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        # Rendering many brands takes a while: keep it off the event loop the agents run on.
        body = await asyncio.to_thread(generate_latest)
        return web.bytes(body, content_type=METRICS_CONTENT_TYPE)

    @app.page("/healthz")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"ok": True, "brands": len(runtime.config.brands)})

    @app.page("/explain/{brand}")
    async def explain(web: Any, request: Any, brand: str) -> Any:
        if runtime.config.brand(brand) is None:
            return web.json({"error": f"unknown brand {brand!r}"}, status=404)
        if brand not in runtime.engine.brands():
            return web.json({"brand": brand, "owned_here": False})
        return web.json(runtime.engine.explain(brand))

    @app.on_partitions_revoked.connect
    async def on_revoked(app_: faust.App, revoked: set[Any], **_: Any) -> None:
        """Drop brands this worker no longer owns, so only their new owner ticks them."""
        lost = {tp.partition for tp in revoked if tp.topic == layout.name(topics.MENTIONS_ENRICHED)}
        for brand, partition in list(runtime.brand_partition.items()):
            if partition in lost:
                del runtime.brand_partition[brand]
                runtime.engine.forget(brand)
                metrics.reset_brand_gauges(brand)

    if on_app is not None:
        on_app(app, runtime)
    return app, runtime
