"""Channel settings. Secrets are named by environment variable, never written in the YAML file."""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def resolve_env(name: str | None) -> str | None:
    """The secret behind an env-var name; None when no name is configured."""
    if name is None:
        return None
    value = os.environ.get(name)
    if value is None or not value.strip():
        raise LookupError(f"environment variable {name} is not set")
    return value


class SlackChannel(_Strict):
    type: Literal["slack"]
    name: str
    webhook_url_env: str = Field(description="env var holding the incoming-webhook URL")


class EmailChannel(_Strict):
    type: Literal["email"]
    name: str
    smtp_host: str
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    security: Literal["none", "starttls", "tls"] = "starttls"
    username_env: str | None = None
    password_env: str | None = None
    from_addr: str
    to: list[str] = Field(min_length=1)


class WebhookChannel(_Strict):
    type: Literal["webhook"]
    name: str
    url_env: str = Field(description="env var holding the receiver URL")
    bearer_token_env: str | None = None


class AlertmanagerChannel(_Strict):
    type: Literal["alertmanager"]
    name: str
    url: str = Field(description="Alertmanager base URL, e.g. http://alertmanager:9093")


class ConsoleChannel(_Strict):
    type: Literal["console"]
    name: str = "console"


ChannelConfig = Annotated[
    SlackChannel | EmailChannel | WebhookChannel | AlertmanagerChannel | ConsoleChannel,
    Field(discriminator="type"),
]


def secret_env_names(channel: ChannelConfig) -> list[str]:
    """Every env var a channel needs, for validation at load time."""
    names = []
    for attr in ("webhook_url_env", "username_env", "password_env", "url_env", "bearer_token_env"):
        value = getattr(channel, attr, None)
        if value:
            names.append(value)
    return names
