"""`bohran ingest` and `bohran ingest-server` command lines (Kafka replaced by a recording producer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bohran.commands import ingest as ingest_cmd
from bohran.commands import ingest_server as server_cmd
from streams.mention import decode_record

FIXTURES = Path(__file__).resolve().parents[1] / "streams" / "adapters" / "fixtures"


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    ingest_cmd.register(app)
    server_cmd.register(app)
    return app


class RecordingProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, int | None]] = []
        self.closed = False

    def partitions_for(self, topic):
        return {0, 1, 2}

    def send(self, topic, key=None, value=None, partition=None):
        self.sent.append((topic, value, partition))

        class Done:
            def get(self, timeout=None):
                return None

        return Done()

    def flush(self, timeout=None):
        pass

    def close(self):
        self.closed = True

    def mention_ids(self) -> list[str]:
        return [m.id for _, value, _ in self.sent for m in decode_record(value)[0]]


@pytest.fixture
def producer(monkeypatch) -> RecordingProducer:
    recording = RecordingProducer()
    monkeypatch.setattr(ingest_cmd, "make_producer", lambda bootstrap: recording)
    monkeypatch.setattr(ingest_cmd.topics, "ensure_topics", lambda bootstrap, layout: [])
    monkeypatch.setenv("BOHRAN_TOPIC_PREFIX", "cli.")
    return recording


def run(cli, *args, input=None):
    return CliRunner().invoke(cli, ["ingest", *args], input=input, catch_exceptions=False)


def test_jsonl_file_is_produced_with_a_summary(cli, producer, tmp_path):
    path = tmp_path / "m.jsonl"
    good = {"id": "1", "text": "نوین نت قطع است", "created_at": "2026-02-15T07:00:00Z", "platform": "twitter"}
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{bad",
                json.dumps({**good, "id": "2"}),
                json.dumps(good),
                json.dumps({"id": "3", "text": "x"}),
            ]
        )
        + "\n"
    )
    result = run(cli, str(path))
    assert result.exit_code == 0, result.output
    assert sorted(producer.mention_ids()) == ["1", "2"]
    assert {topic for topic, _, _ in producer.sent} == {"cli.mentions"}
    assert producer.closed
    out = result.stderr if result.stderr_bytes is not None else result.output
    assert "accepted 2, rejected 2, duplicates 1" in out
    assert "rejected 1: invalid_json" in out and "rejected 1: missing_field" in out
    assert "line 2: invalid_json" in out and "line 5: missing_field: created_at is required" in out


def test_stdin_is_read_with_dash(cli, producer):
    line = json.dumps({"id": "9", "text": "تازه بان", "created_at": "2026-02-15T07:00:00Z"})
    result = run(cli, "-", input=line + "\n")
    assert result.exit_code == 0
    assert producer.mention_ids() == ["9"]


def test_formats_convert_before_producing(cli, producer):
    result = run(cli, str(FIXTURES / "x_search_recent.json"), "--format", "x")
    assert result.exit_code == 0, result.output
    assert len(producer.mention_ids()) == 5
    assert "skipped 1: api_error" in result.output


def test_dry_run_writes_mentions_as_jsonl(cli, producer):
    result = run(
        cli,
        str(FIXTURES / "mentions_export.csv"),
        "--format",
        "csv",
        "--dry-run",
        "--map",
        "id=post_id,text=body,created_at=time,author.handle=user,author.followers=fans",
        "--timezone",
        "Asia/Tehran",
        "--platform",
        "forum",
    )
    assert result.exit_code == 0
    assert producer.sent == []
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [m["id"] for m in lines] == ["a-1001", "a-1002", "a-1003"]
    assert lines[0]["created_at"] == "2026-02-14T18:45:00.000Z" and lines[0]["platform"] == "forum"


def test_everything_rejected_exits_1(cli, producer, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("{bad\n[1]\n")
    result = run(cli, str(path))
    assert result.exit_code == 1
    assert producer.sent == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv", "--map", "nope=x"], "unknown mention field"),
        (["--format", "myspace"], "unknown format"),
        (["--timezone", "Mars/Base"], "unknown timezone"),
        (["--rate", "5", "--speedup", "2"], "exclude each other"),
    ],
)
def test_bad_options_exit_2_with_a_reason(cli, producer, args, message):
    result = run(cli, str(FIXTURES / "mentions_export.csv"), *args)
    assert result.exit_code == 2
    assert message in result.output


def test_csv_without_a_text_column_exits_2(cli, producer):
    result = run(cli, str(FIXTURES / "mentions_export.csv"), "--format", "csv")
    assert result.exit_code == 2
    assert "--map id=COLUMN" in result.output


def test_missing_file_exits_2(cli, producer, tmp_path):
    result = run(cli, str(tmp_path / "none.jsonl"))
    assert result.exit_code == 2 and "no such file" in result.output


def test_ingest_server_refuses_to_start_without_tokens(cli, monkeypatch):
    monkeypatch.delenv("BOHRAN_INGEST_TOKENS", raising=False)
    result = CliRunner().invoke(cli, ["ingest-server", "--port", "0"])
    assert result.exit_code == 2 and "at least one token" in result.output
    monkeypatch.setenv("BOHRAN_INGEST_TOKENS", "a:short")
    result = CliRunner().invoke(cli, ["ingest-server", "--port", "0"])
    assert result.exit_code == 2 and "shorter than 16" in result.output


def test_ingest_server_serves_with_the_options_given(cli, monkeypatch):
    """The command wires env tokens and options into a running server (Kafka replaced by memory)."""
    import aiohttp

    from streams.ingest_server import IngestServer

    written: list = []
    seen: dict = {}

    class MemorySink:
        def __init__(self, bootstrap, topic):
            seen["topic"] = topic

        async def start(self):
            pass

        async def stop(self):
            pass

        async def partitions(self):
            return 3

        async def write(self, records):
            written.extend(records)

    class OneRequestServer(IngestServer):
        async def serve_forever(self, on_started=None):
            port = await self.start()
            on_started(port)
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{port}/v1/mentions"
                good = {"id": "1", "text": "x" * 10, "created_at": "2026-02-15T07:00:00Z"}
                async with session.post(
                    url, json=good, headers={"Authorization": "Bearer " + "t" * 20}
                ) as resp:
                    seen["status"] = resp.status
                async with session.post(
                    url, json={**good, "text": "x" * 11}, headers={"Authorization": "Bearer " + "t" * 20}
                ) as resp:
                    seen["too_long"] = (await resp.json())["rejected"][0]["reason"]
            await self.stop()

    monkeypatch.setattr(server_cmd, "KafkaSink", MemorySink)
    monkeypatch.setattr(server_cmd, "IngestServer", OneRequestServer)
    monkeypatch.setattr(server_cmd.topics, "ensure_topics", lambda bootstrap, layout: [])
    monkeypatch.setenv("BOHRAN_INGEST_TOKENS", "ops:" + "t" * 20)
    monkeypatch.setenv("BOHRAN_TOPIC_PREFIX", "srv.")
    result = CliRunner().invoke(cli, ["ingest-server", "--port", "0", "--max-text-chars", "10"])
    assert result.exit_code == 0, result.output
    assert seen == {"topic": "srv.mentions", "status": 202, "too_long": "text_too_long"}
    assert len(written) == 1
    assert "ingest API on http://127.0.0.1:" in result.output and ":0/" not in result.output
