"""`bohran ack`, `bohran silence add|list|expire`, `bohran alerts list` against a real Redis, and the
worker (dispatcher) honouring what the CLI wrote."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import typer
from alert_support import FakeClock, RedisServer, build_signal
from typer.testing import CliRunner

from alerts.config import AlertingConfig
from alerts.policy import AlertPolicy
from alerts.store import AlertStore
from bohran.commands.alerts import register
from streams.config import BrandConfig

NS = "cli"


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def env(redis_server: RedisServer) -> Iterator[dict[str, str]]:
    yield {"REDIS_URL": redis_server.url, "BOHRAN_REDIS_NAMESPACE": NS, "COLUMNS": "200"}


def run(cli: typer.Typer, env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, list(args), env=env)


def seed_firing_alert(url: str, clock: FakeClock) -> str:
    async def go() -> str:
        policy = AlertPolicy(
            AlertingConfig(), [BrandConfig(id="novinnet", name="N", aliases=["n"])], clock=clock
        )
        policy.on_signal(build_signal())
        store = AlertStore.from_url(url, namespace=NS)
        try:
            await store.save(alerts=list(policy.alerts.items()), groups=list(policy.groups.items()))
        finally:
            await store.aclose()
        return policy.alerts["novinnet/negative_volume"].alert.incident_id

    return asyncio.run(go())


def store_call(url: str, method: str, *args):
    async def go():
        store = AlertStore.from_url(url, namespace=NS)
        try:
            return await getattr(store, method)(*args)
        finally:
            await store.aclose()

    return asyncio.run(go())


def test_silence_add_list_expire(cli: typer.Typer, env: dict[str, str], redis_server: RedisServer) -> None:
    added = run(
        cli, env, "silence", "add", "--brand", "novinnet", "--severity", "warning", "-m", "detector=~neg.*",
        "--duration", "2h", "--author", "sara", "--comment", "[bold]known outage[/bold]",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    silence_id = added.stdout.strip().splitlines()[0]
    [stored] = store_call(redis_server.url, "list_silences")
    assert stored.id == silence_id and stored.author == "sara"
    assert [str(m) for m in stored.matchers] == ["brand=novinnet", "severity=warning", "detector=~neg.*"]
    assert 7199 < stored.ends_at - stored.starts_at <= 7200

    listed = run(cli, env, "silence", "list", "--json")
    assert [s["id"] for s in json.loads(listed.stdout)] == [silence_id]
    table = run(cli, env, "silence", "list")
    assert "[bold]known outage[/bold]" in table.stdout  # shown literally, never as markup

    expired = run(cli, env, "silence", "expire", silence_id)
    assert expired.exit_code == 0 and silence_id in expired.stdout
    assert json.loads(run(cli, env, "silence", "list", "--json").stdout) == []
    assert [s["state"] for s in json.loads(run(cli, env, "silence", "list", "--json", "--all").stdout)] == [
        "expired"
    ]
    assert run(cli, env, "silence", "expire", "nope").exit_code == 1


def test_silence_add_validates(cli: typer.Typer, env: dict[str, str]) -> None:
    both = run(
        cli,
        env,
        "silence",
        "add",
        "--brand",
        "x",
        "--duration",
        "1h",
        "--until",
        "2099-01-01T00:00:00Z",
        "--comment",
        "c",
    )
    assert both.exit_code == 2 and "exactly one" in both.output
    none = run(cli, env, "silence", "add", "--duration", "1h", "--comment", "c")
    assert none.exit_code == 2 and "matcher" in none.output
    bad = run(cli, env, "silence", "add", "-m", "brand=~(", "--duration", "1h", "--comment", "c")
    assert bad.exit_code == 2 and "regular expression" in bad.output
    several = run(
        cli,
        env,
        "silence",
        "add",
        "--brand",
        "a.b",
        "--brand",
        "c",
        "--until",
        "2099-01-01T00:00:00Z",
        "--comment",
        "c",
    )
    assert several.exit_code == 0


def test_ack_and_list(
    cli: typer.Typer, env: dict[str, str], redis_server: RedisServer, clock: FakeClock
) -> None:
    incident = seed_firing_alert(redis_server.url, clock)
    listed = json.loads(run(cli, env, "alerts", "list", "--json").stdout)
    assert [(a["fingerprint"], a["status"], a["acked_by"]) for a in listed] == [
        ("novinnet/negative_volume", "firing", None)
    ]

    acked = run(cli, env, "ack", "novinnet/negative_volume", "--by", "sara", "--comment", "calling the NOC")
    assert acked.exit_code == 0, acked.output
    [ack] = store_call(redis_server.url, "list_acks")
    assert (ack.by, ack.comment, ack.incident_id) == ("sara", "calling the NOC", incident)
    row = json.loads(run(cli, env, "alerts", "list", "--json").stdout)[0]
    assert row["acked_by"] == "sara" and row["ack_pending"] is True  # until a worker applies it
    assert "sara (pending)" in run(cli, env, "alerts", "list").stdout

    missing = run(cli, env, "ack", "novinnet/viral_post")
    assert missing.exit_code == 1 and "no open alert" in missing.output


def test_unreachable_redis_is_an_error_not_a_silent_local_write(cli: typer.Typer) -> None:
    env = {"REDIS_URL": "redis://127.0.0.1:1/0"}
    result = run(cli, env, "silence", "add", "--brand", "x", "--duration", "1h", "--comment", "c")
    assert result.exit_code == 2 and "cannot reach Redis" in result.output
    assert run(cli, env, "alerts", "list").exit_code == 2


def test_redrive_reports_a_bad_config(cli: typer.Typer, env: dict[str, str], tmp_path) -> None:
    config = tmp_path / "bohran.yaml"
    config.write_text("alerting:\n  group_wait_seconds: -1\n", encoding="utf-8")
    result = run(cli, env, "alerts", "redrive", "--config", str(config))
    assert result.exit_code == 2 and "group_wait_seconds" in result.output
