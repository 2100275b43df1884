"""Prometheus config and rules pass promtool, and the rule unit tests cover every alert, firing and not."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

# The pipeline-health alerts issue E asks for (plus the dead-letter split of notification failures).
REQUIRED_ALERTS = {
    "BohranWorkerDown",
    "BohranDLQRateHigh",
    "BohranNotificationFailures",
    "BohranNotificationDeadLettered",
    "BohranEventLagHigh",
    "BohranBrandSilent",
    "BohranConfigReloadRejected",
}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if not Path(PROMTOOL).exists():
        pytest.fail("promtool is needed (Debian package prometheus); not found")
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=300, cwd=PROMETHEUS_DIR)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def alert_rules() -> dict[str, dict]:
    return {
        rule["alert"]: rule
        for path in RULE_FILES
        for group in load(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def test_promtool_check_config() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    # check config also checks the rule files it names: they must be found, not silently skipped.
    assert f"{len(RULE_FILES)} rule files found" in result.stdout, result.stdout


def test_promtool_check_rules() -> None:
    assert RULE_FILES
    result = promtool("check", "rules", *[str(p) for p in RULE_FILES])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass() -> None:
    assert TEST_FILES
    result = promtool("test", "rules", *[str(p) for p in TEST_FILES])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_required_alert_exists_with_a_severity() -> None:
    """Runbooks are checked in test_operations_doc.py."""
    rules = alert_rules()
    assert set(rules) >= REQUIRED_ALERTS, f"missing: {sorted(REQUIRED_ALERTS - set(rules))}"
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name


def test_unit_tests_show_every_alert_firing_and_not_firing() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in TEST_FILES:
        for case in load(path).get("tests", []):
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    for name in alert_rules():
        assert name in firing, f"no unit test shows {name} firing"
        assert name in quiet, f"no unit test shows {name} staying quiet"


def test_unit_tests_cover_the_rule_files_prometheus_loads() -> None:
    config = load(PROMETHEUS_DIR / "prometheus.yml")
    loaded = {p.resolve() for pattern in config["rule_files"] for p in PROMETHEUS_DIR.glob(pattern)}
    assert loaded == {p.resolve() for p in RULE_FILES}
    tested = {
        (path.parent / rule_file).resolve() for path in TEST_FILES for rule_file in load(path)["rule_files"]
    }
    assert loaded <= tested, f"rule files no unit test loads: {sorted(map(str, loaded - tested))}"


def test_a_broken_rule_unit_test_fails(tmp_path: Path) -> None:
    """The promtool run above can fail: expecting an alert that cannot fire is reported."""
    case = {
        "rule_files": [str(p) for p in RULE_FILES],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'up{job="bohran-worker", instance="worker-1:6066"}', "values": "1x10"}
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "10m",
                        "alertname": "BohranWorkerDown",
                        "exp_alerts": [{"exp_labels": {"instance": "worker-1:6066"}}],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "wrong.test.yml"
    path.write_text(yaml.safe_dump(case), encoding="utf-8")
    result = promtool("test", "rules", str(path))
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr
