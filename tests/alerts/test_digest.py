"""Advocates digest delivery: routing to the configured receiver or the route tree, exactly once per
channel per brand and period (also across a restart, through Redis), retries, and what gets no digest."""

from __future__ import annotations

import io
from typing import Any

import pytest
from alert_support import T0, FakeClock, RedisServer

from alerts.channels.base import DeliveryFailed
from alerts.digest import (
    ConsoleDigestSender,
    DigestDelivery,
    EmailDigestSender,
    SlackDigestSender,
    WebhookDigestSender,
    build_digest_senders,
)
from alerts.render.digest import DigestSummary
from alerts.store import AlertStore
from bohran.config import BohranConfig
from streams.advocates import Digest
from streams.brand_batch import PostSummary

pytestmark = pytest.mark.asyncio


class RecordingSender:
    def __init__(self, name: str, failures: list[DeliveryFailed] | None = None) -> None:
        self.name = name
        self.kind = "slack"
        self.failures = list(failures or [])
        self.sent: list[DigestSummary] = []

    async def send(self, summary: DigestSummary) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(summary)

    async def aclose(self) -> None:
        return None


def config(**advocates: Any) -> BohranConfig:
    return BohranConfig.model_validate(
        {
            "brands": [
                {"id": "novinnet", "name": "NovinNet", "aliases": ["novinnet"], "labels": {"team": "isp"}},
                {"id": "tazeban", "name": "Tazeban", "aliases": ["tazeban"]},
            ],
            "advocates": {"enabled": True, **advocates},
            "alerting": {
                "route": {
                    "receiver": "pr-oncall",
                    "routes": [
                        {"match": {"kind": "advocates", "team": "isp"}, "receiver": "community"},
                        {"match": {"severity": "critical"}, "receiver": "pager"},
                    ],
                },
                "receivers": [
                    {"name": "pr-oncall", "channels": ["slack-pr"]},
                    {"name": "community", "channels": ["slack-community", "am"]},
                    {"name": "pager", "channels": ["am"]},
                ],
                "channels": [
                    {"type": "slack", "name": "slack-pr", "webhook_url_env": "T_SLACK"},
                    {"type": "slack", "name": "slack-community", "webhook_url_env": "T_SLACK"},
                    {"type": "alertmanager", "name": "am", "url": "http://127.0.0.1:9"},
                ],
                "delivery": {
                    "initial_backoff_seconds": 0.01,
                    "max_backoff_seconds": 0.02,
                    "deadline_seconds": 5,
                },
            },
        }
    )


def digest(brand: str = "novinnet", period: str = "2024-05-01T13:00", **kw: Any) -> Digest:
    post = PostSummary(
        id="tw-1",
        platform="twitter",
        text="NovinNet support was great",
        created_at=T0 - 3600,
        author_id="u1",
        author_handle="fan",
        followers=50_000,
        verified=False,
        reach=50_000.0,
        reshares=0,
        views=0,
        sentiment="positive",
        score=0.9,
        category=None,
        url="https://x.com/fan/status/1",
        lang="en",
    )
    fields: dict[str, Any] = dict(
        brand=brand,
        period_key=period,
        period_start=T0 - 86400,
        period_end=T0,
        timezone="Asia/Tehran",
        created_at=T0,
        posts=[post],
        positive_mentions=3,
        mentions=9,
    )
    fields.update(kw)
    return Digest(**fields)


async def no_sleep(_: float) -> None:
    return None


def delivery(
    cfg: BohranConfig, store: AlertStore | None = None, **senders: RecordingSender
) -> DigestDelivery:
    return DigestDelivery(
        cfg, store or AlertStore(None, on_failopen=None), senders, clock=FakeClock(), sleep=no_sleep
    )


async def test_route_tree_picks_channels_with_the_advocates_label_alertmanager_gets_none() -> None:
    community, pr = RecordingSender("slack-community"), RecordingSender("slack-pr")
    d = delivery(config(), **{"slack-community": community, "slack-pr": pr})
    outcomes = await d.deliver(digest("novinnet"))
    assert [(o.channel, o.ok) for o in outcomes] == [("slack-community", True)]
    assert [s.key for s in community.sent] == ["advocates:novinnet:2024-05-01T13:00"] and pr.sent == []
    await d.deliver(digest("tazeban"))  # no team label: the root receiver
    assert [s.brand_name for s in pr.sent] == ["Tazeban"]


async def test_explicit_receiver_wins_over_the_route_tree() -> None:
    pr = RecordingSender("slack-pr")
    d = delivery(config(receiver="pr-oncall"), **{"slack-pr": pr, "slack-community": RecordingSender("x")})
    await d.deliver(digest("novinnet"))
    assert len(pr.sent) == 1


async def test_once_per_brand_and_period_even_when_cut_again() -> None:
    pr = RecordingSender("slack-pr")
    d = delivery(config(receiver="pr-oncall"), **{"slack-pr": pr})
    await d.deliver(digest())
    assert await d.deliver(digest(created_at=T0 + 30, positive_mentions=4)) == []  # cut again after a restart
    await d.deliver(digest(period="2024-05-02T13:00"))
    await d.deliver(digest(brand="tazeban"))
    assert [s.key for s in pr.sent] == [
        "advocates:novinnet:2024-05-01T13:00",
        "advocates:novinnet:2024-05-02T13:00",
        "advocates:tazeban:2024-05-01T13:00",
    ]


async def test_a_new_process_on_the_same_redis_does_not_send_again(redis_server: RedisServer) -> None:
    first, second = RecordingSender("slack-pr"), RecordingSender("slack-pr")
    store = AlertStore.from_url(redis_server.url, namespace="t", on_failopen=None)
    await delivery(config(receiver="pr-oncall"), store, **{"slack-pr": first}).deliver(digest())
    await store.aclose()
    restarted = AlertStore.from_url(redis_server.url, namespace="t", on_failopen=None)
    assert (
        await delivery(config(receiver="pr-oncall"), restarted, **{"slack-pr": second}).deliver(digest())
        == []
    )
    await restarted.aclose()
    assert len(first.sent) == 1 and second.sent == []


async def test_transient_failures_are_retried_permanent_ones_release_the_claim() -> None:
    flaky = RecordingSender("slack-pr", [DeliveryFailed("503", retryable=True)])
    d = delivery(config(receiver="pr-oncall"), **{"slack-pr": flaky})
    (outcome,) = await d.deliver(digest())
    assert outcome.ok and outcome.attempts == 2 and len(flaky.sent) == 1

    broken = RecordingSender("slack-pr", [DeliveryFailed("404", retryable=False)])
    d = delivery(config(receiver="pr-oncall"), **{"slack-pr": broken})
    (failed,) = await d.deliver(digest())
    assert not failed.ok and broken.sent == []
    (fixed,) = await d.deliver(digest())  # redelivered later: the failed attempt did not mark it delivered
    assert fixed.ok and len(broken.sent) == 1


async def test_unknown_brand_or_disabled_digest_sends_nothing() -> None:
    pr = RecordingSender("slack-pr")
    assert await delivery(config(receiver="pr-oncall"), **{"slack-pr": pr}).deliver(digest("gone")) == []
    assert (
        await delivery(config(receiver="pr-oncall", enabled=False), **{"slack-pr": pr}).deliver(digest())
        == []
    )
    assert pr.sent == []


async def test_senders_are_built_for_every_channel_kind_but_alertmanager(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("T_SLACK", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("T_HOOK", "http://127.0.0.1:9/other")
    cfg = BohranConfig.model_validate(
        {
            "alerting": {
                "receivers": [{"name": "default", "channels": ["s"]}],
                "channels": [
                    {"type": "slack", "name": "s", "webhook_url_env": "T_SLACK"},
                    {"type": "webhook", "name": "w", "url_env": "T_HOOK"},
                    {
                        "type": "email",
                        "name": "e",
                        "smtp_host": "127.0.0.1",
                        "from_addr": "b@example.org",
                        "to": ["pr@example.org"],
                    },
                    {"type": "console", "name": "c"},
                    {"type": "alertmanager", "name": "am", "url": "http://127.0.0.1:9"},
                    {"type": "slack", "name": "unset", "webhook_url_env": "T_NOT_SET_ANYWHERE"},
                ],
            },
        }
    )
    senders = build_digest_senders(cfg.alerting.channels)
    kinds = {name: type(s) for name, s in senders.items()}
    assert kinds == {
        "s": SlackDigestSender,
        "w": WebhookDigestSender,
        "e": EmailDigestSender,
        "c": ConsoleDigestSender,
    }
    for sender in senders.values():
        await sender.aclose()


async def test_console_sender_prints_the_text_digest() -> None:
    stream = io.StringIO()
    d = DigestDelivery(
        config(receiver="pr-oncall"),
        AlertStore(None, on_failopen=None),
        {"slack-pr": ConsoleDigestSender("slack-pr", stream)},
        clock=FakeClock(),
        sleep=no_sleep,
    )
    await d.deliver(digest())
    out = stream.getvalue()
    assert "Advocates · NovinNet: 1 happy customer to thank" in out and "https://x.com/fan/status/1" in out
