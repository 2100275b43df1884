"""Signals: what the detect stage says about a brand, the only thing the alert stage reads.

A signal is emitted when a detector's condition starts holding (`firing`), while it keeps holding
(updated evidence, possibly a higher severity) and when it has been clear for the detector's
hysteresis period (`resolved`). The alert lifecycle (alerts/) decides what reaches a human.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from streams.brand_batch import PostSummary

Severity = Literal["info", "warning", "critical"]
SignalStatus = Literal["firing", "resolved"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}
DETECTORS = ("negative_volume", "negative_share", "viral_post", "total_volume", "slow_burn")


@dataclass(slots=True)
class Signal:
    brand: str
    detector: str
    status: SignalStatus
    severity: Severity
    score: float  # detector statistic (e.g. -log10 p-value, z, CUSUM level)
    threshold: float  # what the score had to reach
    observed: float  # e.g. negative mentions in the window
    expected: float  # the baseline for the same window
    started_at: float  # event time the incident's condition first held
    evaluated_at: float  # event time of this evaluation
    window_start: float
    window_end: float
    negative_share: float = 0.0
    baseline_share: float = 0.0
    reach: float = 0.0
    total: int = 0  # all mentions in the window
    negative: int = 0  # negative mentions in the window
    top_posts: list[PostSummary] = field(default_factory=list)
    top_terms: list[tuple[str, int]] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    platforms: dict[str, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # e.g. "bot_flood", "repeat_complainer"
    repeat_complainers: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def fingerprint(self) -> str:
        return f"{self.brand}/{self.detector}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["top_terms"] = [list(t) for t in self.top_terms]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signal:
        data = dict(data)
        data["top_posts"] = [PostSummary.from_dict(p) for p in data.get("top_posts", ())]
        data["top_terms"] = [(str(t), int(c)) for t, c in data.get("top_terms", ())]
        return cls(**data)
