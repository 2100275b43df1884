"""`bohran run` (what `make run` does) shows the demo crisis alert in the terminal and stops cleanly."""

from __future__ import annotations

import os
import subprocess
import sys

from bohran.local_stack import REPO_ROOT, free_port


def test_demo_run_prints_the_crisis_alert_and_stops(kafka_bootstrap, redis_url):
    env = {**os.environ, "KAFKA_BOOTSTRAP": kafka_bootstrap, "REDIS_URL": redis_url, "COLUMNS": "160"}
    proc = subprocess.run(
        [sys.executable, "-m", "bohran.cli", "run", "--web-port", str(free_port()),
         "--crisis-after", "5", "--crisis-seconds", "60", "--duration", "50"],
        env=env, cwd=REPO_ROOT, capture_output=True, timeout=240,
    )
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, out[-3000:] + proc.stderr.decode("utf-8", "replace")[-3000:]
    assert "demo crisis" in out
    alert_at = out.find("Slack webhook received")
    assert alert_at > out.find("demo crisis") > 0, out[-3000:]
    assert "NovinNet" in out[alert_at:] or "نوین" in out[alert_at:]
    assert "Email received" in out
    assert "all stopped." in out
