"""Building channels from config (secrets from env, never shown) and the console channel."""

from __future__ import annotations

import io

import pytest
from factories import make_hostile_notification, make_notification, make_resolved_notification
from pydantic import TypeAdapter

from alerts.channels.alertmanager import AlertmanagerPushChannel
from alerts.channels.base import Channel
from alerts.channels.config import ChannelConfig
from alerts.channels.console import ConsolePrintChannel
from alerts.channels.email import SmtpEmailChannel
from alerts.channels.registry import ChannelBuildError, build_channels
from alerts.channels.slack import SlackWebhookChannel
from alerts.channels.webhook import WebhookPostChannel

CONFIGS = [
    {"type": "slack", "name": "slack-pr", "webhook_url_env": "TEST_SLACK_URL"},
    {
        "type": "email",
        "name": "email-pr",
        "smtp_host": "127.0.0.1",
        "smtp_port": 2525,
        "security": "starttls",
        "username_env": "TEST_SMTP_USER",
        "password_env": "TEST_SMTP_PASSWORD",
        "from_addr": "bohran@example.org",
        "to": ["pr@example.org"],
    },
    {"type": "webhook", "name": "hook", "url_env": "TEST_HOOK_URL", "bearer_token_env": "TEST_HOOK_TOKEN"},
    {"type": "alertmanager", "name": "am", "url": "http://127.0.0.1:9093"},
    {"type": "console", "name": "console"},
]
SECRETS = {
    "TEST_SLACK_URL": "https://hooks.slack.com/services/TSEKRIT/BSEKRIT/slacksekrit",
    "TEST_SMTP_USER": "mailuser-sekrit",
    "TEST_SMTP_PASSWORD": "mailpass-sekrit",
    "TEST_HOOK_URL": "https://hooks.example.org/in/hooksekrit",
    "TEST_HOOK_TOKEN": "tokensekrit",
}


def parse(configs):
    return TypeAdapter(list[ChannelConfig]).validate_python(configs)


def test_builds_every_kind_with_secrets_from_env(monkeypatch):
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    channels = build_channels(parse(CONFIGS))
    assert list(channels) == ["slack-pr", "email-pr", "hook", "am", "console"]
    kinds = {name: (type(ch), ch.kind) for name, ch in channels.items()}
    assert kinds == {
        "slack-pr": (SlackWebhookChannel, "slack"),
        "email-pr": (SmtpEmailChannel, "email"),
        "hook": (WebhookPostChannel, "webhook"),
        "am": (AlertmanagerPushChannel, "alertmanager"),
        "console": (ConsolePrintChannel, "console"),
    }
    assert all(isinstance(ch, Channel) for ch in channels.values())
    shown = (
        " ".join(repr(ch) for ch in channels.values())
        + " "
        + " ".join(str(vars(ch)) for ch in channels.values())
    )
    assert "sekrit" not in shown.lower()
    assert "https://hooks.slack.com/***" in repr(channels["slack-pr"])


def test_missing_env_vars_are_all_named_and_no_value_is_shown(monkeypatch):
    for key in SECRETS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TEST_SMTP_USER", "mailuser-sekrit")
    with pytest.raises(ChannelBuildError) as info:
        build_channels(parse(CONFIGS))
    message = str(info.value)
    for name in ("TEST_SLACK_URL", "TEST_SMTP_PASSWORD", "TEST_HOOK_URL", "TEST_HOOK_TOKEN"):
        assert name in message
    assert "TEST_SMTP_USER" not in message and "sekrit" not in message
    assert len(info.value.problems) == 4


def test_duplicate_names_are_refused():
    with pytest.raises(ChannelBuildError, match="duplicate name"):
        build_channels(parse([{"type": "console", "name": "c"}, {"type": "console", "name": "c"}]))


async def test_console_channel_prints_a_readable_block():
    stream = io.StringIO()
    channel = build_channels(parse([{"type": "console", "name": "console"}]), console_stream=stream)[
        "console"
    ]
    await channel.send(make_notification())
    await channel.send(make_resolved_notification())
    out = stream.getvalue()
    assert out.count("═" * 72) == 4
    assert "CRITICAL · " in out and "42 negative mentions in 5 min vs 6.1 expected" in out
    assert "Resolved · " in out
    assert "\x1b[" not in out  # not a terminal: no colours


async def test_console_colours_only_when_asked_and_never_passes_escapes_through():
    stream = io.StringIO()
    channel = ConsolePrintChannel(stream=stream, color=True)
    notification = make_hostile_notification()
    notification.alerts[0].signal.top_posts[0].text = "\x1b]0;owned\x07" + "text"
    await channel.send(notification)
    out = stream.getvalue()
    assert out.startswith("\x1b[1;31m")  # critical is red
    assert "\x1b]0;" not in out and "\x07" not in out
