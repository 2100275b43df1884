"""`bohran run` (what `make run` does): local Kafka + Redis + worker + stand-ins + a demo crisis.

Everything it starts it stops on Ctrl-C; services that were already running (or given by
KAFKA_BOOTSTRAP / REDIS_URL) are reused and left alone.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.console import Console
from rich.panel import Panel

from bohran.demo import DemoPlan, crisis_traffic, normal_traffic
from bohran.local_stack import REPO_ROOT, WorkerProcess, load_launcher
from bohran.receivers import ReceivedRequest, SmtpReceiver, WebhookReceiver
from streams import topics
from streams.ingest import make_producer, produce_mentions

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "data" / "demo.yaml"


def _print_slack(console: Console, request: ReceivedRequest) -> None:
    try:
        payload = request.json()
    except ValueError:
        console.print(Panel(request.body.decode("utf-8", "replace"), title="Slack webhook (not JSON!)"))
        return
    lines = [payload.get("text", "")]
    for block in payload.get("blocks", []):
        text = block.get("text", {}).get("text") if isinstance(block.get("text"), dict) else None
        if text:
            lines.append(text)
        for item in block.get("fields", []) or []:
            lines.append(item.get("text", ""))
        for item in block.get("elements", []) or []:
            if isinstance(item, dict) and item.get("text"):
                t = item["text"]
                lines.append(t.get("text", "") if isinstance(t, dict) else str(t))
    console.print(Panel("\n".join(x for x in lines if x), title="[bold red]Slack webhook received", border_style="red"))


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        web_port: int = typer.Option(6066, "--web-port", help="worker /metrics port"),
        crisis_after: float = typer.Option(20.0, "--crisis-after", help="seconds of live normal traffic before the burst"),
        crisis_seconds: float = typer.Option(120.0, "--crisis-seconds"),
        duration: float | None = typer.Option(None, "--duration", help="stop by itself after this many seconds"),
        seed: int = typer.Option(7, "--seed"),
    ) -> None:
        """Run the whole pipeline locally with a demo crisis; Ctrl-C stops everything it started."""
        console = Console()
        run_dir = REPO_ROOT / ".local" / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        started: list[Any] = []
        stop_requested = False

        def request_stop(*_: Any) -> None:
            nonlocal stop_requested
            stop_requested = True

        signal.signal(signal.SIGTERM, request_stop)
        worker: WorkerProcess | None = None
        try:
            launcher = load_launcher()
            console.print("[bold]bohran run[/bold]: starting local Apache Kafka (KRaft) and Redis …")
            kafka = launcher.ensure_kafka()
            started.append(kafka)
            redis = launcher.ensure_redis()
            started.append(redis)
            console.print(f"  Kafka  {kafka.address}  ({'started' if kafka.started_here else 'reused'})")
            console.print(f"  Redis  {redis.address}  ({'started' if redis.started_here else 'reused'})")

            slack = WebhookReceiver(on_request=lambda r: _print_slack(console, r)).start()
            started.append(slack)
            smtp = SmtpReceiver(
                on_message=lambda m: console.print(
                    Panel(f"To: {m['To']}\nSubject: {m['Subject']}", title="[bold magenta]Email received",
                          border_style="magenta")
                )
            ).start()
            started.append(smtp)
            console.print(f"  Slack stand-in  {slack.url}")
            console.print(f"  SMTP stand-in   {smtp.host}:{smtp.port}")

            config = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
            for channel in config["alerting"]["channels"]:
                if channel["type"] == "email":
                    channel["smtp_port"] = smtp.port
            config_path = run_dir / "bohran.demo.yaml"
            config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")

            # A fresh namespace per run: a reused Kafka/Redis never replays old alerts or cooldowns.
            namespace = f"demo{int(time.time())}."
            env = {
                "KAFKA_BOOTSTRAP": kafka.address,
                "REDIS_URL": redis.address,
                "BOHRAN_DEMO_SLACK_WEBHOOK": slack.url,
                "BOHRAN_TOPIC_PREFIX": namespace,
                "BOHRAN_REDIS_PREFIX": namespace,
                "BOHRAN_PARTITIONS": "3",
                "BOHRAN_TICK_SECONDS": "2",
                "BOHRAN_DATA_DIR": str(run_dir / "worker"),
            }
            os.environ.update(env)
            layout = topics.TopicLayout.from_env()
            topics.ensure_topics(kafka.address, layout)
            worker = WorkerProcess(config_path, env, run_dir / "worker.log", web_port=web_port).start()
            console.print(f"  worker log {worker.log_path}")
            worker.wait_ready()
            console.print(f"  metrics   {worker.base_url}/metrics\n")

            rng = random.Random(seed)
            plan = DemoPlan()
            producer = make_producer(kafka.address)
            mentions_topic = layout.name(topics.MENTIONS)
            now = time.time()
            history = list(normal_traffic(now - plan.history_minutes * 60, now, plan, rng))
            produce_mentions(producer, mentions_topic, history)
            console.print(f"[dim]replayed {len(history)} mentions of normal history ({plan.history_minutes} min)[/dim]")

            live_start = time.time()
            crisis_start = live_start + crisis_after
            crisis_end = crisis_start + crisis_seconds
            last = live_start
            seq = 10_000_000
            announced = False
            sent = 0
            while not stop_requested:
                time.sleep(1.0)
                now = time.time()
                if duration is not None and now - live_start > duration:
                    break
                batch = list(normal_traffic(last, now, plan, rng, seq0=seq))
                seq += len(batch) + 1
                if crisis_start <= now < crisis_end + 1:
                    if not announced:
                        console.print(f"[bold yellow]>>> demo crisis: outage complaints about {plan.crisis_brand} start now[/bold yellow]")
                        announced = True
                    burst = list(crisis_traffic(max(last, crisis_start), min(now, crisis_end), plan, rng, seq0=seq,
                                                with_influencer=sent == 0))
                    seq += len(burst) + 1
                    batch.extend(burst)
                    sent += len(burst)
                last = now
                if batch:
                    produce_mentions(producer, mentions_topic, sorted(batch, key=lambda m: m.created_at), pack=200)
            producer.close()
            console.print(f"[dim]demo produced {sent} crisis mentions[/dim]")
        except KeyboardInterrupt:
            console.print("\n[bold]stopping …[/bold]")
        finally:
            if worker is not None:
                code = worker.stop()
                console.print(f"  worker stopped (exit {code})")
            for thing in reversed(started):
                try:
                    if getattr(thing, "started_here", True):
                        thing.stop()
                except Exception as exc:  # noqa: BLE001 - keep stopping the rest
                    console.print(f"  could not stop {thing!r}: {exc}")
            console.print("  all stopped.")
