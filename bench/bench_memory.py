"""Worker memory with many configured brands: RSS of one `bohran worker` with 10,000 brands.

Not a timed test: run it, read the figures.

    .venv/bin/python bench/bench_memory.py [--brands 10000] [--per-brand 3] [--out FILE]

The config is generated (the enrich benchmark's made-up brand names: a Persian and a Latin alias, a
handle and a hashtag each). The worker is started on empty topics; RSS is read after it is ready
(`idle`), then `--per-brand` mentions for every brand (100–200 character texts over the last hour,
packed 500 per record) are produced and RSS is read again once every mention is accounted for and the
detect stage has consumed everything the enrich stage wrote (`after_traffic`), and once more after
a few seconds of quiet. VmRSS / VmHWM come from /proc/<pid>/status of the worker process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import bench_pipeline as pipeline  # noqa: E402
from bench_enrich_core import MentionFactory, brand_config_dicts, brand_names  # noqa: E402

from streams import topics  # noqa: E402

GOAL_MB = 300.0


def traffic_for_every_brand(brands: int, per_brand: int, seed: int = 41) -> list[dict[str, Any]]:
    """`per_brand` mentions naming each brand, interleaved, in event-time order over the last hour."""
    names = brand_names(brands)
    factory = MentionFactory(names, seed=seed)
    total = brands * per_brand
    end = datetime.now(UTC).timestamp() - 30
    start = end - 3600
    return [factory.mention(start + 3600 * i / total, names[i % brands]) for i in range(total)]


def mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def run(
    brands: int = 10_000, per_brand: int = 3, timeout_s: float = 420.0, stack: pipeline.Stack | None = None
) -> dict[str, Any]:
    own_stack = stack is None
    tmp = Path(tempfile.mkdtemp(prefix="bohran-bench-memory-"))
    stack = stack or pipeline.Stack.up(tmp / "stack")
    slack = pipeline.SlackStandIn()
    config = pipeline.bench_config(brand_config_dicts(brands))
    mentions = traffic_for_every_brand(brands, per_brand)
    records = pipeline.pack(mentions)
    prefix = pipeline.new_namespace("mem")
    layout = pipeline.ensure_layout(stack.bootstrap, prefix)
    group = f"{prefix}bohran"
    worker = pipeline.BenchWorker(stack, prefix, config, tmp / "worker", slack.url)
    report: dict[str, Any] = {
        "benchmark": f"worker RSS with {brands} configured brands, after {per_brand} mentions for every brand",
        "command": f".venv/bin/python bench/bench_memory.py --brands {brands} --per-brand {per_brand}",
        "configured_brands": brands,
        "mentions": len(mentions),
        "records": len(records),
        "progress": "read from the worker group's committed offsets (no /metrics scraping while it works)",
    }
    try:
        worker.start()
        report["config_bytes"] = worker.config_path.stat().st_size
        report["ready_seconds"] = round(worker.wait_ready(300), 2)
        time.sleep(2.0)
        idle = worker.rss_kb()
        t0 = time.monotonic()
        pipeline.produce(stack.bootstrap, layout.name(topics.MENTIONS), records)
        del mentions, records
        progress = wait_for_drain(stack.bootstrap, group, layout, report["records"], worker, t0, timeout_s)
        report.update(progress)
        after = worker.rss_kb()
        time.sleep(5.0)
        settled = worker.rss_kb()
        metrics_page = worker.metrics_text(timeout=60) or ""
        report.update(
            {
                "rss_mb": {
                    "idle": mb(idle.get("VmRSS")),
                    "after_traffic": mb(after.get("VmRSS")),
                    "after_quiet_5s": mb(settled.get("VmRSS")),
                    "peak": mb(settled.get("VmHWM")),
                },
                "metrics_page_kb": round(len(metrics_page.encode()) / 1024, 1),
                "goal": {"rss_mb": GOAL_MB, "met": (mb(settled.get("VmRSS")) or 1e9) <= GOAL_MB},
            }
        )
        return report
    finally:
        worker.stop()
        slack.stop()
        if own_stack:
            stack.down()


def wait_for_drain(
    bootstrap: str,
    group: str,
    layout: Any,
    records: int,
    worker: pipeline.BenchWorker,
    t0: float,
    timeout_s: float,
) -> dict[str, Any]:
    """Until the group has committed every mentions record and every enriched record (whose count
    stops growing once the enrich stage is done); reports how far it got if the time runs out."""
    mentions_topic = layout.name(topics.MENTIONS)
    enriched_topic = layout.name(topics.MENTIONS_ENRICHED)
    deadline = t0 + timeout_s
    enrich_done_s = None
    enriched_end = committed_enriched = 0
    while time.monotonic() < deadline:
        if not worker.alive():
            raise RuntimeError(f"worker exited:\n{worker.log_tail()}")
        if enrich_done_s is None and pipeline.committed_records(bootstrap, group, mentions_topic) >= records:
            enrich_done_s = round(time.monotonic() - t0, 1)
        end = pipeline.topic_end_offsets(bootstrap, enriched_topic)
        committed_enriched = pipeline.committed_records(bootstrap, group, enriched_topic)
        if enrich_done_s is not None and end == enriched_end and committed_enriched >= end:
            return {
                "drained": True,
                "seconds_to_enriched": enrich_done_s,
                "seconds_to_drained": round(time.monotonic() - t0, 1),
                "enriched_records": end,
            }
        enriched_end = end
        time.sleep(1.0)
    return {
        "drained": False,
        "seconds_to_enriched": enrich_done_s,
        "timeout_s": timeout_s,
        "enriched_records_so_far": enriched_end,
        "detect_committed_at_timeout": committed_enriched,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brands", type=int, default=10_000)
    parser.add_argument("--per-brand", type=int, default=3)
    parser.add_argument(
        "--timeout", type=float, default=420.0, help="seconds to wait for the traffic to drain"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report = run(args.brands, args.per_brand, args.timeout)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
