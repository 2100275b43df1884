"""Loopback servers for channel tests: aiosmtpd SMTP servers, a test certificate, Alertmanager.

The HTTP receiver is `bohran.receivers.WebhookReceiver` (the one `make run` uses), so there is one
programmable Slack/webhook stand-in for every test."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


def make_tls_files(out: Path) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1, made with the openssl CLI (no `cryptography` in the venv)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl CLI not installed: cannot make a test certificate")
    cert, key = out / "cert.pem", out / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return TlsFiles(cert, key)


class RecordingSmtpHandler:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server, session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd hook name)
        self.envelopes.append(envelope)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingSmtpHandler


SMTP_USER = "bohran"
SMTP_PASSWORD = "s3cret-pass"


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def start_smtp(**kwargs) -> tuple[Controller, SmtpServer]:
    handler = RecordingSmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, SmtpServer("127.0.0.1", port, handler)


def starttls_auth_options(tls_files: TlsFiles) -> dict:
    """STARTTLS required, and AUTH (only offered after TLS)."""
    return {
        "tls_context": tls_files.server_context(),
        "require_starttls": True,
        "authenticator": _authenticator,
        "auth_require_tls": True,
    }


ALERTMANAGER_BINARY = "/usr/bin/prometheus-alertmanager"
ALERTMANAGER_CONFIG = """\
route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
"""


@dataclass
class AlertmanagerProcess:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start_alertmanager(workdir: Path, *, ready_timeout: float = 20.0) -> AlertmanagerProcess:
    """Debian's real Alertmanager on a free loopback port, clustering off, storage in `workdir`."""
    import time
    import urllib.request

    binary = shutil.which("prometheus-alertmanager") or ALERTMANAGER_BINARY
    if not Path(binary).exists():
        pytest.skip(
            f"prometheus-alertmanager not installed (looked for {ALERTMANAGER_BINARY}); apt install prometheus-alertmanager"
        )
    config = workdir / "alertmanager.yml"
    config.write_text(ALERTMANAGER_CONFIG)
    (workdir / "data").mkdir(exist_ok=True)
    port = free_port()
    log_path = workdir / "alertmanager.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # no gossip port: a single, private instance
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    am = AlertmanagerProcess(process, base_url, log_path)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"alertmanager exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(base_url + "/-/ready", timeout=1) as response:
                if response.status == 200:
                    return am
        except OSError:
            time.sleep(0.1)
    am.stop()
    raise RuntimeError(
        f"alertmanager not ready after {ready_timeout}s: {log_path.read_text(errors='replace')[-2000:]}"
    )
