"""Backtest: replay history through the same enrichment + detection core the worker runs.

Pure (no files, no clocks): callers hand in mentions (or a count series) and labels, and get back
the signals that would have fired and, with labels, how good that was:

- `Backtest(config).run(mentions)` drives mentions -> enrichment -> `BrandBatch` -> `DetectionEngine`
  in event-time steps, using the stream's own newest event time as the wall clock (so quiet brands
  tick and resolve exactly as they would live).
- `score(result, labels)` -> precision, recall, detection delay (median, p90) per scenario kind,
  false pages per brand-week. A *page* is an incident (brand + detector + start) once its severity
  reaches warning; info signals (a positive campaign's volume spike, a big account merely
  complaining) are never pages.
- `backtest_counts(rows, windows)` for a single count series (CSV `timestamp,value`): every value is
  treated as that interval's complaint count, and windows are widened to the series' interval.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from streams.brand_batch import BrandBatch, MinuteAggregate
from streams.config import BrandConfig, StreamsConfig
from streams.detection import DetectionEngine
from streams.detection_config import DetectionOverrides
from streams.mention import InvalidMention, Mention, parse_mention, parse_time
from streams.signal import SEVERITY_RANK, Signal

DEFAULT_STEP_SECONDS = 60.0
MATCH_BEFORE_SECONDS = 120.0  # a page this soon before a labelled onset still counts (clock skew)
MATCH_AFTER_SECONDS = 1800.0  # ... and this long after its end (the tail of an incident)
PAGE_SEVERITIES = ("warning", "critical")


# ---------------------------------------------------------------------------------------------
# Enrichment: one function, so the adapter can be swapped.


def make_enricher(config: StreamsConfig) -> Callable[[list[Mention]], list[BrandBatch]]:
    """mentions -> per-brand batches, with the worker's own enrich stage."""
    from streams.enrichment import Enricher

    enricher = Enricher(config)

    def enrich(mentions: list[Mention]) -> list[BrandBatch]:
        return enricher.enrich_batch(mentions).batches

    return enrich


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(slots=True)
class Page:
    """An incident of one detector on one brand, from the moment it reached warning severity."""

    brand: str
    detector: str
    started_at: float  # the incident's start (condition first held)
    paged_at: float  # event time it became a page
    severity: str
    score: float
    summary: str
    flags: list[str] = field(default_factory=list)
    label: int | None = None  # index of the matched label, if any

    def to_dict(self) -> dict[str, Any]:
        return {
            "timestamp": _iso(self.paged_at),
            "brand": self.brand,
            "detector": self.detector,
            "severity": self.severity,
            "started_at": _iso(self.started_at),
            "score": round(self.score, 3),
            "flags": self.flags,
            "summary": self.summary,
        }


@dataclass(slots=True)
class BacktestResult:
    signals: list[Signal] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    mentions: int = 0
    accepted: int = 0
    late: int = 0
    brands: list[str] = field(default_factory=list)
    first_event: float | None = None
    last_event: float | None = None
    worker_cpu_seconds: float = 0.0  # parsing + enrichment CPU in worker processes (parallel runs)

    @property
    def weeks(self) -> float:
        if self.first_event is None or self.last_event is None:
            return 0.0
        return max(self.last_event - self.first_event, 60.0) / (7 * 86400.0)


class PageTracker:
    """Turns the signal stream into pages: one per incident, when it first reaches warning."""

    def __init__(self) -> None:
        self.pages: list[Page] = []
        self._paged: set[tuple[str, str, float]] = set()

    def add(self, signal: Signal) -> Page | None:
        if signal.status != "firing" or SEVERITY_RANK[signal.severity] < SEVERITY_RANK["warning"]:
            return None
        key = (signal.brand, signal.detector, signal.started_at)
        if key in self._paged:
            return None
        self._paged.add(key)
        page = Page(
            brand=signal.brand,
            detector=signal.detector,
            started_at=signal.started_at,
            paged_at=signal.evaluated_at,
            severity=signal.severity,
            score=signal.score,
            summary=signal.summary,
            flags=list(signal.flags),
        )
        self.pages.append(page)
        return page


# ---------------------------------------------------------------------------------------------
# Mention replay


class Backtest:
    """Replays mentions in event-time steps through enrichment and the detection engine."""

    def __init__(
        self,
        config: StreamsConfig,
        *,
        step_seconds: float = DEFAULT_STEP_SECONDS,
        enrich: Callable[[list[Mention]], list[BrandBatch]] | None = None,
        on_signal: Callable[[Signal], None] | None = None,
        keep_signals: bool = True,
    ) -> None:
        self.config = config
        self.engine = DetectionEngine(config)
        self.enrich = enrich or make_enricher(config)
        self.step = step_seconds
        self.on_signal = on_signal
        self.keep_signals = keep_signals
        self.tracker = PageTracker()
        self.result = BacktestResult()
        self._wall = -math.inf

    def run(
        self, mentions: Iterable[Mention], progress: Callable[[int], None] | None = None
    ) -> BacktestResult:
        chunk: list[Mention] = []
        step_end: float | None = None
        for mention in mentions:
            ts = mention.created_at
            if step_end is None:
                step_end = (ts // self.step + 1) * self.step
            if ts >= step_end:
                self._flush(chunk)
                if progress is not None:
                    progress(len(chunk))
                chunk = []
                step_end = self._advance(step_end, ts)
            chunk.append(mention)
        self._flush(chunk)
        if progress is not None and chunk:
            progress(len(chunk))
        if step_end is not None:
            self._tick_through(step_end + 4 * 3600.0)  # let open incidents resolve after the data ends
        self.result.pages = self.tracker.pages
        self.result.brands = self.engine.brands()
        return self.result

    def _advance(self, step_end: float, ts: float) -> float:
        """Tick through empty steps up to the one holding `ts`; return that step's end."""
        target = (ts // self.step + 1) * self.step
        self._tick_through(target - self.step)
        return target

    def _tick_through(self, until: float) -> None:
        if self._wall == -math.inf:
            return
        t = self._wall + self.step
        while t <= until:
            self._wall = t
            self._emit(self.engine.tick(t))
            t += self.step

    def _flush(self, chunk: list[Mention]) -> None:
        if not chunk:
            return
        newest = max(m.created_at for m in chunk)
        oldest = min(m.created_at for m in chunk)
        self._step(newest, oldest, len(chunk), self.enrich(chunk))

    def _step(self, newest: float, oldest: float, count: int, batches: Iterable[BrandBatch]) -> None:
        result = self.result
        result.mentions += count
        if result.first_event is None or oldest < result.first_event:
            result.first_event = oldest
        if result.last_event is None or newest > result.last_event:
            result.last_event = newest
        self._process(newest, batches)

    def run_lines(
        self,
        lines: Iterable[bytes | str],
        *,
        workers: int = 1,
        chunk_lines: int = 20_000,
        errors: list[str] | None = None,
    ) -> BacktestResult:
        """JSONL lines -> result. With workers > 1, validation and enrichment run in worker processes
        on chunks of lines while this process runs detection on their output, in order."""
        if workers <= 1:
            return self.run(read_mentions(lines, errors=errors))
        import multiprocessing as mp
        from collections import deque
        from itertools import islice

        # A fork server (not a plain fork: the caller may run a progress-bar thread) that has already
        # imported the enrichment code, so each worker starts in milliseconds, not seconds.
        if "forkserver" in mp.get_all_start_methods():
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(["streams.backtest", "streams.enrichment"])
        else:
            ctx = mp.get_context("spawn")
        step_end: float | None = None
        iterator = iter(lines)
        with ctx.Pool(workers, initializer=_worker_init, initargs=(self.config,)) as pool:
            pending: deque[Any] = deque()
            exhausted = False
            while pending or not exhausted:
                while not exhausted and len(pending) < workers * 2:  # bounded read-ahead
                    chunk = list(islice(iterator, chunk_lines))
                    if not chunk:
                        exhausted = True
                        break
                    pending.append(pool.apply_async(_worker_chunk, (chunk, self.step)))
                if not pending:
                    break
                steps, chunk_errors, cpu = pending.popleft().get()
                self.result.worker_cpu_seconds += cpu
                if errors is not None:
                    errors.extend(chunk_errors)
                for newest, oldest, count, batches in steps:
                    if step_end is not None and newest >= step_end:
                        self._tick_through((newest // self.step) * self.step)
                    step_end = (newest // self.step + 1) * self.step
                    self._step(newest, oldest, count, batches)
        if step_end is not None:
            self._tick_through(step_end + 4 * 3600.0)
        self.result.pages = self.tracker.pages
        self.result.brands = self.engine.brands()
        return self.result

    def replay(self, steps: Iterable[tuple[float, list[BrandBatch]]]) -> BacktestResult:
        """Run already-enriched steps (newest event time, that step's batches) through detection."""
        last = None
        for newest, batches in steps:
            if last is not None:
                target = (newest // self.step) * self.step
                self._tick_through(target)
            result = self.result
            result.mentions += sum(b.mentions for b in batches)
            if result.first_event is None:
                result.first_event = min((min(b.minutes) for b in batches if b.minutes), default=newest)
            result.last_event = newest
            self._process(newest, batches)
            last = newest
        if last is not None:
            self._tick_through(last + 4 * 3600.0)
        self.result.pages = self.tracker.pages
        self.result.brands = self.engine.brands()
        return self.result

    def _process(self, newest: float, batches: Iterable[BrandBatch]) -> None:
        result = self.result
        self._wall = max(self._wall, newest)
        wall = self._wall
        touched: list[str] = []
        for batch in batches:
            ingested = self.engine.ingest(batch, wall_now=wall)
            result.accepted += ingested.accepted
            result.late += ingested.late
            if batch.brand not in touched:
                touched.append(batch.brand)
        for brand in touched:
            self._emit(self.engine.evaluate(brand, wall_now=wall))
        self._emit(self.engine.tick(wall))

    def _emit(self, signals: list[Signal]) -> None:
        for signal in signals:
            if self.keep_signals:
                self.result.signals.append(signal)
            self.tracker.add(signal)
            if self.on_signal is not None:
                self.on_signal(signal)


_worker_enrich: Callable[[list[Mention]], list[BrandBatch]] | None = None


def _worker_init(config: StreamsConfig) -> None:
    global _worker_enrich
    _worker_enrich = make_enricher(config)


def _worker_chunk(
    lines: list[bytes | str], step: float
) -> tuple[list[tuple[float, float, int, list[BrandBatch]]], list[str], float]:
    """One chunk of JSONL lines -> per-step (newest, oldest, count, batches), split like `Backtest.run`."""
    assert _worker_enrich is not None
    cpu_start = time.process_time()
    errors: list[str] = []
    steps: list[tuple[float, float, int, list[BrandBatch]]] = []
    chunk: list[Mention] = []
    step_end: float | None = None

    def flush() -> None:
        if chunk:
            times = [m.created_at for m in chunk]
            steps.append((max(times), min(times), len(chunk), _worker_enrich(chunk)))  # type: ignore[misc]

    for mention in read_mentions(lines, errors=errors):
        ts = mention.created_at
        if step_end is None:
            step_end = (ts // step + 1) * step
        if ts >= step_end:
            flush()
            chunk = []
            step_end = (ts // step + 1) * step
        chunk.append(mention)
    flush()
    return steps, errors, time.process_time() - cpu_start


def read_mentions(lines: Iterable[str | bytes], *, errors: list[str] | None = None) -> Iterator[Mention]:
    """JSONL (one mention or a JSON array per line) -> valid mentions; bad lines noted in `errors`."""
    for line_no, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            line = line.decode("utf-8", errors="replace")
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            if errors is not None:
                errors.append(f"line {line_no}: not JSON")
            continue
        for item in value if isinstance(value, list) else (value,):
            try:
                yield parse_mention(item)
            except InvalidMention as exc:
                if errors is not None:
                    errors.append(f"line {line_no}: {exc.reason}: {exc.detail}")


# ---------------------------------------------------------------------------------------------
# Labels and scoring


@dataclass(frozen=True, slots=True)
class LabelWindow:
    brand: str | None  # None: applies to any brand (single-series mode)
    kind: str
    start: float
    end: float
    crisis: bool = True


def parse_labels(items: Iterable[dict[str, Any] | Sequence[Any]]) -> list[LabelWindow]:
    """Label objects {brand, kind, start, end, crisis?} or [start, end] pairs."""
    out: list[LabelWindow] = []
    for item in items:
        if isinstance(item, dict):
            out.append(
                LabelWindow(
                    brand=item.get("brand"),
                    kind=str(item.get("kind", "incident")),
                    start=parse_timestamp(item["start"]),
                    end=parse_timestamp(item["end"]),
                    crisis=bool(item.get("crisis", True)),
                )
            )
        else:
            start, end = item[0], item[1]
            out.append(LabelWindow(None, "incident", parse_timestamp(start), parse_timestamp(end)))
    return out


def parse_timestamp(value: Any) -> float:
    """RFC 3339, 'YYYY-MM-DD HH:MM:SS[.ffffff]' (taken as UTC) or epoch seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_time(text)
    except InvalidMention:
        pass
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def score(
    pages: list[Page], labels: list[LabelWindow], *, brands: Sequence[str] = (), weeks: float = 1.0
) -> dict[str, Any]:
    """Match pages to labels; precision, recall, delays, false pages per brand-week."""
    for page in pages:
        page.label = None
        for i, label in enumerate(labels):
            if label.brand is not None and label.brand != page.brand:
                continue
            if label.start - MATCH_BEFORE_SECONDS <= page.paged_at <= label.end + MATCH_AFTER_SECONDS:
                if label.crisis:
                    page.label = i
                    break
                if page.label is None:
                    page.label = -1 - i  # inside a non-crisis window: a false page, attributed
    crisis = [i for i, lab in enumerate(labels) if lab.crisis]
    first_page: dict[int, float] = {}
    for page in pages:
        if page.label is not None and page.label >= 0:
            prev = first_page.get(page.label)
            if prev is None or page.paged_at < prev:
                first_page[page.label] = page.paged_at
    delays: dict[str, list[float]] = {}
    missed: list[dict[str, Any]] = []
    detail: list[dict[str, Any]] = []
    for i in crisis:
        label = labels[i]
        item: dict[str, Any] = {"brand": label.brand, "kind": label.kind, "start": _iso(label.start)}
        if i in first_page:
            delay = max(0.0, first_page[i] - label.start) / 60.0
            delays.setdefault(label.kind, []).append(delay)
            first = min((p for p in pages if p.label == i), key=lambda p: p.paged_at)
            item.update(delay_min=round(delay, 2), detector=first.detector, severity=first.severity)
        else:
            missed.append(dict(item))
            item["delay_min"] = None
        detail.append(item)
    true_pages = sum(1 for p in pages if p.label is not None and p.label >= 0)
    false = [p for p in pages if p.label is None or p.label < 0]
    all_delays = [d for ds in delays.values() for d in ds]
    n_brands = max(1, len(brands) or len({lab.brand for lab in labels if lab.brand}) or 1)
    by_kind: dict[str, Any] = {}
    for kind in sorted({labels[i].kind for i in crisis}):
        total = sum(1 for i in crisis if labels[i].kind == kind)
        ds = delays.get(kind, [])
        by_kind[kind] = {
            "labels": total,
            "detected": len(ds),
            "recall": round(len(ds) / total, 4) if total else None,
            "delay_min_median": _round(_quantile(ds, 0.5)),
            "delay_min_p90": _round(_quantile(ds, 0.9)),
        }
    non_crisis_pages = sum(1 for p in pages if p.label is not None and p.label < 0)
    false_by_brand: dict[str, int] = {}
    for page in false:
        false_by_brand[page.brand] = false_by_brand.get(page.brand, 0) + 1
    return {
        "labels": len(crisis),
        "detected": len(first_page),
        "recall": round(len(first_page) / len(crisis), 4) if crisis else None,
        "pages": len(pages),
        "true_pages": true_pages,
        "false_pages": len(false),
        "false_pages_in_non_crisis_windows": non_crisis_pages,
        "precision": round(true_pages / len(pages), 4) if pages else None,
        "false_pages_per_brand_week": round(len(false) / n_brands / max(weeks, 1e-9), 3),
        "false_pages_by_brand": false_by_brand,
        "delay_min_median": _round(_quantile(all_delays, 0.5)),
        "delay_min_p90": _round(_quantile(all_delays, 0.9)),
        "by_kind": by_kind,
        "missed": missed,
        "labels_detail": detail,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------
# Single count series


SERIES_BRAND = "series"


@dataclass(slots=True)
class CountsResult:
    alerts: list[dict[str, Any]]
    pages: list[Page]
    signals: list[Signal]
    interval_seconds: float
    rows: int


def parse_counts_csv(lines: Iterable[str]) -> list[tuple[float, float, str]]:
    """CSV with header `timestamp,value` -> [(epoch seconds, value, original timestamp text)]."""
    rows: list[tuple[float, float, str]] = []
    header_seen = False
    for line_no, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p.strip().strip('"') for p in line.split(",")]
        if not header_seen:
            header_seen = True
            if parts[0].lower() == "timestamp":
                continue
        if len(parts) < 2:
            raise ValueError(f"line {line_no}: expected 'timestamp,value'")
        try:
            value = float(parts[1]) if parts[1] else 0.0
        except ValueError:
            raise ValueError(f"line {line_no}: value {parts[1]!r} is not a number") from None
        try:
            ts = parse_timestamp(parts[0])
        except ValueError:
            raise ValueError(f"line {line_no}: timestamp {parts[0]!r} is not a time") from None
        rows.append((ts, value if math.isfinite(value) else 0.0, parts[0]))
    rows.sort(key=lambda r: r[0])
    return rows


def series_interval(rows: Sequence[tuple[float, float, str]]) -> float:
    """The series' sampling interval: the median gap, at least a minute, whole minutes."""
    gaps = [b[0] - a[0] for a, b in zip(rows, rows[1:], strict=False) if b[0] > a[0]]
    if not gaps:
        return 60.0
    return max(60.0, round(statistics.median(gaps) / 60.0) * 60.0)


# Counts mode judges sustained excess: windows of at least ~15 minutes (three 5-minute samples: one
# odd sample is not a crisis) and no slow burn (a bare count's level wanders for reasons it cannot show).
COUNTS_TUNING: dict[str, Any] = {
    "window_target_minutes": 15,
    "fast": False,
    "pending_intervals": 0,
    "slow_burn": False,
}


def counts_config(base: StreamsConfig | None, interval_seconds: float) -> StreamsConfig:
    """Detection for one count series: every value is complaints, windows at least one interval."""
    base = base or StreamsConfig()
    interval = int(interval_seconds // 60)
    detection = base.detection.model_dump()
    tuning = COUNTS_TUNING
    intervals = max(1, math.ceil(tuning["window_target_minutes"] / interval))
    for name in ("negative_volume", "total_volume"):
        detection[name]["window_minutes"] = max(detection[name]["window_minutes"], interval * intervals)
    nv = detection["negative_volume"]
    nv["fast_window_minutes"] = interval if tuning["fast"] and interval < nv["window_minutes"] else 0
    nv["pending_minutes"] = max(nv["pending_minutes"], interval * tuning["pending_intervals"])
    detection["slow_burn"]["enabled"] = tuning["slow_burn"]
    detection["negative_volume"]["share_guard"] = False  # no sentiment here: every count is "negative"
    detection["negative_volume"]["min_authors"] = 0  # nor authors
    detection["negative_volume"]["warmup_minutes"] = max(
        detection["negative_volume"]["warmup_minutes"], interval * 12
    )
    detection["slow_burn"]["window_minutes"] = max(detection["slow_burn"]["window_minutes"], interval)
    for name in ("negative_share", "viral_post", "total_volume"):  # meaningless or duplicate on one series
        detection[name]["enabled"] = False
    history = max(
        detection["history_minutes"],
        6 * max(detection[n]["window_minutes"] for n in ("negative_volume", "slow_burn")),
    )
    detection["history_minutes"] = min(history, 48 * 60)
    brand = BrandConfig(
        id=SERIES_BRAND, name="count series", aliases=["series"], detection=DetectionOverrides()
    )
    return StreamsConfig.model_validate({"brands": [brand.model_dump()], "detection": detection})


MAX_FILLED_GAP_INTERVALS = 7 * 288  # a week of 5-minute rows


def _with_gaps_filled(
    rows: Sequence[tuple[float, float, str]], interval: float
) -> Iterator[tuple[float, float, str, bool]]:
    """Rows with missing intervals filled by the last value (flagged not real).

    A missing row is missing data, not zero mentions: folding zeros into the baseline would make the
    next real value look like a spike. Duplicate timestamps keep the first row.
    """
    previous: tuple[float, float, str] | None = None
    for ts, value, raw in rows:
        if previous is not None:
            if ts - previous[0] < interval / 2:
                continue
            missing = int(round((ts - previous[0]) / interval)) - 1
            for k in range(1, min(missing, MAX_FILLED_GAP_INTERVALS) + 1):
                yield previous[0] + k * interval, previous[1], previous[2], False
        yield ts, value, raw, True
        previous = (ts, value, raw)


def backtest_counts(
    rows: Sequence[tuple[float, float, str]],
    config: StreamsConfig | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> CountsResult:
    """Run one count series through the engine; each value is spread over its interval's minutes."""
    interval = series_interval(rows)
    cfg = counts_config(config, interval)
    engine = DetectionEngine(cfg)
    tracker = PageTracker()
    signals: list[Signal] = []
    alerts: list[dict[str, Any]] = []
    open_pages: set[str] = set()
    minutes = int(interval // 60)
    for ts, value, raw, real in _with_gaps_filled(rows, interval):
        count = max(0, int(round(value)))
        start_minute = int(ts // 60)
        batch = BrandBatch(SERIES_BRAND)
        base, extra = divmod(count, minutes)
        for k in range(minutes):
            n = base + (1 if k < extra else 0)
            minute_start = (start_minute + k) * 60
            batch.minutes[minute_start] = MinuteAggregate(minute_start, total=n, negative=n)
        batch.mentions = count
        wall = (start_minute + minutes) * 60.0
        engine.ingest(batch, wall_now=wall)
        for signal in engine.evaluate(SERIES_BRAND, wall_now=wall):
            signals.append(signal)
            if signal.status == "resolved":
                open_pages.discard(signal.detector)
                continue
            page = tracker.add(signal)
            if page is None:
                continue
            if not open_pages and real:  # a filled-in gap row never raises an alert of its own
                alerts.append(
                    {
                        "timestamp": raw,
                        "epoch": ts,
                        "detector": page.detector,
                        "severity": page.severity,
                        "score": round(page.score, 3),
                        "observed": signal.observed,
                        "expected": signal.expected,
                    }
                )
            open_pages.add(signal.detector)
        if progress is not None and real:
            progress(1)
    return CountsResult(
        alerts=alerts, pages=tracker.pages, signals=signals, interval_seconds=interval, rows=len(rows)
    )


def score_counts(result: CountsResult, windows: list[LabelWindow]) -> dict[str, Any]:
    """Window-level recall, alert-level precision and delays for a single series."""
    detected: dict[int, float] = {}
    false = 0
    for alert in result.alerts:
        ts = alert["epoch"]
        hit = None
        for i, w in enumerate(windows):
            if w.start <= ts <= w.end:
                hit = i
                break
        if hit is None:
            false += 1
        elif hit not in detected:
            detected[hit] = ts
    delays = [(detected[i] - windows[i].start) / 60.0 for i in detected]
    n = len(result.alerts)
    return {
        "rows": result.rows,
        "interval_seconds": result.interval_seconds,
        "alerts": n,
        "windows": len(windows),
        "detected": len(detected),
        "recall": round(len(detected) / len(windows), 4) if windows else None,
        "precision": round((n - false) / n, 4) if n else None,
        "false_alerts": false,
        "delay_min_median": _round(_quantile(delays, 0.5)),
        "delay_min_p90": _round(_quantile(delays, 0.9)),
    }
