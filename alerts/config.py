"""Alerting settings: timings, the routing tree, receivers, inhibition. Modelled on Alertmanager."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alerts.channels.config import ChannelConfig, ConsoleChannel


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RouteConfig(_Strict):
    """A node of the routing tree: first matching child wins unless it sets `continue`."""

    receiver: str | None = None
    match: dict[str, str | list[str]] = Field(
        default_factory=dict, description="label → value(s); labels: brand, detector, severity, category, and brand labels"
    )
    continue_: bool = Field(default=False, alias="continue")
    routes: list[RouteConfig] = Field(default_factory=list)


class ReceiverConfig(_Strict):
    name: str
    channels: list[str] = Field(description="names of channels in `alerting.channels`")


class InhibitRule(_Strict):
    """While an alert matching `source` fires, alerts matching `target` with equal `equal` labels are muted."""

    source: dict[str, str | list[str]]
    target: dict[str, str | list[str]]
    equal: list[str] = Field(default_factory=lambda: ["brand"])


class AlertingConfig(_Strict):
    group_wait_seconds: float = Field(default=0.0, ge=0)
    group_interval_seconds: float = Field(default=300.0, ge=0)
    repeat_interval_seconds: float = Field(default=4 * 3600.0, ge=0)
    cooldown_seconds: float = Field(default=3600.0, ge=0, description="after resolve, no new page for the same fingerprint")
    send_resolved: bool = True
    grafana_url: str | None = None
    route: RouteConfig = Field(default_factory=lambda: RouteConfig(receiver="default"))
    receivers: list[ReceiverConfig] = Field(default_factory=lambda: [ReceiverConfig(name="default", channels=["console"])])
    channels: list[ChannelConfig] = Field(default_factory=lambda: [ConsoleChannel(type="console")])
    inhibit_rules: list[InhibitRule] = Field(
        default_factory=lambda: [InhibitRule(source={"severity": "critical"}, target={"severity": ["warning", "info"]})]
    )

    @model_validator(mode="after")
    def _references_exist(self) -> AlertingConfig:
        channels = {c.name for c in self.channels}
        if len(channels) != len(self.channels):
            raise ValueError("channel names must be unique")
        receivers = {r.name for r in self.receivers}
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
        walk(self.route, "route")
        return self
