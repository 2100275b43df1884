"""`bohran simulate` through a typer app: files written, labels, brands section, validation."""

from __future__ import annotations

import json

import typer
import yaml
from typer.testing import CliRunner

from bohran.commands import simulate as simulate_cmd
from streams.config import StreamsConfig
from streams.mention import parse_mention


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    simulate_cmd.register(app)
    return app


def test_writes_mentions_labels_and_a_brands_section(tmp_path) -> None:
    out, labels, brands = tmp_path / "m.jsonl", tmp_path / "l.jsonl", tmp_path / "brands.yaml"
    result = CliRunner().invoke(
        _app(),
        [
            "simulate",
            "--days",
            "2",
            "--brands",
            "tazeban,safarbaz",
            "--seed",
            "4",
            "--scenarios",
            "outage,viral",
            "--start",
            "2025-10-09T09:00:00Z",
            "--out",
            str(out),
            "--labels",
            str(labels),
            "--brands-yaml",
            str(brands),
        ],
    )
    assert result.exit_code == 0, result.output
    mentions = [parse_mention(json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(mentions) > 500
    assert mentions[0].created_at >= 1_760_000_400
    written = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
    assert sorted((lab["brand"], lab["kind"]) for lab in written) == [
        ("safarbaz", "outage"),
        ("safarbaz", "viral"),
        ("tazeban", "outage"),
        ("tazeban", "viral"),
    ]
    config = StreamsConfig.model_validate(yaml.safe_load(brands.read_text(encoding="utf-8")))
    assert [b.id for b in config.brands] == ["tazeban", "safarbaz"]
    assert f"{len(mentions)} mentions" in result.output


def test_same_seed_writes_the_same_file(tmp_path) -> None:
    args = [
        "simulate",
        "--days",
        "1",
        "--brands",
        "tazeban,safarbaz",
        "--seed",
        "7",
        "--start",
        "2025-10-09T09:00:00Z",
    ]
    a = CliRunner().invoke(_app(), [*args, "--out", str(tmp_path / "a.jsonl")])
    b = CliRunner().invoke(_app(), [*args, "--out", str(tmp_path / "b.jsonl")])
    assert a.exit_code == b.exit_code == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_stdout_when_no_destination() -> None:
    result = CliRunner().invoke(
        _app(),
        [
            "simulate",
            "--days",
            "0.05",
            "--brands",
            "1",
            "--scenarios",
            "none",
            "--start",
            "2025-10-09T09:00:00Z",
        ],
    )
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert parse_mention(json.loads(first)).platform


def test_bad_arguments_are_reported() -> None:
    result = CliRunner().invoke(
        _app(), ["simulate", "--days", "1", "--scenarios", "meteor", "--out", "/dev/null"]
    )
    assert result.exit_code == 2 and "unknown scenario" in result.output
    result = CliRunner().invoke(_app(), ["simulate", "--days", "1", "--brands", "acme", "--out", "/dev/null"])
    assert result.exit_code == 2 and "unknown simulated brand" in result.output


class _FakeFuture:
    def get(self, timeout: float | None = None) -> None:
        return None


class _FakeProducer:
    """Stands in for kafka-python's KafkaProducer: records what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.closed = False

    def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def send(
        self, topic: str, key: bytes | None = None, value: bytes = b"", partition: int | None = None
    ) -> _FakeFuture:
        self.sent.append((topic, key, value))
        return _FakeFuture()

    def flush(self, timeout: float | None = None) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_kafka_output_packs_many_mentions_per_record(monkeypatch) -> None:
    import streams.ingest
    import streams.topics

    producer = _FakeProducer()
    monkeypatch.setattr(streams.ingest, "make_producer", lambda bootstrap: producer)
    monkeypatch.setattr(streams.topics, "ensure_topics", lambda bootstrap, layout: [])
    monkeypatch.setenv("BOHRAN_TOPIC_PREFIX", "t1-")
    result = CliRunner().invoke(
        _app(),
        [
            "simulate",
            "--days",
            "0.5",
            "--brands",
            "tazeban,safarbaz",
            "--scenarios",
            "none",
            "--start",
            "2025-10-09T09:00:00Z",
            "--kafka",
            "127.0.0.1:1",
            "--pack",
            "50",
        ],
    )
    assert result.exit_code == 0, result.output
    assert producer.closed and producer.sent
    assert {topic for topic, _, _ in producer.sent} == {"t1-mentions"}
    records = [json.loads(value) for _, _, value in producer.sent]
    assert all(isinstance(r, list) and 1 <= len(r) <= 50 for r in records)
    assert max(len(r) for r in records) == 50
    mentions = [parse_mention(item) for r in records for item in r]
    assert len(mentions) == sum(len(r) for r in records) > 50
