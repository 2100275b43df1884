"""The alert lifecycle: from detector signals to the notifications a person should get. Pure: no I/O.

Modelled on Alertmanager (grouping, group_wait / group_interval / repeat_interval, inhibition,
silences, resolved notices) and PagerDuty (escalation re-notifies, acknowledgement stops repeats,
cooldown stops a replayed burst from paging twice). Time comes from an injected clock, so every
timer is testable, and every decision is data: a `Decision` lists the notifications to send, the
transitions for metrics and which records changed, and the caller (alerts/dispatcher.py) persists
and delivers them.

Vocabulary
- An **alert** is one fingerprint's (`brand/detector`) incident. It is `pending` until some
  receiver has been told about it, `firing` after, `resolved` once the detector says it cleared
  (the detector applies its own hysteresis before sending `resolved`).
- A **group** is (brand, receiver): every alert of one brand routed to one receiver travels in
  one message, so the on-call person reads one incident, not five detectors' worth of pages.
  A group's **episode** opens with its first message and closes when all its alerts resolved and
  the resolved notice (if any) went out.
- An alert is **muted** while a silence matches it, another open alert of its brand inhibits it,
  or it is held by cooldown (it re-fired soon after an incident of the same fingerprint resolved).
  Muted alerts trigger nothing and are left out of messages.

When a group speaks (`Notification.kind`)
- `new`: the first message of an episode, `group_wait` after its first unmuted alert, or at once
  when an alert of the group is critical (`critical_skips_group_wait`): a burst that tips warning
  then critical within group_wait is one critical page rather than a page and an escalation.
- `escalated`: at once, when an alert's severity rises above anything this receiver was told for
  that incident, or a new alert is more severe than everything the receiver has seen in the
  episode. Escalation clears an acknowledgement: the person acked something milder.
- `update`: membership, status or severity changed; at most once per `group_interval`.
  Acks do not trigger one; they are shown in the next one.
- `repeat`: nothing changed, `repeat_interval` passed and some alert is still unacknowledged.
- `resolved`: every alert in the message resolved (sent only with `send_resolved`).

Idempotency: a notification's `key` hashes the group, kind, the group's sequence number and the
(fingerprint, incident, status, severity) of its alerts, so re-deciding from the same persisted
state (after a crash or a replayed signal) yields the same key and the delivery layer drops it.
Duplicate and out-of-order signals are recognised by their event time and never reach a group.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from alerts.config import AlertingConfig
from alerts.notification import Alert, Notification, NotificationKind
from alerts.routing import Router, alert_labels, labels_match
from alerts.silences import Silence, first_muting
from streams.config import BrandConfig
from streams.signal import SEVERITY_RANK, Signal

Clock = Callable[[], float]
HISTORY_PER_BRAND = 5


def severity_rank(severity: str | None) -> int:
    return SEVERITY_RANK.get(severity or "", -1)


def _higher(a: str, b: str) -> str:
    return a if severity_rank(a) >= severity_rank(b) else b


def incident_id_for(signal: Signal) -> str:
    """Stable across replays of the same incident: the detector's own start time, not our clock."""
    return f"{signal.fingerprint}@{int(signal.started_at)}"


def group_id_for(brand: str, receiver: str) -> str:
    return f"brand:{brand}/{receiver}"


def notification_key(group_id: str, kind: str, sequence: int, alerts: Iterable[Alert]) -> str:
    content = sorted([a.fingerprint, a.incident_id, a.status, a.severity] for a in alerts)
    raw = json.dumps([group_id, kind, sequence, content], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def _copy_alert(alert: Alert) -> Alert:
    return replace(alert, labels=dict(alert.labels))


# ---------------------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class AlertRecord:
    """One fingerprint's current incident plus what the lifecycle needs to remember about it."""

    alert: Alert
    receivers: list[str] = field(default_factory=list)  # sticky for the incident: only grows
    last_evaluated_at: float = 0.0  # event time of the last applied signal (duplicates, order)
    max_severity: str = "info"  # highest severity this incident reached
    notified: bool = False  # some receiver was told it fires
    hold_until: float | None = None  # cooldown hold: muted until then
    inhibited_by: str | None = None  # fingerprint of the inhibiting alert
    ack_comment: str | None = None
    last_paged_end: float | None = None  # when the fingerprint's last announced incident resolved
    last_paged_severity: str | None = None  # and how severe it got
    revision: int = 0  # bumped on every change; the store's reconciliation compares it

    @property
    def fingerprint(self) -> str:
        return self.alert.fingerprint

    @property
    def brand(self) -> str:
        return self.alert.brand

    @property
    def is_open(self) -> bool:
        return self.alert.status in ("pending", "firing")

    def held(self, now: float) -> bool:
        return self.hold_until is not None and now < self.hold_until

    def muted(self, now: float) -> bool:
        return bool(self.alert.silenced_by or self.inhibited_by or self.held(now))

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert": self.alert.to_dict(),
            "receivers": list(self.receivers),
            "last_evaluated_at": self.last_evaluated_at,
            "max_severity": self.max_severity,
            "notified": self.notified,
            "hold_until": self.hold_until,
            "inhibited_by": self.inhibited_by,
            "ack_comment": self.ack_comment,
            "last_paged_end": self.last_paged_end,
            "last_paged_severity": self.last_paged_severity,
            "revision": self.revision,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertRecord:
        values = dict(data)
        values["alert"] = Alert.from_dict(values["alert"])
        values["receivers"] = list(values.get("receivers", ()))
        return cls(**values)


@dataclass(slots=True)
class SentAlert:
    """What a group last told its receiver about one alert (kept so a resolved notice can be built
    even after the fingerprint moved on to a new incident)."""

    incident_id: str
    severity: str
    max_severity: str
    alert: Alert

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "severity": self.severity,
            "max_severity": self.max_severity,
            "alert": self.alert.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SentAlert:
        return cls(
            incident_id=data["incident_id"],
            severity=data["severity"],
            max_severity=data["max_severity"],
            alert=Alert.from_dict(data["alert"]),
        )


@dataclass(slots=True)
class GroupState:
    """One (brand, receiver) aggregation group."""

    brand: str
    receiver: str
    sequence: int = 0  # notifications sent by this group; part of the idempotency key
    wait_started_at: float | None = None  # group_wait running since
    last_sent_at: float | None = None  # None: no open episode
    sent: dict[str, SentAlert] = field(default_factory=dict)  # fingerprint → last announced as firing
    revision: int = 0

    @property
    def group_id(self) -> str:
        return group_id_for(self.brand, self.receiver)

    @property
    def is_open(self) -> bool:
        return self.last_sent_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "receiver": self.receiver,
            "sequence": self.sequence,
            "wait_started_at": self.wait_started_at,
            "last_sent_at": self.last_sent_at,
            "sent": {fp: s.to_dict() for fp, s in self.sent.items()},
            "revision": self.revision,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupState:
        values = dict(data)
        values["sent"] = {fp: SentAlert.from_dict(s) for fp, s in values.get("sent", {}).items()}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Ack:
    """Somebody took an incident: repeats stop until it escalates or resolves."""

    fingerprint: str
    by: str
    at: float
    comment: str = ""
    incident_id: str | None = None  # None: whatever incident is open when it is applied

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "by": self.by,
            "at": self.at,
            "comment": self.comment,
            "incident_id": self.incident_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ack:
        return cls(
            fingerprint=str(data["fingerprint"]),
            by=str(data["by"]),
            at=float(data["at"]),
            comment=str(data.get("comment") or ""),
            incident_id=data.get("incident_id"),
        )


@dataclass(slots=True)
class BrandState:
    """Everything the lifecycle keeps for one brand: the unit the store loads and saves."""

    alerts: dict[str, AlertRecord] = field(default_factory=dict)  # fingerprint → record
    groups: dict[str, GroupState] = field(default_factory=dict)  # group id → group
    history: list[dict[str, Any]] = field(default_factory=list)  # last resolved incidents, newest last


@dataclass(frozen=True, slots=True)
class Transition:
    """For metrics and the audit log: `name` is pending|firing|escalated|resolved|silenced|inhibited|acked."""

    fingerprint: str
    name: str
    severity: str


@dataclass(slots=True)
class Decision:
    """What one policy call decided. Records named in the change sets must be written (or deleted
    when the policy no longer has them)."""

    notifications: list[Notification] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    changed_alerts: set[str] = field(default_factory=set)
    changed_groups: set[str] = field(default_factory=set)
    changed_history: set[str] = field(default_factory=set)  # brand ids
    handled_acks: list[Ack] = field(default_factory=list)  # applied or stale: drop from the inbox
    ignored: str | None = None  # why a signal changed nothing: duplicate|stale|replay|not_open

    def merge(self, other: Decision) -> Decision:
        self.notifications.extend(other.notifications)
        self.transitions.extend(other.transitions)
        self.changed_alerts |= other.changed_alerts
        self.changed_groups |= other.changed_groups
        self.changed_history |= other.changed_history
        self.handled_acks.extend(other.handled_acks)
        return self

    @property
    def changes_state(self) -> bool:
        return bool(self.changed_alerts or self.changed_groups or self.changed_history)


# ---------------------------------------------------------------------------------------------------
# The policy
# ---------------------------------------------------------------------------------------------------


class AlertPolicy:
    """The lifecycle state machine. Not thread-safe; the dispatcher serialises calls."""

    def __init__(
        self, config: AlertingConfig, brands: Iterable[BrandConfig] = (), *, clock: Clock = time.time
    ) -> None:
        self.clock = clock
        self.alerts: dict[str, AlertRecord] = {}
        self.groups: dict[str, GroupState] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.silences: dict[str, Silence] = {}
        self.config = config
        self.router = Router(config)
        self.brands: dict[str, BrandConfig] = {b.id: b for b in brands}

    # -- configuration -------------------------------------------------------------------------

    def update_config(self, config: AlertingConfig, brands: Iterable[BrandConfig]) -> Decision:
        """Hot reload: relabel and reroute open alerts; groups of receivers that are gone are dropped."""
        self.config = config
        self.router = Router(config)
        self.brands = {b.id: b for b in brands}
        decision = Decision()
        for record in self.alerts.values():
            if not record.is_open:
                continue
            labels = self._labels(record.alert.signal, record.alert.severity)
            kept = [r for r in record.receivers if self.router.has_receiver(r)]
            receivers = _union(kept, self.router.receivers_for(labels))
            if labels != record.alert.labels or receivers != record.receivers:
                record.alert.labels = labels
                record.receivers = receivers
                self._touch_alert(record, decision)
        for group_id, group in list(self.groups.items()):
            if not self.router.has_receiver(group.receiver):
                del self.groups[group_id]
                decision.changed_groups.add(group_id)
        self._evaluate(self._known_brands(), self.clock(), decision)
        return decision

    # -- inputs ----------------------------------------------------------------------------------

    def on_signal(self, signal: Signal) -> Decision:
        now = self.clock()
        decision = Decision()
        record = self.alerts.get(signal.fingerprint)
        if signal.status == "resolved":
            self._resolve(record, signal, now, decision)
        else:
            self._fire(record, signal, now, decision)
        if decision.ignored is None:
            self._evaluate([signal.brand], now, decision)
        return decision

    def tick(self) -> Decision:
        """Timers: group_wait, group_interval, repeat_interval, silence and cooldown expiry, cleanup."""
        now = self.clock()
        decision = Decision()
        self._collect_garbage(now, decision)
        self._evaluate(self._known_brands(), now, decision)
        return decision

    def ack(
        self,
        fingerprint: str,
        by: str,
        comment: str = "",
        *,
        incident_id: str | None = None,
        at: float | None = None,
    ) -> Decision:
        """Acknowledge the open incident of `fingerprint`; LookupError if there is none (or it moved on)."""
        record = self.alerts.get(fingerprint)
        if record is None or not record.is_open:
            raise LookupError(f"no open alert {fingerprint!r}")
        if incident_id is not None and incident_id != record.alert.incident_id:
            raise LookupError(f"{fingerprint!r} is now a different incident than {incident_id!r}")
        decision = Decision()
        if record.alert.acked_by is None:
            record.alert.acked_by = by
            record.alert.acked_at = self.clock() if at is None else at
            record.ack_comment = comment or None
            self._touch_alert(record, decision)
            decision.transitions.append(Transition(fingerprint, "acked", record.alert.severity))
            self._evaluate([record.brand], self.clock(), decision)
        return decision

    def apply_acks(self, acks: Iterable[Ack]) -> Decision:
        """Acks from the store's inbox (CLI, other workers); each is handled once, applied or stale."""
        decision = Decision()
        for ack in acks:
            with contextlib.suppress(LookupError):
                decision.merge(
                    self.ack(ack.fingerprint, ack.by, ack.comment, incident_id=ack.incident_id, at=ack.at)
                )
            decision.handled_acks.append(ack)
        return decision

    def set_silences(self, silences: Iterable[Silence]) -> Decision:
        """Replace the known silences (the store is their source of truth) and re-evaluate mutes."""
        new = {s.id: s for s in silences}
        decision = Decision()
        if new != self.silences:
            self.silences = new
            self._evaluate(self._known_brands(), self.clock(), decision)
        return decision

    def add_silence(self, silence: Silence) -> Decision:
        return self.set_silences([*(s for s in self.silences.values() if s.id != silence.id), silence])

    def expire_silence(self, silence_id: str) -> tuple[Silence, Decision]:
        silence = self.silences.get(silence_id)
        if silence is None:
            raise LookupError(f"no silence {silence_id!r}")
        expired = silence.expire(self.clock())
        return expired, self.add_silence(expired)

    # -- state access (for the store and the CLI) ----------------------------------------------

    def brand_state(self, brand: str) -> BrandState:
        return BrandState(
            alerts={fp: r for fp, r in self.alerts.items() if r.brand == brand},
            groups={gid: g for gid, g in self.groups.items() if g.brand == brand},
            history=list(self.history.get(brand, ())),
        )

    def replace_brand(self, brand: str, state: BrandState) -> None:
        """Adopt a brand's state as loaded from the store (it is the source of truth when reachable)."""
        for fp in [fp for fp, r in self.alerts.items() if r.brand == brand]:
            del self.alerts[fp]
        for gid in [gid for gid, g in self.groups.items() if g.brand == brand]:
            del self.groups[gid]
        self.alerts.update(state.alerts)
        self.groups.update(state.groups)
        if state.history:
            self.history[brand] = list(state.history)
        else:
            self.history.pop(brand, None)

    def brands_with_state(self) -> set[str]:
        return self._known_brands() | set(self.history)

    def open_alerts(self) -> list[AlertRecord]:
        return sorted((r for r in self.alerts.values() if r.is_open), key=_alert_order)

    # -- signal handling -------------------------------------------------------------------------

    def _fire(self, record: AlertRecord | None, signal: Signal, now: float, decision: Decision) -> None:
        if record is not None and record.is_open:
            if signal.evaluated_at < record.last_evaluated_at:
                decision.ignored = "stale"
                return
            if signal.evaluated_at == record.last_evaluated_at and signal.severity == record.alert.severity:
                decision.ignored = "duplicate"
                return
            alert = record.alert
            alert.signal = signal
            alert.severity = signal.severity
            alert.labels = self._labels(signal, signal.severity)
            record.last_evaluated_at = signal.evaluated_at
            if severity_rank(signal.severity) > severity_rank(record.max_severity):
                record.max_severity = signal.severity
                if record.notified:
                    decision.transitions.append(Transition(record.fingerprint, "escalated", signal.severity))
                if alert.acked_by is not None:  # the ack was for something milder
                    alert.acked_by = alert.acked_at = record.ack_comment = None
                if record.hold_until is not None and severity_rank(signal.severity) > severity_rank(
                    record.last_paged_severity
                ):
                    record.hold_until = None  # worse than what cooled down: page
            record.receivers = _union(record.receivers, self.router.receivers_for(alert.labels))
            self._touch_alert(record, decision)
            return

        incident_id = incident_id_for(signal)
        if record is not None:  # the fingerprint's previous incident resolved
            if record.alert.incident_id == incident_id:
                decision.ignored = "replay"
                return
            if signal.evaluated_at <= record.last_evaluated_at:
                decision.ignored = "stale"
                return
        labels = self._labels(signal, signal.severity)
        new = AlertRecord(
            alert=Alert(
                fingerprint=signal.fingerprint,
                brand=signal.brand,
                detector=signal.detector,
                status="pending",
                severity=signal.severity,
                starts_at=now,
                ends_at=None,
                incident_id=incident_id,
                signal=signal,
                labels=labels,
            ),
            receivers=self.router.receivers_for(labels),
            last_evaluated_at=signal.evaluated_at,
            max_severity=signal.severity,
            last_paged_end=record.last_paged_end if record else None,
            last_paged_severity=record.last_paged_severity if record else None,
            revision=record.revision if record else 0,
        )
        if (
            new.last_paged_end is not None
            and now < new.last_paged_end + self.config.cooldown_seconds
            and severity_rank(signal.severity) <= severity_rank(new.last_paged_severity)
        ):
            new.hold_until = new.last_paged_end + self.config.cooldown_seconds
        self.alerts[signal.fingerprint] = new
        self._touch_alert(new, decision)
        decision.transitions.append(Transition(new.fingerprint, "pending", signal.severity))

    def _resolve(self, record: AlertRecord | None, signal: Signal, now: float, decision: Decision) -> None:
        if record is None or not record.is_open:
            decision.ignored = "not_open"
            return
        if signal.evaluated_at < record.last_evaluated_at:
            decision.ignored = "stale"
            return
        alert = record.alert
        alert.status = "resolved"
        alert.ends_at = now
        record.last_evaluated_at = signal.evaluated_at
        record.hold_until = None
        self._touch_alert(record, decision)
        if record.notified:
            record.last_paged_end = now
            record.last_paged_severity = record.max_severity
            decision.transitions.append(Transition(record.fingerprint, "resolved", record.max_severity))
            history = self.history.setdefault(record.brand, [])
            history.append(
                {
                    "incident_id": alert.incident_id,
                    "fingerprint": alert.fingerprint,
                    "detector": alert.detector,
                    "severity": record.max_severity,
                    "started_at": alert.starts_at,
                    "ended_at": now,
                    "summary": alert.signal.summary,
                }
            )
            del history[:-HISTORY_PER_BRAND]
            decision.changed_history.add(record.brand)

    # -- evaluation ------------------------------------------------------------------------------

    def _evaluate(self, brands: Iterable[str], now: float, decision: Decision) -> None:
        for brand in sorted(set(brands)):
            records = [r for r in self.alerts.values() if r.brand == brand]
            self._update_mutes(records, now, decision)
            receivers = {g.receiver for g in self.groups.values() if g.brand == brand}
            receivers.update(rcv for r in records if r.is_open for rcv in r.receivers)
            for receiver in sorted(receivers):
                group = self.groups.get(group_id_for(brand, receiver)) or GroupState(brand, receiver)
                self._evaluate_group(group, records, now, decision)

    def _update_mutes(self, records: list[AlertRecord], now: float, decision: Decision) -> None:
        open_records = [r for r in records if r.is_open]
        for record in open_records:
            changed = False
            silence = first_muting(self.silences.values(), record.alert.labels, now)
            silenced_by = silence.id if silence else None
            if silenced_by != record.alert.silenced_by:
                record.alert.silenced_by = silenced_by
                changed = True
                if silenced_by:
                    decision.transitions.append(
                        Transition(record.fingerprint, "silenced", record.alert.severity)
                    )
            if record.hold_until is not None and now >= record.hold_until:
                record.hold_until = None
                changed = True
            inhibitor = self._inhibitor(record, open_records)
            if inhibitor != record.inhibited_by:
                record.inhibited_by = inhibitor
                changed = True
                if inhibitor:
                    decision.transitions.append(
                        Transition(record.fingerprint, "inhibited", record.alert.severity)
                    )
            if changed:
                self._touch_alert(record, decision)

    def _inhibitor(self, target: AlertRecord, open_records: list[AlertRecord]) -> str | None:
        labels = target.alert.labels
        for rule in self.config.inhibit_rules:
            if not labels_match(rule.target, labels):
                continue
            target_is_source = labels_match(rule.source, labels)
            for source in open_records:
                if source is target or not labels_match(rule.source, source.alert.labels):
                    continue
                if target_is_source and labels_match(rule.target, source.alert.labels):
                    continue  # Alertmanager: alerts matching both sides never inhibit each other
                if all(source.alert.labels.get(n, "") == labels.get(n, "") for n in rule.equal):
                    return source.fingerprint
        return None

    def _evaluate_group(
        self, group: GroupState, records: list[AlertRecord], now: float, decision: Decision
    ) -> None:
        members = [r for r in records if r.is_open and group.receiver in r.receivers]
        active = sorted((r for r in members if not r.muted(now)), key=_alert_order)
        muted = {r.fingerprint for r in members if r.muted(now)}
        by_fingerprint = {r.fingerprint: r for r in records}

        # Alerts this receiver was told fire whose incident is over: announce them, or drop them.
        resolved: list[Alert] = []
        for fp, sent in list(group.sent.items()):
            record = by_fingerprint.get(fp)
            same_incident = record is not None and record.alert.incident_id == sent.incident_id
            if same_incident and record is not None and record.is_open:
                continue
            if same_incident and record is not None:
                alert = _copy_alert(record.alert)
            else:
                alert = _copy_alert(sent.alert)
                alert.status = "resolved"
                ended_at = record.last_paged_end if record is not None else None
                alert.ends_at = ended_at if ended_at is not None else now
            if self.config.send_resolved and first_muting(self.silences.values(), alert.labels, now) is None:
                resolved.append(alert)
            else:
                del group.sent[fp]
                self._touch_group(group, decision)

        if group.is_open and not group.sent:
            self._close_episode(group, decision)  # nothing the receiver was told still fires
        if not group.is_open:
            self._evaluate_closed_group(group, members, active, now, decision)
            return

        current = {r.fingerprint: (r.alert.incident_id, r.alert.severity) for r in active}
        ended = {a.fingerprint for a in resolved}
        before = {
            fp: (s.incident_id, s.severity)
            for fp, s in group.sent.items()
            if fp not in muted and fp not in ended
        }
        changed = bool(resolved) or current != before
        episode_max = max((severity_rank(s.max_severity) for s in group.sent.values()), default=-1)
        escalated = False
        for record in active:
            sent = group.sent.get(record.fingerprint)
            if sent is not None and sent.incident_id == record.alert.incident_id:
                escalated |= severity_rank(record.alert.severity) > severity_rank(sent.max_severity)
            else:
                escalated |= severity_rank(record.alert.severity) > episode_max
        assert group.last_sent_at is not None
        since = now - group.last_sent_at
        kind: NotificationKind | None = None
        if escalated:
            kind = "escalated"
        elif changed and since >= self.config.group_interval_seconds:
            kind = "update" if active else "resolved"
        elif (
            not changed
            and active
            and self.config.repeat_interval_seconds > 0
            and since >= self.config.repeat_interval_seconds
            and any(r.alert.acked_by is None for r in active)
        ):
            kind = "repeat"
        if kind is not None and (active or resolved):
            # muted alerts stay known (unmuting them is not news), unless their incident ended
            keep = {fp: s for fp, s in group.sent.items() if fp in muted and fp not in ended}
            self._send(group, kind, active, resolved, keep, now, decision)

        if not group.sent:  # everything the receiver was told about has ended
            if members:
                self._close_episode(group, decision)
            else:
                self.groups.pop(group.group_id, None)
                decision.changed_groups.add(group.group_id)

    def _close_episode(self, group: GroupState, decision: Decision) -> None:
        """The next alert of this group is a new page (after group_wait), not an update."""
        group.last_sent_at = None
        group.wait_started_at = None
        self._touch_group(group, decision)

    def _evaluate_closed_group(
        self,
        group: GroupState,
        members: list[AlertRecord],
        active: list[AlertRecord],
        now: float,
        decision: Decision,
    ) -> None:
        if not active:
            if group.group_id in self.groups and not members:
                del self.groups[group.group_id]
                decision.changed_groups.add(group.group_id)
            elif group.wait_started_at is not None:
                group.wait_started_at = None
                self._touch_group(group, decision)
            return
        if group.group_id not in self.groups:
            self.groups[group.group_id] = group
        if group.wait_started_at is None:
            group.wait_started_at = now
            self._touch_group(group, decision)
        waited = now - group.wait_started_at >= self.config.group_wait_seconds
        critical = self.config.critical_skips_group_wait and any(
            r.alert.severity == "critical" for r in active
        )
        if waited or critical:
            self._send(group, "new", active, [], {}, now, decision)

    def _send(
        self,
        group: GroupState,
        kind: NotificationKind,
        active: list[AlertRecord],
        resolved: list[Alert],
        keep: dict[str, SentAlert],
        now: float,
        decision: Decision,
    ) -> None:
        group.sequence += 1
        firing: list[Alert] = []
        sent: dict[str, SentAlert] = {}
        for record in active:
            if record.alert.status == "pending":
                record.alert.status = "firing"
                decision.transitions.append(Transition(record.fingerprint, "firing", record.alert.severity))
            if not record.notified:
                record.notified = True
            self._touch_alert(record, decision)
            snapshot = _copy_alert(record.alert)
            firing.append(snapshot)
            before = group.sent.get(record.fingerprint)
            max_severity = record.alert.severity
            if before is not None and before.incident_id == record.alert.incident_id:
                max_severity = _higher(before.max_severity, max_severity)
            sent[record.fingerprint] = SentAlert(
                record.alert.incident_id, record.alert.severity, max_severity, snapshot
            )
        for fp, before in keep.items():
            sent.setdefault(fp, before)
        group.sent = sent
        group.last_sent_at = now
        group.wait_started_at = None
        self._touch_group(group, decision)

        alerts = firing + resolved
        channels = self.router.channels_for(group.receiver)
        if not channels:
            return  # a receiver without channels mutes its alerts on purpose
        brand = self.brands.get(group.brand)
        decision.notifications.append(
            Notification(
                key=notification_key(group.group_id, kind, group.sequence, alerts),
                group_key=f"brand:{group.brand}",
                receiver=group.receiver,
                channels=list(channels),
                kind=kind,
                status="firing" if firing else "resolved",
                brand=group.brand,
                brand_name=brand.name if brand is not None else group.brand,
                alerts=alerts,
                created_at=now,
                previous_incident=self._previous_incident(group.brand, alerts),
                grafana_url=self.config.grafana_url,
            )
        )

    def _previous_incident(self, brand: str, alerts: list[Alert]) -> dict[str, Any] | None:
        """The brand's last resolved incident before this one (LARA's "relate")."""
        ids = {a.incident_id for a in alerts}
        began = min((a.starts_at for a in alerts), default=float("inf"))
        for incident in reversed(self.history.get(brand, ())):
            if incident["incident_id"] not in ids and incident["ended_at"] <= began:
                return dict(incident)
        return None

    def _collect_garbage(self, now: float, decision: Decision) -> None:
        retention = max(self.config.cooldown_seconds, self.config.resolved_retention_seconds)
        referenced = {fp for g in self.groups.values() for fp in g.sent}
        for fp, record in list(self.alerts.items()):
            if record.is_open or fp in referenced:
                continue
            if now - (record.alert.ends_at if record.alert.ends_at is not None else now) < retention:
                continue
            if (
                record.last_paged_end is not None
                and now < record.last_paged_end + self.config.cooldown_seconds
            ):
                continue
            del self.alerts[fp]
            decision.changed_alerts.add(fp)

    # -- helpers ---------------------------------------------------------------------------------

    def _labels(self, signal: Signal, severity: str) -> dict[str, str]:
        return alert_labels(signal, self.brands.get(signal.brand), severity=severity)

    def _known_brands(self) -> set[str]:
        return {r.brand for r in self.alerts.values()} | {g.brand for g in self.groups.values()}

    @staticmethod
    def _touch_alert(record: AlertRecord, decision: Decision) -> None:
        if record.fingerprint not in decision.changed_alerts:
            record.revision += 1
            decision.changed_alerts.add(record.fingerprint)

    @staticmethod
    def _touch_group(group: GroupState, decision: Decision) -> None:
        if group.group_id not in decision.changed_groups:
            group.revision += 1
            decision.changed_groups.add(group.group_id)


def _alert_order(record: AlertRecord) -> tuple[int, float, str]:
    return (-severity_rank(record.alert.severity), record.alert.starts_at, record.fingerprint)


def _union(first: list[str], second: list[str]) -> list[str]:
    return first + [x for x in second if x not in first]
