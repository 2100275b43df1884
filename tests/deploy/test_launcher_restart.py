"""The launcher's broker restart: `stop_kafka(keep_data=True)` then `resume_kafka` brings the same
broker back (same address, cluster id and records), which the Kafka-restart fault test relies on."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

LAUNCHER_DIR = Path(__file__).resolve().parents[2] / "deploy" / "local"
sys.path.insert(0, str(LAUNCHER_DIR))
import launcher  # noqa: E402


def _has_java_and_maven() -> bool:
    try:
        launcher.find_java()
    except launcher.LauncherError:
        return False
    return launcher._find_tool("mvn") is not None


needs_kafka_toolchain = pytest.mark.skipif(not _has_java_and_maven(), reason="needs Java 17+ and Maven")


def _wait_gone(pid: int, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not launcher.pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_resume_without_a_kept_broker_is_an_error_not_a_fresh_start(tmp_path):
    run_dir = tmp_path / "kafka"
    run_dir.mkdir()
    with pytest.raises(launcher.LauncherError, match="keep_data"):
        launcher.resume_kafka(run_dir, log=launcher._quiet)
    (run_dir / launcher.STOPPED_FILE).write_text('{"address": "127.0.0.1:1"}')
    with pytest.raises(launcher.LauncherError, match="keep_data"):  # a record, but no data dir
        launcher.resume_kafka(run_dir, log=launcher._quiet)
    assert launcher.read_state(run_dir) is None


def test_stop_of_nothing_keeps_no_stop_record(tmp_path):
    run_dir = tmp_path / "kafka"
    run_dir.mkdir()
    assert launcher.stop_kafka(run_dir, keep_data=True) is False
    assert not (run_dir / launcher.STOPPED_FILE).exists()


@pytest.mark.integration
@needs_kafka_toolchain
def test_broker_stopped_with_its_data_resumes_on_the_same_port_with_its_records(tmp_path):
    from kafka import KafkaConsumer, KafkaProducer

    run_dir = tmp_path / "kafka"
    first = launcher.start_kafka(run_dir, die_with_parent=True, log=launcher._quiet)
    resumed = None
    try:
        producer = KafkaProducer(bootstrap_servers=first.address, acks="all")
        producer.send("restart-smoke", key=b"brand-a", value="پیش از ری‌استارت".encode()).get(timeout=60)
        producer.close()
        cluster_id = launcher.probe_kafka(first.address).cluster_id

        assert launcher.stop_kafka(run_dir, keep_data=True)
        assert _wait_gone(first.pid)
        assert not launcher.kafka_answers(first.address, timeout=1.0)
        assert launcher.kafka_status(run_dir) is None
        assert (run_dir / "data" / "meta.properties").is_file()

        cli = subprocess.run(  # the CLI resumes it too (and another process sees the same state)
            [sys.executable, str(LAUNCHER_DIR / "launcher.py"), "--run-root", str(tmp_path), "kafka", "resume"],
            capture_output=True, text=True, check=False, timeout=180,
        )  # fmt: skip
        assert cli.returncode == 0, cli.stderr
        assert cli.stdout.strip() == first.address
        resumed = launcher.resume_kafka(run_dir, log=launcher._quiet)  # running: reused, not started again
        assert resumed.address == first.address and resumed.pid != first.pid
        assert launcher.probe_kafka(resumed.address).cluster_id == cluster_id
        assert not (run_dir / launcher.STOPPED_FILE).exists()

        consumer = KafkaConsumer(
            "restart-smoke", bootstrap_servers=resumed.address, group_id="restart-test",
            auto_offset_reset="earliest", consumer_timeout_ms=60_000,
        )  # fmt: skip
        record = next(iter(consumer))
        consumer.close()
        assert (record.key, record.value.decode()) == (b"brand-a", "پیش از ری‌استارت")
    finally:
        stopped = launcher.stop_kafka(run_dir)  # a plain stop: data dropped, no resume possible
    assert stopped
    if resumed is not None:
        assert _wait_gone(resumed.pid)
    assert not (run_dir / "data").exists()
    assert not (run_dir / launcher.STOPPED_FILE).exists()
    with pytest.raises(launcher.LauncherError):
        launcher.resume_kafka(run_dir, log=launcher._quiet)
