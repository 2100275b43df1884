"""Payload for Alertmanager's API, `POST /api/v2/alerts`: a list of postable alerts.

Teams already routing on Alertmanager get bohran alerts as first-class alerts (labels brand,
detector, severity, alertname …). A firing alert needs an `endsAt` in the future, or Alertmanager
resolves it after its `resolve_timeout` (5 min by default) — far sooner than bohran re-sends an
unchanged incident. So firing alerts carry `endsAt = now + firing_ttl`; the resolved notice sets
the real end.
"""

from __future__ import annotations

import time
from typing import Any

from alerts.notification import Notification
from alerts.render.escaping import one_line
from alerts.render.summary import NotificationSummary, summarize
from alerts.render.webhook import alert_annotations, alert_labels, generator_url, rfc3339

DEFAULT_FIRING_TTL = 6 * 3600.0  # longer than the default 4 h repeat interval


def render_alertmanager(
    notification: Notification,
    *,
    summary: NotificationSummary | None = None,
    firing_ttl: float | None = DEFAULT_FIRING_TTL,
    now: float | None = None,
    tz: str = "UTC",
) -> list[dict[str, Any]]:
    """Postable alerts for every alert of the notification.

    `firing_ttl=None` leaves `endsAt` out of firing alerts (Alertmanager then applies its own
    resolve_timeout) for setups that re-push more often than that.
    """
    facts = summary or summarize(notification, tz=tz)
    by_fingerprint = {f.fingerprint: f for f in facts.alerts}
    current = time.time() if now is None else now
    out: list[dict[str, Any]] = []
    for alert in notification.alerts:
        item: dict[str, Any] = {
            "labels": alert_labels(alert),
            "annotations": alert_annotations(alert, by_fingerprint[one_line(alert.fingerprint)], facts),
            "startsAt": rfc3339(alert.starts_at),
        }
        if alert.status == "resolved":
            end = alert.ends_at if alert.ends_at is not None else current
            item["endsAt"] = rfc3339(max(end, alert.starts_at))
        elif firing_ttl is not None:
            item["endsAt"] = rfc3339(max(current, alert.starts_at) + firing_ttl)
        url = generator_url(notification, alert)
        if url:
            item["generatorURL"] = url
        out.append(item)
    return out
