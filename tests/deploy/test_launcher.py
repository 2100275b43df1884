"""The local launcher: jar-cache bookkeeping, broker config, and real Kafka/Redis lifecycles in temp run dirs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
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
needs_redis = pytest.mark.skipif(launcher._find_tool("redis-server") is None, reason="needs redis-server")


def _fake_jar_cache(libs: Path, jars: dict[str, bytes]) -> Path:
    libs.mkdir(parents=True)
    for name, content in jars.items():
        (libs / name).write_bytes(content)
    return libs


KAFKA_JAR = f"kafka_{launcher.SCALA_VERSION}-{launcher.KAFKA_VERSION}.jar"
FAKE_JARS = {KAFKA_JAR: b"broker classes", "scala-library-2.13.16.jar": b"scala", "zstd-jni.jar": b"native"}


# ----------------------------------------------------------------------------------------------- pure-ish


def test_pom_and_launcher_agree_on_the_kafka_version():
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    pom = ET.parse(launcher.POM_PATH).getroot()
    assert pom.findtext("m:properties/m:kafka.version", namespaces=ns) == launcher.KAFKA_VERSION


def test_complete_jar_cache_is_recognised(tmp_path):
    libs = _fake_jar_cache(tmp_path / "libs", FAKE_JARS)
    launcher.write_cache_marker(libs, "digest-a")
    assert launcher.jar_cache_complete(libs, "digest-a")


@pytest.mark.parametrize(
    "damage",
    ["no_marker", "jar_missing", "jar_truncated", "stray_jar", "other_pom", "corrupt_marker", "no_kafka_jar"],
)
def test_incomplete_jar_cache_counts_as_missing(tmp_path, damage):
    jars = dict(FAKE_JARS)
    if damage == "no_kafka_jar":
        del jars[KAFKA_JAR]
    libs = _fake_jar_cache(tmp_path / "libs", jars)
    if damage != "no_marker":
        launcher.write_cache_marker(libs, "digest-a")
    digest = "digest-a"
    if damage == "jar_missing":
        (libs / "zstd-jni.jar").unlink()  # e.g. an interrupted copy that somehow kept the marker
    elif damage == "jar_truncated":
        (libs / KAFKA_JAR).write_bytes(b"broker")
    elif damage == "stray_jar":
        (libs / "leftover-1.0.jar").write_bytes(b"x")
    elif damage == "other_pom":
        digest = "digest-b"
    elif damage == "corrupt_marker":
        (libs / launcher.CACHE_MARKER).write_text('{"jars": {')
    assert not launcher.jar_cache_complete(libs, digest)


def test_fetch_reuses_a_complete_cache_without_running_maven(tmp_path):
    libs = _fake_jar_cache(launcher.kafka_libs_dir(tmp_path), FAKE_JARS)
    launcher.write_cache_marker(libs, launcher.pom_digest())
    assert launcher.fetch_kafka_jars(tmp_path, mvn="/nonexistent/mvn", log=launcher._quiet) == libs


def test_failed_fetch_leaves_no_cache_that_looks_complete(tmp_path):
    libs = _fake_jar_cache(launcher.kafka_libs_dir(tmp_path), FAKE_JARS)  # jars but no marker: partial
    with pytest.raises(launcher.LauncherError, match="Maven failed"):
        launcher.fetch_kafka_jars(tmp_path, mvn="/bin/false", log=launcher._quiet)
    assert not launcher.jar_cache_complete(libs, launcher.pom_digest())
    assert not list(libs.parent.glob("libs.partial-*"))


def test_cache_location_follows_bohran_cache_then_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("BOHRAN_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert (
        launcher.kafka_libs_dir() == tmp_path / "xdg" / "bohran" / f"kafka-{launcher.KAFKA_VERSION}" / "libs"
    )
    monkeypatch.setenv("BOHRAN_CACHE", str(tmp_path / "mine"))
    assert launcher.kafka_libs_dir() == tmp_path / "mine" / f"kafka-{launcher.KAFKA_VERSION}" / "libs"


def test_broker_config_is_single_node_on_loopback(tmp_path):
    text = launcher.kafka_server_properties(19092, 19093, tmp_path / "data")
    props = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["log.dirs"] == str(tmp_path / "data")
    factors = [k for k in props if k.endswith("replication.factor") or k.endswith("min.isr")]
    assert len(factors) >= 5 and all(props[k] == "1" for k in factors)
    assert props["min.insync.replicas"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "true"


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_401"', 8),
        ("command not found", 0),
    ],
)
def test_java_major_version_parsing(output, major):
    assert launcher.parse_java_major_version(output) == major


def test_cluster_ids_are_kafka_shaped_and_random():
    ids = {launcher.new_cluster_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)


def test_env_addresses_win_and_start_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "broker.example:9092")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/2")
    kafka = launcher.ensure_kafka(tmp_path / "kafka")
    redis = launcher.ensure_redis(tmp_path / "redis")
    assert (kafka.address, kafka.started_here) == ("broker.example:9092", False)
    assert (redis.address, redis.started_here) == ("redis://cache.example:6379/2", False)
    assert not kafka.stop() and not redis.stop()
    assert not (tmp_path / "kafka").exists() and not (tmp_path / "redis").exists()


def test_state_with_a_dead_pid_is_not_running(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_dir = tmp_path / "kafka"
    run_dir.mkdir()
    state = {"service": "kafka", "pid": dead.pid, "address": "127.0.0.1:1", "cluster_id": "x"}
    (run_dir / launcher.STATE_FILE).write_text(json.dumps(state))
    assert launcher.kafka_status(run_dir) is None
    assert launcher.stop_kafka(run_dir) is False
    assert not (run_dir / launcher.STATE_FILE).exists()


# ----------------------------------------------------------------------------------------------- real servers


def _wait_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not launcher.pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.integration
@needs_kafka_toolchain
def test_kafka_starts_serves_is_reused_and_stops(tmp_path):
    from kafka import KafkaConsumer, KafkaProducer

    run_dir = tmp_path / "kafka"
    kafka = launcher.ensure_kafka(run_dir, respect_env=False, die_with_parent=True)
    try:
        assert kafka.started_here and kafka.address.startswith("127.0.0.1:")
        assert launcher.read_state(run_dir)["pid"] == kafka.pid

        producer = KafkaProducer(bootstrap_servers=kafka.address)
        producer.send("launcher-smoke", key=b"brand-a", value="سلام bohran".encode()).get(timeout=60)
        producer.close()
        consumer = KafkaConsumer(
            "launcher-smoke",
            bootstrap_servers=kafka.address,
            group_id="launcher-test",
            auto_offset_reset="earliest",
            consumer_timeout_ms=60_000,
        )
        record = next(iter(consumer))
        consumer.close()
        assert (record.key, record.value.decode()) == (b"brand-a", "سلام bohran")

        again = launcher.ensure_kafka(run_dir, respect_env=False)
        assert (again.address, again.pid, again.started_here) == (kafka.address, kafka.pid, False)
        assert again.stop() is False  # not ours to stop
        cli = subprocess.run(
            [
                sys.executable,
                str(LAUNCHER_DIR / "launcher.py"),
                "--run-root",
                str(tmp_path),
                "kafka",
                "status",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert cli.returncode == 0 and kafka.address in cli.stdout  # state is visible to other processes
    finally:
        stopped = kafka.stop()
    assert stopped
    assert _wait_gone(kafka.pid)
    assert launcher.read_state(run_dir) is None
    assert launcher.kafka_status(run_dir) is None
    assert not launcher.kafka_answers(kafka.address, timeout=1.0)


@pytest.mark.integration
@needs_redis
def test_redis_starts_serves_is_reused_and_stops(tmp_path):
    import redis

    run_dir = tmp_path / "redis"
    service = launcher.ensure_redis(run_dir, respect_env=False, die_with_parent=True)
    try:
        assert service.started_here and service.address.startswith("redis://127.0.0.1:")
        client = redis.Redis.from_url(service.address)
        client.set("bohran:launcher", "ok")
        assert client.get("bohran:launcher") == b"ok"
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        client.close()

        again = launcher.ensure_redis(run_dir, respect_env=False)
        assert (again.address, again.pid, again.started_here) == (service.address, service.pid, False)
        assert again.stop() is False
    finally:
        stopped = service.stop()
    assert stopped
    assert _wait_gone(service.pid)
    assert launcher.redis_status(run_dir) is None
    assert launcher.read_state(run_dir) is None


@pytest.mark.integration
@needs_redis
def test_redis_killed_behind_our_back_is_replaced(tmp_path):
    run_dir = tmp_path / "redis"
    first = launcher.start_redis(run_dir, die_with_parent=True, log=launcher._quiet)
    os.kill(first.pid, signal.SIGKILL)
    assert _wait_gone(first.pid)
    assert launcher.redis_status(run_dir) is None
    second = launcher.start_redis(run_dir, die_with_parent=True, log=launcher._quiet)
    try:
        assert second.started_here and second.pid != first.pid
        assert launcher.redis_answers("127.0.0.1", second.details["port"], pid=second.pid)
    finally:
        second.stop()


@pytest.mark.integration
@needs_redis
def test_kafka_probe_rejects_a_server_that_is_not_kafka(tmp_path):
    service = launcher.start_redis(tmp_path / "redis", die_with_parent=True, log=launcher._quiet)
    try:
        assert not launcher.kafka_answers(f"127.0.0.1:{service.details['port']}", timeout=0.5)
    finally:
        service.stop()


@pytest.mark.integration
@needs_redis
def test_server_tied_to_its_parent_dies_with_it(tmp_path):
    """die_with_parent: a test session killed with SIGKILL must not leave servers behind."""
    run_dir = tmp_path / "redis"
    script = (
        f"import sys; sys.path.insert(0, {str(LAUNCHER_DIR)!r}); import launcher, time; "
        f"launcher.start_redis({str(run_dir)!r}, die_with_parent=True, log=launcher._quiet); "
        "print('up', flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "up"
        pid = launcher.read_state(run_dir)["pid"]
        assert launcher.pid_alive(pid)
    finally:
        parent.kill()
        parent.wait()
    assert _wait_gone(pid, seconds=10)
