"""Push alerts to an Alertmanager (`POST {url}/api/v2/alerts`) so teams on Alertmanager route them.

The base URL is not a secret (it is in the YAML file), but it is still shown redacted in errors
in case it carries basic-auth credentials.
"""

from __future__ import annotations

import httpx

from alerts.channels.base import DEFAULT_HTTP_TIMEOUT, JsonPoster, Secret
from alerts.notification import Notification
from alerts.render.alertmanager import DEFAULT_FIRING_TTL, render_alertmanager

ALERTS_PATH = "/api/v2/alerts"


class AlertmanagerPushChannel:
    kind = "alertmanager"

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_HTTP_TIMEOUT,
        firing_ttl: float | None = DEFAULT_FIRING_TTL,
        tz: str = "UTC",
    ) -> None:
        self.name = name
        self.tz = tz
        self.firing_ttl = firing_ttl
        url = Secret(base_url.rstrip("/") + ALERTS_PATH)
        self._poster = JsonPoster(kind=self.kind, name=name, url=url, http=http, timeout=timeout)

    def __repr__(self) -> str:
        return f"AlertmanagerPushChannel(name={self.name!r}, url={self._poster.redacted_url!r})"

    async def send(self, notification: Notification) -> None:
        await self._poster.post(render_alertmanager(notification, firing_ttl=self.firing_ttl, tz=self.tz))

    async def aclose(self) -> None:
        await self._poster.aclose()
