"""Generic webhook: POST JSON in the Alertmanager webhook shape, optionally with a bearer token."""

from __future__ import annotations

import httpx

from alerts.channels.base import DEFAULT_HTTP_TIMEOUT, JsonPoster, Secret
from alerts.notification import Notification
from alerts.render.webhook import render_webhook


class WebhookPostChannel:
    kind = "webhook"

    def __init__(
        self,
        name: str,
        url: Secret,
        *,
        bearer_token: Secret | None = None,
        http: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_HTTP_TIMEOUT,
        external_url: str | None = None,
        tz: str = "UTC",
    ) -> None:
        self.name = name
        self.tz = tz
        self.external_url = external_url
        headers: dict[str, Secret | str] = {}
        if bearer_token is not None:
            headers["Authorization"] = Secret("Bearer " + bearer_token.reveal())
        self._poster = JsonPoster(
            kind=self.kind, name=name, url=url, http=http, timeout=timeout, headers=headers
        )

    def __repr__(self) -> str:
        return f"WebhookPostChannel(name={self.name!r}, url={self._poster.redacted_url!r})"

    async def send(self, notification: Notification) -> None:
        await self._poster.post(render_webhook(notification, external_url=self.external_url, tz=self.tz))

    async def aclose(self) -> None:
        await self._poster.aclose()
