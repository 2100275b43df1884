"""End-to-end throughput of `bohran worker`, next to references measured in the same run.

Not a timed test: run it, read the figures.

    .venv/bin/python bench/bench_pipeline.py [--mentions 300000] [--naive-mentions 3000] [--out FILE]

Kafka and Redis are the project's own local ones (`deploy/local/launcher.py`, started in a temp run
dir and stopped at the end), or KAFKA_BOOTSTRAP / REDIS_URL when set. Every measurement gets its own
topic prefix and Redis namespace. Figures:

- `raw_consume`: aiokafka consuming the backlog topic + `json.loads` of every record, in this
  process: the ceiling any Python consumer of this topic has on this machine.
- `worker`: one `bohran worker` subprocess (enrich, detect and alert agents all running, Redis and a
  Slack stand-in wired) started on a pre-produced backlog of mentions packed 500 per record, as
  bohran's producers send them. Its /metrics is polled every 0.2 s. The rate is mentions accounted for
  (`bohran_mentions_total` accepted + rejected) between the first poll that shows any and the poll
  that shows all of them, divided by the time between those polls; `through_detect` uses instead the
  poll at which the detect stage has consumed every record the enrich stage wrote.
- `naive_faust`: `bench/naive_faust_window.py`: one mention per record, one event at a time through the
  same enrich core into a hopping windowed Faust table counting per brand (the design DESIGN.md
  rejects). It is slow, so it gets a smaller N; its rate is per mention like the others.
- `scaling` (with --scaling): 1 vs 2 workers in one consumer group on 6 partitions. Workers are started
  on empty topics and waited for (group stable, every partition assigned), then the backlog is
  produced at full speed; the rate is measured as for `worker`.

Texts come from `streams.simulate` (its eight fictional brands, daily cycles, Persian and English
posts) when it is importable, else from the enrich benchmark's generator. The stack and worker
helpers here are shared by the other Kafka benchmarks (alert latency, memory, restart).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (str(ROOT), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

import yaml  # noqa: E402

from bohran.local_stack import WorkerProcess, free_port, load_launcher  # noqa: E402
from bohran.receivers import ReceivedRequest, WebhookReceiver  # noqa: E402
from streams import topics  # noqa: E402

PACK = 500  # mentions per record, as `bohran ingest` sends them
PARTITIONS = 6
POLL_S = 0.2
GOAL_PER_SECOND = 20_000
GOAL_RATIO_TO_RAW = 0.20
SLACK_ENV = "BOHRAN_BENCH_SLACK_WEBHOOK"
# Set to a directory to run every benchmark worker under cProfile (one .prof per worker process).
PROFILE_ENV = "BOHRAN_BENCH_PROFILE_DIR"
PROFILER_ENV = "BOHRAN_BENCH_PROFILER"  # cprofile (default) | pyinstrument
_counter = itertools.count()


# --------------------------------------------------------------------------------------------------
# Local Kafka + Redis


@dataclass
class Stack:
    """Kafka and Redis on loopback: reused from the environment, or started here and stopped after."""

    bootstrap: str
    redis_url: str
    kafka_version: str
    services: list[Any] = field(default_factory=list)

    @classmethod
    def up(cls, run_dir: Path) -> Stack:
        launcher = load_launcher()
        kafka = launcher.ensure_kafka(run_dir=run_dir / "kafka", die_with_parent=True, log=_log)
        redis = launcher.ensure_redis(run_dir=run_dir / "redis", die_with_parent=True, log=_log)
        if kafka.run_dir is not None:
            version = f"Apache Kafka {launcher.KAFKA_VERSION} (KRaft, one node, deploy/local/launcher.py)"
        else:
            version = os.environ.get("BOHRAN_BENCH_KAFKA_VERSION") or f"external broker at {kafka.address}"
        return cls(kafka.address, redis.address, version, [kafka, redis])

    def down(self) -> None:
        for service in reversed(self.services):
            with suppress(Exception):
                service.stop()

    def env(self) -> dict[str, str]:
        """What child benchmark processes need to reuse this stack."""
        return {
            "KAFKA_BOOTSTRAP": self.bootstrap,
            "REDIS_URL": self.redis_url,
            "BOHRAN_BENCH_KAFKA_VERSION": self.kafka_version,
        }


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the benchmark process dies (Linux prctl PR_SET_PDEATHSIG)."""
    import ctypes
    import signal

    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def new_namespace(tag: str) -> str:
    return f"bench{os.getpid()}{tag}{next(_counter)}x{int(time.time()) % 100000}."


def ensure_layout(bootstrap: str, prefix: str, partitions: int = PARTITIONS) -> topics.TopicLayout:
    layout = topics.TopicLayout(partitions=partitions, prefix=prefix)
    topics.ensure_topics(bootstrap, layout)
    return layout


# --------------------------------------------------------------------------------------------------
# Workload


@dataclass
class Workload:
    """Mentions as wire-form dicts, and the brands a config needs to match them."""

    mentions: list[dict[str, Any]]
    brands: list[dict[str, Any]]
    source: str

    def text_chars_mean(self) -> float:
        return round(sum(len(m["text"]) for m in self.mentions) / max(1, len(self.mentions)), 1)


def simulated_workload(
    count: int, *, end: float | None = None, span_hours: float = 1.0, seed: int = 3
) -> Workload:
    """`count` mentions over the `span_hours` before `end` (default now), in event-time order."""
    end = end or datetime.now(UTC).timestamp() - 60
    try:
        from streams.simulate import Simulation, SimulationConfig, catalog_config
    except ImportError:
        return factory_workload(count, end=end, span_hours=span_hours, seed=seed)
    sim_config = SimulationConfig(
        days=span_hours / 24, seed=seed, scenarios=[], start=end - span_hours * 3600, warmup_hours=0.0
    )
    # Fit the volume so a little more than `count` are generated (the daily cycle makes it approximate).
    sim_config.scale = count / Simulation(sim_config).expected_mentions() * 1.3
    mentions: list[dict[str, Any]] = []
    while len(mentions) < count:
        mentions = list(itertools.islice(Simulation(sim_config).mentions(), count))
        sim_config.scale *= 1.5
    brands = [b.model_dump(exclude_defaults=True) for b in catalog_config()]
    return Workload(mentions, brands, "streams.simulate (8 catalog brands, no injected incidents)")


def factory_workload(
    count: int, *, end: float | None = None, span_hours: float = 1.0, brands: int = 50, seed: int = 3
) -> Workload:
    from bench_enrich_core import MentionFactory, brand_config_dicts, brand_names

    end = end or datetime.now(UTC).timestamp() - 60
    factory = MentionFactory(brand_names(brands), seed=seed)
    start = end - span_hours * 3600
    mentions = list(factory.stream(count, start, per_second=count / (span_hours * 3600)))
    return Workload(mentions, brand_config_dicts(brands), f"bench generator ({brands} brands, 100-200 chars)")


def pack(mentions: Sequence[dict[str, Any]], size: int = PACK) -> list[tuple[bytes, bytes]]:
    """(key, value) records of at most `size` mentions; key = first mention's id (spreads partitions)."""
    out = []
    for i in range(0, len(mentions), size):
        chunk = mentions[i : i + size]
        value = json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        out.append((str(chunk[0]["id"]).encode(), value))
    return out


class Producer:
    """aiokafka's producer on its own event-loop thread, usable from plain threads.

    kafka-python's producer needs ~9 s for 35 MB of 175 kB records here; aiokafka ~0.2 s, and it
    sends as soon as it is asked (linger 0 by default), which the latency benchmark relies on.
    """

    def __init__(self, bootstrap: str, linger_ms: int = 0) -> None:
        from aiokafka import AIOKafkaProducer

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bench-producer", daemon=True)
        self._thread.start()

        async def start() -> Any:
            producer = AIOKafkaProducer(
                bootstrap_servers=bootstrap,
                acks="all",
                linger_ms=linger_ms,
                max_request_size=16 * 1024 * 1024,
                request_timeout_ms=60_000,
            )
            await producer.start()
            return producer

        self._producer = self._call(start())
        self._pending: list[Any] = []

    def _call(self, coro: Any, timeout: float = 120.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        """Queue one record (returns once it is in the producer's buffer; `flush` waits for acks)."""
        self._pending.append(self._call(self._producer.send(topic, value=value, key=key)))
        if len(self._pending) >= 500:
            self.flush()

    def flush(self) -> None:
        """Wait until the broker acknowledged every record sent so far (raises on a failed send)."""
        pending, self._pending = self._pending, []

        async def wait() -> None:
            await asyncio.gather(*pending)

        self._call(wait())

    def close(self) -> None:
        try:
            self.flush()
            self._call(self._producer.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


def produce(bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes]]) -> float:
    """Send every record and wait for the broker's acks; returns the seconds it took."""
    producer = Producer(bootstrap, linger_ms=20)
    t0 = time.perf_counter()
    try:
        for key, value in records:
            producer.send(topic, value, key)
        producer.flush()
    finally:
        producer.close()
    return time.perf_counter() - t0


def topic_partitions(bootstrap: str, topic: str) -> list[int]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        consumer.topics()  # a full metadata fetch: partitions_for_topic alone may see only some partitions
        return sorted(consumer.partitions_for_topic(topic) or ())
    finally:
        consumer.close()


def committed_records(bootstrap: str, group: str, topic: str) -> int:
    """Sum of `group`'s committed offsets on `topic`: records it has processed (Faust commits after
    processing, every second). Read from the broker, so it costs the worker nothing (unlike /metrics,
    which with 10,000 brands renders megabytes on every scrape)."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-admin")
    try:
        offsets = admin.list_group_offsets({group: None}).get(group) or {}
    finally:
        admin.close()
    total = 0
    for tp, meta in offsets.items():
        offset = getattr(meta, "offset", meta)
        if tp.topic == topic and isinstance(offset, int) and offset > 0:
            total += offset
    return total


def topic_end_offsets(bootstrap: str, topic: str) -> int:
    """Sum of the topic's end offsets (= records written, for a topic that started empty)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        consumer.topics()  # a full metadata fetch: partitions_for_topic alone may see only some partitions
        parts = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in parts])
        return sum(ends.values())
    finally:
        consumer.close()


# --------------------------------------------------------------------------------------------------
# Config and workers


def bench_config(
    brands: list[dict[str, Any]],
    *,
    detection: dict[str, Any] | None = None,
    alerting: dict[str, Any] | None = None,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "brands": brands,
        "alerting": {
            "group_interval_seconds": 300,
            "repeat_interval_seconds": 14400,
            "cooldown_seconds": 3600,
            "route": {"receiver": "pr-oncall"},
            "receivers": [{"name": "pr-oncall", "channels": ["slack-pr"]}],
            "channels": [{"type": "slack", "name": "slack-pr", "webhook_url_env": SLACK_ENV}],
            **(alerting or {}),
        },
    }
    if detection:
        config["detection"] = detection
    return config


_METRIC_LINE = re.compile(r"^(bohran_mentions_total|bohran_batch_size_sum)\{([^}]*)\} ([0-9.e+-]+)$", re.M)


def parse_counts(text: str) -> dict[str, float]:
    """accepted / rejected mentions and records consumed per stage, from a /metrics page."""
    counts = {"accepted": 0.0, "rejected": 0.0, "enrich_mentions": 0.0, "detect_records": 0.0}
    for name, labels, value in _METRIC_LINE.findall(text):
        if name == "bohran_mentions_total":
            for status in ("accepted", "rejected"):
                if f'status="{status}"' in labels:
                    counts[status] += float(value)
        elif 'stage="detect"' in labels:
            counts["detect_records"] += float(value)
        elif 'stage="enrich"' in labels:
            counts["enrich_mentions"] += float(value)
    return counts


class BenchWorker:
    """A `bohran worker` subprocess in a benchmark's namespace, with /metrics and RSS readers."""

    def __init__(
        self,
        stack: Stack,
        prefix: str,
        config: dict[str, Any],
        workdir: Path,
        slack_url: str,
        *,
        index: int = 0,
        partitions: int = PARTITIONS,
        extra_env: dict[str, str] | None = None,
        run: int = 0,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / f"bohran-{index}.yaml"
        if not self.config_path.exists():
            self.config_path.write_text(
                yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
        env = {
            "KAFKA_BOOTSTRAP": stack.bootstrap,
            "REDIS_URL": stack.redis_url,
            "BOHRAN_TOPIC_PREFIX": prefix,
            "BOHRAN_REDIS_PREFIX": prefix,
            "BOHRAN_PARTITIONS": str(partitions),
            "BOHRAN_DATA_DIR": str(workdir / f"worker-{index}"),
            "BOHRAN_WORKER_ID": f"bench-{index}",
            SLACK_ENV: slack_url,
            **(extra_env or {}),
        }
        log_name = f"worker-{index}.log" if run == 0 else f"worker-{index}-run{run}.log"
        self.process = WorkerProcess(self.config_path, env, workdir / log_name, web_port=free_port())
        self.started_at: float | None = None

    def start(self) -> BenchWorker:
        """WorkerProcess.start's command, plus: the worker dies with this process (a killed or crashed
        benchmark leaves no worker behind), and optionally runs under a profiler (PROFILE_ENV)."""
        self.started_at = time.monotonic()
        wrap: list[str] = []
        profile_dir = os.environ.get(PROFILE_ENV)
        if profile_dir:
            stem = f"{self.process.log_path.stem}-{os.getpid()}-{next(_counter)}"
            if os.environ.get(PROFILER_ENV, "cprofile") == "pyinstrument":  # sampling; pip install it first
                out = Path(profile_dir) / f"{stem}.txt"
                wrap = ["-m", "pyinstrument", "-r", "text", "--show-all", "-o", str(out)]
            else:  # written when the worker exits cleanly on SIGTERM
                out = Path(profile_dir) / f"{stem}.prof"
                wrap = ["-m", "cProfile", "-o", str(out)]
            out.parent.mkdir(parents=True, exist_ok=True)
            _log(f"profiling worker into {out}")
        proc = self.process
        proc.log_path.parent.mkdir(parents=True, exist_ok=True)
        proc._log = proc.log_path.open("ab")
        proc.proc = subprocess.Popen(
            [sys.executable, *wrap, "-m", "bohran.cli", "worker", "--config", str(proc.config_path)],
            env=proc.env,
            stdout=proc._log,
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
            preexec_fn=_die_with_parent,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process.proc is not None
        return self.process.proc.pid

    def alive(self) -> bool:
        return self.process.proc is not None and self.process.proc.poll() is None

    def metrics_text(self, timeout: float = 5.0) -> str | None:
        try:
            with urllib.request.urlopen(f"{self.process.base_url}/metrics", timeout=timeout) as resp:
                return resp.read().decode("utf-8", "replace")
        except OSError:
            return None

    def counts(self) -> dict[str, float] | None:
        text = self.metrics_text()
        return None if text is None else parse_counts(text)

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the worker process has used (from /proc/<pid>/stat)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kb(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak) of the worker process, in kB."""
        out = {}
        with suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
        return out

    def ready_seen(self) -> bool:
        return "worker ready" in self.process.log_text().lower()

    def wait_ready(self, timeout_s: float = 120.0) -> float:
        self.process.wait_ready(timeout_s)
        assert self.started_at is not None
        return time.monotonic() - self.started_at

    def stop(self) -> int | None:
        return self.process.stop()

    def log_tail(self, lines: int = 30) -> str:
        return self.process.log_tail(lines)


class CountPoller:
    """Polls workers' /metrics in a thread; keeps (monotonic time, summed counts) samples."""

    def __init__(self, workers: Sequence[BenchWorker], interval_s: float = POLL_S) -> None:
        self.workers = list(workers)
        self.interval_s = interval_s
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-poller", daemon=True)
        self._lock = threading.Lock()

    def start(self) -> CountPoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            t = time.monotonic()
            total: dict[str, float] = {}
            complete = True
            for worker in self.workers:
                counts = worker.counts()
                if counts is None:
                    complete = False
                    continue
                counts["cpu_seconds"] = worker.cpu_seconds() or 0.0
                for key, value in counts.items():
                    total[key] = total.get(key, 0.0) + value
            if total and (complete or self.samples):
                # Stamped when the answers are in, not when asked: a worker busy with a batch answers
                # late, and its counters are read when it answers.
                with self._lock:
                    self.samples.append((time.monotonic(), total))
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - t)))

    def latest(self) -> dict[str, float]:
        with self._lock:
            return dict(self.samples[-1][1]) if self.samples else {}

    def first_when(
        self, predicate: Callable[[dict[str, float]], bool]
    ) -> tuple[float, dict[str, float]] | None:
        with self._lock:
            return next(((t, c) for t, c in self.samples if predicate(c)), None)


def wait_until(
    predicate: Callable[[], bool],
    timeout_s: float,
    what: str,
    interval_s: float = 0.2,
    workers: Sequence[BenchWorker] = (),
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        for worker in workers:
            if not worker.alive():
                raise RuntimeError(f"worker exited while waiting for {what}:\n{worker.log_tail()}")
        time.sleep(interval_s)
    tails = "\n".join(w.log_tail(15) for w in workers)
    raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}\n{tails}")


def group_settled(bootstrap: str, group: str, members: int, topic: str) -> bool:
    """The consumer group is Stable with `members` members and every partition of `topic` assigned."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-admin")
    try:
        desc = admin.describe_groups([group]).get(group) or {}
    finally:
        admin.close()
    state = desc.get("group_state") or desc.get("state")
    found = desc.get("members") or []
    assigned: set[int] = set()
    for member in found:
        assignment = member.get("member_assignment")
        for entry in assignment.get("assigned_partitions", []) if isinstance(assignment, dict) else []:
            if entry.get("topic") == topic:
                assigned.update(entry.get("partitions", []))
    return state == "Stable" and len(found) == members and len(assigned) >= PARTITIONS


def measure_consumption(
    poller: CountPoller,
    expected: int,
    bootstrap: str,
    enriched_topic: str,
    timeout_s: float,
    workers: Sequence[BenchWorker],
) -> dict[str, Any]:
    """Rates from the poll samples: first poll showing any mention to the poll showing all of them."""

    def accounted(c: dict[str, float]) -> float:
        return c.get("accepted", 0.0) + c.get("rejected", 0.0)

    deadline = time.monotonic() + timeout_s
    wait_until(
        lambda: accounted(poller.latest()) >= expected,
        timeout_s,
        f"{expected} mentions accounted for",
        interval_s=0.1,
        workers=workers,
    )
    # Mentions are counted before the enrich stage has sent its per-brand records (many brands: many
    # sends), so the enriched topic's end is read until it stops moving and detect has caught up.
    ends = {"now": topic_end_offsets(bootstrap, enriched_topic), "since": time.monotonic()}

    def detect_caught_up() -> bool:
        current = topic_end_offsets(bootstrap, enriched_topic)
        if current != ends["now"]:
            ends["now"], ends["since"] = current, time.monotonic()
            return False
        caught_up = poller.latest().get("detect_records", 0.0) >= current
        return caught_up and time.monotonic() - ends["since"] >= 1.0

    wait_until(
        detect_caught_up,
        max(30.0, deadline - time.monotonic()),
        "the detect stage to drain mentions-enriched",
        interval_s=0.3,
        workers=workers,
    )
    enriched_records = ends["now"]
    first = poller.first_when(lambda c: accounted(c) > 0)
    done = poller.first_when(lambda c: accounted(c) >= expected)
    drained = poller.first_when(lambda c: c.get("detect_records", 0.0) >= enriched_records)
    assert first is not None and done is not None and drained is not None
    t_first, c_first = first
    method = "first poll showing mentions -> poll showing all"
    if accounted(c_first) >= expected:
        # Everything came in one batch (tiny runs): time from the last poll that showed none instead,
        # which overstates the time by up to the worker's remaining start-up.
        with poller._lock:
            zero = [(t, c) for t, c in poller.samples if t < t_first and accounted(c) == 0]
        if zero:
            t_first, c_first = zero[-1]
            method = "last poll showing none -> poll showing all (one batch held everything)"
    counted = expected - accounted(c_first)
    out: dict[str, Any] = {
        "method": method,
        "mentions": expected,
        "first_poll_accounted": int(accounted(c_first)),
        "seconds_first_to_all": round(done[0] - t_first, 3),
        "seconds_first_to_detect_drained": round(drained[0] - t_first, 3),
        "enriched_records": enriched_records,
        "rejected": int(poller.latest().get("rejected", 0)),
    }
    out["timeline"] = timeline(poller, t_first, drained[0])
    span = done[0] - t_first
    out["per_second"] = round(counted / span) if span > 0 else None
    # CPU the workers actually got over the same span: on a shared machine the steadier figure, and
    # `cores_used` says whether a second worker had a second core to run on.
    cpu = done[1].get("cpu_seconds", 0.0) - c_first.get("cpu_seconds", 0.0)
    out["worker_cpu_seconds"] = round(cpu, 2)
    out["per_worker_cpu_second"] = round(counted / cpu) if cpu > 0 else None
    out["cores_used"] = round(cpu / span, 2) if span > 0 else None
    span_detect = drained[0] - t_first
    out["per_second_through_detect"] = round(counted / span_detect) if span_detect > 0 else None
    return out


def timeline(poller: CountPoller, t0: float, t_end: float, points: int = 40) -> list[list[float]]:
    """[seconds since t0, mentions accounted for, detect records] samples, thinned to about `points`."""
    with poller._lock:
        rows = [(t, c) for t, c in poller.samples if t0 - 1.0 <= t <= t_end + 0.5]
    step = max(1, len(rows) // points)
    picked = rows[::step] + ([rows[-1]] if rows and (len(rows) - 1) % step else [])
    return [
        [round(t - t0, 2), int(c.get("accepted", 0) + c.get("rejected", 0)), int(c.get("detect_records", 0))]
        for t, c in picked
    ]


# --------------------------------------------------------------------------------------------------
# References


async def _raw_consume(bootstrap: str, topic: str, expected: int, timeout_s: float) -> dict[str, Any]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    mentions = records = 0
    t_first: float | None = None
    deadline = time.monotonic() + timeout_s
    try:
        while mentions < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for messages in batches.values():
                if t_first is None and messages:
                    t_first = time.monotonic()
                for message in messages:
                    value = json.loads(message.value)
                    mentions += len(value) if isinstance(value, list) else 1
                    records += 1
        t_last = time.monotonic()
    finally:
        await consumer.stop()
    if t_first is None or mentions < expected:
        raise TimeoutError(f"raw consumer read {mentions} of {expected} mentions")
    seconds = t_last - t_first
    return {
        "mentions": mentions,
        "records": records,
        "seconds": round(seconds, 3),
        "per_second": round(mentions / seconds),
        "records_per_second": round(records / seconds),
    }


def raw_consume(
    bootstrap: str, topic: str, expected: int, timeout_s: float = 120.0, repeats: int = 3
) -> dict[str, Any]:
    """aiokafka + json.loads of every record from the start of `topic` (first record to last).

    A ceiling, and a short one to measure: the best of `repeats` reads is kept, all are listed.
    """
    runs = [asyncio.run(_raw_consume(bootstrap, topic, expected, timeout_s)) for _ in range(repeats)]
    best = dict(max(runs, key=lambda r: r["per_second"]))
    best["all_per_second"] = [r["per_second"] for r in runs]
    return best


def naive_faust(
    stack: Stack, workload: Workload, count: int, workdir: Path, timeout_s: float = 240.0
) -> dict[str, Any]:
    """The per-event windowed-table agent on `count` single-mention records (a subprocess)."""
    prefix = new_namespace("naive")
    topic = f"{prefix}mentions"
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap, client_id="bench-admin")
    try:
        admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        admin.close()
    singles = [
        (str(m["id"]).encode(), json.dumps(m, ensure_ascii=False).encode()) for m in workload.mentions[:count]
    ]
    produce(stack.bootstrap, topic, singles)
    config_path = workdir / "naive-brands.yaml"
    config_path.write_text(yaml.safe_dump({"brands": workload.brands}, allow_unicode=True), encoding="utf-8")
    result_path = workdir / "naive-result.json"
    log_path = workdir / "naive.log"
    cmd = [
        sys.executable,
        str(BENCH / "naive_faust_window.py"),
        "--bootstrap",
        stack.bootstrap,
        "--topic",
        topic,
        "--app-id",
        f"{prefix}naive",
        "--brands",
        str(config_path),
        "--count",
        str(len(singles)),
        "--partitions",
        str(PARTITIONS),
        "--out",
        str(result_path),
        "--data-dir",
        str(workdir / "naive-data"),
        "--web-port",
        str(free_port()),
    ]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT), preexec_fn=_die_with_parent
        )
        try:
            deadline = time.monotonic() + timeout_s
            while not result_path.exists():
                if proc.poll() is not None:
                    raise RuntimeError(f"naive agent exited with {proc.returncode}:\n{_tail(log_path)}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"naive agent did not finish in {timeout_s}s:\n{_tail(log_path)}")
                time.sleep(0.3)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    time.sleep(0.1)
    return json.loads(result_path.read_text())


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------------------------------
# Worker runs


class SlackStandIn:
    """The Slack webhook stand-in every benchmark worker posts to (kept so channels really deliver)."""

    def __init__(self, on_request: Callable[[ReceivedRequest], None] | None = None) -> None:
        self.receiver = WebhookReceiver(on_request=on_request).start()

    @property
    def url(self) -> str:
        return self.receiver.url

    def stop(self) -> None:
        self.receiver.stop()


def backlog_run(
    stack: Stack,
    workload: Workload,
    records: list[tuple[bytes, bytes]],
    workdir: Path,
    slack: SlackStandIn,
    timeout_s: float = 300.0,
) -> dict[str, Any]:
    """One worker started on a pre-produced backlog; rates from its /metrics."""
    prefix = new_namespace("e2e")
    layout = ensure_layout(stack.bootstrap, prefix)
    produce(stack.bootstrap, layout.name(topics.MENTIONS), records)
    worker = BenchWorker(stack, prefix, bench_config(workload.brands), workdir / "e2e", slack.url)
    poller = CountPoller([worker])
    try:
        worker.start()
        poller.start()
        result = measure_consumption(
            poller,
            len(workload.mentions),
            stack.bootstrap,
            layout.name(topics.MENTIONS_ENRICHED),
            timeout_s,
            [worker],
        )
        result["rss_mb"] = round(worker.rss_kb().get("VmRSS", 0) / 1024, 1)
        return result
    finally:
        poller.stop()
        worker.stop()


def scaling_run(
    stack: Stack,
    workload: Workload,
    records: list[tuple[bytes, bytes]],
    workdir: Path,
    slack: SlackStandIn,
    workers: int,
    timeout_s: float = 300.0,
) -> dict[str, Any]:
    """`workers` workers in one group, waited for until the group is stable; then the backlog arrives."""
    prefix = new_namespace(f"w{workers}")
    layout = ensure_layout(stack.bootstrap, prefix)
    config = bench_config(workload.brands)
    procs = [
        BenchWorker(stack, prefix, config, workdir / f"scale{workers}", slack.url, index=i)
        for i in range(workers)
    ]
    poller = CountPoller(procs)
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.wait_ready(120)
        group = f"{prefix}bohran"
        wait_until(
            lambda: group_settled(stack.bootstrap, group, workers, layout.name(topics.MENTIONS)),
            90,
            f"consumer group {group} to settle with {workers} members",
            interval_s=1.0,
            workers=procs,
        )
        poller.start()
        produce_s = produce(stack.bootstrap, layout.name(topics.MENTIONS), records)
        result = measure_consumption(
            poller,
            len(workload.mentions),
            stack.bootstrap,
            layout.name(topics.MENTIONS_ENRICHED),
            timeout_s,
            procs,
        )
        result["workers"] = workers
        result["produce_seconds"] = round(produce_s, 2)
        per_worker = []
        for proc in procs:
            counts = proc.counts() or {}
            per_worker.append(int(counts.get("accepted", 0) + counts.get("rejected", 0)))
        result["mentions_per_worker"] = per_worker
        return result
    finally:
        poller.stop()
        for proc in procs:
            proc.stop()


def run(
    mentions: int = 300_000, naive_mentions: int = 3000, scaling: bool = False, stack: Stack | None = None
) -> dict[str, Any]:
    own_stack = stack is None
    tmp = Path(tempfile.mkdtemp(prefix="bohran-bench-"))
    stack = stack or Stack.up(tmp / "stack")
    slack = SlackStandIn()
    try:
        _log(f"generating {mentions} mentions")
        workload = simulated_workload(mentions)
        records = pack(workload.mentions)
        report: dict[str, Any] = {
            "benchmark": "end-to-end: one bohran worker (enrich + detect + alert agents) on a backlog of "
            f"mentions packed {PACK} per record, {PARTITIONS} partitions",
            "command": f".venv/bin/python bench/bench_pipeline.py --mentions {mentions} --naive-mentions "
            f"{naive_mentions}" + (" --scaling" if scaling else ""),
            "workload": {
                "mentions": len(workload.mentions),
                "records": len(records),
                "source": workload.source,
                "brands": len(workload.brands),
                "text_chars_mean": workload.text_chars_mean(),
                "record_kb_mean": round(sum(len(v) for _, v in records) / len(records) / 1024, 1),
            },
        }
        _log("raw aiokafka consume + json.loads")
        raw_prefix = new_namespace("raw")
        raw_topic = ensure_layout(stack.bootstrap, raw_prefix).name(topics.MENTIONS)
        produce(stack.bootstrap, raw_topic, records)
        report["raw_consume"] = raw_consume(stack.bootstrap, raw_topic, len(workload.mentions))
        _log(f"raw: {report['raw_consume']['per_second']} mentions/s; now one worker on the backlog")
        worker = backlog_run(stack, workload, records, tmp, slack)
        report["worker"] = worker
        _log(f"worker: {worker['per_second']} mentions/s; now the naive Faust agent on {naive_mentions}")
        report["naive_faust"] = naive_faust(stack, workload, naive_mentions, tmp)
        raw_rate = report["raw_consume"]["per_second"]
        naive_rate = report["naive_faust"]["per_second"]
        report["ratios"] = {
            "worker_to_raw": round(worker["per_second"] / raw_rate, 4),
            "worker_through_detect_to_raw": round(worker["per_second_through_detect"] / raw_rate, 4),
            "worker_to_naive_faust": round(worker["per_second"] / naive_rate, 1) if naive_rate else None,
        }
        report["goal"] = {
            "per_second": GOAL_PER_SECOND,
            "ratio_to_raw": GOAL_RATIO_TO_RAW,
            "met": worker["per_second"] >= GOAL_PER_SECOND
            and report["ratios"]["worker_to_raw"] >= GOAL_RATIO_TO_RAW,
        }
        if scaling:
            report["scaling"] = scaling_report(stack, workload, records, tmp, slack)
        return report
    finally:
        slack.stop()
        if own_stack:
            stack.down()


def scaling_report(
    stack: Stack, workload: Workload, records: list[tuple[bytes, bytes]], tmp: Path, slack: SlackStandIn
) -> dict[str, Any]:
    _log("scaling: 1 worker, backlog produced after the group settled")
    one = scaling_run(stack, workload, records, tmp, slack, 1)
    _log(f"scaling: 1 worker {one['per_second']}/s; now 2 workers")
    two = scaling_run(stack, workload, records, tmp, slack, 2)
    return {
        "benchmark": f"1 vs 2 workers in one group, {PARTITIONS} partitions, backlog produced once the group "
        "is stable",
        "one_worker": one,
        "two_workers": two,
        "speedup": round(two["per_second"] / one["per_second"], 2),
        "speedup_through_detect": round(
            two["per_second_through_detect"] / one["per_second_through_detect"], 2
        ),
        "cores_used": [one.get("cores_used"), two.get("cores_used")],
        "cpu_efficiency_two_vs_one": round(two["per_worker_cpu_second"] / one["per_worker_cpu_second"], 2)
        if one.get("per_worker_cpu_second") and two.get("per_worker_cpu_second")
        else None,
        "note": "both workers share the machine's 2 cores with Kafka, Redis, this process and whatever else "
        "runs on the machine: `cores_used` is the CPU the workers actually got (one worker can use at most 1)",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=300_000)
    parser.add_argument("--naive-mentions", type=int, default=3000)
    parser.add_argument("--scaling", action="store_true", help="also measure 1 vs 2 workers")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report = run(args.mentions, args.naive_mentions, args.scaling)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
