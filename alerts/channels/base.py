"""What every delivery channel is, and the HTTP plumbing the HTTP ones share.

A channel makes one delivery attempt per `send` and says, by raising `DeliveryFailed`, whether
trying again can help (a 503 or a timeout) or not (a 404 webhook, a refused password). The retry
loop (`retry.py`) owns backoff and deadlines so each channel stays a plain "try once".

Webhook URLs are secrets (anyone holding a Slack webhook URL can post to the channel), so they
travel in `Secret` wrappers, and every error message and httpx log line shows only
`scheme://host/***`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import httpx

from alerts.notification import Notification

DEFAULT_HTTP_TIMEOUT = 10.0
ERROR_BODY_CHARS = 200
RETRYABLE_HTTP_STATUSES = frozenset({408, 425, 429})


class DeliveryFailed(Exception):
    """One delivery attempt failed; `retryable` says whether another attempt could succeed."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"DeliveryFailed({self.message!r}, retryable={self.retryable}, retry_after={self.retry_after})"


@runtime_checkable
class Channel(Protocol):
    name: str
    kind: str  # "slack" | "email" | "webhook" | "alertmanager" | "console"

    async def send(self, notification: Notification) -> None:
        """One delivery attempt; raises DeliveryFailed."""
        ...

    async def aclose(self) -> None: ...


class Secret:
    """A string that never shows itself in a repr, str, log line or traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def redact_url(url: str | httpx.URL | Secret) -> str:
    """`https://hooks.slack.com/services/T/B/x` → `https://hooks.slack.com/***`."""
    raw = url.reveal() if isinstance(url, Secret) else str(url)
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "***"
    if not parts.scheme or not host:
        return "***"
    return f"{parts.scheme}://{host}{port}/***"


def scrub(text: str, secrets: list[Secret | str | None]) -> str:
    """Replace every occurrence of a secret (and of a secret URL's path) in a message."""
    out = text
    for secret in secrets:
        if secret is None:
            continue
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if not value:
            continue
        out = out.replace(value, redact_url(value) if "://" in value else "***")
        path = urlsplit(value).path if "://" in value else ""
        if len(path) > 1:
            out = out.replace(path, "/***")
    return out


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(seconds, 0.0)


def http_failure(
    kind: str, name: str, response: httpx.Response, secrets: list[Secret | str | None]
) -> DeliveryFailed:
    """Map a non-2xx response: 408/425/429 and 5xx may pass, other 4xx (and 3xx) will not."""
    status = response.status_code
    retryable = status in RETRYABLE_HTTP_STATUSES or status >= 500
    retry_after = parse_retry_after(response.headers.get("Retry-After")) if retryable else None
    try:
        body = response.text.strip().replace("\n", " ")[:ERROR_BODY_CHARS]
    except (UnicodeDecodeError, LookupError):
        body = ""
    detail = f": {scrub(body, secrets)}" if body else ""
    return DeliveryFailed(
        f"{kind} channel {name!r}: HTTP {status}{detail}",
        retryable=retryable,
        retry_after=retry_after,
    )


class JsonPoster:
    """POSTs JSON to one secret URL with a shared or owned httpx client; one attempt per call."""

    def __init__(
        self,
        *,
        kind: str,
        name: str,
        url: Secret,
        http: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_HTTP_TIMEOUT,
        headers: Mapping[str, Secret | str] | None = None,
    ) -> None:
        self.kind = kind
        self.name = name
        self._url = url
        self._headers = dict(headers or {})
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout

    @property
    def redacted_url(self) -> str:
        return redact_url(self._url)

    def _secrets(self) -> list[Secret | str | None]:
        return [self._url, *[v for v in self._headers.values() if isinstance(v, Secret)]]

    async def post(self, payload: Any) -> httpx.Response:
        headers = {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in self._headers.items()}
        where = f"{self.kind} channel {self.name!r} ({self.redacted_url})"
        try:
            response = await self._http.post(
                self._url.reveal(), json=payload, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(f"{where}: timed out ({type(exc).__name__})", retryable=True) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise DeliveryFailed(f"{where}: bad URL ({type(exc).__name__})", retryable=False) from None
        except httpx.TransportError as exc:
            reason = scrub(str(exc), self._secrets())[:ERROR_BODY_CHARS]
            raise DeliveryFailed(f"{where}: {type(exc).__name__}: {reason}", retryable=True) from None
        if not 200 <= response.status_code < 300:
            raise http_failure(self.kind, self.name, response, self._secrets())
        return response

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


class _RedactHttpxUrls(logging.Filter):
    """httpx logs every request URL at INFO; webhook URLs are secrets, so show only their host."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(redact_url(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def install_httpx_log_redaction() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactHttpxUrls) for f in logger.filters):
        logger.addFilter(_RedactHttpxUrls())


install_httpx_log_redaction()
