"""`bohran backtest` through a typer app: mentions mode with labels, counts mode, JSON output."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import typer
from typer.testing import CliRunner

from bohran.commands import backtest as backtest_cmd
from bohran.commands import simulate as simulate_cmd


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    simulate_cmd.register(app)
    backtest_cmd.register(app)
    return app


def test_mentions_mode_json_reports_alerts_and_scores(tmp_path) -> None:
    mentions, labels = tmp_path / "m.jsonl", tmp_path / "l.jsonl"
    runner = CliRunner()
    made = runner.invoke(
        _app(),
        [
            "simulate",
            "--days",
            "1.5",
            "--brands",
            "tazeban,safarbaz",
            "--seed",
            "2",
            "--scenarios",
            "outage",
            "--start",
            "2025-10-09T09:00:00Z",
            "--out",
            str(mentions),
            "--labels",
            str(labels),
        ],
    )
    assert made.exit_code == 0, made.output
    result = runner.invoke(_app(), ["backtest", "--input", str(mentions), "--labels", str(labels), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    *alerts, summary = lines
    assert alerts and all("timestamp" in a and a["severity"] in ("warning", "critical") for a in alerts)
    summary = summary["summary"]
    assert summary["recall"] == 1.0 and summary["labels"] == 2
    assert summary["mentions"] == len(mentions.read_text(encoding="utf-8").splitlines())
    assert summary["by_kind"]["outage"]["delay_min_median"] is not None


def test_mentions_mode_human_output_and_config(tmp_path) -> None:
    mentions = tmp_path / "m.jsonl"
    runner = CliRunner()
    assert (
        runner.invoke(
            _app(),
            [
                "simulate",
                "--days",
                "1.2",
                "--brands",
                "tazeban",
                "--seed",
                "3",
                "--scenarios",
                "bot_flood",
                "--start",
                "2025-10-09T09:00:00Z",
                "--out",
                str(mentions),
            ],
        ).exit_code
        == 0
    )
    config = tmp_path / "bohran.yaml"
    config.write_text(
        "brands:\n  - id: tazeban\n    name: Tazeban\n    aliases: [tazeban, تازه‌بان, تازه بان]\n"
        "    hashtags: ['#تازه_بان']\n    handles: ['@tazeban']\n"
        "detection:\n  negative_volume: {threshold: 7}\n",
        encoding="utf-8",
    )
    result = runner.invoke(_app(), ["backtest", "--config", str(config), "--input", str(mentions)])
    assert result.exit_code == 0, result.output
    assert "would have paged" in result.stdout and "tazeban" in result.stdout
    assert "bot_flood" in result.stdout  # the flag shows in the table


def test_bad_config_is_reported_with_its_problem(tmp_path) -> None:
    config = tmp_path / "bohran.yaml"
    config.write_text("detection:\n  negative_volume: {treshold: 7}\n", encoding="utf-8")
    data = tmp_path / "m.jsonl"
    data.write_text("", encoding="utf-8")
    result = CliRunner().invoke(_app(), ["backtest", "--config", str(config), "--input", str(data)])
    assert result.exit_code == 2
    assert "treshold" in result.output


def _series_csv(path, *, surge_row: int, rows: int = 2600) -> tuple[str, str]:
    t0 = datetime(2015, 2, 26, 21, 42, 53, tzinfo=UTC).timestamp()
    lines = ["timestamp,value"]
    for i in range(rows):
        ts = t0 + i * 300
        value = 40 + 20 * math.sin(i / 288 * 2 * math.pi) + (7 * i % 11)
        if surge_row <= i < surge_row + 18:
            value *= 7
        lines.append(f"{datetime.fromtimestamp(ts, UTC):%Y-%m-%d %H:%M:%S},{value:.0f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fmt = "%Y-%m-%d %H:%M:%S.000000"
    return (
        datetime.fromtimestamp(t0 + (surge_row - 100) * 300, UTC).strftime(fmt),
        datetime.fromtimestamp(t0 + (surge_row + 100) * 300, UTC).strftime(fmt),
    )


def test_counts_mode_json_with_nab_style_windows(tmp_path) -> None:
    series = tmp_path / "Twitter_volume_ACME.csv"
    start, end = _series_csv(series, surge_row=2000)
    windows = tmp_path / "windows.json"
    windows.write_text(json.dumps({"realTweets/Twitter_volume_ACME.csv": [[start, end]]}), encoding="utf-8")
    result = CliRunner().invoke(
        _app(), ["backtest", "--counts", str(series), "--labels", str(windows), "--json"]
    )
    assert result.exit_code == 0, result.output
    *alerts, summary = [json.loads(line) for line in result.stdout.splitlines()]
    assert alerts and all("timestamp" in a for a in alerts)
    assert summary["summary"]["detected"] == 1 and summary["summary"]["windows"] == 1
    assert summary["summary"]["interval_seconds"] == 300
    assert summary["summary"]["false_alerts"] == 0

    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps([[start, end]]), encoding="utf-8")
    human = CliRunner().invoke(_app(), ["backtest", "--counts", str(series), "--labels", str(plain)])
    assert human.exit_code == 0 and "recall: 1.0" in human.stdout


def test_exactly_one_input_is_required(tmp_path) -> None:
    result = CliRunner().invoke(_app(), ["backtest"])
    assert result.exit_code == 2 and "exactly one" in result.output
    result = CliRunner().invoke(_app(), ["backtest", "--counts", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "no such file" in result.output
