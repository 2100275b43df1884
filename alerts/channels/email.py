"""Email over SMTP: security none / STARTTLS / implicit TLS, optional auth from env-named secrets.

The stdlib `smtplib` runs in a worker thread (`asyncio.to_thread`): one connection per message
is plenty at alert volumes and adds no dependency. SMTP replies map to retryability the way the
protocol means them: 4xx is transient, 5xx is permanent; a refused login or a server without
STARTTLS is a configuration error, not worth retrying.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Literal

from alerts.channels.base import DeliveryFailed, Secret, scrub
from alerts.notification import Notification
from alerts.render.email import render_email

log = logging.getLogger(__name__)

DEFAULT_SMTP_TIMEOUT = 30.0
Security = Literal["none", "starttls", "tls"]


class SmtpEmailChannel:
    kind = "email"

    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        from_addr: str,
        to: Sequence[str],
        security: Security = "starttls",
        username: Secret | None = None,
        password: Secret | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = DEFAULT_SMTP_TIMEOUT,
        tz: str = "UTC",
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(f"email channel {name!r}: unknown security {security!r}")
        if (username is None) != (password is None):
            raise ValueError(f"email channel {name!r}: username and password go together")
        self.name = name
        self.host = host
        self.port = port
        self.from_addr = from_addr
        self.to = list(to)
        self.security = security
        self.tz = tz
        self._username = username
        self._password = password
        self._ssl_context = ssl_context
        self._timeout = timeout

    def __repr__(self) -> str:
        auth = ", auth=***" if self._username is not None else ""
        return f"SmtpEmailChannel(name={self.name!r}, server={self.host}:{self.port}, security={self.security}{auth})"

    def render(self, notification: Notification) -> EmailMessage:
        return render_email(notification, from_addr=self.from_addr, to=self.to, tz=self.tz)

    async def send(self, notification: Notification) -> None:
        await self.send_message(self.render(notification))

    async def send_message(self, message: EmailMessage) -> None:
        """Send an already rendered message (alerts, digests) with this channel's SMTP session handling."""
        await asyncio.to_thread(self._send_blocking, message)

    async def aclose(self) -> None:
        return None

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context if self._ssl_context is not None else ssl.create_default_context()

    def _fail(self, what: str, *, retryable: bool) -> DeliveryFailed:
        text = scrub(what, [self._username, self._password])[:300]
        return DeliveryFailed(
            f"email channel {self.name!r} ({self.host}:{self.port}, {self.security}): {text}",
            retryable=retryable,
        )

    def _send_blocking(self, message: EmailMessage) -> None:
        try:
            if self.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self._timeout, context=self._context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
            with client:
                client.ehlo()
                if self.security == "starttls":
                    client.starttls(context=self._context())
                    client.ehlo()
                if self._username is not None and self._password is not None:
                    client.login(self._username.reveal(), self._password.reveal())
                refused = client.send_message(message, from_addr=self.from_addr, to_addrs=self.to)
        except smtplib.SMTPAuthenticationError as exc:
            raise self._fail(f"login refused ({exc.smtp_code})", retryable=False) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise self._fail(f"server does not support it: {exc}", retryable=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            transient = bool(codes) and all(400 <= code < 500 for code in codes)
            raise self._fail(
                f"all recipients refused ({', '.join(map(str, codes))})", retryable=transient
            ) from None
        except smtplib.SMTPResponseException as exc:
            reply = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise self._fail(
                f"{type(exc).__name__} {exc.smtp_code} {reply.strip()[:150]}",
                retryable=400 <= exc.smtp_code < 500,
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise self._fail(f"server disconnected: {exc}", retryable=True) from None
        except ssl.SSLCertVerificationError as exc:
            raise self._fail(f"TLS certificate not trusted: {exc.verify_message}", retryable=False) from None
        except ssl.SSLError as exc:
            raise self._fail(f"TLS error: {exc.reason or exc}", retryable=False) from None
        except TimeoutError as exc:
            raise self._fail(f"timed out ({type(exc).__name__})", retryable=True) from None
        except smtplib.SMTPException as exc:
            raise self._fail(f"{type(exc).__name__}: {exc}", retryable=True) from None
        except OSError as exc:  # refused, unreachable, DNS
            raise self._fail(f"{type(exc).__name__}: {exc}", retryable=True) from None
        if refused:
            # Some recipients got it; retrying would page them twice. Say so and count it delivered.
            log.warning("email channel %s: recipients refused: %s", self.name, ", ".join(sorted(refused)))
