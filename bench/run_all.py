"""`make bench`: every benchmark, one shared Kafka + Redis, one report with the machine description.

    .venv/bin/python bench/run_all.py [--quick] [--only NAME ...] [--report bench/report.json]

Each benchmark runs as its own process with a time limit (a hung one is killed and reported as
failed; the others still run), against one Kafka and one Redis started here by the project's
launcher in a temp run dir (or KAFKA_BOOTSTRAP / REDIS_URL when set). The text-core and backtest
benchmarks, owned by other engineers, run too when their scripts exist; they write their own
`bench/report-text.json` / `bench/report-backtest.json`, which are folded in here.

`bench/report.json` holds `machine` (CPU, cores, RAM, Python, Kafka, packages, date, load),
`figures` (one line per headline figure: value, reference measured in the same run, ratio, goal,
met) and `benchmarks` (every benchmark's full output, or its error). With the defaults the whole run
takes about 15 minutes on 2 cores; `--quick` shrinks every size for a rehearsal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (str(ROOT), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

import machine  # noqa: E402

DEFAULT_REPORT = BENCH / "report.json"


@dataclass(frozen=True)
class Bench:
    """One benchmark script: how to run it, how long it may take, where its JSON lands."""

    name: str
    script: str
    args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] = ()
    timeout_s: float = 600.0
    needs_stack: bool = True
    own_report: str | None = None  # a script that writes its own JSON file (other owners' benchmarks)
    optional: bool = False  # skipped, not failed, when the script is absent
    extra: dict[str, Any] = field(default_factory=dict)


BENCHES: tuple[Bench, ...] = (
    Bench(
        "enrich_core",
        "bench_enrich_core.py",
        ("--mentions", "40000"),
        ("--mentions", "4000", "--brands", "200", "--hazm-mentions", "500"),
        timeout_s=240,
        needs_stack=False,
    ),
    Bench(
        "text",
        "bench_text.py",
        (),
        ("--mentions", "3000"),
        timeout_s=300,
        needs_stack=False,
        own_report="report-text.json",
        optional=True,
    ),
    Bench(
        "backtest",
        "bench_backtest.py",
        (),
        ("--mentions", "20000", "--skip-normal"),
        timeout_s=600,
        needs_stack=False,
        own_report="report-backtest.json",
        optional=True,
    ),
    Bench(
        "pipeline",
        "bench_pipeline.py",
        ("--mentions", "300000", "--naive-mentions", "3000", "--scaling"),
        ("--mentions", "20000", "--naive-mentions", "300", "--scaling"),
        timeout_s=900,
    ),
    Bench(
        "alert_latency",
        "bench_alert_latency.py",
        ("--incidents", "24", "--background-rate", "5000"),
        ("--incidents", "3", "--background-rate", "1000"),
        timeout_s=600,
    ),
    Bench(
        "memory",
        "bench_memory.py",
        ("--brands", "10000", "--per-brand", "3"),
        ("--brands", "1000", "--per-brand", "2", "--timeout", "120"),
        timeout_s=720,
    ),
    Bench("restart", "bench_restart.py", ("--mentions", "1000000"), ("--mentions", "20000"), timeout_s=900),
)


def log(message: str) -> None:
    print(f"[run_all {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_bench(bench: Bench, *, quick: bool, env: dict[str, str], workdir: Path) -> dict[str, Any]:
    """Run one benchmark process; its parsed JSON, or {"error": ...} with the log's tail."""
    script = BENCH / bench.script
    if not script.exists():
        return {"skipped": f"{bench.script} not found"}
    out = workdir / f"{bench.name}.json"
    args = list(bench.quick_args if quick else bench.args)
    own = BENCH / bench.own_report if bench.own_report else None
    if own is not None and quick:
        own = None  # a rehearsal must not overwrite another engineer's report with tiny-size figures
    if own is None:
        args += ["--out", str(out)]
    before = own.stat().st_mtime if own is not None and own.exists() else None
    log_path = workdir / f"{bench.name}.log"
    cmd = [sys.executable, str(script), *args]
    log(f"{bench.name}: {' '.join(cmd[1:])} (limit {bench.timeout_s:.0f} s, log {log_path})")
    t0 = time.monotonic()
    load_before = os.getloadavg()[0]
    with log_path.open("wb") as handle:
        proc = subprocess.Popen(
            cmd, cwd=str(ROOT), env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code = proc.wait(bench.timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait(10)
            code = None
    seconds = round(time.monotonic() - t0, 1)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-25:])
    source = own if own is not None else out
    fresh = source.exists() and (before is None or source.stat().st_mtime > before)
    if code == 0 and fresh:
        result = json.loads(source.read_text(encoding="utf-8"))
        result["_run"] = {
            "seconds": seconds,
            "command": " ".join(["python", f"bench/{bench.script}", *args]),
            "load_average_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
        log(f"{bench.name}: done in {seconds} s")
        return result
    why = "timed out" if code is None else f"exit code {code}" if code else "wrote no report"
    log(f"{bench.name}: FAILED ({why}) after {seconds} s")
    failed: dict[str, Any] = {"error": why, "seconds": seconds, "log_tail": tail}
    if own is not None and own.exists():
        failed["previous_report"] = json.loads(own.read_text(encoding="utf-8"))
    return failed


# --------------------------------------------------------------------------------------------------
# Headline figures


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _ratio(a: Any, b: Any, digits: int = 3) -> float | None:
    return round(a / b, digits) if isinstance(a, int | float) and isinstance(b, int | float) and b else None


def figures(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per headline figure; `value` is None when its benchmark failed or was skipped."""
    rows: list[dict[str, Any]] = []

    def add(
        name: str,
        value: Any,
        unit: str,
        reference: str,
        ref_value: Any,
        ratio: Any,
        goal: str,
        met: Any,
        bench: str,
    ) -> None:
        rows.append(
            {
                "figure": name,
                "value": value,
                "unit": unit,
                "reference": reference,
                "reference_value": ref_value,
                "ratio": ratio,
                "goal": goal,
                "met": met,
                "command": _get(results.get(bench, {}), "_run", "command"),
            }
        )

    enrich = results.get("enrich_core", {})
    add(
        "enrich core, one core, 1,000 brands, 100-200 chars",
        _get(enrich, "steady", "per_second"),
        "mentions/s",
        "hazm Normalizer().normalize, same texts",
        _get(enrich, "hazm_normalizer", "per_second"),
        _get(enrich, "ratio_steady_to_hazm"),
        ">= 25,000/s",
        _get(enrich, "goal", "met"),
        "enrich_core",
    )
    pipe = results.get("pipeline", {})
    worker_rate = _get(pipe, "worker", "per_second")
    add(
        "end-to-end, one worker, backlog packed 500/record",
        worker_rate,
        "mentions/s",
        "raw aiokafka consume + json.loads, same topic",
        _get(pipe, "raw_consume", "per_second"),
        _get(pipe, "ratios", "worker_to_raw"),
        ">= 20,000/s and >= 20% of raw",
        _get(pipe, "goal", "met"),
        "pipeline",
    )
    add(
        "end-to-end, through the detect stage",
        _get(pipe, "worker", "per_second_through_detect"),
        "mentions/s",
        "raw aiokafka consume + json.loads, same topic",
        _get(pipe, "raw_consume", "per_second"),
        _get(pipe, "ratios", "worker_through_detect_to_raw"),
        "",
        None,
        "pipeline",
    )
    add(
        "naive per-event Faust windowed-table agent",
        _get(pipe, "naive_faust", "per_second"),
        "mentions/s",
        "the bohran worker, same run",
        worker_rate,
        _ratio(_get(pipe, "naive_faust", "per_second"), worker_rate, 4),
        "(reference; DESIGN.md: ~450/s)",
        None,
        "pipeline",
    )
    lat = results.get("alert_latency", {})
    add(
        "alert latency p50, tipping mention -> Slack POST",
        _get(lat, "latency_s", "p50"),
        "s",
        "Kafka produce -> consume round trip p50, same broker and load",
        _get(lat, "kafka_round_trip_s", "p50"),
        _get(lat, "ratios", "p50_to_kafka_round_trip_p50"),
        "",
        None,
        "alert_latency",
    )
    add(
        "alert latency p99, tipping mention -> Slack POST",
        _get(lat, "latency_s", "p99"),
        "s",
        "Kafka produce -> consume round trip p99, same broker and load",
        _get(lat, "kafka_round_trip_s", "p99"),
        _get(lat, "ratios", "p99_to_kafka_round_trip_p99"),
        "<= 2 s",
        _get(lat, "goal", "met"),
        "alert_latency",
    )
    mem = results.get("memory", {})
    rss = _get(mem, "rss_mb", "after_quiet_5s")
    small = _get(pipe, "worker", "rss_mb")
    add(
        f"worker RSS, {_get(mem, 'configured_brands') or 10000} brands, after traffic for all",
        rss,
        "MB",
        "RSS of the 8-brand worker after the end-to-end backlog",
        small,
        _ratio(rss, small, 2),
        "<= 300 MB",
        _get(mem, "goal", "met"),
        "memory",
    )
    rst = results.get("restart", {})
    add(
        "restart -> ready + first batch after 1M mentions of history",
        _get(rst, "restart", "first_batch_s"),
        "s",
        "the first start (no history), timed the same way",
        _get(rst, "fresh_start_first_batch_s"),
        _ratio(_get(rst, "restart", "first_batch_s"), _get(rst, "fresh_start_first_batch_s"), 2),
        "<= 10 s",
        _get(rst, "goal", "met"),
        "restart",
    )
    scaling = _get(pipe, "scaling") or {}
    add(
        "throughput, 2 workers (one group, 6 partitions)",
        _get(scaling, "two_workers", "per_second"),
        "mentions/s",
        "1 worker, same run",
        _get(scaling, "one_worker", "per_second"),
        _get(scaling, "speedup"),
        "",
        None,
        "pipeline",
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a rehearsal, not figures")
    parser.add_argument(
        "--only", nargs="*", help="run only these benchmarks: " + ", ".join(b.name for b in BENCHES)
    )
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    args = parser.parse_args(argv)
    selected = [b for b in BENCHES if not args.only or b.name in args.only]
    workdir = Path(tempfile.mkdtemp(prefix="bohran-bench-all-"))
    stack = None
    env = dict(os.environ)
    started = time.monotonic()
    load_before = machine.describe()["load_average_1_5_15"]
    results: dict[str, dict[str, Any]] = {}
    try:
        if any(b.needs_stack for b in selected):
            from bench_pipeline import Stack

            log("starting (or reusing) Kafka and Redis")
            stack = Stack.up(workdir / "stack")
            env.update(stack.env())
        for bench in selected:
            results[bench.name] = run_bench(bench, quick=args.quick, env=env, workdir=workdir)
    finally:
        kafka_version = stack.kafka_version if stack is not None else None
        if stack is not None:
            stack.down()
    report = build_report(results, kafka_version, quick=args.quick, seconds=time.monotonic() - started)
    report["machine"]["load_average_at_start"] = load_before  # others share these cores: read with care
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print_summary(report, args.report)
    return 0 if all("error" not in r for r in results.values()) else 1


def build_report(
    results: dict[str, dict[str, Any]],
    kafka_version: str | None,
    *,
    quick: bool,
    seconds: float,
    describe: Callable[[str | None], dict[str, Any]] = machine.describe,
) -> dict[str, Any]:
    return {
        "report": "bohran benchmarks (not tests): figures with references measured in the same run",
        "quick": quick,
        "machine": describe(kafka_version),
        "total_seconds": round(seconds, 1),
        "figures": figures(results),
        "benchmarks": results,
    }


def print_summary(report: dict[str, Any], path: Path) -> None:
    print(
        f"\nbench report: {path}  (machine: {report['machine']['cpu_model']}, {report['machine']['cores']} cores)"
    )
    for row in report["figures"]:
        value = "—" if row["value"] is None else row["value"]
        ref = "—" if row["reference_value"] is None else row["reference_value"]
        met = {True: "met", False: "NOT met", None: ""}[row["met"]]
        print(
            f"  {row['figure']}: {value} {row['unit']} | ref {ref} ({row['reference']}) | ratio {row['ratio']} "
            f"| goal {row['goal']} {met}"
        )


if __name__ == "__main__":
    sys.exit(main())
