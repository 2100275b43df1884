"""Local stand-ins for Slack's incoming webhook and an SMTP server, for `make run` and tests.

Both are real servers on loopback (HTTP via the standard library, SMTP via aiosmtpd), so the
channels under test speak their real protocols; received messages are kept and can be printed.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(slots=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """An HTTP server that records POSTs; `responses` can script status codes (e.g. 500, 429)."""

    host: str = "127.0.0.1"
    port: int = 0
    on_request: Callable[[ReceivedRequest], None] | None = None
    requests: list[ReceivedRequest] = field(default_factory=list)
    responses: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # consumed first-in first-out

    def __post_init__(self) -> None:
        receiver = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    status, headers = receiver.responses.pop(0) if receiver.responses else (200, {})
                    request = ReceivedRequest(self.path, dict(self.headers.items()), body)
                    if 200 <= status < 300:
                        receiver.requests.append(request)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                reply = b"ok" if status < 300 else b"error"
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
                if 200 <= status < 300 and receiver.on_request is not None:
                    receiver.on_request(request)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                return

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def received(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self.requests)


@dataclass
class SmtpReceiver:
    """aiosmtpd on loopback keeping every message it accepts."""

    host: str = "127.0.0.1"
    port: int = 0
    on_message: Callable[[email.message.EmailMessage], None] | None = None
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    def start(self) -> SmtpReceiver:
        import socket

        from aiosmtpd.controller import Controller

        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
                receiver.messages.append(message)  # type: ignore[arg-type]
                if receiver.on_message is not None:
                    receiver.on_message(message)  # type: ignore[arg-type]
                return "250 Message accepted"

        if self.port == 0:
            with socket.socket() as sock:
                sock.bind((self.host, 0))
                self.port = sock.getsockname()[1]
        self._controller = Controller(Handler(), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
