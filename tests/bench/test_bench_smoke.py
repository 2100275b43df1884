"""Smoke test of the benchmark scripts: the pure-core parts run on tiny sizes (no Kafka, no timing claims).

Benchmarks are not tests (`make bench` runs them); this only proves the scripts still work against the
current code: the enrich benchmark's workload and measurement, the latency benchmark's tipping-mention
replay, the /metrics parser the Kafka benchmarks poll with, and the report assembly.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import pytest
from prometheus_client import generate_latest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import bench_alert_latency  # noqa: E402
import bench_enrich_core  # noqa: E402
import bench_pipeline  # noqa: E402
import machine  # noqa: E402
import run_all  # noqa: E402


def test_enrich_core_benchmark_runs_on_its_own_workload() -> None:
    report = bench_enrich_core.run(mentions=300, brands=40, batch=100, hazm_mentions=30)

    assert 100 <= report["text_chars"]["min"] <= report["text_chars"]["max"] <= 200
    assert 0.4 < report["persian_share"] < 0.9
    assert report["matched_share_sample"] > 0.8  # generated mentions name configured brands
    for part in ("steady", "cold", "hazm_normalizer"):
        assert report[part]["items"] > 0 and report[part]["per_second"] > 0
    assert report["steady"]["items"] == 300
    assert report["ratio_steady_to_hazm"] > 0
    assert report["goal"]["met"] == (report["steady"]["per_second"] >= bench_enrich_core.TARGET_PER_SECOND)


def test_generated_brands_are_distinct_and_valid() -> None:
    brands = bench_enrich_core.brand_configs(700)  # crosses from two- to three-syllable names
    assert len({b.id for b in brands}) == 700
    assert len({b.aliases[1] for b in brands}) == 700


def test_tipping_mention_is_found_by_replaying_the_pure_core() -> None:
    brands = bench_alert_latency.incident_brands(1)
    config = bench_pipeline.bench_config(brands)
    name = (brands[0]["aliases"][1], brands[0]["aliases"][0])
    factory = bench_enrich_core.MentionFactory([name], seed=3)
    now = time.time()
    history = bench_alert_latency.quiet_history(factory, name, now - 120, random.Random(1))
    burst = [factory.mention(now + i, name, negative=True, followers=500, author=f"a{i}") for i in range(40)]

    tip = bench_alert_latency.tipping_index(config, brands[0]["id"], history, burst)

    assert tip["index"] is not None and 0 < tip["index"] < len(burst)  # a few complaints, not the first
    assert tip["detector"] and tip["severity"] in ("info", "warning", "critical")
    # Fewer complaints than the tipping index must not fire: the definition is "the first".
    assert (
        bench_alert_latency.tipping_index(config, brands[0]["id"], history, burst[: tip["index"]])["index"]
        is None
    )


def test_metrics_parser_reads_the_counters_the_worker_exports() -> None:
    from streams import metrics

    before = bench_pipeline.parse_counts(generate_latest().decode())
    metrics.count_mentions("twitter", "accepted", 7)
    metrics.count_mentions("other", "rejected", 2)
    metrics.observe_batch("detect", 3)
    after = bench_pipeline.parse_counts(generate_latest().decode())

    assert after["accepted"] - before["accepted"] == 7
    assert after["rejected"] - before["rejected"] == 2
    assert after["detect_records"] - before["detect_records"] == 3


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 25)]
    assert bench_alert_latency.percentile(values, 50) == 12.0
    assert bench_alert_latency.percentile(values, 99) == 24.0
    with pytest.raises(IndexError):
        bench_alert_latency.percentile([], 50)


def test_report_folds_results_and_describes_the_machine() -> None:
    enrich = bench_enrich_core.run(mentions=200, brands=20, batch=100, hazm_mentions=20)
    results = {"enrich_core": enrich, "pipeline": {"error": "timed out"}}

    report = run_all.build_report(results, "Apache Kafka test", quick=True, seconds=1.0)

    described = report["machine"]
    assert described["cores"] >= 1 and described["python"].startswith("3.")
    assert described["kafka"] == "Apache Kafka test" and described["date"].endswith("Z")
    rows = {row["figure"]: row for row in report["figures"]}
    enrich_row = next(row for name, row in rows.items() if name.startswith("enrich core"))
    assert enrich_row["value"] == enrich["steady"]["per_second"]
    assert enrich_row["reference_value"] == enrich["hazm_normalizer"]["per_second"]
    e2e = next(row for name, row in rows.items() if name.startswith("end-to-end, one worker"))
    assert e2e["value"] is None and e2e["met"] is None  # a failed benchmark leaves its figure empty
    assert machine.cpu_model("model name\t: Test CPU 9000\n") == "Test CPU 9000"
