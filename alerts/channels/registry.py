"""Build the configured channels: resolve env-named secrets once, wrap them, share one HTTP client.

Secrets are looked up at build time so a missing variable fails the (re)load with a precise
message naming the variable, never at 3 a.m. on the first page.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from typing import TextIO

import httpx

from alerts.channels import config as cfg
from alerts.channels.alertmanager import AlertmanagerPushChannel
from alerts.channels.base import Channel, Secret
from alerts.channels.console import ConsolePrintChannel
from alerts.channels.email import SmtpEmailChannel
from alerts.channels.slack import SlackWebhookChannel
from alerts.channels.webhook import WebhookPostChannel


class ChannelBuildError(ValueError):
    """One or more channels could not be built (missing env vars, duplicate names)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _secret(env_name: str | None, channel: str, problems: list[str]) -> Secret | None:
    try:
        value = cfg.resolve_env(env_name)
    except LookupError:
        problems.append(f"channel {channel!r}: environment variable {env_name} is not set")
        return None
    return Secret(value.strip()) if value is not None else None


def build_channels(
    configs: Sequence[cfg.ChannelConfig],
    *,
    http: httpx.AsyncClient | None = None,
    console_stream: TextIO | None = None,
    ssl_context: ssl.SSLContext | None = None,
    external_url: str | None = None,
    tz: str = "UTC",
) -> dict[str, Channel]:
    """Channels by name. HTTP channels share `http` when given (the caller closes it).

    Raises ChannelBuildError listing every problem; the messages name env variables, never values.
    """
    problems: list[str] = []
    channels: dict[str, Channel] = {}
    for config in configs:
        if config.name in channels:
            problems.append(f"channel {config.name!r}: duplicate name")
            continue
        channel: Channel | None = None
        before = len(problems)
        match config:
            case cfg.SlackChannel():
                url = _secret(config.webhook_url_env, config.name, problems)
                if url is not None:
                    channel = SlackWebhookChannel(config.name, url, http=http, tz=tz)
            case cfg.EmailChannel():
                username = _secret(config.username_env, config.name, problems)
                password = _secret(config.password_env, config.name, problems)
                if (config.username_env is None) != (config.password_env is None):
                    problems.append(
                        f"channel {config.name!r}: set both username_env and password_env, or neither"
                    )
                if len(problems) == before:
                    channel = SmtpEmailChannel(
                        config.name,
                        host=config.smtp_host,
                        port=config.smtp_port,
                        from_addr=config.from_addr,
                        to=config.to,
                        security=config.security,
                        username=username,
                        password=password,
                        ssl_context=ssl_context,
                        tz=tz,
                    )
            case cfg.WebhookChannel():
                url = _secret(config.url_env, config.name, problems)
                token = _secret(config.bearer_token_env, config.name, problems)
                if url is not None and len(problems) == before:
                    channel = WebhookPostChannel(
                        config.name, url, bearer_token=token, http=http, external_url=external_url, tz=tz
                    )
            case cfg.AlertmanagerChannel():
                channel = AlertmanagerPushChannel(config.name, config.url, http=http, tz=tz)
            case cfg.ConsoleChannel():
                channel = ConsolePrintChannel(config.name, stream=console_stream, tz=tz)
            case _:
                problems.append(f"channel {getattr(config, 'name', '?')!r}: unknown type")
        if channel is not None:
            channels[config.name] = channel
    if problems:
        raise ChannelBuildError(problems)
    return channels


async def close_channels(channels: dict[str, Channel]) -> None:
    """Close every channel (their own HTTP clients); a shared client stays open for its owner."""
    for channel in channels.values():
        await channel.aclose()
