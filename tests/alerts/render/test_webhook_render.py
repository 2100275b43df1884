"""Webhook JSON in Alertmanager's webhook shape (version 4), and the Alertmanager API payload."""

from __future__ import annotations

import json
import re

from factories import T0, make_alert, make_notification, make_resolved_notification, make_signal

from alerts.render.alertmanager import render_alertmanager
from alerts.render.webhook import ZERO_TIME, alert_name, label_name, render_webhook, rfc3339

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


def two_alert_notification():
    a = make_alert()
    b = make_alert(make_signal(detector="viral_post", severity="warning"))
    return make_notification([a, b])


def test_top_level_shape_matches_alertmanager_webhook_v4():
    body = render_webhook(two_alert_notification(), external_url="http://bohran.local:8080")
    assert set(body) == {
        "version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
        "commonLabels", "commonAnnotations", "externalURL", "alerts",
    }  # fmt: skip
    assert body["version"] == "4"
    assert body["groupKey"] == "brand:novinnet"
    assert body["status"] == "firing"
    assert body["receiver"] == "pr-oncall"
    assert body["groupLabels"] == {"brand": "novinnet"}
    assert body["externalURL"] == "http://bohran.local:8080"
    assert body["truncatedAlerts"] == 0
    json.dumps(body)  # serialisable as is


def test_each_alert_has_the_alertmanager_fields():
    body = render_webhook(two_alert_notification())
    assert len(body["alerts"]) == 2
    for alert in body["alerts"]:
        assert set(alert) == {
            "status",
            "labels",
            "annotations",
            "startsAt",
            "endsAt",
            "generatorURL",
            "fingerprint",
        }
        assert alert["status"] == "firing"
        assert RFC3339.match(alert["startsAt"])
        assert alert["endsAt"] == ZERO_TIME
        assert all(isinstance(v, str) for v in alert["labels"].values())
        assert all(isinstance(v, str) for v in alert["annotations"].values())
        assert all(re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", k) for k in alert["labels"])
        assert "var-brand=novinnet" in alert["generatorURL"]
    first = body["alerts"][0]
    assert first["fingerprint"] == "novinnet/negative_volume"
    assert first["labels"]["alertname"] == "BohranNegativeVolume"
    assert first["labels"]["severity"] == "critical"
    assert first["labels"]["team"] == "isp-support"
    assert first["startsAt"] == "2024-05-01T09:50:00Z"
    assert "42 negative mentions" in first["annotations"]["summary"]
    assert first["annotations"]["ack_command"] == "bohran ack novinnet/negative_volume"
    assert first["annotations"]["top_post_url"] == "https://x.com/sara_k/status/1"


def test_common_labels_are_only_the_shared_ones():
    body = render_webhook(two_alert_notification())
    assert body["commonLabels"] == {"brand": "novinnet", "source": "bohran", "team": "isp-support"}
    assert "summary" not in body["commonAnnotations"]


def test_resolved_alert_has_a_real_end():
    body = render_webhook(make_resolved_notification())
    assert body["status"] == "resolved"
    assert body["alerts"][0]["status"] == "resolved"
    assert body["alerts"][0]["endsAt"] == rfc3339(T0 + 1800) == "2024-05-01T10:30:00Z"


def test_rfc3339_keeps_milliseconds():
    assert rfc3339(T0 + 0.25) == "2024-05-01T10:00:00.250Z"
    assert rfc3339(None) == ZERO_TIME


def test_label_names_from_config_keys_are_made_valid():
    assert label_name("team-name") == "team_name"
    assert label_name("9lives") == "_9lives"
    assert alert_name("viral_post") == "BohranViralPost"


def test_alertmanager_payload_is_a_list_of_postable_alerts():
    items = render_alertmanager(two_alert_notification(), now=T0)
    assert isinstance(items, list) and len(items) == 2
    for item in items:
        assert set(item) == {"labels", "annotations", "startsAt", "endsAt", "generatorURL"}
        assert item["labels"]["alertname"].startswith("Bohran")
        assert item["endsAt"] == rfc3339(T0 + 6 * 3600)  # firing: held open past the repeat interval


def test_alertmanager_payload_without_ttl_and_when_resolved():
    firing = render_alertmanager(make_notification(), firing_ttl=None, now=T0)[0]
    assert "endsAt" not in firing
    resolved = render_alertmanager(make_resolved_notification(), now=T0 + 9999)[0]
    assert resolved["endsAt"] == "2024-05-01T10:30:00Z"
