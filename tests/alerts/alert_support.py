"""Helpers for the lifecycle/store/dispatcher tests: a controllable clock, a signal builder, and a
real `redis-server` a test can stop and start again on the same port.

A module with its own name (not conftest.py) so test files can import it unambiguously.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from streams.signal import Signal

T0 = 1_714_557_600.0  # 2024-05-01T10:00:00Z
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class FakeClock:
    """Wall-clock stand-in: only moves when a test says so."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def build_signal(**overrides: Any) -> Signal:
    """A plausible firing signal for brand `novinnet`; tests override only what they are about."""
    fields: dict[str, Any] = {
        "brand": "novinnet",
        "detector": "negative_volume",
        "status": "firing",
        "severity": "warning",
        "score": 7.5,
        "threshold": 6.0,
        "observed": 40.0,
        "expected": 6.0,
        "started_at": T0 - 600,
        "evaluated_at": T0,
        "window_start": T0 - 300,
        "window_end": T0,
        "negative_share": 0.4,
        "baseline_share": 0.1,
        "reach": 250_000.0,
        "total": 100,
        "negative": 40,
        "categories": {"outage": 20},
        "summary": "outage complaints",
    }
    fields.update(overrides)
    return Signal(**fields)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """One redis-server process on loopback that a test may stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
