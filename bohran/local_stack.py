"""Starting and stopping the local real components (Kafka, Redis) through `deploy/local/launcher.py`.

The launcher is a standard-library script so it can run before any venv exists; this module
imports it from the source tree for `bohran run` and the integration tests.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_launcher() -> ModuleType:
    path = REPO_ROOT / "deploy" / "local" / "launcher.py"
    if not path.exists():
        raise RuntimeError(
            f"{path} not found: `bohran run` needs a source checkout, or set KAFKA_BOOTSTRAP and REDIS_URL"
        )
    spec = importlib.util.spec_from_file_location("bohran_local_launcher", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WorkerProcess:
    """A `bohran worker` subprocess with its own log file; stopped with SIGTERM then SIGKILL."""

    def __init__(self, config_path: Path, env: dict[str, str], log_path: Path, web_port: int | None = None) -> None:
        self.web_port = web_port or free_port()
        self.log_path = log_path
        self.env = {**os.environ, **env, "BOHRAN_WEB_PORT": str(self.web_port), "PYTHONUNBUFFERED": "1"}
        self.config_path = config_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bohran.cli", "worker", "--config", str(self.config_path)],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT, cwd=str(REPO_ROOT),
        )
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        """Ready = the web server answers and the detect agent has partitions assigned."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as resp:
                    if resp.status == 200 and "worker ready" in self.log_text().lower():
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"worker not ready after {timeout_s}s:\n{self.log_tail()}")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout_s: float = 20.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
