"""Webhook JSON in the Prometheus Alertmanager webhook shape (version "4").

Teams already have receivers for Alertmanager's webhook (alert bridges, ticketing, chat ops), so
bohran speaks that shape: version, groupKey, status, receiver, groupLabels, commonLabels,
commonAnnotations, externalURL, truncatedAlerts and alerts[] with status, labels, annotations,
startsAt, endsAt ("0001-01-01T00:00:00Z" while firing), generatorURL and fingerprint. The
fingerprint is bohran's own (`brand/detector`), the id `bohran ack` takes.

Receivers may forward annotations to chat without escaping (Alertmanager's Slack template does),
so untrusted text in annotations is defanged: no `<!channel>`, `<http://..|..>` or `@here` survives.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from alerts.notification import Alert, Notification
from alerts.render.escaping import defang_plain, one_line, safe_url
from alerts.render.summary import AlertFact, NotificationSummary, grafana_panel_url, human_count, summarize

WEBHOOK_VERSION = "4"
ZERO_TIME = "0001-01-01T00:00:00Z"
ANNOTATION_POST_CHARS = 280
_LABEL_NAME = re.compile(r"[^a-zA-Z0-9_]")


def rfc3339(ts: float | None) -> str:
    """Epoch seconds as RFC 3339 UTC ("2024-05-01T10:00:00Z", milliseconds when present)."""
    if ts is None:
        return ZERO_TIME
    moment = datetime.fromtimestamp(ts, tz=UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def label_name(name: str) -> str:
    """A valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`) from a config key."""
    cleaned = _LABEL_NAME.sub("_", one_line(name)) or "_"
    return "_" + cleaned if cleaned[0].isdigit() else cleaned


def alert_name(detector: str) -> str:
    """`negative_volume` → `BohranNegativeVolume`, Alertmanager's CamelCase convention."""
    return "Bohran" + "".join(part.capitalize() for part in label_name(detector).split("_") if part)


def alert_labels(alert: Alert) -> dict[str, str]:
    """Identity labels: stable for the life of an incident (no counts, no times)."""
    # Values are defanged too: Alertmanager templates print labels into chat unescaped.
    labels = {
        label_name(k): defang_plain(one_line(str(v))) for k, v in alert.labels.items() if str(v).strip()
    }
    labels.pop("severity", None)
    labels.update(
        {
            "alertname": alert_name(alert.detector),
            "brand": one_line(alert.brand),
            "detector": one_line(alert.detector),
            "severity": one_line(alert.severity),
            "source": "bohran",
        }
    )
    return dict(sorted(labels.items()))


def alert_annotations(alert: Alert, fact: AlertFact, summary: NotificationSummary) -> dict[str, str]:
    """What a human reads: summary, description with the evidence, links, how to ack."""
    lines = [fact.measurement]
    if fact.share_line:
        lines.append(fact.share_line)
    lines.append(f"{fact.volume_line}; {fact.score_line}")
    if fact.detail:
        lines.append(fact.detail)
    posts = [p for p in summary.posts]
    if posts:
        top = posts[0]
        text = (
            top.text
            if len(top.text) <= ANNOTATION_POST_CHARS
            else top.text[: ANNOTATION_POST_CHARS - 1] + "…"
        )
        lines.append(f"Top post: {top.author} on {top.platform} (reach {human_count(top.reach)}): {text}")
    if summary.terms:
        lines.append("Terms: " + ", ".join(t for t, _ in summary.terms))
    if summary.categories:
        lines.append("Categories: " + ", ".join(f"{c} ({n})" for c, n in summary.categories))
    lines += summary.flags
    annotations = {
        "summary": f"{summary.brand_name}: {fact.title} — {fact.measurement}",
        "description": "\n".join(lines),
        "playbook": f"{summary.playbook.title_en}: " + " ".join(summary.playbook.steps_en),
        "ack_command": f"bohran ack {fact.fingerprint}",
        "incident_id": fact.incident_id,
    }
    if summary.grafana_url:
        annotations["dashboard_url"] = summary.grafana_url
    if posts and posts[0].url:
        annotations["top_post_url"] = posts[0].url
    if fact.acked_by:
        annotations["acknowledged_by"] = fact.acked_by
    return {k: defang_plain(v) for k, v in annotations.items()}


def generator_url(notification: Notification, alert: Alert) -> str | None:
    return grafana_panel_url(notification.grafana_url, alert.brand, alert.starts_at, alert.ends_at)


def _common(dicts: list[dict[str, str]]) -> dict[str, str]:
    if not dicts:
        return {}
    first = dicts[0]
    return {k: v for k, v in first.items() if all(d.get(k) == v for d in dicts[1:])}


def render_webhook(
    notification: Notification,
    *,
    summary: NotificationSummary | None = None,
    external_url: str | None = None,
    tz: str = "UTC",
) -> dict[str, Any]:
    """The JSON body Alertmanager's webhook receiver would send for this notification's group."""
    facts = summary or summarize(notification, tz=tz)
    by_fingerprint = {f.fingerprint: f for f in facts.alerts}
    alerts = []
    for alert in notification.alerts:
        fact = by_fingerprint[one_line(alert.fingerprint)]
        status = "resolved" if alert.status == "resolved" else "firing"
        alerts.append(
            {
                "status": status,
                "labels": alert_labels(alert),
                "annotations": alert_annotations(alert, fact, facts),
                "startsAt": rfc3339(alert.starts_at),
                "endsAt": rfc3339(alert.ends_at) if status == "resolved" else ZERO_TIME,
                "generatorURL": generator_url(notification, alert) or "",
                "fingerprint": one_line(alert.fingerprint),
            }
        )
    common_labels = _common([a["labels"] for a in alerts])
    return {
        "version": WEBHOOK_VERSION,
        "groupKey": one_line(notification.group_key),
        "truncatedAlerts": 0,
        "status": "resolved" if notification.status == "resolved" else "firing",
        "receiver": one_line(notification.receiver),
        "groupLabels": {"brand": one_line(notification.brand)},
        "commonLabels": common_labels,
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": safe_url(external_url) or safe_url(notification.grafana_url) or "",
        "alerts": alerts,
    }
