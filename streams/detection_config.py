"""Detection settings: defaults for every brand, and per-brand overrides merged on top.

Thresholds are in the detector's own statistic (documented per field) so ops can read a value in
`bohran explain` / a signal and compare it with the config directly.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DetectorSettings(_Strict):
    enabled: bool = True
    window_minutes: int = Field(default=5, ge=1, le=24 * 60, description="evaluation window")
    min_count: int = Field(default=5, ge=0, description="floor: fewer events in the window never fire")
    threshold: float = Field(default=6.0, description="score needed to fire (warning)")
    critical_threshold: float = Field(default=12.0, description="score for critical severity")
    pending_minutes: int = Field(default=0, ge=0, description="condition must hold this long before firing")
    resolve_minutes: int = Field(default=15, ge=1, description="condition must be clear this long to resolve")


class NegativeVolumeSettings(DetectorSettings):
    """Score: -log10 of the over-dispersed (negative binomial) tail probability of the window's count."""

    dispersion: float = Field(default=0.1, ge=0.0, description="extra-Poisson variance factor")


class NegativeShareSettings(DetectorSettings):
    """Score: z of the window's negative share against the brand's normal share."""

    window_minutes: int = Field(default=15, ge=1)
    min_count: int = Field(default=20, ge=0)
    threshold: float = 4.0
    critical_threshold: float = 8.0
    min_share: float = Field(default=0.5, ge=0, le=1, description="never fire below this negative share")


class ViralPostSettings(DetectorSettings):
    """Score: reach of one negative post (followers of author and resharers, views)."""

    min_count: int = Field(default=1, ge=0)
    threshold: float = 200_000.0
    critical_threshold: float = 1_000_000.0
    resolve_minutes: int = 30


class TotalVolumeSettings(DetectorSettings):
    """Score as negative_volume but on all mentions; info unless the spike is mostly negative."""

    threshold: float = 8.0
    critical_threshold: float = 1e9
    dispersion: float = Field(default=0.2, ge=0.0)


class SlowBurnSettings(DetectorSettings):
    """Score: one-sided CUSUM of standardized hourly negative counts."""

    window_minutes: int = Field(default=60, ge=1)
    min_count: int = Field(default=10, ge=0)
    threshold: float = 8.0
    critical_threshold: float = 16.0
    drift: float = Field(default=0.5, ge=0.0, description="CUSUM slack k in standard deviations")
    resolve_minutes: int = 120


class BaselineSettings(_Strict):
    prior_negative_per_hour: float = Field(default=2.0, gt=0, description="prior for a new brand")
    prior_total_per_hour: float = Field(default=20.0, gt=0)
    prior_negative_share: float = Field(default=0.15, gt=0, lt=1)
    prior_weight_hours: float = Field(default=24.0, ge=0, description="how much the prior counts, in hours")
    half_life_days: float = Field(default=14.0, gt=0, description="how fast old weeks are forgotten")


class DetectionConfig(_Strict):
    bucket_seconds: int = Field(default=60, description="bucket size; fixed at 60 in this version")
    allowed_lateness_seconds: int = Field(default=600, ge=0)
    history_minutes: int = Field(default=6 * 60, ge=60, description="minute buckets kept per brand")
    warmup_minutes: int = Field(default=0, ge=0, description="no firing this soon after a brand is first seen")
    baseline: BaselineSettings = Field(default_factory=BaselineSettings)
    negative_volume: NegativeVolumeSettings = Field(default_factory=NegativeVolumeSettings)
    negative_share: NegativeShareSettings = Field(default_factory=NegativeShareSettings)
    viral_post: ViralPostSettings = Field(default_factory=ViralPostSettings)
    total_volume: TotalVolumeSettings = Field(default_factory=TotalVolumeSettings)
    slow_burn: SlowBurnSettings = Field(default_factory=SlowBurnSettings)

    def with_overrides(self, overrides: DetectionOverrides) -> DetectionConfig:
        if not overrides.root:
            return self
        return DetectionConfig.model_validate(_deep_merge(self.model_dump(), overrides.root))


class DetectionOverrides(RootModel[dict[str, Any]]):
    """A partial `detection` section; validated by merging onto the defaults (see bohran.config)."""

    root: dict[str, Any] = Field(default_factory=dict)


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
