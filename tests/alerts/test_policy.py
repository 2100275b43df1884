"""The alert lifecycle under a fake clock: every transition, every timer, every way to stay quiet."""

from __future__ import annotations

from typing import Any

import pytest
from alert_support import T0, FakeClock, build_signal

from alerts.config import AlertingConfig
from alerts.policy import (
    Ack,
    AlertPolicy,
    AlertRecord,
    Decision,
    GroupState,
    incident_id_for,
)
from alerts.silences import Matcher, new_silence
from streams.config import BrandConfig

BRANDS = [
    BrandConfig(id="novinnet", name="NovinNet", aliases=["novinnet"], labels={"team": "isp"}),
    BrandConfig(id="tazeban", name="Tazeban", aliases=["tazeban"], labels={"team": "grocery"}),
]


def alerting(**overrides: Any) -> AlertingConfig:
    base: dict[str, Any] = {
        "group_wait_seconds": 0,
        "group_interval_seconds": 300,
        "repeat_interval_seconds": 3600,
        "cooldown_seconds": 1800,
        "route": {"receiver": "oncall"},
        "receivers": [{"name": "oncall", "channels": ["console"]}],
        "channels": [{"type": "console", "name": "console"}],
    }
    base.update(overrides)
    return AlertingConfig.model_validate(base)


def make_policy(clock: FakeClock, **overrides: Any) -> AlertPolicy:
    return AlertPolicy(alerting(**overrides), BRANDS, clock=clock)


def transitions(decision: Decision) -> list[tuple[str, str]]:
    return [(t.fingerprint, t.name) for t in decision.transitions]


def only(decision: Decision):
    assert len(decision.notifications) == 1, decision.notifications
    return decision.notifications[0]


def fps(notification) -> list[tuple[str, str, str]]:
    return [(a.fingerprint, a.status, a.severity) for a in notification.alerts]


# -- first page, group_wait, grouping ---------------------------------------------------------------


def test_first_firing_signal_pages_at_once_without_group_wait(clock: FakeClock) -> None:
    policy = make_policy(clock)
    decision = policy.on_signal(build_signal())
    n = only(decision)
    assert n.kind == "new" and n.status == "firing"
    assert n.group_key == "brand:novinnet" and n.receiver == "oncall" and n.channels == ["console"]
    assert n.brand_name == "NovinNet"
    assert fps(n) == [("novinnet/negative_volume", "firing", "warning")]
    assert n.alerts[0].labels == {
        "team": "isp",
        "brand": "novinnet",
        "detector": "negative_volume",
        "severity": "warning",
        "category": "outage",
    }
    assert transitions(decision) == [
        ("novinnet/negative_volume", "pending"),
        ("novinnet/negative_volume", "firing"),
    ]
    record = policy.alerts["novinnet/negative_volume"]
    assert record.alert.status == "firing" and record.notified
    assert record.alert.incident_id == f"novinnet/negative_volume@{int(T0 - 600)}"
    assert decision.changed_alerts == {"novinnet/negative_volume"}
    assert decision.changed_groups == {"brand:novinnet/oncall"}


def test_group_wait_collects_detectors_of_a_brand_into_one_message(clock: FakeClock) -> None:
    policy = make_policy(clock, group_wait_seconds=30)
    assert policy.on_signal(build_signal()).notifications == []
    assert policy.alerts["novinnet/negative_volume"].alert.status == "pending"
    clock.advance(10)
    assert policy.on_signal(build_signal(detector="negative_share", evaluated_at=T0 + 10)).notifications == []
    assert policy.on_signal(build_signal(brand="tazeban", evaluated_at=T0 + 10)).notifications == []
    clock.advance(19)
    assert policy.tick().notifications == []
    clock.advance(1)  # 30 s after the first novinnet alert; tazeban still has 10 s to wait
    n = only(policy.tick())
    assert n.brand == "novinnet" and n.kind == "new"
    assert {a.fingerprint for a in n.alerts} == {"novinnet/negative_volume", "novinnet/negative_share"}
    clock.advance(10)
    n2 = only(policy.tick())
    assert n2.brand == "tazeban" and fps(n2) == [("tazeban/negative_volume", "firing", "warning")]


def test_a_blip_shorter_than_group_wait_never_pages(clock: FakeClock) -> None:
    policy = make_policy(clock, group_wait_seconds=60)
    policy.on_signal(build_signal())
    clock.advance(20)
    decision = policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 20))
    assert decision.notifications == []
    assert ("novinnet/negative_volume", "resolved") not in transitions(decision)  # never announced
    clock.advance(600)
    assert policy.tick().notifications == []
    assert policy.groups == {}


def test_a_burst_tipping_warning_then_critical_within_group_wait_is_one_critical_page(
    clock: FakeClock,
) -> None:
    policy = make_policy(clock, group_wait_seconds=10)
    assert policy.on_signal(build_signal(severity="warning")).notifications == []
    clock.advance(1)
    n = only(policy.on_signal(build_signal(severity="critical", evaluated_at=T0 + 1)))
    assert n.kind == "new" and fps(n) == [("novinnet/negative_volume", "firing", "critical")]
    clock.advance(60)
    assert policy.tick().notifications == []  # no escalation page follows: the receiver was told critical


def test_a_warning_alone_still_waits_for_group_wait(clock: FakeClock) -> None:
    policy = make_policy(clock, group_wait_seconds=10)
    assert policy.on_signal(build_signal(severity="warning")).notifications == []
    clock.advance(9)
    assert policy.tick().notifications == []
    clock.advance(1)
    assert only(policy.tick()).kind == "new"


def test_critical_can_be_made_to_wait_too(clock: FakeClock) -> None:
    policy = make_policy(clock, group_wait_seconds=10, critical_skips_group_wait=False)
    assert policy.on_signal(build_signal(severity="critical")).notifications == []
    clock.advance(10)
    assert only(policy.tick()).kind == "new"


def test_alerts_are_ordered_most_severe_first(clock: FakeClock) -> None:
    policy = make_policy(clock, group_wait_seconds=5, inhibit_rules=[], critical_skips_group_wait=False)
    policy.on_signal(build_signal(detector="negative_share", severity="info"))
    policy.on_signal(build_signal(detector="viral_post", severity="critical", categories={}))
    policy.on_signal(build_signal(detector="negative_volume", severity="warning"))
    clock.advance(5)
    n = only(policy.tick())
    assert [a.severity for a in n.alerts] == ["critical", "warning", "info"]
    assert n.severity == "critical"


# -- group_interval, escalation ---------------------------------------------------------------------


def test_a_joining_alert_waits_for_group_interval(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal()))
    clock.advance(60)
    joined = policy.on_signal(build_signal(detector="negative_share", evaluated_at=T0 + 60))
    assert joined.notifications == []  # same severity: not urgent
    clock.advance(200)
    assert policy.tick().notifications == []
    clock.advance(40)  # 300 s since the first message
    n = only(policy.tick())
    assert n.kind == "update"
    assert {a.fingerprint for a in n.alerts} == {"novinnet/negative_volume", "novinnet/negative_share"}
    clock.advance(300)
    assert policy.tick().notifications == []  # nothing changed since


def test_severity_rise_escalates_at_once_and_only_once(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal(severity="warning")))
    clock.advance(30)  # well inside group_interval
    decision = policy.on_signal(build_signal(severity="critical", evaluated_at=T0 + 30))
    n = only(decision)
    assert n.kind == "escalated" and fps(n) == [("novinnet/negative_volume", "firing", "critical")]
    assert ("novinnet/negative_volume", "escalated") in transitions(decision)

    clock.advance(30)
    assert policy.on_signal(build_signal(severity="warning", evaluated_at=T0 + 60)).notifications == []
    clock.advance(30)
    # back to critical inside the same incident: the receiver already heard "critical"
    assert policy.on_signal(build_signal(severity="critical", evaluated_at=T0 + 90)).notifications == []
    clock.advance(300)
    assert policy.tick().notifications == []  # and the dip left no net change to report


def test_severity_drop_is_reported_in_the_next_update(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal(severity="critical")))
    clock.advance(10)
    assert policy.on_signal(build_signal(severity="warning", evaluated_at=T0 + 10)).notifications == []
    clock.advance(290)
    n = only(policy.tick())
    assert n.kind == "update" and fps(n) == [("novinnet/negative_volume", "firing", "warning")]


def test_a_new_detector_more_severe_than_the_episode_escalates(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal(severity="warning")))
    clock.advance(5)
    n = only(policy.on_signal(build_signal(detector="viral_post", severity="critical", evaluated_at=T0 + 5)))
    assert n.kind == "escalated"
    # default inhibition: the brand's critical mutes its warning
    assert fps(n) == [("novinnet/viral_post", "firing", "critical")]


# -- repeat and acknowledgement ---------------------------------------------------------------------


def test_repeat_while_unacknowledged_and_ack_stops_it(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal()))
    clock.advance(3599)
    assert policy.tick().notifications == []
    clock.advance(1)
    n = only(policy.tick())
    assert n.kind == "repeat" and fps(n) == [("novinnet/negative_volume", "firing", "warning")]
    first_key = n.key
    clock.advance(3600)
    n2 = only(policy.tick())
    assert n2.kind == "repeat" and n2.key != first_key  # each repeat is its own delivery

    decision = policy.ack("novinnet/negative_volume", "sara", "on it")
    assert decision.notifications == []  # an ack is shown in the next update, not sent by itself
    assert transitions(decision) == [("novinnet/negative_volume", "acked")]
    clock.advance(3 * 3600)
    assert policy.tick().notifications == []  # acked: no more repeats


def test_ack_is_shown_in_the_next_update(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal()))
    policy.ack("novinnet/negative_volume", "sara", "calling the NOC")
    clock.advance(100)
    policy.on_signal(build_signal(detector="negative_share", evaluated_at=T0 + 100))
    clock.advance(200)
    n = only(policy.tick())
    acked = {a.fingerprint: a.acked_by for a in n.alerts}
    assert acked == {"novinnet/negative_volume": "sara", "novinnet/negative_share": None}
    assert policy.alerts["novinnet/negative_volume"].ack_comment == "calling the NOC"
    assert policy.alerts["novinnet/negative_volume"].alert.acked_at == T0


def test_escalation_clears_the_ack_so_repeats_resume(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal(severity="warning")))
    policy.ack("novinnet/negative_volume", "sara")
    clock.advance(60)
    n = only(policy.on_signal(build_signal(severity="critical", evaluated_at=T0 + 60)))
    assert n.kind == "escalated" and n.alerts[0].acked_by is None
    clock.advance(3600)
    assert only(policy.tick()).kind == "repeat"


def test_ack_of_unknown_or_resolved_alert_is_refused(clock: FakeClock) -> None:
    policy = make_policy(clock)
    with pytest.raises(LookupError):
        policy.ack("novinnet/negative_volume", "sara")
    policy.on_signal(build_signal())
    with pytest.raises(LookupError):
        policy.ack("novinnet/negative_volume", "sara", incident_id="novinnet/negative_volume@1")
    policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 1))
    with pytest.raises(LookupError):
        policy.ack("novinnet/negative_volume", "sara")


def test_apply_acks_handles_each_ack_once_applied_or_stale(clock: FakeClock) -> None:
    policy = make_policy(clock)
    policy.on_signal(build_signal())
    good = Ack("novinnet/negative_volume", "sara", T0 - 5, "mine", incident_id_for(build_signal()))
    stale = Ack("novinnet/negative_share", "ali", T0)
    decision = policy.apply_acks([good, stale])
    assert decision.handled_acks == [good, stale]
    alert = policy.alerts["novinnet/negative_volume"].alert
    assert (alert.acked_by, alert.acked_at) == ("sara", T0 - 5)  # when the person acked, not when applied


# -- resolve ----------------------------------------------------------------------------------------


def test_resolved_notice_after_group_interval(clock: FakeClock) -> None:
    policy = make_policy(clock)
    first = only(policy.on_signal(build_signal()))
    clock.advance(600)
    decision = policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 600))
    n = only(decision)  # group_interval already passed since the first message
    assert n.kind == "resolved" and n.status == "resolved"
    assert fps(n) == [("novinnet/negative_volume", "resolved", "warning")]
    assert n.alerts[0].ends_at == T0 + 600
    assert n.key != first.key
    assert ("novinnet/negative_volume", "resolved") in transitions(decision)
    assert policy.groups == {}  # episode closed
    assert "brand:novinnet/oncall" in decision.changed_groups


def test_resolved_notice_waits_for_group_interval(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal()))
    clock.advance(100)
    assert policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 100)).notifications == []
    clock.advance(199)
    assert policy.tick().notifications == []
    clock.advance(1)
    assert only(policy.tick()).kind == "resolved"
    clock.advance(1000)
    assert policy.tick().notifications == []


def test_no_resolved_notice_without_send_resolved(clock: FakeClock) -> None:
    policy = make_policy(clock, send_resolved=False)
    only(policy.on_signal(build_signal()))
    clock.advance(600)
    decision = policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 600))
    assert decision.notifications == []
    assert policy.groups == {}


def test_partial_resolve_is_an_update_with_the_resolved_alert(clock: FakeClock) -> None:
    policy = make_policy(clock, group_wait_seconds=1)
    policy.on_signal(build_signal())
    policy.on_signal(build_signal(detector="negative_share"))
    clock.advance(1)
    only(policy.tick())
    clock.advance(400)
    n = only(
        policy.on_signal(build_signal(detector="negative_share", status="resolved", evaluated_at=T0 + 401))
    )
    assert n.kind == "update" and n.status == "firing"
    assert sorted(fps(n)) == [
        ("novinnet/negative_share", "resolved", "warning"),
        ("novinnet/negative_volume", "firing", "warning"),
    ]
    clock.advance(400)
    assert policy.tick().notifications == []  # the resolved one is not repeated in later updates
    clock.advance(3600)
    assert fps(only(policy.tick())) == [("novinnet/negative_volume", "firing", "warning")]


def test_previous_incident_is_related(clock: FakeClock) -> None:
    policy = make_policy(clock, cooldown_seconds=0)
    assert only(policy.on_signal(build_signal(summary="first wave"))).previous_incident is None
    clock.advance(600)
    only(policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 600)))
    clock.advance(600)
    n = only(policy.on_signal(build_signal(started_at=T0 + 1100, evaluated_at=T0 + 1200)))
    assert n.kind == "new"
    assert n.previous_incident is not None
    assert n.previous_incident["summary"] == "first wave"
    assert n.previous_incident["started_at"] == T0 and n.previous_incident["ended_at"] == T0 + 600
    assert n.previous_incident["detector"] == "negative_volume"


# -- cooldown and replays ---------------------------------------------------------------------------


def _fire_and_resolve(policy: AlertPolicy, clock: FakeClock) -> None:
    only(policy.on_signal(build_signal()))
    clock.advance(600)
    only(policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 600)))


def test_cooldown_blocks_a_replayed_burst(clock: FakeClock) -> None:
    policy = make_policy(clock)
    _fire_and_resolve(policy, clock)
    # the same burst replayed through the pipeline: new event times, same severity
    clock.advance(60)
    replay = build_signal(started_at=T0 + 1000, evaluated_at=T0 + 1100)
    decision = policy.on_signal(replay)
    assert decision.notifications == []
    record = policy.alerts["novinnet/negative_volume"]
    assert record.alert.status == "pending" and record.hold_until == T0 + 600 + 1800
    clock.advance(300)
    policy.on_signal(build_signal(status="resolved", started_at=T0 + 1000, evaluated_at=T0 + 1400))
    clock.advance(3600)
    assert policy.tick().notifications == []  # the replay ended inside the cooldown: nobody paged


def test_a_condition_that_outlasts_the_cooldown_pages(clock: FakeClock) -> None:
    policy = make_policy(clock)
    _fire_and_resolve(policy, clock)
    clock.advance(60)
    assert policy.on_signal(build_signal(started_at=T0 + 650, evaluated_at=T0 + 660)).notifications == []
    clock.advance(1739)  # 1 s before the cooldown ends
    assert policy.tick().notifications == []
    clock.advance(1)
    n = only(policy.tick())
    assert n.kind == "new" and fps(n) == [("novinnet/negative_volume", "firing", "warning")]


def test_a_worse_incident_breaks_through_the_cooldown(clock: FakeClock) -> None:
    policy = make_policy(clock)
    _fire_and_resolve(policy, clock)
    clock.advance(60)
    n = only(policy.on_signal(build_signal(severity="critical", started_at=T0 + 650, evaluated_at=T0 + 660)))
    assert n.kind == "new" and n.severity == "critical"


def test_a_held_alert_escalating_past_the_last_page_is_released(clock: FakeClock) -> None:
    policy = make_policy(clock)
    _fire_and_resolve(policy, clock)
    clock.advance(60)
    assert policy.on_signal(build_signal(started_at=T0 + 650, evaluated_at=T0 + 660)).notifications == []
    clock.advance(10)
    n = only(policy.on_signal(build_signal(severity="critical", started_at=T0 + 650, evaluated_at=T0 + 670)))
    assert n.severity == "critical"


def test_refire_before_the_resolve_was_announced_resolves_once_then_pages_new(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal()))
    clock.advance(100)
    assert policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 100)).notifications == []
    clock.advance(50)  # back again (a new incident) before the resolved notice went out: held by cooldown
    assert policy.on_signal(build_signal(started_at=T0 + 140, evaluated_at=T0 + 150)).notifications == []
    clock.advance(150)
    n = only(policy.tick())
    assert n.kind == "resolved" and fps(n) == [("novinnet/negative_volume", "resolved", "warning")]
    assert n.alerts[0].incident_id == f"novinnet/negative_volume@{int(T0 - 600)}"
    assert n.alerts[0].ends_at == T0 + 100
    clock.advance(300)
    assert policy.tick().notifications == []  # announced once
    clock.advance(1299)  # now T0+1899: the cooldown runs to T0+100+1800
    assert policy.tick().notifications == []
    clock.advance(1)  # still firing when the cooldown ends
    n = only(policy.tick())
    assert n.kind == "new" and n.alerts[0].incident_id == f"novinnet/negative_volume@{int(T0 + 140)}"


def test_after_everything_announced_ended_the_next_alert_is_new_not_escalated(clock: FakeClock) -> None:
    policy = make_policy(clock, send_resolved=False, cooldown_seconds=0)
    only(policy.on_signal(build_signal(severity="info")))
    clock.advance(10)
    assert policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 10)).notifications == []
    clock.advance(10)
    n = only(policy.on_signal(build_signal(detector="negative_share", evaluated_at=T0 + 20)))
    assert n.kind == "new"


def test_the_same_incident_replayed_after_resolve_is_ignored(clock: FakeClock) -> None:
    policy = make_policy(clock, cooldown_seconds=0)
    _fire_and_resolve(policy, clock)
    clock.advance(10)
    decision = policy.on_signal(build_signal(evaluated_at=T0 + 700))  # same started_at as before
    assert decision.ignored == "replay" and decision.notifications == []
    older = policy.on_signal(build_signal(started_at=T0 + 1, evaluated_at=T0 + 5))
    assert older.ignored == "stale"


# -- duplicates and ordering ------------------------------------------------------------------------


def test_duplicate_signals_never_produce_a_second_notification(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal()))
    for _ in range(3):
        clock.advance(1)
        decision = policy.on_signal(build_signal())
        assert decision.ignored == "duplicate" and decision.notifications == []
        assert not decision.changes_state
    stale = policy.on_signal(build_signal(severity="critical", evaluated_at=T0 - 60))
    assert stale.ignored == "stale" and stale.notifications == []
    clock.advance(600)
    only(policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 600)))
    again = policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 600))
    assert again.ignored == "not_open" and again.notifications == []


def test_stale_resolved_signal_is_ignored(clock: FakeClock) -> None:
    policy = make_policy(clock)
    policy.on_signal(build_signal(evaluated_at=T0 + 60))
    decision = policy.on_signal(build_signal(status="resolved", evaluated_at=T0))
    assert decision.ignored == "stale"
    assert policy.alerts["novinnet/negative_volume"].is_open


def test_idempotency_key_is_deterministic_from_state(clock: FakeClock) -> None:
    """A crash after sending but before saving re-decides the same notification with the same key."""
    policy = make_policy(clock)
    policy.on_signal(build_signal())
    saved = {fp: AlertRecord.from_dict(r.to_dict()) for fp, r in policy.alerts.items()}
    saved_groups = {gid: GroupState.from_dict(g.to_dict()) for gid, g in policy.groups.items()}
    clock.advance(30)
    first = only(policy.on_signal(build_signal(severity="critical", evaluated_at=T0 + 30)))

    clock.advance(5)  # the replay happens a little later
    restored = make_policy(clock)
    restored.alerts, restored.groups = saved, saved_groups
    second = only(restored.on_signal(build_signal(severity="critical", evaluated_at=T0 + 30)))
    assert second.key == first.key and second.kind == first.kind == "escalated"


# -- inhibition -------------------------------------------------------------------------------------


def test_brand_wide_critical_inhibits_that_brands_warnings_only(clock: FakeClock) -> None:
    policy = make_policy(clock, group_wait_seconds=10)
    critical = only(policy.on_signal(build_signal(detector="negative_volume", severity="critical")))
    assert fps(critical) == [("novinnet/negative_volume", "firing", "critical")]  # critical: no group_wait
    assert policy.on_signal(build_signal(detector="negative_share", severity="warning")).notifications == []
    policy.on_signal(build_signal(brand="tazeban", detector="negative_share", severity="warning"))
    clock.advance(10)
    notes = {n.brand: n for n in policy.tick().notifications}
    assert set(notes) == {"tazeban"}  # the inhibited novinnet warning adds no message
    assert fps(notes["tazeban"]) == [("tazeban/negative_share", "firing", "warning")]
    assert policy.alerts["novinnet/negative_share"].inhibited_by == "novinnet/negative_volume"
    assert policy.alerts["tazeban/negative_share"].inhibited_by is None

    # the critical clears: the warning is no longer hidden and shows up with the resolution
    clock.advance(300)
    n = only(
        policy.on_signal(build_signal(detector="negative_volume", status="resolved", evaluated_at=T0 + 310))
    )
    assert sorted(fps(n)) == [
        ("novinnet/negative_share", "firing", "warning"),
        ("novinnet/negative_volume", "resolved", "critical"),
    ]
    assert policy.alerts["novinnet/negative_share"].inhibited_by is None


def test_inhibited_alert_never_pages_on_its_own(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal(detector="viral_post", severity="critical")))
    clock.advance(400)
    decision = policy.on_signal(
        build_signal(detector="negative_share", severity="warning", evaluated_at=T0 + 400)
    )
    assert decision.notifications == []
    assert ("novinnet/negative_share", "inhibited") in transitions(decision)
    clock.advance(400)
    assert policy.tick().notifications == []


def test_custom_inhibit_rule_with_equal_labels(clock: FakeClock) -> None:
    rule = {
        "source": {"detector": "viral_post"},
        "target": {"detector": "negative_volume"},
        "equal": ["brand", "category"],
    }
    policy = make_policy(clock, inhibit_rules=[rule], group_wait_seconds=1)
    policy.on_signal(build_signal(detector="viral_post", categories={"billing": 3}))
    policy.on_signal(build_signal(detector="negative_volume", categories={"outage": 9}))
    clock.advance(1)
    n = only(policy.tick())
    assert len(n.alerts) == 2  # different category: not inhibited
    clock.advance(400)
    policy.on_signal(
        build_signal(detector="negative_volume", categories={"billing": 9}, evaluated_at=T0 + 401)
    )
    assert policy.alerts["novinnet/negative_volume"].inhibited_by == "novinnet/viral_post"


# -- silences ---------------------------------------------------------------------------------------


def test_silence_mutes_matching_alerts_until_it_expires(clock: FakeClock) -> None:
    policy = make_policy(clock)
    silence = new_silence(
        ["brand=novinnet", "severity=~warn.*"], now=T0, author="sara", comment="known outage", duration=1800
    )
    policy.add_silence(silence)
    decision = policy.on_signal(build_signal())
    assert decision.notifications == []
    assert ("novinnet/negative_volume", "silenced") in transitions(decision)
    assert policy.alerts["novinnet/negative_volume"].alert.silenced_by == silence.id
    # a critical of the same fingerprint is not covered by the severity matcher
    other = only(policy.on_signal(build_signal(brand="tazeban")))
    assert other.brand == "tazeban"
    clock.advance(1799)
    assert policy.tick().notifications == []
    clock.advance(1)
    n = only(policy.tick())
    assert n.kind == "new" and fps(n) == [("novinnet/negative_volume", "firing", "warning")]
    assert n.alerts[0].silenced_by is None


def test_not_equal_matcher(clock: FakeClock) -> None:
    policy = make_policy(clock)
    policy.add_silence(
        new_silence(["brand=novinnet", "severity!=critical"], now=T0, author="a", comment="c", duration=600)
    )
    assert policy.on_signal(build_signal(severity="warning")).notifications == []
    assert (
        only(policy.on_signal(build_signal(severity="critical", evaluated_at=T0 + 1))).severity == "critical"
    )


def test_silencing_an_announced_alert_sends_no_update_and_hides_its_resolve(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal()))
    silence = new_silence(
        [Matcher("detector", "negative_volume")], now=T0, author="a", comment="c", duration=7200
    )
    assert policy.add_silence(silence).notifications == []
    clock.advance(600)
    assert policy.tick().notifications == []
    clock.advance(3600)
    assert policy.tick().notifications == []  # no repeats for a silenced alert
    assert policy.on_signal(build_signal(status="resolved", evaluated_at=T0 + 4200)).notifications == []
    assert policy.groups == {}


def test_expired_silence_lets_an_announced_alert_repeat_again(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal()))
    silence = new_silence(["brand=novinnet"], now=T0, author="a", comment="c", duration=7200)
    policy.add_silence(silence)
    clock.advance(100)
    expired, decision = policy.expire_silence(silence.id)
    assert expired.ends_at == T0 + 100 and not expired.active(clock())
    assert decision.notifications == []  # unmuting an unchanged alert is not news
    clock.advance(3500)
    assert only(policy.tick()).kind == "repeat"


# -- routing into groups ----------------------------------------------------------------------------


ROUTED = {
    "route": {
        "receiver": "pr",
        "routes": [
            {"match": {"severity": "critical"}, "receiver": "pr"},
            {"match": {"category": ["billing", "delivery"]}, "receiver": "after-sales", "continue": True},
            {"match": {"team": "grocery"}, "receiver": "grocery"},
        ],
    },
    "receivers": [
        {"name": "pr", "channels": ["slack"]},
        {"name": "after-sales", "channels": ["mail"]},
        {"name": "grocery", "channels": ["slack", "mail"]},
    ],
    "channels": [
        {"type": "webhook", "name": "slack", "url_env": "X"},
        {"type": "console", "name": "mail"},
    ],
}


def test_groups_are_per_receiver(clock: FakeClock) -> None:
    policy = make_policy(clock, **ROUTED)
    n = only(policy.on_signal(build_signal(severity="critical")))
    assert (n.receiver, n.channels) == ("pr", ["slack"])
    billing = policy.on_signal(build_signal(brand="tazeban", categories={"billing": 5}))
    by_receiver = {x.receiver: x for x in billing.notifications}
    assert set(by_receiver) == {"after-sales", "grocery"}  # continue, then the next sibling too
    assert by_receiver["grocery"].channels == ["slack", "mail"]
    assert by_receiver["after-sales"].key != by_receiver["grocery"].key


def test_receivers_are_sticky_for_an_incident(clock: FakeClock) -> None:
    policy = make_policy(clock, **ROUTED)
    policy.on_signal(build_signal(severity="warning", categories={"billing": 5}))
    assert policy.alerts["novinnet/negative_volume"].receivers == ["after-sales"]
    clock.advance(10)
    decision = policy.on_signal(
        build_signal(severity="critical", categories={"billing": 5}, evaluated_at=T0 + 10)
    )
    assert policy.alerts["novinnet/negative_volume"].receivers == ["after-sales", "pr"]
    kinds = {n.receiver: n.kind for n in decision.notifications}
    assert kinds == {"after-sales": "escalated", "pr": "new"}


def test_hot_reload_reroutes_open_alerts(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal()))
    decision = policy.update_config(alerting(**ROUTED), BRANDS)
    assert "brand:novinnet/oncall" not in policy.groups  # its receiver is gone
    n = only(decision)
    assert n.receiver == "pr" and n.kind == "new"
    assert policy.alerts["novinnet/negative_volume"].receivers == ["pr"]


def test_receiver_without_channels_is_silent(clock: FakeClock) -> None:
    policy = make_policy(clock, receivers=[{"name": "oncall", "channels": []}])
    decision = policy.on_signal(build_signal())
    assert decision.notifications == []
    assert policy.alerts["novinnet/negative_volume"].alert.status == "firing"


# -- housekeeping -----------------------------------------------------------------------------------


def test_resolved_alerts_are_forgotten_after_retention(clock: FakeClock) -> None:
    policy = make_policy(clock, resolved_retention_seconds=3600)
    _fire_and_resolve(policy, clock)
    clock.advance(3599)
    assert "novinnet/negative_volume" in policy.alerts and not policy.tick().changed_alerts
    clock.advance(1)
    decision = policy.tick()
    assert "novinnet/negative_volume" in decision.changed_alerts
    assert policy.alerts == {}
    assert policy.history["novinnet"][-1]["detector"] == "negative_volume"


def test_records_survive_a_round_trip_through_dicts(clock: FakeClock) -> None:
    policy = make_policy(clock)
    only(policy.on_signal(build_signal()))
    policy.ack("novinnet/negative_volume", "sara", "hi")
    record = policy.alerts["novinnet/negative_volume"]
    group = policy.groups["brand:novinnet/oncall"]
    assert AlertRecord.from_dict(record.to_dict()) == record
    assert GroupState.from_dict(group.to_dict()) == group
    assert record.revision == 2  # one bump per decision: created and announced together, then acked
