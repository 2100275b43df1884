"""The reference bohran is measured against: the textbook Faust design it does not use.

One mention per Kafka record, one event at a time, each enriched by the same core the worker uses
(`Enricher.enrich`), then counted per brand in a hopping windowed table (5-minute windows every
minute, kept an hour): every `+= 1` updates five windows, and each update is a changelog write.
DESIGN.md ("Rolling state and detection") measured this shape at ~450 mentions/s here; this script
is how `bench/bench_pipeline.py` re-measures it in the same run as the worker.

Runs as its own Faust worker process (started by bench_pipeline.py, which pre-produces `--count`
single-mention records): it times the first event's start to the `--count`-th event's end, writes
the result as JSON to `--out` and then idles until it is terminated. No repartition by brand
(which a correct multi-worker version would need, and which would make it slower still).

    .venv/bin/python bench/naive_faust_window.py --bootstrap HOST:PORT --topic T --app-id ID \
        --brands brands.yaml --count N --out result.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import faust  # noqa: E402
import yaml  # noqa: E402

from streams.config import BrandConfig, StreamsConfig  # noqa: E402
from streams.enrichment import Enricher  # noqa: E402
from streams.mention import decode_record  # noqa: E402

WINDOW_S = 300.0
STEP_S = 60.0
EXPIRES = timedelta(hours=1)


def build_app(args: argparse.Namespace) -> faust.App:
    brands = yaml.safe_load(Path(args.brands).read_text(encoding="utf-8"))["brands"]
    enricher = Enricher(StreamsConfig(brands=[BrandConfig(**b) for b in brands]))
    app = faust.App(
        args.app_id,
        broker=f"kafka://{args.bootstrap}",
        store="memory://",
        value_serializer="raw",
        key_serializer="raw",
        topic_partitions=args.partitions,
        topic_replication_factor=1,
        web_host="127.0.0.1",
        web_port=args.web_port,
        web_in_thread=False,
        datadir=args.data_dir,
        consumer_auto_offset_reset="earliest",
        logging_config=None,
    )
    source = app.topic(args.topic, partitions=args.partitions, value_serializer="raw", key_serializer="raw")
    counts = app.Table("brand-counts", default=int, partitions=args.partitions).hopping(
        WINDOW_S, STEP_S, expires=EXPIRES
    )
    progress: dict[str, Any] = {"events": 0, "mentions": 0, "matched": 0, "first": None}

    @app.agent(source, name="naive-count")
    async def count(stream: faust.StreamT) -> None:
        async for value in stream:
            if progress["first"] is None:
                progress["first"] = time.monotonic()
            mentions, _rejections = decode_record(value)
            for mention in mentions:
                progress["mentions"] += 1
                for brand in enricher.enrich(mention).brands:
                    counts[brand] += 1
                    progress["matched"] += 1
            progress["events"] += 1
            if progress["events"] == args.count:
                seconds = time.monotonic() - progress["first"]
                result = {
                    "benchmark": "naive per-event Faust agent: one mention per record, same enrich core, hopping "
                    f"windowed table ({WINDOW_S:.0f} s windows every {STEP_S:.0f} s) counting per brand",
                    "records": progress["events"],
                    "mentions": progress["mentions"],
                    "brand_increments": progress["matched"],
                    "seconds": round(seconds, 3),
                    "per_second": round(progress["mentions"] / seconds) if seconds > 0 else None,
                }
                tmp = Path(args.out).with_suffix(".tmp")
                tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
                tmp.replace(args.out)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--brands", required=True, help="YAML file with a `brands:` list")
    parser.add_argument("--count", type=int, required=True, help="records to time (all pre-produced)")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--out", required=True)
    parser.add_argument("--data-dir", default=".local/naive-faust")
    parser.add_argument("--web-port", type=int, default=6099)
    args = parser.parse_args(argv)
    app = build_app(args)
    worker = faust.Worker(app, loglevel="WARNING", redirect_stdouts=False, quiet=True)
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
