"""Detection settings: defaults for every brand, and per-brand overrides merged on top.

Thresholds are in the detector's own statistic (documented per field) so ops can read a value in
`bohran explain` / a signal and compare it with the config directly. Every detector shares the same
gates (`DetectorSettings`): a min-count floor so tiny counts never page, a warm-up so a brand's first
hour is not judged against a guess, a pending gate so a blip must persist, and hysteresis (clear
below `threshold * clear_ratio` for `resolve_minutes`) so an incident does not flap.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator


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
    clear_ratio: float = Field(
        default=0.5, gt=0, le=1, description="hysteresis: clear only below threshold * clear_ratio"
    )
    warmup_minutes: int = Field(
        default=0, ge=0, description="minutes of a brand's data the baseline needs before this detector fires"
    )

    @model_validator(mode="after")
    def _critical_above_warning(self) -> DetectorSettings:
        if self.critical_threshold < self.threshold:
            raise ValueError("critical_threshold must be >= threshold")
        return self


class NegativeVolumeSettings(DetectorSettings):
    """Score: -log10 of the over-dispersed (negative binomial) tail probability of the window's count."""

    min_count: int = Field(default=4, ge=0, description="floor: fewer negatives in the window never fire")
    min_authors: int = Field(default=3, ge=0, description="floor: distinct negative authors in the window")
    warmup_minutes: int = Field(default=60, ge=0)
    fast_window_minutes: int = Field(
        default=2, ge=0, le=60, description="a second, shorter window for sharp onsets (0: off)"
    )
    dispersion: float = Field(
        default=0.1, ge=0.0, description="minimum extra-Poisson variance factor (var = mu + d*mu^2)"
    )
    share_guard: bool = Field(
        default=True,
        description="info only when negatives rose merely in step with overall volume (share not up)",
    )


class NegativeShareSettings(DetectorSettings):
    """Score: z of the window's negative share against the brand's normal share."""

    window_minutes: int = Field(default=15, ge=1)
    min_count: int = Field(default=20, ge=0)
    threshold: float = 4.0
    critical_threshold: float = 8.0
    fast_window_minutes: int = Field(
        default=5, ge=0, le=60, description="a second, shorter window for sharp onsets (0: off)"
    )
    min_share: float = Field(default=0.4, ge=0, le=1, description="never fire below this negative share")
    min_lift: float = Field(default=0.15, ge=0, le=1, description="share must exceed normal by this much")
    share_noise: float = Field(
        default=0.03, ge=0, le=1, description="natural wobble of the share (keeps huge windows sane)"
    )
    resolve_minutes: int = 30


class ViralPostSettings(DetectorSettings):
    """Score: exposure (reach) of one negative post and its copies/reshares inside the window.

    A post pages only when it is spreading (reshared or copied at least `min_reshares` times); a
    big account merely complaining is reported as info.
    """

    window_minutes: int = Field(default=15, ge=1)
    min_count: int = Field(default=1, ge=0)
    threshold: float = 100_000.0
    critical_threshold: float = 1_000_000.0
    resolve_minutes: int = 30
    min_reshares: int = Field(default=5, ge=0, description="reshares/copies that make a post 'spreading'")


class TotalVolumeSettings(DetectorSettings):
    """Score as negative_volume but on all mentions; info unless the excess is mostly negative."""

    warmup_minutes: int = Field(default=60, ge=0)
    threshold: float = 8.0
    critical_threshold: float = 16.0
    dispersion: float = Field(default=0.2, ge=0.0)
    negative_excess_share: float = Field(
        default=0.5, ge=0, le=1, description="page (not info) when this share of the excess is negative"
    )


class SlowBurnSettings(DetectorSettings):
    """Score: one-sided CUSUM of standardized negative counts per `window_minutes` step."""

    window_minutes: int = Field(default=60, ge=1)
    min_count: int = Field(default=10, ge=0, description="negatives in the drift period needed to fire")
    threshold: float = 8.0
    critical_threshold: float = 16.0
    drift: float = Field(default=0.5, ge=0.0, description="CUSUM slack k in standard deviations")
    max_step: float = Field(default=3.0, gt=0, description="cap on one step's z so a spike is not a burn")
    resolve_minutes: int = 120
    warmup_minutes: int = Field(default=24 * 60, ge=0)
    dispersion: float = Field(default=0.1, ge=0.0)


class BaselineSettings(_Strict):
    prior_negative_per_hour: float = Field(default=2.0, gt=0, description="prior for a new brand")
    prior_total_per_hour: float = Field(default=20.0, gt=0)
    prior_negative_share: float = Field(default=0.15, gt=0, lt=1)
    prior_weight_hours: float = Field(
        default=0.25,
        ge=0,
        description="the prior counts as this many hours of the brand's own data (then fades with the level)",
    )
    prior_share_mentions: float = Field(
        default=40.0, ge=0, description="weight of the prior share, in mentions"
    )
    half_life_days: float = Field(default=14.0, gt=0, description="how fast old weeks are forgotten")
    level_half_life_minutes: float = Field(
        default=60.0, gt=0, description="recent level, used while the seasonal profile is still young"
    )
    share_half_life_hours: float = Field(default=72.0, gt=0)
    learn_dispersion: bool = Field(default=True, description="widen the tail when the brand is noisier")


class EvidenceSettings(_Strict):
    top_posts: int = Field(default=5, ge=0, le=20)
    top_terms: int = Field(default=10, ge=0, le=50)
    repeat_complainer_min: int = Field(
        default=3, ge=2, description="negative posts by one author in the window"
    )
    bot_duplicate_ratio: float = Field(
        default=0.4, ge=0, le=1, description="near-duplicate share of negatives"
    )
    bot_fresh_ratio: float = Field(default=0.5, ge=0, le=1, description="fresh-account share of negatives")


class DetectionConfig(_Strict):
    bucket_seconds: int = Field(
        default=60, ge=60, le=60, description="bucket size; fixed at 60 in this version"
    )
    allowed_lateness_seconds: int = Field(default=600, ge=0)
    history_minutes: int = Field(
        default=6 * 60, ge=60, le=48 * 60, description="minute buckets kept per brand"
    )
    evidence_minutes: int = Field(default=60, ge=5, le=24 * 60, description="minutes of posts/terms kept")
    warmup_minutes: int = Field(
        default=0, ge=0, description="no firing this soon after a brand is first seen"
    )
    update_growth: float = Field(
        default=1.5, ge=1.0, description="re-emit a firing signal when the observed value grows this much"
    )
    baseline: BaselineSettings = Field(default_factory=BaselineSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    negative_volume: NegativeVolumeSettings = Field(default_factory=NegativeVolumeSettings)
    negative_share: NegativeShareSettings = Field(default_factory=NegativeShareSettings)
    viral_post: ViralPostSettings = Field(default_factory=ViralPostSettings)
    total_volume: TotalVolumeSettings = Field(default_factory=TotalVolumeSettings)
    slow_burn: SlowBurnSettings = Field(default_factory=SlowBurnSettings)

    @model_validator(mode="after")
    def _windows_fit_history(self) -> DetectionConfig:
        for name in DETECTOR_NAMES:
            window = getattr(self, name).window_minutes
            if window > self.history_minutes:
                raise ValueError(f"{name}.window_minutes ({window}) exceeds history_minutes")
        return self

    def with_overrides(self, overrides: DetectionOverrides) -> DetectionConfig:
        if not overrides.root:
            return self
        return DetectionConfig.model_validate(_deep_merge(self.model_dump(), overrides.root))

    def detector(self, name: str) -> DetectorSettings:
        return getattr(self, name)


DETECTOR_NAMES = ("negative_volume", "negative_share", "viral_post", "total_volume", "slow_burn")


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
