from pathlib import Path

import pytest
from typer.testing import CliRunner

from bohran.config import ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "bohran.example.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, check_env=False)
    return info.value.problems


def test_example_config_is_valid_and_overrides_merge(monkeypatch):
    monkeypatch.setenv("SLACK_PR_WEBHOOK", "https://hooks.example/x")
    config = load_config(EXAMPLE)
    assert {b.id for b in config.brands} == {"novinnet", "tazeban"}
    assert config.detection_for("tazeban").negative_volume.min_count == 8
    assert config.detection_for("novinnet").negative_volume.min_count == config.detection.negative_volume.min_count


def test_missing_secret_env_is_named(monkeypatch):
    monkeypatch.delenv("SLACK_PR_WEBHOOK", raising=False)
    with pytest.raises(ConfigError) as info:
        load_config(EXAMPLE)
    assert any("SLACK_PR_WEBHOOK" in p for p in info.value.problems)


def test_unknown_key_reports_path_and_line():
    text = "brands:\n  - id: a\n    name: A\n    aliases: [a]\n    alaises: [b]\n"
    (problem,) = problems(text)
    assert problem.startswith("brands[0].alaises (line 5)") and "unknown key" in problem


def test_bad_override_is_reported_under_the_brand():
    text = "brands:\n  - id: a\n    name: A\n    aliases: [a]\n    detection:\n      negative_volume: {min_cont: 3}\n"
    (problem,) = problems(text)
    assert "brands[0].detection (line 5)" in problem and "min_cont" in problem


def test_duplicate_brand_and_bad_id_and_unknown_channel():
    text = "brands:\n  - {id: a, name: A, aliases: [a]}\n  - {id: a, name: B, aliases: [b]}\n"
    assert any("defined twice" in p for p in problems(text))
    assert any("brands[0].id" in p for p in problems("brands:\n  - {id: 'Bad Id', name: A, aliases: [a]}\n"))
    text = "alerting:\n  receivers: [{name: r, channels: [nope]}]\n  route: {receiver: r}\n"
    assert any("unknown channel 'nope'" in p for p in problems(text))


def test_not_yaml_and_not_a_mapping():
    assert "not valid YAML" in problems("brands: [\n")[0]
    assert "mapping" in problems("- a\n- b\n")[0]


def test_config_check_command_exit_codes(tmp_path, monkeypatch):
    from bohran.cli import app

    monkeypatch.setenv("SLACK_PR_WEBHOOK", "https://hooks.example/x")
    runner = CliRunner()
    ok = runner.invoke(app, ["config", "check", str(EXAMPLE)])
    assert ok.exit_code == 0, ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("brands:\n  - id: a\n    name: A\n    aliases: [a]\n    colour: red\n", encoding="utf-8")
    result = runner.invoke(app, ["config", "check", str(bad)])
    assert result.exit_code == 1
    assert "brands[0].colour (line 5)" in result.output


def test_example_routing_sends_complaint_waves_to_after_sales_and_pr(monkeypatch):
    from alerts.routing import Router

    monkeypatch.setenv("SLACK_PR_WEBHOOK", "https://hooks.example/x")
    router = Router(load_config(EXAMPLE).alerting)

    def receivers(**labels):
        base = {"brand": "novinnet", "detector": "negative_volume", "severity": "warning", "category": "outage"}
        return sorted(router.receivers_for({**base, **labels}))

    assert receivers() == ["pr-oncall"]
    assert receivers(category="delivery") == ["after-sales", "pr-oncall"]
    assert receivers(severity="critical", category="delivery") == ["pr-oncall"]
