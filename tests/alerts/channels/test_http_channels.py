"""Slack and webhook channels against a real HTTP receiver on loopback."""

from __future__ import annotations

import logging

import httpx
import pytest
from factories import make_notification

from alerts.channels.base import DeliveryFailed, Secret, parse_retry_after, redact_url
from alerts.channels.retry import RetryPolicy, deliver_with_retry
from alerts.channels.slack import SlackWebhookChannel
from alerts.channels.webhook import WebhookPostChannel
from alerts.render.slack import SLACK_MAX_BLOCKS
from bohran.receivers import Reply

SECRET_PATH = "/services/T0SECRET/B0SECRET/XyZsecretToken"


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def test_slack_posts_block_kit_json(http_receiver):
    channel = SlackWebhookChannel("slack-pr", Secret(http_receiver.url_for(SECRET_PATH)))
    try:
        await channel.send(make_notification())
    finally:
        await channel.aclose()
    [request] = http_receiver.requests
    assert request.method == "POST" and request.path == SECRET_PATH
    assert request.headers["Content-Type"].startswith("application/json")
    body = request.json()
    assert body["blocks"][0]["type"] == "header" and len(body["blocks"]) <= SLACK_MAX_BLOCKS
    assert "Negative-mention spike" in body["text"]


async def test_slack_429_with_retry_after_is_retried_after_that_long(http_receiver):
    http_receiver.script(Reply.rate_limited(3), Reply.rate_limited(5))
    sleep = RecordingSleep()
    async with httpx.AsyncClient() as http:
        channel = SlackWebhookChannel("slack-pr", Secret(http_receiver.url_for(SECRET_PATH)), http=http)
        outcome = await deliver_with_retry(channel, make_notification(), RetryPolicy(), sleep=sleep)
    assert outcome.ok and outcome.attempts == 3
    assert sleep.delays == [3.0, 5.0]
    assert [r.status for r in http_receiver.requests] == [429, 429, 200]
    assert [r.status for r in http_receiver.received()] == [200]
    assert http_receiver.requests[0].body == http_receiver.requests[2].body  # the same message each time


async def test_slack_5xx_is_retried_with_backoff(http_receiver):
    http_receiver.script(Reply(500, body="rollup_error"), Reply(503, body=""))
    sleep = RecordingSleep()
    channel = SlackWebhookChannel("slack-pr", Secret(http_receiver.url_for(SECRET_PATH)))
    try:
        outcome = await deliver_with_retry(
            channel, make_notification(), RetryPolicy(), sleep=sleep, rand=lambda: 0.5
        )
    finally:
        await channel.aclose()
    assert outcome.ok and outcome.attempts == 3
    assert sleep.delays == [0.5, 1.0]


async def test_real_sleeps_really_wait(http_receiver):
    http_receiver.script(Reply(503), Reply(503))
    channel = SlackWebhookChannel("slack-pr", Secret(http_receiver.url_for(SECRET_PATH)))
    try:
        outcome = await deliver_with_retry(
            channel, make_notification(), RetryPolicy(initial_backoff=0.05, jitter=0.0), rand=lambda: 0.5
        )
    finally:
        await channel.aclose()
    assert outcome.ok
    times = [r.at for r in http_receiver.requests]
    assert times[1] - times[0] >= 0.045 and times[2] - times[1] >= 0.095


@pytest.mark.parametrize("status", [400, 403, 404, 410])
async def test_slack_other_4xx_is_permanent(http_receiver, status):
    http_receiver.script(Reply(status, body="channel_not_found"))
    sleep = RecordingSleep()
    channel = SlackWebhookChannel("slack-pr", Secret(http_receiver.url_for(SECRET_PATH)))
    try:
        outcome = await deliver_with_retry(channel, make_notification(), RetryPolicy(), sleep=sleep)
    finally:
        await channel.aclose()
    assert not outcome.ok and outcome.attempts == 1 and sleep.delays == []
    assert f"HTTP {status}: channel_not_found" in outcome.error


async def test_connection_refused_is_retryable_and_the_url_stays_secret(caplog):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens here
    url = f"http://127.0.0.1:{port}{SECRET_PATH}"
    channel = SlackWebhookChannel("slack-pr", Secret(url))
    try:
        with pytest.raises(DeliveryFailed) as info:
            await channel.send(make_notification())
    finally:
        await channel.aclose()
    assert info.value.retryable is True
    assert "SECRET" not in str(info.value) and "XyZ" not in str(info.value)
    assert f"http://127.0.0.1:{port}/***" in str(info.value)
    assert "SECRET" not in repr(channel) and "SECRET" not in repr(info.value)


async def test_secret_url_never_reaches_the_logs(http_receiver, caplog):
    http_receiver.script(Reply(404, body=f"no_service for {SECRET_PATH}"))
    channel = SlackWebhookChannel("slack-pr", Secret(http_receiver.url_for(SECRET_PATH)))
    with caplog.at_level(logging.DEBUG):
        try:
            outcome = await deliver_with_retry(channel, make_notification(), RetryPolicy())
            await channel.send(make_notification())  # 200 now: httpx logs the request at INFO
        finally:
            await channel.aclose()
    assert "HTTP Request: POST" in caplog.text  # httpx did log...
    assert "SECRET" not in caplog.text and "XyZ" not in caplog.text  # ...but not the secret path
    assert "SECRET" not in outcome.error and "/***" in outcome.error


async def test_webhook_posts_alertmanager_shape_with_bearer_token(http_receiver):
    channel = WebhookPostChannel(
        "hook",
        Secret(http_receiver.url_for("/alerts")),
        bearer_token=Secret("tok-123"),
        external_url="http://bohran:8080",
    )
    try:
        await channel.send(make_notification())
    finally:
        await channel.aclose()
    [request] = http_receiver.requests
    assert request.headers["Authorization"] == "Bearer tok-123"
    body = request.json()
    assert (
        body["version"] == "4" and body["status"] == "firing" and body["externalURL"] == "http://bohran:8080"
    )
    assert body["alerts"][0]["fingerprint"] == "novinnet/negative_volume"
    assert "tok-123" not in repr(channel)


async def test_webhook_without_token_sends_no_authorization(http_receiver):
    channel = WebhookPostChannel("hook", Secret(http_receiver.url_for("/alerts")))
    try:
        await channel.send(make_notification())
    finally:
        await channel.aclose()
    assert "Authorization" not in http_receiver.requests[0].headers


async def test_slow_receiver_times_out_as_retryable(http_receiver):
    http_receiver.answer_with(Reply(delay=0.4))
    channel = SlackWebhookChannel("slack-pr", Secret(http_receiver.url_for(SECRET_PATH)), timeout=0.1)
    try:
        with pytest.raises(DeliveryFailed) as info:
            await channel.send(make_notification())
    finally:
        await channel.aclose()
    assert info.value.retryable and "timed out" in info.value.message


def test_retry_after_header_forms():
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Wed, 01 May 2024 10:00:30 GMT", now=1_714_557_600.0) == 30.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("-5") == 0.0
    assert redact_url("https://hooks.slack.com/services/T/B/x") == "https://hooks.slack.com/***"
