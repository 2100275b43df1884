"""Alerting settings: timings, the routing tree, receivers, inhibition, delivery. Modelled on Alertmanager."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.channels.config import ChannelConfig, ConsoleChannel


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_regexes(value: dict[str, str]) -> dict[str, str]:
    for label, pattern in value.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{label}: invalid regular expression {pattern!r}: {exc}") from None
    return value


class RouteConfig(_Strict):
    """A node of the routing tree: first matching child wins unless it sets `continue`.

    A child without a receiver inherits its parent's. Values in `match` are exact (a list means any
    of them); `match_re` values are regular expressions that must match the whole label value.
    """

    receiver: str | None = None
    match: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="label → value(s); labels: brand, detector, severity, category, and brand labels",
    )
    match_re: dict[str, str] = Field(
        default_factory=dict, description="label → regular expression (full match)"
    )
    continue_: bool = Field(default=False, alias="continue")
    routes: list[RouteConfig] = Field(default_factory=list)

    _regexes_compile = field_validator("match_re")(_check_regexes)


class ReceiverConfig(_Strict):
    name: str
    channels: list[str] = Field(
        description="names of channels in `alerting.channels`; empty mutes the receiver"
    )


class InhibitRule(_Strict):
    """While an alert matching `source` is open, alerts matching `target` with equal `equal` labels are muted."""

    source: dict[str, str | list[str]]
    target: dict[str, str | list[str]]
    equal: list[str] = Field(default_factory=lambda: ["brand"])

    @field_validator("equal")
    @classmethod
    def _within_a_brand(cls, value: list[str]) -> list[str]:
        # Alerts are grouped and evaluated per brand; one brand's crisis must not mute another's.
        if "brand" not in value:
            raise ValueError("must include 'brand': inhibition works within one brand")
        return value


class DeliveryConfig(_Strict):
    """Retries per channel and how long delivered notifications are remembered (the idempotency window)."""

    initial_backoff_seconds: float = Field(default=0.5, gt=0)
    max_backoff_seconds: float = Field(default=30.0, gt=0)
    multiplier: float = Field(default=2.0, ge=1)
    jitter: float = Field(default=0.2, ge=0, le=1)
    deadline_seconds: float = Field(
        default=300.0, gt=0, description="after this a notification is dead-lettered"
    )
    idempotency_ttl_seconds: float = Field(
        default=7 * 86400.0, gt=0, description="how long a delivered key blocks a second delivery"
    )
    max_concurrent_per_channel: int = Field(
        default=4,
        ge=1,
        le=64,
        description="sends in flight at once per channel: a burst across many brands must not trip "
        "the receiver's rate limit (Slack allows about one message per second per webhook)",
    )
    in_flight_ttl_seconds: float = Field(
        default=120.0,
        gt=0,
        description="a delivery claim not refreshed for this long is considered crashed and is retried",
    )

    @model_validator(mode="after")
    def _backoff_order(self) -> DeliveryConfig:
        if self.max_backoff_seconds < self.initial_backoff_seconds:
            raise ValueError("max_backoff_seconds must be at least initial_backoff_seconds")
        return self


class AlertingConfig(_Strict):
    group_wait_seconds: float = Field(
        default=0.0, ge=0, description="wait before a new group's first message"
    )
    critical_skips_group_wait: bool = Field(
        default=True,
        description="a critical alert pages at once; group_wait only holds milder ones, so a burst that "
        "tips warning then critical within group_wait is one critical page, not a warning and an escalation",
    )
    group_interval_seconds: float = Field(
        default=300.0, ge=0, description="updates of a group at most this often"
    )
    repeat_interval_seconds: float = Field(
        default=4 * 3600.0, ge=0, description="re-send an unchanged, unacknowledged group; 0 never repeats"
    )
    cooldown_seconds: float = Field(
        default=3600.0, ge=0, description="after resolve, no new page for the same fingerprint"
    )
    resolved_retention_seconds: float = Field(
        default=86400.0, ge=0, description="how long resolved alerts stay listed (and block replays)"
    )
    send_resolved: bool = True
    grafana_url: str | None = None
    route: RouteConfig = Field(default_factory=lambda: RouteConfig(receiver="default"))
    receivers: list[ReceiverConfig] = Field(
        default_factory=lambda: [ReceiverConfig(name="default", channels=["console"])]
    )
    channels: list[ChannelConfig] = Field(default_factory=lambda: [ConsoleChannel(type="console")])
    inhibit_rules: list[InhibitRule] = Field(
        default_factory=lambda: [
            InhibitRule(source={"severity": "critical"}, target={"severity": ["warning", "info"]})
        ]
    )
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)

    @model_validator(mode="after")
    def _references_exist(self) -> AlertingConfig:
        channels = {c.name for c in self.channels}
        if len(channels) != len(self.channels):
            raise ValueError("channel names must be unique")
        receivers = {r.name for r in self.receivers}
        if len(receivers) != len(self.receivers):
            raise ValueError("receiver names must be unique")
        for receiver in self.receivers:
            for name in receiver.channels:
                if name not in channels:
                    raise ValueError(f"receiver {receiver.name!r} names unknown channel {name!r}")

        def walk(route: RouteConfig, path: str) -> None:
            if route.receiver is not None and route.receiver not in receivers:
                raise ValueError(f"{path}: unknown receiver {route.receiver!r}")
            for i, child in enumerate(route.routes):
                walk(child, f"{path}.routes[{i}]")

        if self.route.receiver is None:
            raise ValueError("route: the root route needs a receiver")
        if self.route.match or self.route.match_re:
            raise ValueError("route: the root route matches every alert; put matchers on its child routes")
        walk(self.route, "route")
        return self

    def receiver(self, name: str) -> ReceiverConfig | None:
        for receiver in self.receivers:
            if receiver.name == name:
                return receiver
        return None
