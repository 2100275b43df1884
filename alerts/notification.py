"""What the lifecycle decides to tell people: one `Notification` per brand group per send.

The lifecycle policy (alerts/policy.py) turns signals into notifications; renderers turn a
notification into channel payloads; channels deliver them. A notification carries every alert of
its brand group that is firing (or just resolved), so one message describes one incident.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from streams.signal import SEVERITY_RANK, Signal

AlertStatus = Literal["pending", "firing", "resolved"]
NotificationKind = Literal["new", "escalated", "update", "repeat", "resolved"]


@dataclass(slots=True)
class Alert:
    """One fingerprint's incident (brand + detector), as the lifecycle tracks it."""

    fingerprint: str  # "brand/detector"
    brand: str
    detector: str
    status: AlertStatus
    severity: str
    starts_at: float  # wall-clock epoch seconds the alert began firing
    ends_at: float | None  # set when resolved
    incident_id: str  # stable across updates of one incident: fingerprint + start
    signal: Signal  # the latest evidence
    labels: dict[str, str] = field(default_factory=dict)  # brand, detector, severity, category, brand labels
    acked_by: str | None = None
    acked_at: float | None = None
    silenced_by: str | None = None

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, 0)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["signal"] = self.signal.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        data = dict(data)
        data["signal"] = Signal.from_dict(data["signal"])
        return cls(**data)


@dataclass(slots=True)
class Notification:
    """One message to one receiver about one brand group."""

    key: str  # idempotency key: a delivery with this key happens at most once per channel
    group_key: str  # "brand:<id>" — also the Alertmanager groupKey
    receiver: str
    channels: list[str]
    kind: NotificationKind
    status: Literal["firing", "resolved"]
    brand: str
    brand_name: str
    alerts: list[Alert]
    created_at: float
    previous_incident: dict[str, Any] | None = None  # {"started_at", "ended_at", "detector", "summary"}
    grafana_url: str | None = None

    @property
    def severity(self) -> str:
        firing = [a for a in self.alerts if a.status == "firing"] or self.alerts
        return max(firing, key=lambda a: a.severity_rank).severity if firing else "info"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["alerts"] = [a.to_dict() for a in self.alerts]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notification:
        data = dict(data)
        data["alerts"] = [Alert.from_dict(a) for a in data["alerts"]]
        return cls(**data)
