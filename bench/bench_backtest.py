"""Benchmark + quality figures of detection on the simulator: a week of ~1,000,000 mentions.

Not a timed test: run it, read the figures.

    .venv/bin/python bench/bench_backtest.py [--mentions 1000000] [--seed 7] [--normal-seed 11]
                                             [--workers N] [--out bench/report-backtest.json]

What it does, with the same code paths as the CLI:

1. `scenario_week`: simulates 7 days of the eight catalog brands (10 to 50,000 mentions a day) with
   every scenario kind injected once per brand, scaled to about `--mentions` mentions, written as JSONL
   (`bohran simulate --days 7 --scale S --seed 7 --out week.jsonl --labels labels.jsonl`);
   then backtests the file (`bohran backtest --input week.jsonl --labels labels.jsonl --json`):
   read + validate + enrich (worker processes) + detect, timed by wall clock and by CPU seconds of
   this process and its workers. Quality: recall, precision, detection delay per scenario kind.
2. `normal_week`: the same with no scenarios (another seed): pages there are false pages by definition.

The machine description (CPU, cores, load average before and after) is in the report. The machine
is shared, so CPU seconds (detection process and workers separately) are reported next to wall
time, with `projected_idle_wall_seconds` = max(detection CPU, total CPU / cores): what the wall
time would be with the cores to ourselves. It is a projection and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streams.backtest import Backtest, parse_labels, parse_timestamp, score  # noqa: E402
from streams.config import StreamsConfig  # noqa: E402
from streams.simulate import catalog_config, simulate  # noqa: E402

DAYS = 7
START = "2025-10-09T09:00:00Z"  # fixed, so every run simulates the same week (a Thursday morning, UTC)
SCENARIO_OVERHEAD = 1.18  # scenarios add about this much traffic on top of normal volume (measured)
TARGET_SECONDS = 60.0


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem_gb = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def cpu_seconds() -> tuple[float, float]:
    """(this process, its finished children): detection runs here, parsing + enrichment in workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def write_week(path: Path, labels_path: Path, *, seed: int, scenarios: str, scale: float) -> dict[str, Any]:
    start = time.perf_counter()
    sim = simulate(days=DAYS, seed=seed, scenarios=scenarios, scale=scale, start=parse_timestamp(START))
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for item in sim.mentions():
            f.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    with labels_path.open("w", encoding="utf-8") as f:
        for label in sim.labels:
            f.write(json.dumps(label.to_dict(), ensure_ascii=False) + "\n")
    return {
        "mentions": count,
        "labels": len(sim.labels),
        "bytes": path.stat().st_size,
        "simulate_seconds": round(time.perf_counter() - start, 1),
    }


def run_backtest(path: Path, labels_path: Path, workers: int) -> dict[str, Any]:
    config = StreamsConfig(brands=catalog_config())
    backtest = Backtest(config, keep_signals=False)
    errors: list[str] = []
    (main0, kids0), wall0 = cpu_seconds(), time.perf_counter()
    with path.open("rb") as f:
        result = backtest.run_lines(f, workers=workers, errors=errors)
    wall = time.perf_counter() - wall0
    main1, kids1 = cpu_seconds()
    # Workers live under a fork server, not under this process: they report their own CPU time.
    main_cpu, worker_cpu = main1 - main0, max(kids1 - kids0, result.worker_cpu_seconds)
    cpu = main_cpu + worker_cpu
    cores = os.cpu_count() or 1
    labels = parse_labels(json.loads(line) for line in labels_path.read_text(encoding="utf-8").splitlines())
    quality = score(result.pages, labels, brands=result.brands, weeks=result.weeks)
    return {
        "mentions": result.mentions,
        "invalid_lines": len(errors),
        "workers": workers,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "cpu_seconds_detection_process": round(main_cpu, 1),
        "cpu_seconds_workers": round(worker_cpu, 1),
        # What the wall time would be with the machine to ourselves: the work spread over every core,
        # but never less than the detection process alone (it is sequential). A projection, labelled.
        "projected_idle_wall_seconds": round(max(main_cpu, cpu / cores), 1),
        "mentions_per_wall_second": round(result.mentions / wall),
        "target_wall_seconds_per_1m": TARGET_SECONDS,
        "wall_seconds_per_1m": round(wall * 1_000_000 / max(result.mentions, 1), 1),
        "weeks": round(result.weeks, 3),
        "brands": len(result.brands),
        "quality": quality,
        "pages": [p.to_dict() for p in result.pages],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--mentions", type=int, default=1_000_000, help="about this many in the scenario week"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--normal-seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-normal", action="store_true", help="only the scenario week")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "report-backtest.json")
    args = parser.parse_args()

    probe = simulate(days=DAYS, seed=args.seed, start=parse_timestamp(START))
    scale = args.mentions / (probe.expected_mentions() * SCENARIO_OVERHEAD)
    report: dict[str, Any] = {
        "benchmark": "backtest",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine_before": machine(),
        "scale": round(scale, 4),
        "commands": {
            "this": "python bench/bench_backtest.py " + " ".join(sys.argv[1:]),
            "simulate": f"bohran simulate --days {DAYS} --scale {scale:.4f} --seed {args.seed} --start {START} "
            "--out week.jsonl --labels labels.jsonl",
            "backtest": "bohran backtest --input week.jsonl --labels labels.jsonl --json",
        },
    }
    with tempfile.TemporaryDirectory(prefix="bohran-bench-") as tmp:
        tmpdir = Path(tmp)
        week, labels = tmpdir / "week.jsonl", tmpdir / "labels.jsonl"
        print(f"simulating a week (seed {args.seed}, scale {scale:.3f}) ...", file=sys.stderr)
        report["scenario_week"] = {
            "data": write_week(week, labels, seed=args.seed, scenarios="all", scale=scale)
        }
        print(f"backtesting {report['scenario_week']['data']['mentions']} mentions ...", file=sys.stderr)
        report["scenario_week"]["backtest"] = run_backtest(week, labels, args.workers)
        if not args.skip_normal:
            print(f"simulating a normal week (seed {args.normal_seed}) ...", file=sys.stderr)
            report["normal_week"] = {
                "data": write_week(week, labels, seed=args.normal_seed, scenarios="none", scale=scale)
            }
            print("backtesting it ...", file=sys.stderr)
            report["normal_week"]["backtest"] = run_backtest(week, labels, args.workers)
    report["machine_after"] = machine()
    bt = report["scenario_week"]["backtest"]
    q = bt["quality"]
    report["figures"] = {
        "mentions": bt["mentions"],
        "backtest_wall_seconds": bt["wall_seconds"],
        "backtest_cpu_seconds": bt["cpu_seconds"],
        "backtest_projected_idle_wall_seconds": bt["projected_idle_wall_seconds"],
        "recall": q["recall"],
        "precision": q["precision"],
        "false_pages_per_brand_week_scenario_week": q["false_pages_per_brand_week"],
        "delay_min_median": {k: v["delay_min_median"] for k, v in q["by_kind"].items()},
        "delay_min_p90": {k: v["delay_min_p90"] for k, v in q["by_kind"].items()},
    }
    if "normal_week" in report:
        nq = report["normal_week"]["backtest"]["quality"]
        report["figures"]["false_pages_per_brand_week_normal_week"] = nq["false_pages_per_brand_week"]
        report["figures"]["normal_week_pages"] = nq["pages"]
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report["figures"], indent=2))
    print(f"report: {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
