"""Slack incoming webhook: POST the Block Kit payload; 2xx delivered, 429/5xx retry, other 4xx stop.

Slack answers 429 with a Retry-After header when a webhook is rate limited (about one message per
second per channel); the retry loop honours it.
"""

from __future__ import annotations

import httpx

from alerts.channels.base import DEFAULT_HTTP_TIMEOUT, JsonPoster, Secret
from alerts.notification import Notification
from alerts.render.slack import render_slack


class SlackWebhookChannel:
    kind = "slack"

    def __init__(
        self,
        name: str,
        webhook_url: Secret,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_HTTP_TIMEOUT,
        tz: str = "UTC",
    ) -> None:
        self.name = name
        self.tz = tz
        self._poster = JsonPoster(kind=self.kind, name=name, url=webhook_url, http=http, timeout=timeout)

    def __repr__(self) -> str:
        return f"SlackWebhookChannel(name={self.name!r}, url={self._poster.redacted_url!r})"

    async def send(self, notification: Notification) -> None:
        await self._poster.post(render_slack(notification, tz=self.tz))

    async def aclose(self) -> None:
        await self._poster.aclose()
