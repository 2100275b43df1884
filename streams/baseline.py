"""Hour-of-week seasonal baseline per brand, with exponential forgetting and priors for new brands.

What "normal" is for a brand at a given minute, for two count series (all mentions, negative ones):

    hour-of-week estimate  --shrunk toward-->  hour-of-day estimate  --shrunk toward-->  level
    (one value a week,                          (one value a day,                        (recent minutes,
     learns the weekly shape)                    learns the daily shape)                  or the prior)

Shrinkage by how much each estimate has seen makes a new brand sane from minute one: it starts on the
configured prior (a few mentions an hour), moves to its own recent level within minutes, picks up its
daily rhythm after a day and its weekly rhythm after a week. Old weeks are forgotten with a half-life.

Incidents must not teach the baseline that a crisis is normal, so observations are clipped at a few
standard deviations once an estimate is mature, and learning of a series pauses (clips at the
expectation) while an incident on it is open. Slow detectors (CUSUM) use `slow=True`, which replaces
the recent level by a long-run mean so a slow climb does not drag its own yardstick up.

The baseline also learns how noisy the brand is (negative-binomial dispersion at 5-minute and
1-hour scale) so a noisy brand needs a bigger excursion to page.
"""

from __future__ import annotations

import math
from array import array
from typing import Any

from streams.detection_config import BaselineSettings

HOURS_PER_WEEK = 168
BLOCK_MINUTES = 5
TOTAL, NEGATIVE = 0, 1
SERIES_NAMES = ("total", "negative")
# Estimates this mature get robust (clipped) updates.
_MATURE_LEVEL_WEIGHT = 20.0
_CLIP_SIGMAS = 3.0
_CLIP_DISPERSION = 0.1
_DISPERSION_HALF_LIFE_BLOCKS = 3 * 24 * 12  # three days of 5-minute blocks
_DISPERSION_HALF_LIFE_HOURS = 7 * 24
_MIN_DISPERSION_SAMPLES = 24.0
_MAX_GAP_MINUTES = 14 * 24 * 60
_SLOW_FALLBACK_WEIGHT = 0.25
_OUTLIER_DISPERSION = 0.25


def _zeros(n: int) -> array:
    return array("f", bytes(4 * n))


def _compact(x: float) -> float:
    return float(f"{x:.5g}")


class SeriesBaseline:
    """Estimates for one series; rates are per minute."""

    __slots__ = (
        "how_rate",
        "how_w",
        "hod_rate",
        "hod_w",
        "level",
        "level_w",
        "long",
        "long_w",
        "disp_block",
        "disp_block_w",
        "disp_hour",
        "disp_hour_w",
    )

    def __init__(self, prior_rate: float, prior_weight_minutes: float) -> None:
        # C floats: 10,000 brands' profiles cost ~60 MB as Python float lists, ~8 MB so; seven
        # significant digits are plenty for a rate that snapshots keep to five.
        self.how_rate = _zeros(HOURS_PER_WEEK)
        self.how_w = _zeros(HOURS_PER_WEEK)
        self.hod_rate = _zeros(24)
        self.hod_w = _zeros(24)
        # The prior enters as if it had been observed for `prior_weight_minutes`, then fades.
        self.level = prior_rate
        self.level_w = prior_weight_minutes
        self.long = prior_rate
        self.long_w = prior_weight_minutes / 60.0
        self.disp_block = 0.0
        self.disp_block_w = 0.0
        self.disp_hour = 0.0
        self.disp_hour_w = 0.0

    def rate(self, hour: int, *, slow: bool = False) -> float:
        # The recent level is a good stand-in for an hour-of-day not yet learned (equal weight to one
        # day); the long-run mean is a poor one (it ignores the daily rhythm), so it gets little.
        base, k = (self.long, _SLOW_FALLBACK_WEIGHT) if slow else (self.level, 1.0)
        d = hour % 24
        w = self.hod_w[d]
        hod = (self.hod_rate[d] * w + base * k) / (w + k)
        s = hour % HOURS_PER_WEEK
        w = self.how_w[s]
        return (self.how_rate[s] * w + hod) / (w + 1.0)

    def dispersion(self, window_minutes: int) -> float:
        if window_minutes <= 20:
            value, weight = self.disp_block, self.disp_block_w
        else:
            value, weight = self.disp_hour, self.disp_hour_w
        return max(0.0, value) if weight >= _MIN_DISPERSION_SAMPLES else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {name: _pack(getattr(self, name)) for name in self.__slots__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeriesBaseline:
        obj = cls(0.0, 0.0)
        for name in cls.__slots__:
            if name in data:
                setattr(obj, name, _unpack(data[name]))
        return obj


def _pack(value: Any) -> Any:
    """Arrays as their non-zero entries (most hour-of-week slots of a young brand are empty)."""
    if isinstance(value, array):
        nonzero = {str(i): _compact(v) for i, v in enumerate(value) if v}
        return {"n": len(value), "v": nonzero}
    return _compact(value)


def _unpack(value: Any) -> Any:
    if isinstance(value, dict):
        out = _zeros(int(value["n"]))
        for key, v in value["v"].items():
            out[int(key)] = float(v)
        return out
    return float(value)


def _dispersion_sample(x: float, mu: float) -> float | None:
    """One block's evidence on the dispersion, ((x - mu)^2 - mu) / mu^2, or None for a gross outlier.

    Gross outliers (beyond 5 sd even for a noisy brand) are incidents or glitches, not the brand's
    everyday noise: learning from them would make the next real incident look ordinary. What is
    left is bounded, so one odd block moves the estimate a little, never a lot.
    """
    if abs(x - mu) > 5.0 * _nb_sd(mu, _OUTLIER_DISPERSION) + 2.0:
        return None
    r = ((x - mu) ** 2 - mu) / (mu * mu)
    return min(1.5, max(-0.5, r))


def _nb_sd(mu: float, dispersion: float) -> float:
    return math.sqrt(max(mu, 0.0) + dispersion * mu * mu)


class Baseline:
    """The seasonal baseline of one brand, fed with finalized minutes in order."""

    def __init__(self, settings: BaselineSettings, first_minute: int) -> None:
        self.settings = settings
        weight = settings.prior_weight_hours * 60.0
        self.series = (
            SeriesBaseline(settings.prior_total_per_hour / 60.0, weight),
            SeriesBaseline(settings.prior_negative_per_hour / 60.0, weight),
        )
        self.first_minute = first_minute
        self.folded_upto = first_minute - 1  # last minute folded in
        self.folded_minutes = 0
        k = settings.prior_share_mentions
        self.share_negative = settings.prior_negative_share * k
        self.share_total = k
        self._hour = -1
        self._hour_counts = [0, 0]
        self._hour_minutes = 0
        self._hour_expected = [0.0, 0.0]
        self._hour_paused = [0, 0]
        self._block = -1
        self._block_counts = [0, 0]
        self._block_expected = [0.0, 0.0]
        self._block_paused = [False, False]
        self._decays(settings)

    def _decays(self, settings: BaselineSettings) -> None:
        self._level_decay = 0.5 ** (1.0 / settings.level_half_life_minutes)
        self._week_decay = 0.5 ** (7.0 / settings.half_life_days)
        self._day_decay = 0.5 ** (1.0 / settings.half_life_days)
        self._long_decay = 0.5 ** (1.0 / (24.0 * settings.half_life_days))
        self._share_decay = 0.5 ** (1.0 / (settings.share_half_life_hours * 60.0))
        self._block_disp_decay = 0.5 ** (1.0 / _DISPERSION_HALF_LIFE_BLOCKS)
        self._hour_disp_decay = 0.5 ** (1.0 / _DISPERSION_HALF_LIFE_HOURS)

    def reconfigure(self, settings: BaselineSettings) -> None:
        """New half-lives apply from now on; what was learned is kept."""
        self.settings = settings
        self._decays(settings)

    # ---- reading -------------------------------------------------------------------------
    def rate(self, series: int, minute: int, *, slow: bool = False) -> float:
        """Expected mentions per minute of `series` at `minute`."""
        return self.series[series].rate(minute // 60, slow=slow)

    def expected(
        self, series: int, first: int, last: int, last_fraction: float = 1.0, *, slow: bool = False
    ) -> float:
        """Expected count over minutes first..last, the last one covered only `last_fraction`."""
        est = self.series[series]
        total = 0.0
        minute = first
        while minute <= last:
            seg_end = min((minute // 60) * 60 + 59, last)
            n = seg_end - minute + 1
            if seg_end == last:
                n -= 1.0 - last_fraction
            total += est.rate(minute // 60, slow=slow) * n
            minute = seg_end + 1
        return total

    def share(self) -> tuple[float, float]:
        """(normal negative share, how many mentions that estimate rests on)."""
        return self.share_negative / self.share_total, self.share_total

    def dispersion(self, series: int, window_minutes: int) -> float:
        return self.series[series].dispersion(window_minutes)

    def maturity(self) -> dict[str, float]:
        neg = self.series[NEGATIVE]
        return {
            "folded_minutes": self.folded_minutes,
            "days_of_hour_of_day": round(sum(neg.hod_w) / 24.0, 2),
            "weeks_of_hour_of_week": round(sum(neg.how_w) / HOURS_PER_WEEK, 2),
        }

    # ---- learning ------------------------------------------------------------------------
    def fold_until(self, last: int, counts: Any, paused: tuple[bool, bool] = (False, False)) -> None:
        """Fold minutes up to `last` inclusive; `counts(minute) -> (total, negative)`.

        `paused[i]` caps series i at its expectation (an incident is open on it).
        """
        if last <= self.folded_upto:
            return
        if last - self.folded_upto > _MAX_GAP_MINUTES:
            self.folded_upto = last - _MAX_GAP_MINUTES
        for minute in range(self.folded_upto + 1, last + 1):
            total, negative = counts(minute)
            self._fold_minute(minute, total, negative, paused)
        self.folded_upto = last

    def late(self, minute: int, total: int, negative: int) -> None:
        """Counts that arrived (within allowed lateness) for a minute already folded."""
        if minute // 60 == self._hour:
            self._hour_counts[TOTAL] += total
            self._hour_counts[NEGATIVE] += negative
        self.share_total += total
        self.share_negative += negative

    def _fold_minute(self, minute: int, total: int, negative: int, paused: tuple[bool, bool]) -> None:
        hour = minute // 60
        if hour != self._hour:
            self._close_hour()
            self._hour = hour
            self._hour_counts = [0, 0]
            self._hour_minutes = 0
            self._hour_expected = [0.0, 0.0]
            self._hour_paused = [0, 0]
        block = minute // BLOCK_MINUTES
        if block != self._block:
            self._close_block()
            self._block = block
            self._block_counts = [0, 0]
            self._block_expected = [0.0, 0.0]
            self._block_paused = [False, False]
        decay = self._level_decay
        for i, x in ((TOTAL, total), (NEGATIVE, negative)):
            est = self.series[i]
            mu = est.rate(hour)
            self._hour_expected[i] += mu
            self._block_expected[i] += mu
            self._hour_counts[i] += x
            self._block_counts[i] += x
            level = est.level
            if paused[i]:
                self._hour_paused[i] += 1
                self._block_paused[i] = True
                x = min(x, level)
            elif est.level_w >= _MATURE_LEVEL_WEIGHT:
                x = min(x, level + _CLIP_SIGMAS * _nb_sd(level, 0.25) + 2.0)
            est.level_w = est.level_w * decay + 1.0
            est.level = level + (x - level) / est.level_w
        # Normal negative share.
        p0 = self.share_negative / self.share_total
        if paused[NEGATIVE]:
            negative = min(negative, p0 * total)
        elif self.share_total >= 200:
            negative = min(negative, total * min(1.0, p0 + 0.2) + 2)
        self.share_negative = self.share_negative * self._share_decay + negative
        self.share_total = self.share_total * self._share_decay + total
        self._hour_minutes += 1
        self.folded_minutes += 1

    def _close_block(self) -> None:
        if self._block < 0 or self.folded_minutes < 120:
            return
        for i in (TOTAL, NEGATIVE):
            mu = self._block_expected[i]
            if mu < 2.0 or self._block_paused[i]:
                continue
            r = _dispersion_sample(self._block_counts[i], mu)
            if r is None:
                continue
            est = self.series[i]
            est.disp_block_w = est.disp_block_w * self._block_disp_decay + 1.0
            est.disp_block += (r - est.disp_block) / est.disp_block_w

    def _close_hour(self) -> None:
        if self._hour < 0 or self._hour_minutes == 0:
            return
        hour = self._hour
        frac = self._hour_minutes / 60.0
        d = hour % 24
        s = hour % HOURS_PER_WEEK
        for i in (TOTAL, NEGATIVE):
            est = self.series[i]
            x = self._hour_counts[i]
            mu = self._hour_expected[i]
            mature = est.hod_w[d] >= 0.9
            if self._hour_paused[i] * 2 >= self._hour_minutes:
                x = min(x, mu)  # an incident was open most of this hour: learn nothing above normal
            if mature and mu >= 3.0 and self._hour_minutes == 60 and not self._hour_paused[i]:
                r = _dispersion_sample(x, mu)
                if r is not None:
                    est.disp_hour_w = est.disp_hour_w * self._hour_disp_decay + 1.0
                    est.disp_hour += (r - est.disp_hour) / est.disp_hour_w
            if mature:
                alpha = max(_CLIP_DISPERSION, est.dispersion(60))
                x = min(x, mu + _CLIP_SIGMAS * _nb_sd(mu, alpha) + 3.0)
            rate = x / self._hour_minutes
            est.how_w[s] = est.how_w[s] * self._week_decay + frac
            est.how_rate[s] += frac * (rate - est.how_rate[s]) / est.how_w[s]
            est.hod_w[d] = est.hod_w[d] * self._day_decay + frac
            est.hod_rate[d] += frac * (rate - est.hod_rate[d]) / est.hod_w[d]
            est.long_w = est.long_w * self._long_decay + frac
            est.long += frac * (rate - est.long) / est.long_w

    # ---- snapshot ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "first_minute": self.first_minute,
            "folded_upto": self.folded_upto,
            "folded_minutes": self.folded_minutes,
            "share": [_compact(self.share_negative), _compact(self.share_total)],
            "hour": [
                self._hour,
                self._hour_minutes,
                *self._hour_counts,
                *map(_compact, self._hour_expected),
                *self._hour_paused,
            ],
            "block": [
                self._block,
                *self._block_counts,
                *map(_compact, self._block_expected),
                *map(int, self._block_paused),
            ],
            "series": [s.to_dict() for s in self.series],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], settings: BaselineSettings) -> Baseline:
        obj = cls(settings, int(data["first_minute"]))
        obj.folded_upto = int(data["folded_upto"])
        obj.folded_minutes = int(data["folded_minutes"])
        obj.share_negative, obj.share_total = (float(v) for v in data["share"])
        h = data["hour"]
        obj._hour, obj._hour_minutes = int(h[0]), int(h[1])
        obj._hour_counts = [int(h[2]), int(h[3])]
        obj._hour_expected = [float(h[4]), float(h[5])]
        obj._hour_paused = [int(h[6]), int(h[7])] if len(h) > 7 else [0, 0]
        b = data["block"]
        obj._block = int(b[0])
        obj._block_counts = [int(b[1]), int(b[2])]
        obj._block_expected = [float(b[3]), float(b[4])]
        obj._block_paused = [bool(b[5]), bool(b[6])] if len(b) > 6 else [False, False]
        obj.series = tuple(SeriesBaseline.from_dict(s) for s in data["series"])  # type: ignore[assignment]
        return obj
