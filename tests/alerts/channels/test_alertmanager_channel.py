"""The Alertmanager channel against Debian's real `prometheus-alertmanager` on loopback."""

from __future__ import annotations

import time

import httpx
import pytest
from factories import make_alert, make_notification, make_signal

from alerts.channels.alertmanager import AlertmanagerPushChannel
from alerts.channels.base import DeliveryFailed


async def alerts_in(base_url: str, brand: str) -> list[dict]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{base_url}/api/v2/alerts", params={"filter": f'brand="{brand}"'})
    response.raise_for_status()
    return response.json()


async def test_pushed_alert_is_listed_by_alertmanager(alertmanager):
    now = time.time()
    sig = make_signal(brand="am-test", started_at=now - 300, evaluated_at=now)
    alert = make_alert(sig, starts_at=now - 300)
    channel = AlertmanagerPushChannel("am", alertmanager.base_url)
    try:
        await channel.send(make_notification([alert], created_at=now))
    finally:
        await channel.aclose()

    [stored] = await alerts_in(alertmanager.base_url, "am-test")
    assert stored["labels"]["alertname"] == "BohranNegativeVolume"
    assert stored["labels"]["detector"] == "negative_volume"
    assert stored["labels"]["severity"] == "critical"
    assert stored["status"]["state"] in ("active", "unprocessed")
    assert "42 negative mentions" in stored["annotations"]["summary"]
    assert "var-brand=am-test" in stored["generatorURL"]
    # Held open well past Alertmanager's 5-minute resolve_timeout.
    assert stored["endsAt"] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + 3 * 3600))


async def test_resolved_notice_ends_the_alert(alertmanager):
    now = time.time()
    sig = make_signal(brand="am-resolve", started_at=now - 600, evaluated_at=now)
    channel = AlertmanagerPushChannel("am", alertmanager.base_url)
    try:
        await channel.send(make_notification([make_alert(sig, starts_at=now - 600)], created_at=now))
        assert len(await alerts_in(alertmanager.base_url, "am-resolve")) == 1
        resolved_alert = make_alert(sig, status="resolved", starts_at=now - 600, ends_at=now - 1)
        await channel.send(
            make_notification([resolved_alert], kind="resolved", status="resolved", created_at=now)
        )
    finally:
        await channel.aclose()
    # Alertmanager no longer lists an alert whose endsAt has passed.
    assert await alerts_in(alertmanager.base_url, "am-resolve") == []


async def test_alertmanager_rejects_an_invalid_alert_permanently(alertmanager):
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{alertmanager.base_url}/api/v2/alerts", json=[{"labels": {}}])
    assert response.status_code == 400  # our mapping: 4xx → permanent
    channel = AlertmanagerPushChannel("am", alertmanager.base_url + "/nope")
    try:
        with pytest.raises(DeliveryFailed) as info:
            await channel.send(make_notification())
    finally:
        await channel.aclose()
    assert info.value.retryable is False and "HTTP 404" in info.value.message
