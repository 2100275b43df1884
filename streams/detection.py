"""The detection engine: per-brand rolling state + baseline + detectors + the firing state machine.

Pure: no I/O, no clocks of its own. The Faust detect agent and `bohran backtest` drive the same
engine, so what ops tune offline is exactly what runs live:

    ingest(batch, wall_now)   add a brand's per-minute partial aggregates (late ones counted, dropped)
    evaluate(brand, wall_now) judge the brand at its event time; emit transitions and material updates
    tick(wall_now)            let event time move on for quiet brands, so open incidents resolve

Time is event time. A brand's watermark is the newest event time it has seen; an aggregate for a
minute that ended more than `allowed_lateness_seconds` before the watermark is late. A brand whose
mentions stop keeps a clock that advances with wall time since its last ingest (tick).

Each detector has one gate per brand: idle -> pending (condition holds) -> firing (held for
`pending_minutes`) -> resolved (clear below the hysteresis level for `resolve_minutes`). While firing,
a signal is re-emitted only when the severity rises, the observed value grows by `update_growth`,
or the evidence changes materially (a new lead post, a bot-flood flag), not on every batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streams.baseline import NEGATIVE, TOTAL, Baseline
from streams.brand_batch import BrandBatch
from streams.config import StreamsConfig
from streams.detection_config import DETECTOR_NAMES, DetectionConfig, DetectorSettings
from streams.detectors import Assessment, BrandView, registry
from streams.evidence import bot_flood, gather
from streams.rolling_state import RollingState
from streams.signal import SEVERITY_RANK, Signal

SNAPSHOT_VERSION = 1
FUTURE_SKEW_SECONDS = 300.0  # event times this far past wall time do not move the watermark further
TICK_MIN_SECONDS = 10.0  # a ticked brand is re-evaluated at most this often
LEARNING_PAUSE_MAX_SECONDS = 6 * 3600.0  # an incident longer than this is allowed to become normal
# slow_burn first: its steps must be judged before the baseline folds the hours they cover.
SPIKE_DETECTORS = ("negative_volume", "negative_share", "viral_post")
EVALUATION_ORDER = ("slow_burn", "negative_volume", "negative_share", "viral_post", "total_volume")


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0  # mentions added to the rolling state
    late: int = 0  # mentions older than the allowed lateness (dropped from detection)
    future: int = 0  # mentions dated further ahead of wall time than clock skew explains (dropped)


@dataclass(slots=True)
class GateState:
    status: str = "idle"  # idle | pending | firing
    since: float = 0.0  # when the condition first held (pending start, then the incident start)
    clear_since: float | None = None
    severity: str = "info"  # peak severity of the open incident
    emitted_observed: float = 0.0
    emitted_lead: str = ""
    emitted_flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "since": self.since,
            "clear_since": self.clear_since,
            "severity": self.severity,
            "observed": self.emitted_observed,
            "lead": self.emitted_lead,
            "flags": list(self.emitted_flags),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateState:
        return cls(
            status=data["status"],
            since=float(data["since"]),
            clear_since=None if data.get("clear_since") is None else float(data["clear_since"]),
            severity=data.get("severity", "info"),
            emitted_observed=float(data.get("observed", 0.0)),
            emitted_lead=data.get("lead", ""),
            emitted_flags=tuple(data.get("flags", ())),
        )


class BrandState:
    """Everything the engine keeps for one brand."""

    __slots__ = (
        "brand",
        "config",
        "rolling",
        "baseline",
        "gates",
        "memory",
        "watermark",
        "clock",
        "last_eval",
        "last_ingest_wall",
        "first_seen",
        "late",
        "accepted",
        "assessments",
        "spike_until",
    )

    def __init__(self, brand: str, config: DetectionConfig, first_seen: float) -> None:
        self.brand = brand
        self.config = config
        self.rolling = RollingState(config.history_minutes, config.evidence_minutes)
        self.baseline = Baseline(config.baseline, int(first_seen // 60))
        self.gates: dict[str, GateState] = {name: GateState() for name in DETECTOR_NAMES}
        self.memory: dict[str, dict[str, Any]] = {name: {} for name in DETECTOR_NAMES}
        self.watermark = first_seen
        self.clock = first_seen
        self.last_eval = 0.0
        self.last_ingest_wall: float | None = None
        self.first_seen = first_seen
        self.late = 0
        self.accepted = 0
        self.assessments: tuple[float, dict[str, Assessment]] | None = None
        self.spike_until = 0.0

    def active_gates(self) -> bool:
        return any(g.status != "idle" for g in self.gates.values())


class DetectionEngine:
    def __init__(self, config: StreamsConfig) -> None:
        self._config = config
        self._settings: dict[str, DetectionConfig] = {}
        self._states: dict[str, BrandState] = {}
        self._detectors = registry()

    # ---- configuration -------------------------------------------------------------------
    def settings_for(self, brand: str) -> DetectionConfig:
        settings = self._settings.get(brand)
        if settings is None:
            settings = self._settings[brand] = self._config.detection_for(brand)
        return settings

    def update_config(self, config: StreamsConfig) -> None:
        """Hot reload: new thresholds apply at the next evaluation; removed brands are dropped."""
        self._config = config
        self._settings.clear()
        configured = {b.id for b in config.brands}
        for brand in list(self._states):
            if brand not in configured:
                del self._states[brand]
                continue
            state = self._states[brand]
            new = self.settings_for(brand)
            old = state.config
            state.config = new
            state.baseline.reconfigure(new.baseline)
            if (new.history_minutes, new.evidence_minutes) != (old.history_minutes, old.evidence_minutes):
                state.rolling = RollingState.from_dict(
                    state.rolling.to_dict(), new.history_minutes, new.evidence_minutes
                )

    def brands(self) -> list[str]:
        return sorted(self._states)

    def forget(self, brand: str) -> None:
        """Drop a brand's state (its partition moved to another worker)."""
        self._states.pop(brand, None)

    # ---- ingest --------------------------------------------------------------------------
    def ingest(self, batch: BrandBatch, *, wall_now: float) -> IngestResult:
        result = IngestResult()
        if not batch.minutes:
            return result
        state = self._states.get(batch.brand)
        if state is None:
            first = float(min(batch.minutes))
            state = self._states[batch.brand] = BrandState(batch.brand, self.settings_for(batch.brand), first)
        horizon = state.watermark - state.config.allowed_lateness_seconds
        future = wall_now + FUTURE_SKEW_SECONDS
        newest = state.watermark
        rolling = state.rolling
        for minute_start in sorted(batch.minutes):
            agg = batch.minutes[minute_start]
            minute = int(minute_start // 60)
            if minute_start > future:
                result.future += agg.total  # a producer's clock or unit bug must not end the present
                continue
            if minute_start + 60 <= horizon or minute < rolling.oldest_kept():
                result.late += agg.total
                continue
            rolling.add(minute, agg)
            if minute <= state.baseline.folded_upto:
                state.baseline.late(minute, agg.total, agg.negative)
            result.accepted += agg.total
            latest_post = max((p.created_at for p in agg.top_posts), default=float(minute_start))
            newest = max(newest, min(max(latest_post, float(minute_start)), minute_start + 59.999))
        state.watermark = max(state.watermark, min(newest, future))
        state.clock = max(state.clock, state.watermark)
        state.last_ingest_wall = wall_now
        state.late += result.late
        state.accepted += result.accepted
        return result

    # ---- evaluate ------------------------------------------------------------------------
    def evaluate(self, brand: str, now: float | None = None, *, wall_now: float) -> list[Signal]:
        """Judge `brand` at event time `now` (default: its clock); return the signals to publish."""
        state = self._states.get(brand)
        if state is None:
            return []
        t = max(state.watermark, state.clock) if now is None else now
        t = max(t, state.last_eval)
        assessments = self._assess(state, t, learn=True)
        signals: list[Signal] = []
        minutes_seen = (t - state.first_seen) / 60.0
        cfg = state.config
        for name in EVALUATION_ORDER:
            settings = cfg.detector(name)
            assessment = assessments.get(name)
            warm = minutes_seen >= max(settings.warmup_minutes, cfg.warmup_minutes)
            signal = self._step_gate(state, name, settings, assessment, t, warm)
            if signal is not None:
                signals.append(signal)
        if any(state.gates[n].status == "firing" for n in SPIKE_DETECTORS):
            state.spike_until = t
        state.last_eval = t
        state.assessments = (t, assessments)
        return signals

    def _assess(self, state: BrandState, t: float, *, learn: bool) -> dict[str, Assessment]:
        cfg = state.config
        view = BrandView(
            brand=state.brand,
            now=t,
            rolling=state.rolling,
            baseline=state.baseline,
            config=cfg,
            minutes_seen=(t - state.first_seen) / 60.0,
            spike_until=state.spike_until,
        )
        out: dict[str, Assessment] = {}
        for name in EVALUATION_ORDER:
            if name == "negative_volume" and learn:
                self._fold(state, t)  # after slow_burn judged its steps, before the short windows
            settings = cfg.detector(name)
            if not settings.enabled:
                continue
            memory = state.memory[name] if learn else dict(state.memory[name])
            out[name] = self._detectors[name](view, settings, memory)
        return out

    def _fold(self, state: BrandState, t: float) -> None:
        cfg = state.config
        lag = max(
            cfg.negative_volume.window_minutes,
            cfg.negative_share.window_minutes,
            cfg.total_volume.window_minutes,
        )
        gates = state.gates

        def paused(*names: str) -> bool:
            return any(
                gates[n].status == "firing" and t - gates[n].since < LEARNING_PAUSE_MAX_SECONDS for n in names
            )

        state.baseline.fold_until(
            int(t // 60) - lag,
            state.rolling.minute,
            (paused("total_volume"), paused("negative_volume", "negative_share", "slow_burn")),
        )

    def _step_gate(
        self,
        state: BrandState,
        name: str,
        settings: DetectorSettings,
        assessment: Assessment | None,
        t: float,
        warm: bool,
    ) -> Signal | None:
        gate = state.gates[name]
        if assessment is None:  # detector disabled (e.g. by a config reload)
            if gate.status == "firing":
                state.gates[name] = GateState()
                return self._disabled_resolution(state, name, gate, t)
            state.gates[name] = GateState()
            return None
        if gate.status == "firing":
            if assessment.clear:
                if gate.clear_since is None:
                    gate.clear_since = t
                if t - gate.clear_since >= settings.resolve_minutes * 60:
                    signal = self._signal(state, assessment, gate, "resolved", t)
                    state.gates[name] = GateState()
                    return signal
                return None
            gate.clear_since = None
            severity = (
                _max_severity(gate.severity, assessment.severity) if assessment.active else gate.severity
            )
            flags = _flags(state, assessment)
            lead = str(assessment.details.get("lead_post", ""))
            material = (
                severity != gate.severity
                or (
                    assessment.active
                    and assessment.observed >= gate.emitted_observed * state.config.update_growth
                    and assessment.observed > gate.emitted_observed
                )
                or not set(flags) <= set(gate.emitted_flags)
                or (lead and lead != gate.emitted_lead)
            )
            if not material:
                return None
            gate.severity = severity
            return self._signal(state, assessment, gate, "firing", t)
        if assessment.active and warm:
            if gate.status == "idle":
                gate.status = "pending"
                gate.since = t
            if t - gate.since >= settings.pending_minutes * 60:
                gate.status = "firing"
                gate.severity = assessment.severity
                gate.clear_since = None
                return self._signal(state, assessment, gate, "firing", t)
            return None
        if gate.status == "pending":
            state.gates[name] = GateState()
        return None

    def _signal(self, state: BrandState, a: Assessment, gate: GateState, status: str, t: float) -> Signal:
        first = int(a.window_start // 60)
        last = int(t // 60)
        counts = state.rolling.window(first, last)
        evidence = gather(state.rolling.evidence(first, last), counts, state.config.evidence, a.focus_posts)
        if status == "firing":
            gate.emitted_observed = a.observed
            gate.emitted_lead = str(a.details.get("lead_post", ""))
            gate.emitted_flags = tuple(evidence.flags)
        summary = a.reason
        if "bot_flood" in evidence.flags:
            summary += "; looks like a bot flood: near-duplicate posts from fresh accounts"
        if status == "resolved":
            summary = f"resolved after {(t - gate.since) / 60:.0f} min; now: {a.reason}"
        return Signal(
            brand=state.brand,
            detector=a.detector,
            status=status,  # type: ignore[arg-type]
            severity=gate.severity,  # type: ignore[arg-type]
            score=round(a.score, 4),
            threshold=a.threshold,
            observed=round(a.observed, 3),
            expected=round(a.expected, 3),
            started_at=gate.since,
            evaluated_at=t,
            window_start=a.window_start,
            window_end=a.window_end,
            negative_share=round(a.negative_share, 4),
            baseline_share=round(a.baseline_share, 4),
            reach=round(a.reach, 1),
            total=a.total,
            negative=a.negative,
            top_posts=evidence.top_posts,
            top_terms=evidence.top_terms,
            categories=evidence.categories,
            platforms=evidence.platforms,
            flags=evidence.flags,
            repeat_complainers=evidence.repeat_complainers,
            summary=summary,
        )

    def _disabled_resolution(self, state: BrandState, name: str, gate: GateState, t: float) -> Signal:
        return Signal(
            brand=state.brand,
            detector=name,
            status="resolved",
            severity=gate.severity,  # type: ignore[arg-type]
            score=0.0,
            threshold=0.0,
            observed=0.0,
            expected=0.0,
            started_at=gate.since,
            evaluated_at=t,
            window_start=gate.since,
            window_end=t,
            summary="resolved: detector disabled by configuration",
        )

    # ---- tick ----------------------------------------------------------------------------
    def tick(self, wall_now: float) -> list[Signal]:
        """Advance quiet brands' clocks by the wall time since their last ingest; resolve what ended."""
        signals: list[Signal] = []
        for brand, state in self._states.items():
            if state.last_ingest_wall is None:
                state.last_ingest_wall = wall_now  # restored: count quiet time from now
                continue
            idle = wall_now - state.last_ingest_wall
            if idle <= 0:
                continue
            state.clock = max(state.clock, state.watermark + idle)
            if state.active_gates() and state.clock - state.last_eval >= TICK_MIN_SECONDS:
                signals.extend(self.evaluate(brand, state.clock, wall_now=wall_now))
        return signals

    # ---- snapshot ------------------------------------------------------------------------
    def snapshot(self, brand: str) -> dict[str, Any]:
        state = self._states[brand]
        return {
            "v": SNAPSHOT_VERSION,
            "brand": brand,
            "watermark": state.watermark,
            "clock": state.clock,
            "last_eval": state.last_eval,
            "first_seen": state.first_seen,
            "late": state.late,
            "accepted": state.accepted,
            "spike_until": state.spike_until,
            "rolling": state.rolling.to_dict(),
            "baseline": state.baseline.to_dict(),
            "gates": {n: g.to_dict() for n, g in state.gates.items() if g.status != "idle"},
            "memory": {n: m for n, m in state.memory.items() if m},
        }

    def restore(self, brand: str, data: dict[str, Any]) -> None:
        if data.get("v") != SNAPSHOT_VERSION:
            return  # an incompatible checkpoint: start fresh rather than misread it
        cfg = self.settings_for(brand)
        state = BrandState(brand, cfg, float(data["first_seen"]))
        state.watermark = float(data["watermark"])
        state.clock = float(data["clock"])
        state.last_eval = float(data["last_eval"])
        state.late = int(data.get("late", 0))
        state.accepted = int(data.get("accepted", 0))
        state.spike_until = float(data.get("spike_until", 0.0))
        state.rolling = RollingState.from_dict(data["rolling"], cfg.history_minutes, cfg.evidence_minutes)
        state.baseline = Baseline.from_dict(data["baseline"], cfg.baseline)
        for name, gate in data.get("gates", {}).items():
            if name in state.gates:
                state.gates[name] = GateState.from_dict(gate)
        for name, memory in data.get("memory", {}).items():
            if name in state.memory:
                state.memory[name] = dict(memory)
        self._states[brand] = state

    # ---- explain -------------------------------------------------------------------------
    def explain(self, brand: str) -> dict[str, Any]:
        """Recent counts, baseline, each detector's score vs threshold and why it did or did not fire."""
        state = self._states.get(brand)
        if state is None:
            return {"brand": brand, "known": False}
        t = max(state.watermark, state.clock, state.last_eval)
        if state.assessments is not None and state.assessments[0] == t:
            assessments = state.assessments[1]
        else:
            assessments = self._assess(state, t, learn=False)
        cfg = state.config
        minute = int(t // 60)
        minutes_seen = (t - state.first_seen) / 60.0
        base = state.baseline
        share, share_weight = base.share()
        short = cfg.negative_volume.window_minutes
        window = state.rolling.window(minute - short + 1, minute)
        detectors: dict[str, Any] = {}
        for name in DETECTOR_NAMES:
            settings = cfg.detector(name)
            gate = state.gates[name]
            a = assessments.get(name)
            if a is None:
                detectors[name] = {"enabled": False, "state": "idle", "why": "disabled in config"}
                continue
            warmup = max(settings.warmup_minutes, cfg.warmup_minutes)
            if gate.status == "firing":
                why = f"firing ({gate.severity}) since {gate.since:.0f}: {a.reason}"
            elif gate.status == "pending":
                why = (
                    f"pending since {gate.since:.0f}, fires after {settings.pending_minutes} min: {a.reason}"
                )
            elif a.active and minutes_seen < warmup:
                why = f"would fire but warming up ({minutes_seen:.0f} of {warmup} min): {a.reason}"
            else:
                why = a.reason
            detectors[name] = {
                "enabled": True,
                "state": gate.status,
                "firing": gate.status == "firing",
                "why": why,
                **a.explain(),
            }
        return {
            "brand": brand,
            "known": True,
            "event_time": t,
            "watermark": state.watermark,
            "first_seen": state.first_seen,
            "minutes_seen": round(minutes_seen, 1),
            "accepted": state.accepted,
            "late": state.late,
            "recent": [
                {"minute": m * 60, "total": total, "negative": neg}
                for m, total, neg in state.rolling.series(minute - 14, minute)
            ],
            "window": {
                "minutes": short,
                "total": window.total,
                "negative": window.negative,
                "negative_share": round(window.share, 4),
            },
            "baseline": {
                "total_per_hour": round(base.rate(TOTAL, minute) * 60, 3),
                "negative_per_hour": round(base.rate(NEGATIVE, minute) * 60, 3),
                "negative_share": round(share, 4),
                "share_weight": round(share_weight, 1),
                "dispersion_negative": round(base.dispersion(NEGATIVE, short), 4),
                "dispersion_total": round(base.dispersion(TOTAL, short), 4),
                **base.maturity(),
            },
            "detectors": detectors,
        }


def _max_severity(a: str, b: str) -> str:
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b


def _flags(state: BrandState, a: Assessment) -> list[str]:
    counts = state.rolling.window(int(a.window_start // 60), int(a.window_end // 60))
    return ["bot_flood"] if bot_flood(counts, state.config.evidence) else []
