#!/usr/bin/env python3
"""Local real components for bohran: a single-node Apache Kafka (KRaft) and a Redis, both on loopback.

Used by `make run`, the pytest fixtures and `bohran run`. Standard library only, Python >= 3.11, so it
runs before the venv exists. Kafka comes from Maven Central jars (fetched once by Maven into a cache
dir), Redis from Debian's `redis-server`. Each service keeps its pid, ports and dirs in a state file in
its run dir, so `status`, `stop` and reuse work across processes; several run dirs (e.g. `make run`'s
and a pytest session's temp dir) give independent instances.

CLI:  launcher.py kafka start|stop|status|resume [--keep-data]   launcher.py redis start|stop|status
      launcher.py env                                           launcher.py fetch
API:  ensure_kafka(...) / ensure_redis(...) -> Service(address, started_here, stop())
      stop_kafka(run_dir, keep_data=True) + resume_kafka(run_dir): a broker restart (same port, same data)
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

KAFKA_VERSION = "4.1.1"
SCALA_VERSION = "2.13"

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
POM_PATH = HERE / "pom.xml"
LOG4J_CONFIG = HERE / "log4j2.yaml"

CACHE_MARKER = ".bohran-complete.json"
STATE_FILE = "state.json"
STOPPED_FILE = "stopped.json"  # a broker stopped with its data kept, for resume_kafka
LOCK_FILE = ".lock"
LOOPBACK = "127.0.0.1"

DEFAULT_KAFKA_HEAP = "768m"
DEFAULT_KAFKA_START_TIMEOUT = 120.0
DEFAULT_REDIS_START_TIMEOUT = 20.0

Log = Callable[[str], None]


class LauncherError(RuntimeError):
    """A problem the user has to fix (missing tool, failed download, broker that never became ready)."""


class ProbeError(Exception):
    """A server answered, but not with what a ready server of the expected kind would say."""


def _say(message: str) -> None:
    print(f"bohran-local: {message}", file=sys.stderr, flush=True)


def _quiet(_message: str) -> None:
    pass


# --------------------------------------------------------------------------------------------------
# Locations


def cache_root() -> Path:
    """Where downloaded artifacts live: $BOHRAN_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/bohran."""
    explicit = os.environ.get("BOHRAN_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "bohran"


def kafka_libs_dir(cache: Path | None = None) -> Path:
    """The directory whose jars form the broker's classpath."""
    return Path(cache or cache_root()) / f"kafka-{KAFKA_VERSION}" / "libs"


def local_root() -> Path:
    """Parent of the default run dirs: $BOHRAN_LOCAL_DIR, else <repo>/.local (git-ignored)."""
    explicit = os.environ.get("BOHRAN_LOCAL_DIR")
    return Path(explicit).expanduser() if explicit else REPO_ROOT / ".local"


def default_run_dir(service: str) -> Path:
    return local_root() / service


def _resolve_run_dir(run_dir: str | os.PathLike[str] | None, service: str) -> Path:
    return Path(run_dir).expanduser().resolve() if run_dir else default_run_dir(service).resolve()


# --------------------------------------------------------------------------------------------------
# Small filesystem and process helpers


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialises fetches/starts between processes (pytest and `make run` may race on the same dir)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_json_atomically(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def read_state(run_dir: Path) -> dict | None:
    """The state a start left in run_dir, or None when absent or unreadable."""
    try:
        data = json.loads((Path(run_dir) / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def _clear_state(run_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (run_dir / STATE_FILE).unlink()


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no {path.name})"
    kept = text.splitlines()[-lines:]
    return "\n".join(kept) if kept else f"({path.name} is empty)"


def free_loopback_ports(count: int = 1) -> list[int]:
    """Distinct free ports on 127.0.0.1 (sockets held together so the kernel cannot hand out one twice)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


# Popen objects of processes this interpreter started, so they are reaped (no zombies look alive).
_CHILDREN: dict[int, subprocess.Popen] = {}


def _parent_death_hook() -> Callable[[], None] | None:
    """A preexec hook making the child get SIGTERM when this process dies (Linux prctl).

    Only from the main thread: the kernel signals when the *thread* that forked exits, so a worker
    thread would take the server down with it.
    """
    if threading.current_thread() is not threading.main_thread() or not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork: no imports in the child
    except (ImportError, OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


def _spawn(cmd: list[str], *, output: Path, cwd: Path, die_with_parent: bool) -> subprocess.Popen:
    """Starts a server detached from our terminal and session so it outlives a CLI call."""
    with open(output, "ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_parent_death_hook() if die_with_parent else None,
        )
    _CHILDREN[proc.pid] = proc
    return proc


def pid_alive(pid: int) -> bool:
    """True while pid runs (a zombie counts as gone)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _pid_runs(pid: int, *needles: str) -> bool:
    """Guards against pid reuse: the pid is alive and its command line still contains every needle."""
    if not pid_alive(pid):
        return False
    if not Path("/proc/self").exists():
        return True  # no procfs (not Linux): trust the pid
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return all(needle in cmdline for needle in needles)


def _exit_code(pid: int) -> int | None:
    child = _CHILDREN.get(pid)
    return child.returncode if child is not None else None


def _terminate(pid: int, grace: float) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL."""
    try:
        os.kill(pid, signal.SIGTERM)
        os.kill(pid, signal.SIGCONT)  # a stopped (SIGSTOP/^Z) process only acts on SIGTERM once resumed
    except ProcessLookupError:
        _CHILDREN.pop(pid, None)
        return
    deadline = time.monotonic() + grace
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=1)


def _find_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for directory in ("/usr/bin", "/usr/sbin", "/usr/local/bin"):
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


# --------------------------------------------------------------------------------------------------
# The service handle


@dataclass
class Service:
    """A running local service. `stop()` only acts if this process started it (safe to call always)."""

    name: str
    address: str
    started_here: bool
    run_dir: Path | None = None
    pid: int | None = None
    details: dict = field(default_factory=dict)

    def stop(self, timeout: float | None = None) -> bool:
        """Stops the service if we started it and it is still the same process; True if stopped."""
        if not self.started_here or self.run_dir is None or self.pid is None:
            return False
        state = read_state(self.run_dir)
        if state is None or state.get("pid") != self.pid:
            return False  # stopped (and maybe restarted by someone else) in the meantime
        stopper = stop_kafka if self.name == "kafka" else stop_redis
        return stopper(self.run_dir, timeout=timeout) if timeout is not None else stopper(self.run_dir)


# --------------------------------------------------------------------------------------------------
# Kafka jars: fetched once through Maven, marked complete only after a full copy


def pom_digest(pom: Path = POM_PATH) -> str:
    """Identifies the dependency set; a changed pom invalidates the cached jars."""
    return hashlib.sha256(Path(pom).read_bytes()).hexdigest()


def write_cache_marker(libs: Path, digest: str) -> None:
    """Records every jar with its size; written last, so its presence means the copy finished."""
    jars = {p.name: p.stat().st_size for p in sorted(Path(libs).glob("*.jar"))}
    if not jars:
        raise LauncherError(f"no jars in {libs} to mark as complete")
    marker = {"kafka_version": KAFKA_VERSION, "pom_sha256": digest, "jars": jars}
    _write_json_atomically(Path(libs) / CACHE_MARKER, marker)


def jar_cache_complete(libs: Path, digest: str) -> bool:
    """True only if the marker matches this pom and the jars on disk are exactly those it lists."""
    libs = Path(libs)
    try:
        marker = json.loads((libs / CACHE_MARKER).read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(marker, dict) or marker.get("pom_sha256") != digest:
        return False
    expected = marker.get("jars")
    if not isinstance(expected, dict) or f"kafka_{SCALA_VERSION}-{KAFKA_VERSION}.jar" not in expected:
        return False
    try:
        present = {p.name: p.stat().st_size for p in libs.glob("*.jar")}
    except OSError:
        return False
    return present == expected


def fetch_kafka_jars(cache: Path | None = None, *, mvn: str | None = None, log: Log = _say) -> Path:
    """Returns the libs dir, running Maven only when no complete copy is cached."""
    libs = kafka_libs_dir(cache)
    digest = pom_digest()
    if jar_cache_complete(libs, digest):
        return libs
    with _file_lock(libs.parent / ".fetch.lock"):
        if jar_cache_complete(libs, digest):
            return libs  # another process finished the fetch while we waited for the lock
        for leftover in libs.parent.glob("libs.partial-*"):
            shutil.rmtree(leftover, ignore_errors=True)  # we hold the lock: nobody is still writing these
        mvn = mvn or _find_tool("mvn")
        if not mvn:
            raise LauncherError(
                "Maven (mvn) not found; install it (apt-get install -y maven) to fetch Kafka jars"
            )
        staging = libs.parent / f"libs.partial-{os.getpid()}"
        log(f"fetching Kafka {KAFKA_VERSION} jars with Maven into {libs} (one time) ...")
        started = time.monotonic()
        cmd = [
            mvn,
            "-B",
            "-q",
            "-Dstyle.color=never",
            "-f",
            str(POM_PATH),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        try:
            result = subprocess.run(
                cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
            )
        except OSError as exc:
            raise LauncherError(f"could not run Maven ({mvn}): {exc}") from exc
        if result.returncode != 0 or not any(staging.glob("*.jar")):
            shutil.rmtree(staging, ignore_errors=True)
            output = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
            raise LauncherError(
                f"Maven failed to fetch Kafka {KAFKA_VERSION} jars (exit {result.returncode}):\n{output}"
            )
        write_cache_marker(staging, digest)
        shutil.rmtree(libs, ignore_errors=True)  # an incomplete or outdated earlier copy
        os.replace(staging, libs)
        count = len(list(libs.glob("*.jar")))
        log(f"fetched {count} jars in {time.monotonic() - started:.1f}s")
    return libs


# --------------------------------------------------------------------------------------------------
# Java


def find_java() -> str:
    """$JAVA_HOME/bin/java, else java on PATH; Kafka 4 brokers need Java 17+."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        java = str(Path(java_home) / "bin" / "java")
    else:
        java = _find_tool("java") or ""
    if not java:
        raise LauncherError(
            "Java not found; Kafka 4 needs Java 17+ (apt-get install -y openjdk-17-jre-headless)"
        )
    major = java_major_version(java)
    if major < 17:
        raise LauncherError(f"{java} is Java {major}; Kafka {KAFKA_VERSION} needs Java 17 or newer")
    return java


def java_major_version(java: str) -> int:
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    return parse_java_major_version(result.stderr + result.stdout)


def parse_java_major_version(version_output: str) -> int:
    """`openjdk version "17.0.15"` -> 17; `java version "1.8.0_401"` -> 8; unknown -> 0."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


# --------------------------------------------------------------------------------------------------
# Kafka wire protocol, just enough to know a broker is ready (ApiVersions v0 + Metadata v4..v8)

API_METADATA = 3
API_API_VERSIONS = 18
_CLIENT_ID = b"bohran-launcher"


@dataclass(frozen=True)
class KafkaProbe:
    """What a broker said about itself."""

    api_versions: dict[int, tuple[int, int]]
    brokers: tuple[tuple[int, str, int], ...]  # (node id, host, port) of live (unfenced) brokers
    cluster_id: str | None


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _unpack(self, fmt: str) -> int:
        try:
            (value,) = struct.unpack_from(fmt, self.data, self.pos)
        except struct.error as exc:
            raise ProbeError("truncated Kafka response") from exc
        self.pos += struct.calcsize(fmt)
        return value

    def int16(self) -> int:
        return self._unpack(">h")

    def int32(self) -> int:
        return self._unpack(">i")

    def nullable_string(self) -> str | None:
        length = self.int16()
        if length < 0:
            return None
        raw = self.data[self.pos : self.pos + length]
        if len(raw) != length:
            raise ProbeError("truncated Kafka response")
        self.pos += length
        return raw.decode("utf-8", errors="replace")


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ProbeError("connection closed by the server")
        buf += chunk
    return bytes(buf)


def _kafka_call(sock: socket.socket, api_key: int, version: int, correlation_id: int, body: bytes) -> _Reader:
    header = struct.pack(">hhih", api_key, version, correlation_id, len(_CLIENT_ID)) + _CLIENT_ID
    message = header + body
    sock.sendall(struct.pack(">i", len(message)) + message)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    if not 4 <= size <= 16 * 1024 * 1024:
        raise ProbeError(f"implausible Kafka response size {size}")
    reader = _Reader(_recv_exact(sock, size))
    if reader.int32() != correlation_id:
        raise ProbeError("Kafka response with a foreign correlation id")
    return reader


def split_host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"not host:port: {address!r}")
    return host.strip("[]"), int(port)


def probe_kafka(bootstrap: str, timeout: float = 2.0) -> KafkaProbe:
    """Asks the broker for its API versions and metadata; raises OSError/ProbeError if it can't answer."""
    host, port = split_host_port(bootstrap)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        reader = _kafka_call(sock, API_API_VERSIONS, 0, 1, b"")
        error = reader.int16()
        if error != 0:
            raise ProbeError(f"ApiVersions error code {error}")
        versions = {}
        for _ in range(reader.int32()):
            key, low, high = reader.int16(), reader.int16(), reader.int16()
            versions[key] = (low, high)
        low, high = versions.get(API_METADATA, (0, -1))
        usable = [v for v in range(4, 9) if low <= v <= high]
        if not usable:
            raise ProbeError(f"broker supports Metadata v{low}..v{high}, the probe speaks v4..v8")
        version = max(usable)
        body = struct.pack(">i?", 0, False)  # no topics, no auto-creation
        if version >= 8:
            body += struct.pack(">??", False, False)  # no authorized-operations lists
        reader = _kafka_call(sock, API_METADATA, version, 2, body)
        reader.int32()  # throttle_time_ms
        brokers = []
        for _ in range(reader.int32()):
            node_id, broker_host, broker_port = reader.int32(), reader.nullable_string() or "", reader.int32()
            reader.nullable_string()  # rack
            brokers.append((node_id, broker_host, broker_port))
        cluster_id = reader.nullable_string()
    return KafkaProbe(api_versions=versions, brokers=tuple(brokers), cluster_id=cluster_id)


def kafka_answers(bootstrap: str, *, cluster_id: str | None = None, timeout: float = 2.0) -> bool:
    """True if a broker at `bootstrap` serves requests and lists itself as live (of the given cluster)."""
    try:
        probe = probe_kafka(bootstrap, timeout=timeout)
    except (OSError, ProbeError, ValueError):
        return False
    _, port = split_host_port(bootstrap)
    if cluster_id is not None and probe.cluster_id != cluster_id:
        return False
    return any(broker_port == port for _, _, broker_port in probe.brokers)


# --------------------------------------------------------------------------------------------------
# Kafka broker


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22 chars, not '-'-led)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def kafka_server_properties(broker_port: int, controller_port: int, data_dir: Path) -> str:
    """Configuration of one combined broker+controller node on loopback, sized for a laptop."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"{LOOPBACK}:{controller_port}",
        "listeners": f"PLAINTEXT://{LOOPBACK}:{broker_port},CONTROLLER://{LOOPBACK}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{broker_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        # One node: every replication factor and ISR minimum is 1.
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Fewer internal partitions: the first consumer group and transaction start in well under a second.
        "offsets.topic.num.partitions": "8",
        "transaction.state.log.num.partitions": "8",
        "num.partitions": "1",
        "auto.create.topics.enable": "true",
        "delete.topic.enable": "true",
        # Consumers join immediately instead of waiting 3 s for more members.
        "group.initial.rebalance.delay.ms": "0",
        # Two shared cores: keep the thread pools small.
        "num.network.threads": "2",
        "num.io.threads": "4",
        "num.recovery.threads.per.data.dir": "1",
        "background.threads": "4",
    }
    lines = [f"# written by deploy/local/launcher.py for Kafka {KAFKA_VERSION}; regenerated at every start"]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def _kafka_java_cmd(
    java: str, libs: Path, logs_dir: Path, heap: str, main: list[str], *, tool: bool
) -> list[str]:
    jvm = ["-Xmx256m", "-XX:TieredStopAtLevel=1"] if tool else [f"-Xmx{heap}", "-Xms128m"]
    return [
        java,
        *jvm,
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:-UsePerfData",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        f"-Dkafka.logs.dir={logs_dir}",
        f"-Dbohran.kafka.log.level={os.environ.get('BOHRAN_KAFKA_LOG_LEVEL', 'INFO')}",
        "-cp",
        f"{libs}/*",
        *main,
    ]


def _kafka_failure_report(run_dir: Path) -> str:
    logs = run_dir / "logs"
    return (
        f"--- {logs / 'server.log'} (tail) ---\n{_tail(logs / 'server.log')}\n"
        f"--- {logs / 'kafka.out'} (tail) ---\n{_tail(logs / 'kafka.out', 15)}"
    )


def _format_kafka_storage(java: str, libs: Path, run_dir: Path, cluster_id: str, heap: str) -> None:
    cmd = _kafka_java_cmd(
        java,
        libs,
        run_dir / "logs",
        heap,
        ["kafka.tools.StorageTool", "format", "--standalone", "--cluster-id", cluster_id,
         "--config", str(run_dir / "server.properties")],
        tool=True,
    )  # fmt: skip
    try:
        result = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired as exc:
        raise LauncherError("formatting Kafka storage took over 180 s") from exc
    if result.returncode != 0:
        raise LauncherError(
            f"formatting Kafka storage failed (exit {result.returncode}):\n{(result.stdout + result.stderr).strip()}"
        )


def _kafka_needles(run_dir: Path) -> tuple[str, str]:
    return ("kafka.Kafka", str(run_dir / "server.properties"))


def _recorded_kafka(run_dir: Path, probe_timeout: float = 5.0) -> Service | None:
    """The broker recorded in run_dir if it is our process and answers as the recorded cluster."""
    state = read_state(run_dir)
    if state is None or state.get("service") != "kafka":
        return None
    pid, address = state["pid"], state.get("address", "")
    if not _pid_runs(pid, *_kafka_needles(run_dir)):
        return None
    for _ in range(2):  # a loaded machine or a GC pause must not make a healthy broker look dead
        if kafka_answers(address, cluster_id=state.get("cluster_id"), timeout=probe_timeout):
            return Service("kafka", address, started_here=False, run_dir=run_dir, pid=pid, details=state)
    return None


def kafka_status(run_dir: str | os.PathLike[str] | None = None) -> Service | None:
    """The running, answering broker recorded in run_dir (default <repo>/.local/kafka), or None."""
    return _recorded_kafka(_resolve_run_dir(run_dir, "kafka"))


def _await_kafka(pid: int, address: str, cluster_id: str, run_dir: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not pid_alive(pid):
            code = _exit_code(pid)
            raise LauncherError(
                f"Kafka exited during startup (exit code {code if code is not None else 'unknown'})\n"
                + _kafka_failure_report(run_dir)
            )
        if kafka_answers(address, cluster_id=cluster_id, timeout=2.0):
            return
        if time.monotonic() >= deadline:
            raise LauncherError(
                f"Kafka at {address} not ready after {timeout:.0f}s (pid {pid})\n"
                + _kafka_failure_report(run_dir)
            )
        time.sleep(0.2)


def start_kafka(
    run_dir: str | os.PathLike[str] | None = None,
    *,
    cache: Path | None = None,
    heap: str | None = None,
    timeout: float = DEFAULT_KAFKA_START_TIMEOUT,
    die_with_parent: bool = False,
    log: Log = _say,
) -> Service:
    """Reuses the broker recorded in run_dir if it answers; else formats fresh storage and starts one.

    Data is ephemeral: every fresh start wipes <run_dir>/data (ports are new each time, and the local
    broker is for development and tests, not for keeping data).
    """
    run_dir = _resolve_run_dir(run_dir, "kafka")
    run_dir.mkdir(parents=True, exist_ok=True)
    heap = heap or os.environ.get("BOHRAN_KAFKA_HEAP", DEFAULT_KAFKA_HEAP)
    with _file_lock(run_dir / LOCK_FILE):
        running = _recorded_kafka(run_dir)
        if running is not None:
            log(f"reusing Kafka at {running.address} (pid {running.pid})")
            return running
        _discard_recorded(run_dir, _kafka_needles(run_dir), grace=30.0, log=log)
        libs = fetch_kafka_jars(cache, log=log)
        java = find_java()
        for attempt in (1, 2):
            service = _start_kafka_once(run_dir, libs, java, heap, timeout, die_with_parent, log)
            if service is not None:
                return service
            log(f"Kafka port was taken by someone else; retrying with new ports (attempt {attempt})")
        raise LauncherError(
            "Kafka could not bind its loopback ports twice in a row\n" + _kafka_failure_report(run_dir)
        )


def _start_kafka_once(
    run_dir: Path, libs: Path, java: str, heap: str, timeout: float, die_with_parent: bool, log: Log
) -> Service | None:
    """One start attempt; None if it lost a race for its ports (the caller retries)."""
    data_dir, logs_dir = run_dir / "data", run_dir / "logs"
    shutil.rmtree(data_dir, ignore_errors=True)
    (run_dir / STOPPED_FILE).unlink(missing_ok=True)
    shutil.rmtree(logs_dir, ignore_errors=True)  # the tail shown on failure must be from this start
    data_dir.mkdir(parents=True)
    logs_dir.mkdir(parents=True)
    broker_port, controller_port = free_loopback_ports(2)
    address = f"{LOOPBACK}:{broker_port}"
    config = run_dir / "server.properties"
    config.write_text(kafka_server_properties(broker_port, controller_port, data_dir))
    cluster_id = new_cluster_id()
    log(f"starting Kafka {KAFKA_VERSION} (KRaft, one node) at {address}, run dir {run_dir} ...")
    started = time.monotonic()
    _format_kafka_storage(java, libs, run_dir, cluster_id, heap)
    formatted_after = time.monotonic() - started
    cmd = _kafka_java_cmd(java, libs, logs_dir, heap, ["kafka.Kafka", str(config)], tool=False)
    proc = _spawn(cmd, output=logs_dir / "kafka.out", cwd=run_dir, die_with_parent=die_with_parent)
    state = {
        "service": "kafka",
        "kafka_version": KAFKA_VERSION,
        "pid": proc.pid,
        "address": address,
        "broker_port": broker_port,
        "controller_port": controller_port,
        "cluster_id": cluster_id,
        "data_dir": str(data_dir),
        "logs_dir": str(logs_dir),
        "config": str(config),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write_json_atomically(run_dir / STATE_FILE, state)
    try:
        _await_kafka(proc.pid, address, cluster_id, run_dir, timeout)
    except LauncherError:
        _terminate(proc.pid, grace=10.0)
        _clear_state(run_dir)
        logs_text = _tail(logs_dir / "server.log", 400) + _tail(logs_dir / "kafka.out", 100)
        if "Address already in use" in logs_text:
            return None
        raise
    ready_after = time.monotonic() - started
    state["format_seconds"] = round(formatted_after, 2)
    state["ready_seconds"] = round(ready_after, 2)
    _write_json_atomically(run_dir / STATE_FILE, state)
    log(
        f"Kafka ready at {address} in {ready_after:.1f}s (storage format {formatted_after:.1f}s, pid {proc.pid})"
    )
    return Service("kafka", address, started_here=True, run_dir=run_dir, pid=proc.pid, details=state)


def _discard_recorded(run_dir: Path, needles: tuple[str, ...], grace: float, log: Log) -> None:
    """Cleans up after a recorded server that no longer answers (hung, or its pid reused by another)."""
    state = read_state(run_dir)
    if state is None:
        return
    pid = state["pid"]
    if _pid_runs(pid, *needles):
        log(f"recorded {state.get('service', 'server')} (pid {pid}) does not answer; stopping it")
        _terminate(pid, grace=grace)
    _clear_state(run_dir)


def _stop(
    run_dir: Path, needles: tuple[str, ...], timeout: float, cleanup: Callable[[dict | None], None]
) -> bool:
    with _file_lock(run_dir / LOCK_FILE):
        state = read_state(run_dir)
        stopped = False
        if state is not None and _pid_runs(state["pid"], *needles):
            _terminate(state["pid"], grace=timeout)
            stopped = True
        _clear_state(run_dir)
        cleanup(state)
        return stopped


def stop_kafka(
    run_dir: str | os.PathLike[str] | None = None, timeout: float = 30.0, *, keep_data: bool = False
) -> bool:
    """Stops the broker recorded in run_dir (SIGTERM, then SIGKILL after `timeout`) and drops its data.

    keep_data: keep the data dir and remember ports and cluster id, so `resume_kafka` restarts the
    same broker (how fault tests restart Kafka under load).
    """
    run_dir = _resolve_run_dir(run_dir, "kafka")
    if not run_dir.exists():
        return False

    def cleanup(state: dict | None) -> None:
        if keep_data and state is not None and state.get("service") == "kafka":
            _write_json_atomically(run_dir / STOPPED_FILE, state)
        elif not keep_data:
            shutil.rmtree(run_dir / "data", ignore_errors=True)
            (run_dir / STOPPED_FILE).unlink(missing_ok=True)

    return _stop(run_dir, _kafka_needles(run_dir), timeout, cleanup)


def resume_kafka(
    run_dir: str | os.PathLike[str] | None = None,
    *,
    cache: Path | None = None,
    heap: str | None = None,
    timeout: float = DEFAULT_KAFKA_START_TIMEOUT,
    die_with_parent: bool = False,
    log: Log = _say,
) -> Service:
    """Starts the broker `stop_kafka(keep_data=True)` left in run_dir again: same ports, cluster id and
    data, no storage format — a broker restart as clients see one in production. Reuses a running one."""
    run_dir = _resolve_run_dir(run_dir, "kafka")
    heap = heap or os.environ.get("BOHRAN_KAFKA_HEAP", DEFAULT_KAFKA_HEAP)
    with _file_lock(run_dir / LOCK_FILE):
        running = _recorded_kafka(run_dir)
        if running is not None:
            return running
        try:
            kept = json.loads((run_dir / STOPPED_FILE).read_text())
        except (OSError, ValueError):
            kept = None
        data_dir = run_dir / "data"
        if not isinstance(kept, dict) or not (data_dir / "meta.properties").is_file():
            raise LauncherError(f"no broker stopped with keep_data=True in {run_dir}")
        libs = fetch_kafka_jars(cache, log=log)
        java = find_java()
        config = run_dir / "server.properties"
        config.write_text(kafka_server_properties(kept["broker_port"], kept["controller_port"], data_dir))
        log(f"resuming Kafka at {kept['address']} with the data in {data_dir} ...")
        started = time.monotonic()
        cmd = _kafka_java_cmd(java, libs, run_dir / "logs", heap, ["kafka.Kafka", str(config)], tool=False)
        proc = _spawn(
            cmd, output=run_dir / "logs" / "kafka.out", cwd=run_dir, die_with_parent=die_with_parent
        )
        state = {**kept, "pid": proc.pid, "started_at": datetime.now(UTC).isoformat(timespec="seconds")}
        _write_json_atomically(run_dir / STATE_FILE, state)
        try:
            _await_kafka(proc.pid, kept["address"], kept["cluster_id"], run_dir, timeout)
        except LauncherError:
            _terminate(proc.pid, grace=10.0)
            _clear_state(run_dir)
            raise
        (run_dir / STOPPED_FILE).unlink(missing_ok=True)
        log(f"Kafka resumed at {kept['address']} in {time.monotonic() - started:.1f}s (pid {proc.pid})")
        return Service(
            "kafka", kept["address"], started_here=True, run_dir=run_dir, pid=proc.pid, details=state
        )


def ensure_kafka(
    run_dir: str | os.PathLike[str] | None = None, *, respect_env: bool = True, **start_options
) -> Service:
    """$KAFKA_BOOTSTRAP if set (nothing started), else the broker in run_dir, started if needed.

    start_options go to start_kafka (cache, heap, timeout, die_with_parent, log).
    """
    external = os.environ.get("KAFKA_BOOTSTRAP", "").strip() if respect_env else ""
    if external:
        return Service("kafka", external, started_here=False)
    return start_kafka(run_dir, **start_options)


# --------------------------------------------------------------------------------------------------
# Redis

_apt_updated = False


def _apt_install(packages: list[str], log: Log) -> None:
    global _apt_updated
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        log("apt-get update")
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
        _apt_updated = True
    log(f"apt-get install -y {' '.join(packages)}")
    subprocess.run(
        ["apt-get", "install", "-y", "-q", *packages], env=env, check=True, stdout=subprocess.DEVNULL
    )


def find_redis_server(*, install: bool = True, log: Log = _say) -> str:
    """redis-server from Debian; installed via apt when missing and we are root."""
    found = _find_tool("redis-server")
    if found:
        return found
    if install and os.geteuid() == 0 and _find_tool("apt-get"):
        try:
            _apt_install(["redis-server"], log)
        except subprocess.CalledProcessError as exc:
            raise LauncherError(f"installing redis-server failed: {exc}") from exc
        found = _find_tool("redis-server")
        if found:
            return found
    raise LauncherError(
        "redis-server not found; install it (sudo apt-get install -y redis-server, or run "
        "deploy/local/system-packages.sh as root) or point REDIS_URL at a running Redis"
    )


def redis_command(host: str, port: int, *args: str, timeout: float = 2.0) -> str | None:
    """Sends one command in RESP and returns a simple-string or bulk reply (errors raise ProbeError)."""
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(payload.encode())
        reply = sock.makefile("rb")
        line = reply.readline()
        if not line.endswith(b"\r\n"):
            raise ProbeError("truncated Redis reply")
        kind, rest = line[:1], line[1:-2].decode(errors="replace")
        if kind == b"+":
            return rest
        if kind == b"-":
            raise ProbeError(f"Redis error: {rest}")
        if kind == b"$":
            length = int(rest)
            if length < 0:
                return None
            data = reply.read(length + 2)
            if len(data) != length + 2:
                raise ProbeError("truncated Redis reply")
            return data[:-2].decode(errors="replace")
        raise ProbeError(f"unexpected Redis reply {line[:40]!r}")


def redis_answers(host: str, port: int, *, pid: int | None = None, timeout: float = 2.0) -> bool:
    """True if Redis at host:port answers PING (and, given a pid, is that very process)."""
    try:
        if redis_command(host, port, "PING", timeout=timeout) != "PONG":
            return False
        if pid is None:
            return True
        info = redis_command(host, port, "INFO", "server", timeout=timeout) or ""
    except (OSError, ProbeError, ValueError):
        return False
    match = re.search(r"^process_id:(\d+)", info, re.MULTILINE)
    return bool(match) and int(match.group(1)) == pid


def _redis_needles(port: int) -> tuple[str, str]:
    # redis-server rewrites its process title to "redis-server 127.0.0.1:PORT"
    return ("redis-server", f":{port}")


def _recorded_redis(run_dir: Path) -> Service | None:
    state = read_state(run_dir)
    if state is None or state.get("service") != "redis" or not isinstance(state.get("port"), int):
        return None
    pid, port = state["pid"], state["port"]
    if not _pid_runs(pid, *_redis_needles(port)):
        return None
    for _ in range(2):
        if redis_answers(LOOPBACK, port, pid=pid, timeout=3.0):
            return Service(
                "redis", state["address"], started_here=False, run_dir=run_dir, pid=pid, details=state
            )
    return None


def redis_status(run_dir: str | os.PathLike[str] | None = None) -> Service | None:
    """The running, answering Redis recorded in run_dir (default <repo>/.local/redis), or None."""
    return _recorded_redis(_resolve_run_dir(run_dir, "redis"))


def start_redis(
    run_dir: str | os.PathLike[str] | None = None,
    *,
    timeout: float = DEFAULT_REDIS_START_TIMEOUT,
    die_with_parent: bool = False,
    install: bool = True,
    log: Log = _say,
) -> Service:
    """Reuses the Redis recorded in run_dir if it answers; else starts one without persistence."""
    run_dir = _resolve_run_dir(run_dir, "redis")
    run_dir.mkdir(parents=True, exist_ok=True)
    with _file_lock(run_dir / LOCK_FILE):
        running = _recorded_redis(run_dir)
        if running is not None:
            log(f"reusing Redis at {running.address} (pid {running.pid})")
            return running
        state = read_state(run_dir)
        if state is not None and isinstance(state.get("port"), int):
            _discard_recorded(run_dir, _redis_needles(state["port"]), grace=5.0, log=log)
        _clear_state(run_dir)
        redis_server = find_redis_server(install=install, log=log)
        for _attempt in (1, 2):
            service = _start_redis_once(run_dir, redis_server, timeout, die_with_parent, log)
            if service is not None:
                return service
            log("Redis port was taken by someone else; retrying with a new port")
        raise LauncherError(
            f"Redis could not bind a loopback port twice in a row\n{_tail(run_dir / 'redis.log')}"
        )


def _start_redis_once(
    run_dir: Path, redis_server: str, timeout: float, die_with_parent: bool, log: Log
) -> Service | None:
    (port,) = free_loopback_ports(1)
    log_file = run_dir / "redis.log"
    with contextlib.suppress(FileNotFoundError):
        log_file.unlink()
    cmd = [
        redis_server,
        "--bind", LOOPBACK,
        "--port", str(port),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--protected-mode", "yes",
        "--dir", str(run_dir),
        "--logfile", str(log_file),
    ]  # fmt: skip
    started = time.monotonic()
    proc = _spawn(cmd, output=run_dir / "redis.out", cwd=run_dir, die_with_parent=die_with_parent)
    address = f"redis://{LOOPBACK}:{port}/0"
    state = {
        "service": "redis",
        "pid": proc.pid,
        "port": port,
        "address": address,
        "log_file": str(log_file),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write_json_atomically(run_dir / STATE_FILE, state)
    deadline = started + timeout
    while not redis_answers(LOOPBACK, port, pid=proc.pid, timeout=1.0):
        if not pid_alive(proc.pid) or time.monotonic() >= deadline:
            reason = "exited" if not pid_alive(proc.pid) else f"not ready after {timeout:.0f}s"
            _terminate(proc.pid, grace=3.0)
            _clear_state(run_dir)
            report = f"{_tail(log_file)}\n{_tail(run_dir / 'redis.out', 10)}"
            if "Address already in use" in report:
                return None
            raise LauncherError(
                f"Redis on port {port} {reason} (pid {proc.pid})\n--- redis log ---\n{report}"
            )
        time.sleep(0.05)
    log(f"Redis ready at {address} in {time.monotonic() - started:.1f}s (pid {proc.pid})")
    return Service("redis", address, started_here=True, run_dir=run_dir, pid=proc.pid, details=state)


def stop_redis(run_dir: str | os.PathLike[str] | None = None, timeout: float = 10.0) -> bool:
    """Stops the Redis recorded in run_dir (SIGTERM, then SIGKILL after `timeout`)."""
    run_dir = _resolve_run_dir(run_dir, "redis")
    if not run_dir.exists():
        return False
    state = read_state(run_dir)
    port = state.get("port") if state else None
    needles = _redis_needles(port) if isinstance(port, int) else ("redis-server",)
    return _stop(run_dir, needles, timeout, lambda _state: None)


def ensure_redis(
    run_dir: str | os.PathLike[str] | None = None, *, respect_env: bool = True, **start_options
) -> Service:
    """$REDIS_URL if set (nothing started), else the Redis in run_dir, started if needed."""
    external = os.environ.get("REDIS_URL", "").strip() if respect_env else ""
    if external:
        return Service("redis", external, started_here=False)
    return start_redis(run_dir, **start_options)


# --------------------------------------------------------------------------------------------------
# CLI


def _print_status(service: Service | None, name: str, run_dir: Path) -> int:
    if service is None:
        print(f"{name}: not running (run dir {run_dir})")
        return 3
    print(f"{name}: running at {service.address} (pid {service.pid}, run dir {run_dir})")
    return 0


def _env_lines(root: Path) -> list[str]:
    """What `eval "$(launcher.py env)"` should export: env-provided or recorded-and-answering services."""
    lines = []
    kafka = os.environ.get("KAFKA_BOOTSTRAP", "").strip()
    if not kafka:
        running = _recorded_kafka(root / "kafka")
        kafka = running.address if running else ""
    if kafka:
        lines.append(f"export KAFKA_BOOTSTRAP={kafka}")
    redis = os.environ.get("REDIS_URL", "").strip()
    if not redis:
        running = _recorded_redis(root / "redis")
        redis = running.address if running else ""
    if redis:
        lines.append(f"export REDIS_URL={redis}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="launcher.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--run-root",
        type=Path,
        default=None,
        help="parent of the kafka/ and redis/ run dirs (default $BOHRAN_LOCAL_DIR or <repo>/.local)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("kafka", "redis"):
        service = commands.add_parser(name, help=f"manage the local {name}")
        service.add_argument(
            "action",
            choices=("start", "stop", "status", "resume") if name == "kafka" else ("start", "stop", "status"),
        )
        service.add_argument("--timeout", type=float, default=None, help="seconds to wait for readiness/stop")
        if name == "kafka":
            service.add_argument("--keep-data", action="store_true", help="stop: keep data for `resume`")
    commands.add_parser("env", help="print export lines for the running services")
    commands.add_parser("fetch", help="only download the Kafka jars into the cache")
    args = parser.parse_args(argv)
    root = (args.run_root or local_root()).expanduser().resolve()

    try:
        if args.command == "fetch":
            libs = fetch_kafka_jars()
            print(libs)
            return 0
        if args.command == "env":
            for line in _env_lines(root):
                print(line)
            return 0
        run_dir = root / args.command
        if args.command == "kafka":
            if args.action == "start":
                options = {"timeout": args.timeout} if args.timeout else {}
                print(ensure_kafka(run_dir, **options).address)
                return 0
            if args.action == "stop":
                stopped = stop_kafka(run_dir, timeout=args.timeout or 30.0, keep_data=args.keep_data)
                print("kafka: stopped" if stopped else "kafka: was not running")
                return 0
            if args.action == "resume":
                options = {"timeout": args.timeout} if args.timeout else {}
                print(resume_kafka(run_dir, **options).address)
                return 0
            return _print_status(kafka_status(run_dir), "kafka", run_dir)
        if args.action == "start":
            options = {"timeout": args.timeout} if args.timeout else {}
            print(ensure_redis(run_dir, **options).address)
            return 0
        if args.action == "stop":
            stopped = stop_redis(run_dir, timeout=args.timeout or 10.0)
            print("redis: stopped" if stopped else "redis: was not running")
            return 0
        return _print_status(redis_status(run_dir), "redis", run_dir)
    except LauncherError as exc:
        print(f"bohran-local: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
