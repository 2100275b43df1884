"""Real `PostSummary` / `Signal` / `Alert` / `Notification` objects for alert tests.

Defaults describe a plausible incident: a Persian ISP brand with a wave of outage complaints.
Every function takes keyword overrides so a test states only what it is about.
"""

from __future__ import annotations

from typing import Any

from alerts.notification import Alert, Notification
from streams.brand_batch import PostSummary
from streams.signal import Signal

T0 = 1_714_557_600.0  # 2024-05-01T10:00:00Z

HOSTILE = "<!channel> @here <http://evil|click> \r\nBcc: x@y <script>alert(1)</script> <@U123> <#C1> <!here>"


def make_post(**overrides: Any) -> PostSummary:
    fields: dict[str, Any] = {
        "id": "tw-1",
        "platform": "twitter",
        "text": "اینترنت نوین‌نت از صبح قطع است و پشتیبانی جواب نمی‌دهد",
        "created_at": T0 - 120,
        "author_id": "u-1",
        "author_handle": "sara_k",
        "followers": 12_300,
        "verified": False,
        "reach": 45_000.0,
        "reshares": 80,
        "views": 40_000,
        "sentiment": "negative",
        "score": -0.8,
        "category": "outage",
        "url": "https://x.com/sara_k/status/1",
        "lang": "fa",
    }
    fields.update(overrides)
    return PostSummary(**fields)


def make_signal(**overrides: Any) -> Signal:
    fields: dict[str, Any] = {
        "brand": "novinnet",
        "detector": "negative_volume",
        "status": "firing",
        "severity": "critical",
        "score": 8.2,
        "threshold": 6.0,
        "observed": 42.0,
        "expected": 6.1,
        "started_at": T0 - 600,
        "evaluated_at": T0,
        "window_start": T0 - 300,
        "window_end": T0,
        "negative_share": 0.48,
        "baseline_share": 0.12,
        "reach": 1_200_000.0,
        "total": 130,
        "negative": 62,
        "top_posts": [
            make_post(),
            make_post(
                id="tw-2",
                text="NovinNet down again, third time this week",
                author_handle="mike",
                reach=9_000.0,
                lang="en",
                url="https://x.com/mike/status/2",
            ),
        ],
        "top_terms": [("قطع", 30), ("پشتیبانی", 12), ("down", 5)],
        "categories": {"outage": 25, "billing": 3},
        "platforms": {"twitter": 40, "instagram": 22},
        "flags": [],
        "repeat_complainers": [],
        "summary": "",
    }
    fields.update(overrides)
    return Signal(**fields)


def make_alert(signal: Signal | None = None, **overrides: Any) -> Alert:
    sig = signal or make_signal()
    fields: dict[str, Any] = {
        "fingerprint": sig.fingerprint,
        "brand": sig.brand,
        "detector": sig.detector,
        "status": sig.status,
        "severity": sig.severity,
        "starts_at": sig.started_at,
        "ends_at": None,
        "incident_id": f"{sig.fingerprint}@{int(sig.started_at)}",
        "signal": sig,
        "labels": {
            "brand": sig.brand,
            "detector": sig.detector,
            "severity": sig.severity,
            "team": "isp-support",
        },
    }
    fields.update(overrides)
    return Alert(**fields)


def make_notification(alerts: list[Alert] | None = None, **overrides: Any) -> Notification:
    items = alerts if alerts is not None else [make_alert()]
    brand = items[0].brand if items else "novinnet"
    fields: dict[str, Any] = {
        "key": f"brand:{brand}|{items[0].incident_id if items else 'none'}|new|1",
        "group_key": f"brand:{brand}",
        "receiver": "pr-oncall",
        "channels": ["slack-pr"],
        "kind": "new",
        "status": "firing",
        "brand": brand,
        "brand_name": "نوین‌نت (NovinNet)",
        "alerts": items,
        "created_at": T0,
        "previous_incident": None,
        "grafana_url": "http://grafana.local:3000/d/bohran-overview?orgId=1",
    }
    fields.update(overrides)
    return Notification(**fields)


def make_resolved_notification(**overrides: Any) -> Notification:
    sig = make_signal(status="resolved")
    alert = make_alert(sig, status="resolved", ends_at=T0 + 1800)
    fields: dict[str, Any] = {"kind": "resolved", "status": "resolved", "created_at": T0 + 1800}
    fields.update(overrides)
    return make_notification([alert], **fields)


def make_hostile_notification() -> Notification:
    """Every untrusted field carries an attack: pings, disguised links, header and HTML injection."""
    post = make_post(
        id="evil-1",
        text=HOSTILE + " \u202eoverride",
        author_handle=HOSTILE,
        author_id=HOSTILE,
        platform="twitter",
        url="javascript:alert(1)",
    )
    post2 = make_post(id="evil-2", text="normal", url="https://x.com/a|<!channel>>", reach=10.0)
    sig = make_signal(
        top_posts=[post, post2],
        top_terms=[(HOSTILE, 9), ("@channel", 3)],
        categories={HOSTILE: 4},
        platforms={HOSTILE: 2},
        flags=["bot_flood", HOSTILE],
        repeat_complainers=[HOSTILE],
        summary=HOSTILE,
    )
    alert = make_alert(
        sig, acked_by=HOSTILE, acked_at=T0 - 60, labels={"category": HOSTILE, "brand": "novinnet"}
    )
    return make_notification(
        [alert],
        previous_incident={
            "started_at": T0 - 86400,
            "ended_at": T0 - 80000,
            "detector": "viral_post",
            "summary": HOSTILE,
        },
    )
