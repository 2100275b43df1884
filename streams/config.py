"""Typed config for the streams side: brands and ingest limits.

Models forbid unknown keys so a typo in `bohran.yaml` is an error, not a silently ignored setting.
The whole file is assembled in `bohran.config`, which also holds the alerting section.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from streams.detection_config import DetectionConfig, DetectionOverrides

BRAND_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrandConfig(StrictModel):
    """One watched brand: how to recognise it in text and how to treat its alerts."""

    id: str = Field(description="stable id: metric label, fingerprint part, routing key")
    name: str = Field(description="display name used in alerts")
    aliases: list[str] = Field(default_factory=list, description="names in Persian and Latin script")
    handles: list[str] = Field(default_factory=list, description="social handles, with or without @")
    hashtags: list[str] = Field(default_factory=list, description="hashtags, with or without #")
    exclude: list[str] = Field(default_factory=list, description="phrases that mean a mention is not about the brand")
    substring_ok: list[str] = Field(
        default_factory=list, description="aliases that may match inside longer words (off by default)"
    )
    labels: dict[str, str] = Field(default_factory=dict, description="extra routing labels, e.g. team")
    detection: DetectionOverrides = Field(default_factory=DetectionOverrides)

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not BRAND_ID.match(value):
            raise ValueError("must be lowercase letters, digits, '_' or '-' (max 64), starting alphanumeric")
        return value

    @field_validator("detection")
    @classmethod
    def _overrides_valid(cls, value: DetectionOverrides) -> DetectionOverrides:
        try:
            DetectionConfig().with_overrides(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{where}: {first['msg']}") from None
        return value

    @model_validator(mode="after")
    def _has_a_name_to_match(self) -> BrandConfig:
        if not (self.aliases or self.handles or self.hashtags):
            raise ValueError("a brand needs at least one alias, handle or hashtag to be matched")
        return self


class IngestConfig(StrictModel):
    max_text_chars: int = Field(default=10_000, gt=0, le=1_000_000)


SEND_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


class AdvocatesConfig(StrictModel):
    """The daily advocates digest: per brand, the top positive high-reach mentions of the last day,
    with links, so the team can thank happy customers. Not an alert: no lifecycle, no ack."""

    enabled: bool = False
    send_at: str = Field(
        default="09:00",
        description="local time (HH:MM or HH:MM:SS) the digest is sent; a period ends at this time each day",
    )
    timezone: str = Field(
        default="Asia/Tehran", description="IANA zone of send_at and of times in the digest"
    )
    top_k: int = Field(default=5, ge=1, le=20, description="posts per brand per digest")
    min_reach: float = Field(default=1000.0, ge=0, description="posts below this reach are not candidates")
    receiver: str | None = Field(
        default=None,
        description="an `alerting.receivers` name; unset: the alert route tree decides, with labels "
        "brand, the brand's labels and kind=advocates",
    )

    @field_validator("send_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not SEND_AT.match(value):
            raise ValueError("must be a 24-hour local time HH:MM or HH:MM:SS, e.g. '09:00'")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. 'Asia/Tehran', 'UTC')") from None
        return value

    @property
    def send_at_seconds(self) -> int:
        """Seconds after local midnight."""
        match = SEND_AT.match(self.send_at)
        assert match is not None  # validated
        hours, minutes, seconds = match.groups()
        return int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)


class StreamsConfig(StrictModel):
    """Everything the enrich and detect stages need."""

    _by_id: dict[str, BrandConfig] = PrivateAttr(default_factory=dict)

    brands: list[BrandConfig] = Field(default_factory=list)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    advocates: AdvocatesConfig = Field(default_factory=AdvocatesConfig)

    @model_validator(mode="after")
    def _unique_brand_ids(self) -> StreamsConfig:
        seen: set[str] = set()
        for brand in self.brands:
            if brand.id in seen:
                raise ValueError(f"brand id {brand.id!r} is defined twice")
            seen.add(brand.id)
        return self

    def model_post_init(self, context: object, /) -> None:
        # Looked up for every enriched record: an index, not a scan of 10,000 brands.
        self._by_id = {brand.id: brand for brand in self.brands}

    def brand(self, brand_id: str) -> BrandConfig | None:
        return self._by_id.get(brand_id)

    def detection_for(self, brand_id: str) -> DetectionConfig:
        """Defaults merged with the brand's overrides."""
        brand = self.brand(brand_id)
        if brand is None:
            return self.detection
        return self.detection.with_overrides(brand.detection)
