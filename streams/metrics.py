"""Prometheus metrics of every bohran stage, and the guards that keep their labels bounded.

Every metric series lives in worker memory and in Prometheus for as long as it exists, so a label fed
straight from input (a brand name in a tweet, a platform string, a channel name) would let anyone
with a keyboard grow both without limit. So every label value passes a guard chosen by the label's
name, inside `.labels()` itself: `brand` only ever takes configured brand ids (`_unknown` otherwise),
`platform` a fixed set, and every other label a fixed set or a short code shape our own code writes.
Using the objects directly (`MENTIONS.labels(p, s).inc()`) is therefore as safe as the helpers.

Per-brand state (negative share, baseline, detector scores, brand counters) is held in compact
tables rather than prometheus-client child objects: a child costs ~650 bytes and 10,000 brands x
5 detectors x 4 gauges would be ~300 MB of RSS and a multi-second scrape. A table row is a list of
floats; the table exports itself at scrape time. The objects keep the familiar surface
(`.labels(...).set()/.inc()`, `.remove(...)`, `.clear()`).

All objects live in prometheus-client's default registry: the worker serves
`prometheus_client.generate_latest()` at `/metrics` on its web port (6066).

Counters and histograms whose label values are a small known set are created at zero up front
(`init_series`, `set_configured_channels`): `rate()`/`increase()` cannot see the first increment of a
series that appears at 1, so a first config rejection, dead letter or notification latency would
otherwise never reach an alert rule or the dashboard.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import CollectorRegistry

from streams.signal import DETECTORS

# ---------------------------------------------------------------------------------------------------
# Bounded label values
# ---------------------------------------------------------------------------------------------------

UNKNOWN_BRAND = "_unknown"
OTHER = "other"

PLATFORMS = ("twitter", "x", "instagram", "telegram", "news", "web", "reddit", "youtube", OTHER)
MENTION_STATUSES = ("accepted", "rejected", "matched", "unmatched", "duplicate")
SENTIMENTS = ("negative", "neutral", "positive")
# `bohran_window_mentions` also carries sentiment="all": the detect stage's rolling state counts
# every mention and the negative ones, not each sentiment.
ALL_SENTIMENTS = "all"
STAGES = ("enrich", "detect", "alert")
SEVERITIES = ("info", "warning", "critical")
ALERT_TRANSITIONS = ("pending", "firing", "escalated", "resolved", "silenced", "inhibited", "acked")
NOTIFICATION_OUTCOMES = ("sent", "failed", "retried", "deduplicated", "dead_lettered")
CHANNEL_TYPES = ("slack", "email", "webhook", "alertmanager", "console")
CONFIG_RELOAD_RESULTS = ("applied", "rejected")
REDIS_OPERATIONS = ("dedupe", "state_read", "state_write", "silences", "checkpoint", OTHER)
# Stages that observe event lag / batch sizes, and the dead-letter reasons of stages after enrich:
# their histograms and counters are created at zero (see `init_series`).
EVENT_LAG_STAGES = ("enrich",)
BATCH_STAGES = ("enrich", "detect")
LATER_DLQ_REASONS = (("detect", "invalid_batch"), ("alert", "delivery_failed"))
# Reason codes `streams.mention` gives rejected input; created at zero for the enrich stage.
MENTION_REJECT_REASONS = (
    "invalid_json",
    "invalid_utf8",
    "empty_record",
    "record_too_large",
    "not_an_object",
    "missing_field",
    "wrong_type",
    "bad_timestamp",
    "text_too_long",
    "bidi_control",
)

# A machine code written by our own code: lowercase snake case, short.
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Kafka topic names and versions: legal characters, capped well below Kafka's 249.
_TOPIC = re.compile(r"^[A-Za-z0-9._+-]{1,120}$")
# Channel names from the config.
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _one_of(value: object, allowed: Sequence[str], fallback: str = OTHER) -> str:
    text = value.lower() if isinstance(value, str) else ""
    return text if text in allowed else fallback


def platform_label(platform: object) -> str:
    """A platform from the known set; anything else (including non-strings) is "other"."""
    return _one_of(platform, PLATFORMS)


def status_label(status: object) -> str:
    return _one_of(status, MENTION_STATUSES)


def sentiment_label(sentiment: object) -> str:
    return _one_of(sentiment, (*SENTIMENTS, ALL_SENTIMENTS))


def stage_label(stage: object) -> str:
    return _one_of(stage, STAGES)


def severity_label(severity: object) -> str:
    return _one_of(severity, SEVERITIES)


def detector_label(detector: object) -> str:
    return _one_of(detector, DETECTORS)


def transition_label(transition: object) -> str:
    return _one_of(transition, ALERT_TRANSITIONS)


def outcome_label(outcome: object) -> str:
    return _one_of(outcome, NOTIFICATION_OUTCOMES)


def redis_operation_label(operation: object) -> str:
    return _one_of(operation, REDIS_OPERATIONS)


def reload_result_label(result: object) -> str:
    return _one_of(result, CONFIG_RELOAD_RESULTS)


def reason_label(reason: object) -> str:
    """A DLQ reason code as our code writes it; free text (an exception message, input) becomes "other"."""
    return reason if isinstance(reason, str) and _CODE.match(reason) else OTHER


def topic_label(topic: object) -> str:
    return topic if isinstance(topic, str) and _TOPIC.match(topic) else OTHER


class LabelGuard:
    """A label whose legal values are what the running config names, plus fixed always-allowed ones.

    The configured set is replaced whole on each (re)load; a read is one frozenset lookup, so the hot
    path never locks and a reload swaps the set atomically.
    """

    def __init__(self, fallback: str, always: Iterable[str] = ()) -> None:
        self.fallback = fallback
        self._always = frozenset(always)
        self._configured: frozenset[str] = frozenset()

    @property
    def configured(self) -> frozenset[str]:
        return self._configured

    def set_configured(self, values: Iterable[str]) -> frozenset[str]:
        """Replace the configured values; returns those configured before and gone now."""
        new = frozenset(v for v in values if isinstance(v, str) and v)
        removed = self._configured - new
        self._configured = new
        return removed

    def label(self, value: object) -> str:
        if isinstance(value, str) and (value in self._configured or value in self._always):
            return value
        return self.fallback


class BrandLabels(LabelGuard):
    """The `brand` label: configured brand ids only, `_unknown` for anything else."""

    def __init__(self) -> None:
        super().__init__(fallback=UNKNOWN_BRAND)


BRAND_LABELS = BrandLabels()
CHANNEL_LABELS = LabelGuard(fallback=UNKNOWN_BRAND, always=CHANNEL_TYPES)


def brand_label(brand_id: object) -> str:
    """The brand id if it is configured, else "_unknown" — never an arbitrary input string."""
    return BRAND_LABELS.label(brand_id)


def channel_label(channel: object) -> str:
    """A configured channel name or a channel type, else "_unknown"."""
    return CHANNEL_LABELS.label(channel)


def version_label(version: object) -> str:
    return version if isinstance(version, str) and _TOPIC.match(version) else OTHER


# The guard for each label name. A metric with a label that has no guard cannot be constructed.
LABEL_GUARDS: dict[str, Callable[[object], str]] = {
    "brand": brand_label,
    "platform": platform_label,
    "status": status_label,
    "sentiment": sentiment_label,
    "stage": stage_label,
    "severity": severity_label,
    "detector": detector_label,
    "transition": transition_label,
    "outcome": outcome_label,
    "channel": channel_label,
    "reason": reason_label,
    "topic": topic_label,
    "operation": redis_operation_label,
    "result": reload_result_label,
    "version": version_label,
}

# Every value each label can take, for labels whose values are fixed (series removal enumerates these).
FIXED_LABEL_VALUES: dict[str, tuple[str, ...]] = {
    "sentiment": (*SENTIMENTS, ALL_SENTIMENTS, OTHER),
    "detector": (*DETECTORS, OTHER),
    "severity": (*SEVERITIES, OTHER),
    "outcome": (*NOTIFICATION_OUTCOMES, OTHER),
}


def _guards_for(name: str, labelnames: Sequence[str]) -> tuple[Callable[[object], str], ...]:
    missing = [n for n in labelnames if n not in LABEL_GUARDS]
    if missing:
        raise ValueError(f"{name}: labels {missing} have no guard in LABEL_GUARDS")
    return tuple(LABEL_GUARDS[n] for n in labelnames)


def _guarded_values(
    name: str, labelnames: Sequence[str], values: Sequence[object], kwargs: Mapping[str, object]
) -> tuple[str, ...]:
    if values and kwargs:
        raise ValueError("pass label values either by position or by name, not both")
    if kwargs:
        if sorted(kwargs) != sorted(labelnames):
            raise ValueError(f"{name}: label names are {list(labelnames)}, got {sorted(kwargs)}")
        values = [kwargs[n] for n in labelnames]
    if len(values) != len(labelnames):
        raise ValueError(f"{name}: expected {len(labelnames)} label values, got {len(values)}")
    return tuple(LABEL_GUARDS[n](v) for n, v in zip(labelnames, values, strict=True))


class _GuardedLabels:
    """Mixin for prometheus-client metrics: `.labels()` passes every value through its label's guard."""

    _labelnames: tuple[str, ...]
    _name: str

    def labels(self, *labelvalues: object, **labelkwargs: object):  # type: ignore[no-untyped-def]
        guarded = _guarded_values(self._name, self._labelnames, labelvalues, labelkwargs)
        return super().labels(*guarded)  # type: ignore[misc]


class GuardedCounter(_GuardedLabels, Counter):
    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str] = (), **kwargs: object
    ) -> None:
        _guards_for(name, labelnames)
        super().__init__(name, documentation, labelnames, **kwargs)  # type: ignore[arg-type]


class GuardedGauge(_GuardedLabels, Gauge):
    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str] = (), **kwargs: object
    ) -> None:
        _guards_for(name, labelnames)
        super().__init__(name, documentation, labelnames, **kwargs)  # type: ignore[arg-type]


class GuardedHistogram(_GuardedLabels, Histogram):
    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str] = (), **kwargs: object
    ) -> None:
        _guards_for(name, labelnames)
        super().__init__(name, documentation, labelnames, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# Compact per-brand tables
# ---------------------------------------------------------------------------------------------------

_NAN = math.nan


class StateTable:
    """Rows of floats keyed by label values; each column is one exported metric (NaN = not set)."""

    def __init__(self, labelnames: Sequence[str], columns: Sequence[str]) -> None:
        self.labelnames = tuple(labelnames)
        self.columns = tuple(columns)
        self.rows: dict[tuple[str, ...], list[float]] = {}

    def row(self, key: tuple[str, ...]) -> list[float]:
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = [_NAN] * len(self.columns)
        return row

    def clear_cell(self, key: tuple[str, ...], column: int) -> bool:
        """Unset one cell (dropping the row once it is empty); True if it held a value."""
        row = self.rows.get(key)
        if row is None:
            return False
        held = not math.isnan(row[column])
        row[column] = _NAN
        if all(math.isnan(v) for v in row):
            del self.rows[key]
        return held

    def __len__(self) -> int:
        return len(self.rows)


class TableCell:
    """One series of a table metric; what `.labels(...)` returns."""

    __slots__ = ("_column", "_counter", "_key", "_table")

    def __init__(self, table: StateTable, column: int, key: tuple[str, ...], counter: bool) -> None:
        self._table, self._column, self._key, self._counter = table, column, key, counter

    def set(self, value: float) -> None:
        if self._counter:
            raise TypeError("a counter cannot be set; use inc()")
        self._table.row(self._key)[self._column] = float(value)

    def inc(self, amount: float = 1.0) -> None:
        if self._counter and amount < 0:
            raise ValueError("counters can only be incremented by non-negative amounts")
        row = self._table.row(self._key)
        current = row[self._column]
        row[self._column] = (0.0 if math.isnan(current) else current) + float(amount)

    def dec(self, amount: float = 1.0) -> None:
        if self._counter:
            raise TypeError("a counter cannot be decremented")
        self.inc(-amount)

    def get(self) -> float | None:
        row = self._table.rows.get(self._key)
        if row is None or math.isnan(row[self._column]):
            return None
        return row[self._column]


class TableMetric:
    """A gauge or counter stored in one column of a `StateTable`, exported at scrape time."""

    def __init__(
        self,
        name: str,
        documentation: str,
        table: StateTable,
        column: str,
        kind: str = "gauge",
        registry: CollectorRegistry | None = REGISTRY,
    ) -> None:
        if kind not in ("gauge", "counter"):
            raise ValueError("kind must be gauge or counter")
        if kind == "counter":
            name = name.removesuffix("_total")
        _guards_for(name, table.labelnames)
        self.name, self.documentation, self.kind = name, documentation, kind
        self.table = table
        self.labelnames = table.labelnames
        self._column = table.columns.index(column)
        if registry is not None:
            registry.register(self)

    def labels(self, *labelvalues: object, **labelkwargs: object) -> TableCell:
        key = _guarded_values(self.name, self.labelnames, labelvalues, labelkwargs)
        return TableCell(self.table, self._column, key, self.kind == "counter")

    def remove(self, *labelvalues: object) -> bool:
        """Drop one series; values are taken as given (a brand removed from the config is no longer legal).

        Returns True if the series existed.
        """
        if len(labelvalues) != len(self.labelnames):
            raise ValueError(
                f"{self.name}: expected {len(self.labelnames)} label values, got {len(labelvalues)}"
            )
        return self.table.clear_cell(tuple(str(v) for v in labelvalues), self._column)

    def clear(self) -> None:
        for key in list(self.table.rows):
            self.table.clear_cell(key, self._column)

    def _family(self) -> Metric:
        if self.kind == "counter":
            return CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        return GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def describe(self) -> list[Metric]:
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        column = self._column
        for key, row in list(self.table.rows.items()):  # a snapshot: a scrape thread may run beside updates
            value = row[column]
            if not math.isnan(value):
                family.add_metric(key, value)
        yield family


# ---------------------------------------------------------------------------------------------------
# The metrics
# ---------------------------------------------------------------------------------------------------

EVENT_LAG_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
NOTIFICATION_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60)
BATCH_SIZE_BUCKETS = (1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000)

BRAND_TABLE = StateTable(["brand"], ["negative_share", "baseline_negative_share", "reach"])
BRAND_SENTIMENT_TABLE = StateTable(["brand", "sentiment"], ["mentions", "window_mentions"])
DETECTOR_TABLE = StateTable(["brand", "detector"], ["score", "threshold", "expected", "observed"])
ALERT_ACTIVE_TABLE = StateTable(["brand", "detector", "severity"], ["active"])

# Mentions and brands
MENTIONS = GuardedCounter(
    "bohran_mentions_total",
    "Mentions seen by the enrich stage: accepted|rejected at validation, matched|unmatched to a brand.",
    ["platform", "status"],
)
BRAND_MENTIONS = TableMetric(
    "bohran_brand_mentions_total",
    "Mentions matched to a configured brand, by sentiment.",
    BRAND_SENTIMENT_TABLE,
    "mentions",
    kind="counter",
)
BRAND_REACH = TableMetric(
    "bohran_brand_reach_total",
    "Summed estimated reach of a brand's mentions.",
    BRAND_TABLE,
    "reach",
    kind="counter",
)

# Dead letters and lateness
DLQ = GuardedCounter(
    "bohran_dlq_total", "Records sent to a dead-letter topic, by stage and reason code.", ["stage", "reason"]
)
LATE_EVENTS = GuardedCounter(
    "bohran_late_events_total",
    "Events later than the allowed lateness: counted, dropped from detection.",
    ["stage"],
)

# Per-brand detection state (set by the detect stage after each evaluation)
NEGATIVE_SHARE = TableMetric(
    "bohran_negative_share",
    "Share of negative mentions in the current window.",
    BRAND_TABLE,
    "negative_share",
)
BASELINE_NEGATIVE_SHARE = TableMetric(
    "bohran_baseline_negative_share",
    "Normal negative share for this hour of week (the baseline).",
    BRAND_TABLE,
    "baseline_negative_share",
)
WINDOW_MENTIONS = TableMetric(
    "bohran_window_mentions",
    "Mentions in the detector window (5 minutes by default) of event time; sentiment=all counts every mention.",
    BRAND_SENTIMENT_TABLE,
    "window_mentions",
)
SPIKE_SCORE = TableMetric(
    "bohran_spike_score", "Detector statistic at the last evaluation.", DETECTOR_TABLE, "score"
)
DETECTOR_THRESHOLD = TableMetric(
    "bohran_detector_threshold",
    "Score the detector must reach to fire (brand overrides applied).",
    DETECTOR_TABLE,
    "threshold",
)
DETECTOR_EXPECTED = TableMetric(
    "bohran_detector_expected",
    "What the baseline expects in the detector's window.",
    DETECTOR_TABLE,
    "expected",
)
DETECTOR_OBSERVED = TableMetric(
    "bohran_detector_observed", "What the detector's window holds.", DETECTOR_TABLE, "observed"
)
ALERT_ACTIVE = TableMetric(
    "bohran_alert_active",
    "1 while an alert for brand+detector is active at this severity; absent otherwise.",
    ALERT_ACTIVE_TABLE,
    "active",
)

# Alert lifecycle and delivery
ALERTS = GuardedCounter("bohran_alerts_total", "Alert lifecycle transitions.", ["transition", "severity"])
NOTIFICATIONS = GuardedCounter(
    "bohran_notifications_total",
    "Delivery attempts by channel: sent, failed (an attempt failed), retried (a retry scheduled), "
    "deduplicated (idempotency key already set), dead_lettered (gave up, to alerts-dlq).",
    ["channel", "outcome"],
)
NOTIFICATION_LATENCY = GuardedHistogram(
    "bohran_notification_latency_seconds",
    "Time from the alert decision to the channel accepting the notification.",
    ["channel"],
    buckets=NOTIFICATION_LATENCY_BUCKETS,
)

# Pipeline health
EVENT_LAG = GuardedHistogram(
    "bohran_event_lag_seconds",
    "Event time (created_at) to processed by the stage.",
    ["stage"],
    buckets=EVENT_LAG_BUCKETS,
)
CONFIG_RELOADS = GuardedCounter(
    "bohran_config_reloads_total", "Config (re)load attempts by result.", ["result"]
)
CONFIG_LAST_RELOAD = GuardedGauge(
    "bohran_config_last_reload_timestamp_seconds",
    "Unix time the running config was applied (startup included).",
)
REDIS_FAILOPEN = GuardedCounter(
    "bohran_redis_failopen_total", "Redis calls that failed and were answered fail-open.", ["operation"]
)
CONSUMER_LAG = GuardedGauge(
    "bohran_consumer_lag", "Records behind the log end, summed over this worker's partitions.", ["topic"]
)
BATCHES = GuardedCounter("bohran_batches_total", "Batches processed by a stage.", ["stage"])
BATCH_SIZE = GuardedHistogram(
    "bohran_batch_size", "Records per processed batch.", ["stage"], buckets=BATCH_SIZE_BUCKETS
)

# Identity
WORKER_INFO = GuardedGauge("bohran_worker_info", "Always 1; the version label says what runs.", ["version"])
BRANDS_CONFIGURED = GuardedGauge("bohran_brands_configured", "Brands in the running config.")

PER_BRAND_GAUGES: tuple[TableMetric, ...] = (
    NEGATIVE_SHARE,
    BASELINE_NEGATIVE_SHARE,
    WINDOW_MENTIONS,
    SPIKE_SCORE,
    DETECTOR_THRESHOLD,
    DETECTOR_EXPECTED,
    DETECTOR_OBSERVED,
    ALERT_ACTIVE,
)
PER_BRAND_COUNTERS: tuple[TableMetric, ...] = (BRAND_MENTIONS, BRAND_REACH)


def all_metrics() -> dict[str, MetricWrapperBase | TableMetric]:
    """Every bohran metric object by its module-level name."""
    return {name: obj for name, obj in globals().items() if isinstance(obj, MetricWrapperBase | TableMetric)}


def metric_catalog() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Base metric name (as in the exposition's TYPE line) -> (type, label names), for tests and docs."""
    catalog = {}
    for obj in all_metrics().values():
        if isinstance(obj, TableMetric):
            catalog[obj.name] = (obj.kind, obj.labelnames)
        else:
            catalog[obj._name] = (obj._type, tuple(obj._labelnames))  # prometheus-client keeps these private
    return catalog


# ---------------------------------------------------------------------------------------------------
# Series management
# ---------------------------------------------------------------------------------------------------


def init_series() -> None:
    """Create at zero every series whose label values are a small fixed set (see module docstring)."""
    for platform in PLATFORMS:
        for status in MENTION_STATUSES:
            MENTIONS.labels(platform, status)
    for reason in MENTION_REJECT_REASONS:
        DLQ.labels("enrich", reason)
    for stage, reason in LATER_DLQ_REASONS:
        DLQ.labels(stage, reason)
    for stage in STAGES:
        LATE_EVENTS.labels(stage)
        BATCHES.labels(stage)
    # Histograms too: a quantile over rate() is NaN until a bucket has been seen to grow.
    for stage in EVENT_LAG_STAGES:
        EVENT_LAG.labels(stage)
    for stage in BATCH_STAGES:
        BATCH_SIZE.labels(stage)
    for transition in ALERT_TRANSITIONS:
        for severity in SEVERITIES:
            ALERTS.labels(transition, severity)
    for result in CONFIG_RELOAD_RESULTS:
        CONFIG_RELOADS.labels(result)
    for operation in REDIS_OPERATIONS:
        REDIS_FAILOPEN.labels(operation)


def _keys_for_brand(table: StateTable, brand: str) -> Iterator[tuple[str, ...]]:
    """Every key of `table` that `brand` can have (other labels of a per-brand table take fixed values)."""
    keys: list[tuple[str, ...]] = [(brand,)]
    for name in table.labelnames[1:]:
        keys = [(*key, value) for key in keys for value in FIXED_LABEL_VALUES[name]]
    return iter(keys)


def reset_brand_gauges(brand: str) -> int:
    """Drop the brand's per-brand gauges: brand removed by a reload, or its partition moved to another worker.

    A stale gauge would keep showing the last negative share or an active alert for a brand this
    worker no longer evaluates. Returns the number of series removed.
    """
    return sum(
        gauge.remove(*key) for gauge in PER_BRAND_GAUGES for key in _keys_for_brand(gauge.table, brand)
    )


def forget_brand(brand: str) -> int:
    """Drop every series of the brand, counters included (a brand deleted from the config for good)."""
    removed = reset_brand_gauges(brand)
    return removed + sum(
        counter.remove(*key)
        for counter in PER_BRAND_COUNTERS
        for key in _keys_for_brand(counter.table, brand)
    )


def set_configured_brands(brand_ids: Iterable[str]) -> frozenset[str]:
    """Make `brand_ids` the legal `brand` label values, and the brands whose series exist.

    Configured brands get their mention and reach counters at zero, so a brand that has said nothing
    since the worker started still exists (the brand-silent alert and the dashboard's brand list
    need that). Removed brands lose every series, counters included, so they are not mistaken for
    a brand gone silent. Returns the removed ids.
    """
    removed = BRAND_LABELS.set_configured(brand_ids)
    for brand in removed:
        forget_brand(brand)
    for brand in BRAND_LABELS.configured:
        for sentiment in SENTIMENTS:
            BRAND_MENTIONS.labels(brand, sentiment).inc(0)
        BRAND_REACH.labels(brand).inc(0)
    BRANDS_CONFIGURED.set(len(BRAND_LABELS.configured))
    return removed


def set_configured_channels(channel_names: Iterable[str]) -> frozenset[str]:
    """Make configured channel names legal `channel` values; their notification counters start at zero."""
    names = [n for n in channel_names if isinstance(n, str) and _CHANNEL_NAME.match(n)]
    removed = CHANNEL_LABELS.set_configured(names)
    for name in removed:
        for outcome in FIXED_LABEL_VALUES["outcome"]:
            NOTIFICATIONS.remove(name, outcome)
        NOTIFICATION_LATENCY.remove(name)
    for name in names:
        for outcome in NOTIFICATION_OUTCOMES:
            NOTIFICATIONS.labels(name, outcome)
        # The latency histogram too: created by its first observation, a channel's first page (often
        # its only one for hours) would be invisible to rate() and so to the latency panel.
        NOTIFICATION_LATENCY.labels(name)
    return removed


def set_worker_info(version: str) -> None:
    WORKER_INFO.clear()
    WORKER_INFO.labels(version).set(1)


# ---------------------------------------------------------------------------------------------------
# Recording helpers
# ---------------------------------------------------------------------------------------------------


def count_mentions(platform: object, status: object, n: int = 1) -> None:
    MENTIONS.labels(platform, status).inc(n)


def count_brand_mentions(brand: object, sentiment: object, n: int = 1, reach: float = 0.0) -> None:
    BRAND_MENTIONS.labels(brand, sentiment).inc(n)
    if reach > 0:
        BRAND_REACH.labels(brand).inc(reach)


def count_dlq(stage: object, reason: object, n: int = 1) -> None:
    DLQ.labels(stage, reason).inc(n)


def count_late_events(stage: object, n: int = 1) -> None:
    LATE_EVENTS.labels(stage).inc(n)


def observe_event_lag(stage: object, lag_seconds: float) -> None:
    """Event time to processed; a negative lag (producer clock ahead) is recorded as 0."""
    EVENT_LAG.labels(stage).observe(max(0.0, lag_seconds))


def observe_batch(stage: object, size: int) -> None:
    BATCHES.labels(stage).inc()
    BATCH_SIZE.labels(stage).observe(size)


def set_brand_window(
    brand: object, negative_share: float, baseline_share: float, window_counts: Mapping[str, float]
) -> None:
    """The brand's current window: negative share, its baseline, and mention counts by sentiment.

    `window_counts` keys are sentiments or "all"; only the keys given are set.
    """
    NEGATIVE_SHARE.labels(brand).set(negative_share)
    BASELINE_NEGATIVE_SHARE.labels(brand).set(baseline_share)
    for sentiment, count in window_counts.items():
        WINDOW_MENTIONS.labels(brand, sentiment).set(count)


def observe_brand(explained: Mapping[str, Any]) -> None:
    """Publish one brand's detection state, as `DetectionEngine.explain(brand)` describes it.

    Called after each evaluation of the brand. Disabled detectors lose their series, so a detector
    turned off by a reload does not keep showing its last score.
    """
    if not explained.get("known"):
        return
    brand = explained.get("brand")
    window = explained.get("window") or {}
    baseline = explained.get("baseline") or {}
    set_brand_window(
        brand,
        float(window.get("negative_share", 0.0)),
        float(baseline.get("negative_share", 0.0)),
        {ALL_SENTIMENTS: float(window.get("total", 0)), "negative": float(window.get("negative", 0))},
    )
    for detector, state in (explained.get("detectors") or {}).items():
        if state.get("enabled") and "score" in state:
            set_detector_state(
                brand,
                detector,
                float(state["score"]),
                float(state["threshold"]),
                float(state.get("observed", 0.0)),
                float(state.get("expected", 0.0)),
            )
        else:
            key = (brand_label(brand), detector_label(detector))
            for gauge in (SPIKE_SCORE, DETECTOR_THRESHOLD, DETECTOR_OBSERVED, DETECTOR_EXPECTED):
                gauge.remove(*key)


def set_detector_state(
    brand: object, detector: object, score: float, threshold: float, observed: float, expected: float
) -> None:
    SPIKE_SCORE.labels(brand, detector).set(score)
    DETECTOR_THRESHOLD.labels(brand, detector).set(threshold)
    DETECTOR_OBSERVED.labels(brand, detector).set(observed)
    DETECTOR_EXPECTED.labels(brand, detector).set(expected)


def set_alert_active(brand: object, detector: object, severity: object | None) -> None:
    """Mark brand+detector active at `severity`; any other severity's series goes. None: no active alert."""
    key = _guarded_values(ALERT_ACTIVE.name, ("brand", "detector"), (brand, detector), {})
    active = severity_label(severity) if severity is not None else None
    for level in FIXED_LABEL_VALUES["severity"]:
        if level == active:
            ALERT_ACTIVE.labels(*key, level).set(1)
        else:
            ALERT_ACTIVE.remove(*key, level)


def record_alert_transition(transition: object, severity: object) -> None:
    ALERTS.labels(transition, severity).inc()


def record_notification(channel: object, outcome: object, latency_seconds: float | None = None) -> None:
    NOTIFICATIONS.labels(channel, outcome).inc()
    if latency_seconds is not None:
        NOTIFICATION_LATENCY.labels(channel).observe(max(0.0, latency_seconds))


def record_config_reload(applied: bool, at: float | None = None) -> None:
    """Count a (re)load attempt; an applied one also stamps the last-reload time."""
    CONFIG_RELOADS.labels("applied" if applied else "rejected").inc()
    if applied:
        CONFIG_LAST_RELOAD.set(time.time() if at is None else at)


def count_redis_failopen(operation: object) -> None:
    REDIS_FAILOPEN.labels(operation).inc()


def set_consumer_lag(topic: object, lag: int) -> None:
    CONSUMER_LAG.labels(topic).set(max(0, lag))


# `_created` series double every counter and histogram in Prometheus and nothing here reads them.
disable_created_metrics()
init_series()
