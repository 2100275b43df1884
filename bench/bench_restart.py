"""Restart to ready after a long history: a worker that processed 1,000,000 mentions is restarted.

Not a timed test: run it, read the figures.

    .venv/bin/python bench/bench_restart.py [--mentions 1000000] [--out FILE]

1. A `bohran worker` is started and `--mentions` mentions (`streams.simulate`'s eight brands and
   texts, evenly over the last 6 hours of event time, packed 500 per record) are produced while it
   consumes.
   Once every mention is accounted for and the detect stage has drained `mentions-enriched`, the
   worker is stopped (SIGTERM, clean shutdown). Its per-brand state now lives only in the
   `brand-state` changelog topic (the table store is in memory), whose size is reported.
2. One fresh record (500 mentions stamped now) is produced, and a new worker process is started in the
   same group. Measured from its process start: `ready_s` — "Worker ready" appears in its log (read
   every 50 ms); `first_batch_s` — its /metrics shows the fresh record's mentions accounted for and
   the detect stage has consumed a record (so the table recovery had finished).

Reference: the first start, timed the same way on one record dated just before the history
(`fresh_start`): the restart's cost of history is `restart` minus `fresh_start`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import bench_pipeline as pipeline  # noqa: E402

from streams import topics  # noqa: E402
from streams.mention import format_time  # noqa: E402

GOAL_S = 10.0
HISTORY_HOURS = 6.0


def history_stream(
    count: int, end: float, hours: float = HISTORY_HOURS, pool_size: int = 50_000, seed: int = 5
) -> Iterator[dict[str, Any]]:
    """`count` mentions evenly over the `hours` before `end`, lazily (1M dicts do not fit in RAM).

    Texts, authors and brands cycle through a pool of `pool_size` simulated mentions (generating a
    million costs more CPU than the worker gets); ids and event times are new for every mention.
    """
    pool = pipeline.simulated_workload(min(count, pool_size), end=end, span_hours=hours, seed=seed).mentions
    start = end - hours * 3600
    step = hours * 3600 / count
    for i in range(count):
        yield dict(pool[i % len(pool)], id=f"h{i}", created_at=format_time(start + i * step))


def produce_stream(bootstrap: str, topic: str, mentions: Iterator[dict[str, Any]]) -> int:
    """Pack and send as generated; returns the number of mentions sent (all acknowledged)."""
    producer = pipeline.Producer(bootstrap, linger_ms=20)
    sent = 0
    try:
        for chunk in iter(lambda: list(itertools.islice(mentions, pipeline.PACK)), []):
            value = json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode()
            producer.send(topic, value, str(chunk[0]["id"]).encode())
            sent += len(chunk)
    finally:
        producer.close()
    return sent


def probe_records(at: float, tag: str) -> list[tuple[bytes, bytes]]:
    """One record of 500 simulated mentions stamped `at`: what a (re)started worker must process first."""
    mentions = pipeline.simulated_workload(pipeline.PACK, span_hours=0.05).mentions
    return pipeline.pack(
        [dict(m, id=f"{tag}{i}", created_at=format_time(at)) for i, m in enumerate(mentions)]
    )


def time_start(
    worker: pipeline.BenchWorker, expected: int, timeout_s: float = 180.0
) -> dict[str, float | None]:
    """From process start: "Worker ready" in its log, and `expected` mentions accounted for with the
    detect stage having consumed a record (read every 50 ms)."""
    started = worker.started_at
    assert started is not None
    ready_at = first_batch_at = None
    deadline = started + timeout_s
    while time.monotonic() < deadline and (ready_at is None or first_batch_at is None):
        if not worker.alive():
            raise RuntimeError(f"worker exited:\n{worker.log_tail()}")
        now = time.monotonic()
        if ready_at is None and worker.ready_seen():
            ready_at = now
        if first_batch_at is None:
            counts = worker.counts()
            if (
                counts
                and counts["accepted"] + counts["rejected"] >= expected
                and counts["detect_records"] > 0
            ):
                first_batch_at = now
        time.sleep(0.05)
    return {
        "ready_s": round(ready_at - started, 2) if ready_at else None,
        "first_batch_s": round(first_batch_at - started, 2) if first_batch_at else None,
    }


def run(mentions: int = 1_000_000, stack: pipeline.Stack | None = None) -> dict[str, Any]:
    own_stack = stack is None
    tmp = Path(tempfile.mkdtemp(prefix="bohran-bench-restart-"))
    stack = stack or pipeline.Stack.up(tmp / "stack")
    slack = pipeline.SlackStandIn()
    prefix = pipeline.new_namespace("rst")
    layout = pipeline.ensure_layout(stack.bootstrap, prefix)
    topic = layout.name(topics.MENTIONS)
    brands = pipeline.simulated_workload(10, span_hours=0.1).brands
    config = pipeline.bench_config(brands)
    workdir = tmp / "worker"
    report: dict[str, Any] = {
        "benchmark": f"restart -> ready after {mentions} mentions of history (one worker, in-memory table store "
        "recovered from its changelog)",
        "command": f".venv/bin/python bench/bench_restart.py --mentions {mentions}",
    }
    end = datetime.now(UTC).timestamp() - 120
    # The first start is timed the same way, on one record dated just before the history: the reference.
    pipeline.produce(stack.bootstrap, topic, probe_records(end - HISTORY_HOURS * 3600 - 60, "first"))
    first = pipeline.BenchWorker(stack, prefix, config, workdir, slack.url, index=0)
    poller = pipeline.CountPoller([first], interval_s=1.0)
    try:
        first.start()
        fresh = time_start(first, pipeline.PACK)
        report["fresh_start"] = fresh
        report["fresh_start_first_batch_s"] = fresh["first_batch_s"]
        poller.start()
        t0 = time.monotonic()
        sent = produce_stream(stack.bootstrap, topic, history_stream(mentions, end))
        report["history_mentions"] = sent
        report["history_produce_seconds"] = round(time.monotonic() - t0, 1)
        consumed = pipeline.measure_consumption(
            poller, sent + pipeline.PACK, stack.bootstrap, layout.name(topics.MENTIONS_ENRICHED), 900, [first]
        )
        # Produced while the worker consumed it: a rate of the pair, not a throughput figure.
        report["history_processing"] = {
            k: consumed[k] for k in ("per_second", "per_second_through_detect", "enriched_records")
        }
        report["history_wall_seconds"] = round(time.monotonic() - t0, 1)
    finally:
        poller.stop()
        first.stop()
    changelog = f"{prefix}bohran-brand-state-changelog"
    try:
        report["changelog_records"] = pipeline.topic_end_offsets(stack.bootstrap, changelog)
    except Exception as exc:  # a renamed table must not lose the figures above
        report["changelog_records"] = f"unknown ({exc})"

    pipeline.produce(stack.bootstrap, topic, probe_records(datetime.now(UTC).timestamp(), "fresh"))
    # Same index (config file, data dir, worker id), new log file.
    second = pipeline.BenchWorker(stack, prefix, config, workdir, slack.url, index=0, run=1)
    try:
        second.start()
        report["restart"] = time_start(second, pipeline.PACK)
        measured = report["restart"]["first_batch_s"]
        report["goal"] = {"seconds": GOAL_S, "met": measured is not None and measured <= GOAL_S}
        return report
    finally:
        second.stop()
        slack.stop()
        if own_stack:
            stack.down()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report = run(args.mentions)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
