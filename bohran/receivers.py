"""Local stand-ins for Slack's incoming webhook and an SMTP server, for `make run` and tests.

Both are real servers on loopback (HTTP via the standard library, SMTP via aiosmtpd), so the
channels under test speak their real protocols. The HTTP receiver can be told how to answer (a
scripted sequence of replies, a standing reply, Retry-After headers, slow answers) because delivery
faults are what the channel and dispatcher tests are about; it records every request it answered,
with the answer and the time, so a test can check a retry schedule from the receiver's side.
The SMTP receiver can be stopped and started again on the same port, for "mail server down" tests.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class Reply:
    """How the HTTP receiver answers one request: status, headers, body, after `delay` seconds."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = "ok"
    delay: float = 0.0

    @classmethod
    def rate_limited(cls, retry_after: float | str, *, body: str = "rate_limited") -> Reply:
        """Slack's answer to a webhook posting too fast: 429 with a Retry-After header."""
        value = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
        return cls(429, {"Retry-After": value}, body)

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


@dataclass(slots=True)
class ReceivedRequest:
    """One request as the receiver saw it, and what it answered (`status`) at `at` (time.monotonic())."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = 0.0
    status: int = 200

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up on a slow reply (a timeout test) is expected, not worth a traceback.
        return None


class WebhookReceiver:
    """An HTTP server on loopback that records requests and answers as scripted.

    Answers come first from the `script` queue (first in, first out), then from the standing
    `reply` (200 "ok" unless changed with `answer_with`). `on_request` is called for accepted
    requests only, i.e. for messages that were delivered.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        on_request: Callable[[ReceivedRequest], None] | None = None,
    ) -> None:
        self.host = host
        self.on_request = on_request
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []
        self._script: list[Reply] = []
        self._reply = Reply()
        self._server = _QuietServer((host, port), self._handler_class())
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )
        self._running = False

    # -- control ---------------------------------------------------------------------------------

    def script(self, *replies: Reply) -> WebhookReceiver:
        """Queue replies for the next requests, in order; afterwards the standing reply applies."""
        with self._lock:
            self._script.extend(replies)
        return self

    def answer_with(self, reply: Reply) -> WebhookReceiver:
        """Change the standing reply (e.g. 500 during an outage, then 429, then 200 again)."""
        with self._lock:
            self._reply = reply
        return self

    @property
    def url(self) -> str:
        return self.url_for("/hook")

    def url_for(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        self._running = True
        return self

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._server.shutdown()
        self._server.server_close()

    # -- what arrived ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request answered so far, accepted or not, in arrival order."""
        with self._lock:
            return list(self._requests)

    def received(self) -> list[ReceivedRequest]:
        """Accepted (2xx) requests only: the messages that were delivered."""
        with self._lock:
            return [r for r in self._requests if r.accepted]

    # -- the server ------------------------------------------------------------------------------

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._script.pop(0) if self._script else self._reply

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = receiver._next_reply()
                request = ReceivedRequest(
                    self.command, self.path, dict(self.headers.items()), body, arrived, reply.status
                )
                receiver._record(request)
                if reply.delay > 0:
                    time.sleep(reply.delay)
                payload = reply.body.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client hung up (it timed out on a slow reply)
                    return
                if request.accepted and receiver.on_request is not None:
                    receiver.on_request(request)

            do_POST = do_PUT = do_GET = do_DELETE = _handle  # noqa: N815 - http.server naming

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                return

        return Handler


@dataclass
class SmtpReceiver:
    """aiosmtpd on loopback keeping every message it accepts.

    `stop()` closes the port (safe to call twice); `start()` opens it again on the same port, so a
    test can take the mail server down and bring it back while a channel keeps the address.
    """

    host: str = "127.0.0.1"
    port: int = 0
    on_message: Callable[[email.message.EmailMessage], None] | None = None
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._controller: Any = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpReceiver:
        from aiosmtpd.controller import Controller

        if self._controller is not None:
            return self
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
        controller = Controller(Handler(), hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()
