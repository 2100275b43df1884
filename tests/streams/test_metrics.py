"""Metric labels stay bounded whatever the input says, and series come and go with the config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from streams import metrics as m
from streams.signal import DETECTORS

REPO = Path(__file__).resolve().parents[2]

# Input that tries to break out of a label: quotes, braces, newlines, bidi marks, NULs, huge strings.
hostile_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            'acme"} 1\nbohran_evil{x="',
            "\u202eemarca",
            "acme\x00",
            "ACME",
            " acme",
            "x" * 10_000,
            "_unknown",
            "other",
            "",
        ]
    ),
)
hostile_value = st.one_of(
    hostile_text, st.none(), st.integers(), st.floats(allow_nan=True), st.binary(max_size=20)
)


def bohran_series() -> list[tuple[str, dict[str, str], float]]:
    """Every bohran_* sample the default registry exposes, parsed back from the text format."""
    text = generate_latest(REGISTRY).decode()
    out = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("bohran_"):
                out.append((sample.name, dict(sample.labels), sample.value))
    return out


def allowed_values() -> dict[str, set[str] | re.Pattern[str]]:
    return {
        "brand": set(m.BRAND_LABELS.configured) | {m.UNKNOWN_BRAND},
        "platform": set(m.PLATFORMS),
        "status": set(m.MENTION_STATUSES) | {m.OTHER},
        "sentiment": set(m.SENTIMENTS) | {m.ALL_SENTIMENTS, m.OTHER},
        "stage": set(m.STAGES) | {m.OTHER},
        "severity": set(m.SEVERITIES) | {m.OTHER},
        "detector": set(DETECTORS) | {m.OTHER},
        "transition": set(m.ALERT_TRANSITIONS) | {m.OTHER},
        "outcome": set(m.NOTIFICATION_OUTCOMES) | {m.OTHER},
        "channel": set(m.CHANNEL_LABELS.configured) | set(m.CHANNEL_TYPES) | {m.UNKNOWN_BRAND},
        "operation": set(m.REDIS_OPERATIONS),
        "result": set(m.CONFIG_RELOAD_RESULTS) | {m.OTHER},
        "reason": re.compile(r"^[a-z][a-z0-9_]{0,39}$"),
        "topic": re.compile(r"^[A-Za-z0-9._+-]{1,120}$"),
        "version": re.compile(r"^[A-Za-z0-9._+-]{1,120}$"),
        "le": re.compile(r"^(\+Inf|[0-9.e+-]+)$"),
    }


def assert_all_labels_bounded() -> None:
    allowed = allowed_values()
    for name, labels, _ in bohran_series():
        for label, value in labels.items():
            rule = allowed[label]
            ok = rule.match(value) if isinstance(rule, re.Pattern) else value in rule
            assert ok, f"{name}: label {label}={value!r} is outside its bounded set"


@pytest.fixture(autouse=True)
def configured() -> None:
    m.set_configured_brands(["acme", "globex"])
    m.set_configured_channels(["slack-pr", "email-pr"])


# --- guards ------------------------------------------------------------------------------------------


@given(hostile_value)
@settings(max_examples=300, deadline=None)
def test_brand_label_is_a_configured_id_or_unknown(value: object) -> None:
    label = m.brand_label(value)
    assert label in {"acme", "globex", m.UNKNOWN_BRAND}
    if label != m.UNKNOWN_BRAND:
        assert label == value


def test_brand_label_passes_configured_ids_exactly() -> None:
    assert m.brand_label("acme") == "acme"
    assert m.brand_label("ACME") == m.UNKNOWN_BRAND  # ids are exact; no case folding into a configured id
    assert m.brand_label("acme ") == m.UNKNOWN_BRAND
    m.set_configured_brands(["initech"])
    assert m.brand_label("acme") == m.UNKNOWN_BRAND
    assert m.brand_label("initech") == "initech"


@given(hostile_value)
@settings(max_examples=300, deadline=None)
def test_platform_label_is_from_the_known_set(value: object) -> None:
    assert m.platform_label(value) in m.PLATFORMS


@pytest.mark.parametrize(
    "platform", ["twitter", "X", "Instagram", "telegram", "news", "web", "reddit", "youtube"]
)
def test_known_platforms_keep_their_name(platform: str) -> None:
    assert m.platform_label(platform) == platform.lower()


def test_unknown_platform_is_other() -> None:
    assert m.platform_label("mastodon") == "other"
    assert m.platform_label(None) == "other"


def test_reason_label_accepts_codes_not_free_text() -> None:
    assert m.reason_label("invalid_json") == "invalid_json"
    assert m.reason_label("Connection refused by 10.0.0.1") == "other"
    assert m.reason_label("a" * 41) == "other"


def test_a_metric_with_an_unguarded_label_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="no guard"):
        m.GuardedCounter("bohran_test_unguarded_total", "test", ["user_id"], registry=None)
    with pytest.raises(ValueError, match="no guard"):
        m.TableMetric("bohran_test_unguarded", "test", m.StateTable(["url"], ["v"]), "v", registry=None)


# --- hostile input through the objects and helpers ----------------------------------------------------


@given(st.lists(st.tuples(hostile_value, hostile_value, hostile_value), min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_hostile_labels_through_objects_and_helpers_stay_bounded(
    values: list[tuple[object, object, object]],
) -> None:
    for a, b, c in values:
        m.MENTIONS.labels(a, b).inc()
        m.MENTIONS.labels(platform=b, status=a).inc()
        m.count_brand_mentions(a, b, 2, reach=10.0)
        m.BRAND_MENTIONS.labels(brand=c, sentiment=a).inc()
        m.count_dlq(a, b)
        m.count_late_events(c)
        m.set_brand_window(a, 0.5, 0.1, {"negative": 1})
        m.set_detector_state(a, b, 1.0, 2.0, 3.0, 4.0)
        m.SPIKE_SCORE.labels(c, a).set(9.0)
        m.set_alert_active(a, b, c)
        m.record_alert_transition(a, b)
        m.record_notification(a, b, 0.5)
        m.observe_event_lag(c, 3.0)
        m.observe_batch(a, 10)
        m.count_redis_failopen(b)
        m.set_consumer_lag(a, 5)
        m.CONFIG_RELOADS.labels(c).inc()
    assert_all_labels_bounded()


def test_series_count_does_not_grow_with_distinct_hostile_values() -> None:
    for i in range(2000):
        value = f'brand-{i}\u202e"{i}'
        m.count_brand_mentions(value, f"feeling-{i}")
        m.set_detector_state(value, f"detector-{i}", 1, 2, 3, 4)
        m.count_mentions(f"platform-{i}", f"status-{i}")
        m.record_notification(f"channel-{i}", f"outcome-{i}")
    series = bohran_series()
    assert len(series) < 2000
    brands = {labels["brand"] for _, labels, _ in series if "brand" in labels}
    assert brands <= {"acme", "globex", m.UNKNOWN_BRAND}


def test_a_quote_newline_payload_cannot_inject_a_series() -> None:
    m.count_brand_mentions('acme"} 1\nbohran_injected_total{x="y', "negative")
    text = generate_latest(REGISTRY).decode()
    assert "bohran_injected" not in text


# --- values and series lifecycle ------------------------------------------------------------------


def value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_brand_counters_and_reach_accumulate() -> None:
    before = value("bohran_brand_mentions_total", brand="acme", sentiment="negative") or 0.0
    reach_before = value("bohran_brand_reach_total", brand="acme") or 0.0
    m.count_brand_mentions("acme", "negative", 3, reach=1500.0)
    m.count_brand_mentions("acme", "Negative", 2)
    assert value("bohran_brand_mentions_total", brand="acme", sentiment="negative") == before + 5
    assert value("bohran_brand_reach_total", brand="acme") == reach_before + 1500.0


def test_table_counters_refuse_to_go_down() -> None:
    with pytest.raises(ValueError):
        m.BRAND_MENTIONS.labels("acme", "neutral").inc(-1)
    with pytest.raises(TypeError):
        m.BRAND_REACH.labels("acme").set(0)


def test_window_and_detector_gauges_hold_the_last_evaluation() -> None:
    m.set_brand_window("globex", 0.42, 0.08, {"negative": 21, "neutral": 20, "positive": 9})
    m.set_detector_state("globex", "negative_volume", 7.5, 6.0, 21, 3.2)
    assert value("bohran_negative_share", brand="globex") == 0.42
    assert value("bohran_baseline_negative_share", brand="globex") == 0.08
    assert value("bohran_window_mentions", brand="globex", sentiment="neutral") == 20
    assert value("bohran_spike_score", brand="globex", detector="negative_volume") == 7.5
    assert value("bohran_detector_threshold", brand="globex", detector="negative_volume") == 6.0
    assert value("bohran_detector_observed", brand="globex", detector="negative_volume") == 21
    assert value("bohran_detector_expected", brand="globex", detector="negative_volume") == 3.2
    m.set_brand_window("globex", 0.10, 0.08, {"negative": 0})
    assert value("bohran_negative_share", brand="globex") == 0.10
    assert value("bohran_window_mentions", brand="globex", sentiment="negative") == 0


def explained(brand: str, **detectors: dict) -> dict:
    """The shape `DetectionEngine.explain(brand)` returns (only the fields metrics read, plus noise)."""
    return {
        "brand": brand,
        "known": True,
        "event_time": 1_700_000_000.0,
        "window": {"minutes": 5, "total": 120, "negative": 54, "negative_share": 0.45},
        "baseline": {"total_per_hour": 300.0, "negative_share": 0.12, "share_weight": 40.0},
        "detectors": detectors,
    }


def test_observe_brand_publishes_window_baseline_and_detectors() -> None:
    firing = {
        "enabled": True,
        "state": "firing",
        "score": 9.1,
        "threshold": 6,
        "observed": 54,
        "expected": 7.5,
    }
    idle = {
        "enabled": True,
        "state": "idle",
        "score": 0.2,
        "threshold": 4,
        "observed": 0.45,
        "expected": 0.12,
    }
    m.observe_brand(explained("acme", negative_volume=firing, negative_share=idle))
    assert value("bohran_negative_share", brand="acme") == 0.45
    assert value("bohran_baseline_negative_share", brand="acme") == 0.12
    assert value("bohran_window_mentions", brand="acme", sentiment="all") == 120
    assert value("bohran_window_mentions", brand="acme", sentiment="negative") == 54
    assert value("bohran_spike_score", brand="acme", detector="negative_volume") == 9.1
    assert value("bohran_detector_threshold", brand="acme", detector="negative_volume") == 6
    assert value("bohran_detector_observed", brand="acme", detector="negative_volume") == 54
    assert value("bohran_detector_expected", brand="acme", detector="negative_volume") == 7.5
    assert value("bohran_spike_score", brand="acme", detector="negative_share") == 0.2

    # A reload disables a detector: its series go instead of freezing at the last score.
    m.observe_brand(
        explained("acme", negative_volume=firing, negative_share={"enabled": False, "state": "idle"})
    )
    assert value("bohran_spike_score", brand="acme", detector="negative_share") is None
    assert value("bohran_detector_threshold", brand="acme", detector="negative_share") is None
    assert value("bohran_spike_score", brand="acme", detector="negative_volume") == 9.1


def test_observe_brand_ignores_unknown_brands_and_folds_unconfigured_ones() -> None:
    m.observe_brand({"brand": "acme", "known": False})
    m.observe_brand(explained("not-configured"))
    brands = {labels["brand"] for name, labels, _ in bohran_series() if name == "bohran_negative_share"}
    assert "not-configured" not in brands


def test_alert_active_follows_escalation_and_resolve() -> None:
    m.set_alert_active("acme", "negative_share", "warning")
    assert value("bohran_alert_active", brand="acme", detector="negative_share", severity="warning") == 1
    m.set_alert_active("acme", "negative_share", "critical")
    assert value("bohran_alert_active", brand="acme", detector="negative_share", severity="critical") == 1
    assert value("bohran_alert_active", brand="acme", detector="negative_share", severity="warning") is None
    m.set_alert_active("acme", "negative_share", None)
    for severity in m.SEVERITIES:
        assert (
            value("bohran_alert_active", brand="acme", detector="negative_share", severity=severity) is None
        )


def test_configured_brands_exist_at_zero_before_their_first_mention() -> None:
    m.set_configured_brands(["acme", "globex", "hooli"])
    for sentiment in m.SENTIMENTS:
        assert value("bohran_brand_mentions_total", brand="hooli", sentiment=sentiment) == 0
    assert value("bohran_brand_reach_total", brand="hooli") == 0
    assert value("bohran_brands_configured") == 3


def test_reload_drops_every_series_of_removed_brands() -> None:
    m.set_configured_brands(["acme", "globex", "initech"])
    m.count_brand_mentions("initech", "negative", 4, reach=50.0)
    m.set_brand_window("initech", 0.5, 0.1, {"negative": 4})
    m.set_detector_state("initech", "slow_burn", 1, 5, 4, 2)
    m.set_alert_active("initech", "slow_burn", "info")
    m.count_brand_mentions("acme", "negative", 1)
    acme_before = value("bohran_brand_mentions_total", brand="acme", sentiment="negative")
    assert value("bohran_brand_mentions_total", brand="initech", sentiment="negative") == 4

    removed = m.set_configured_brands(["acme", "globex"])

    assert removed == {"initech"}
    assert value("bohran_brands_configured") == 2
    assert value("bohran_negative_share", brand="initech") is None
    assert value("bohran_window_mentions", brand="initech", sentiment="negative") is None
    assert value("bohran_spike_score", brand="initech", detector="slow_burn") is None
    assert value("bohran_alert_active", brand="initech", detector="slow_burn", severity="info") is None
    assert value("bohran_brand_mentions_total", brand="initech", sentiment="negative") is None
    assert value("bohran_brand_reach_total", brand="initech") is None
    assert value("bohran_brand_mentions_total", brand="acme", sentiment="negative") == acme_before
    # New data naming the removed brand is counted as _unknown, never re-creating its series.
    m.count_brand_mentions("initech", "negative")
    assert value("bohran_brand_mentions_total", brand="initech", sentiment="negative") is None


def test_forget_brand_drops_counters_too() -> None:
    m.count_brand_mentions("globex", "positive", 2, reach=10.0)
    m.set_brand_window("globex", 0.0, 0.1, {"positive": 2})
    assert m.forget_brand("globex") >= 1 + 3 + 1 + 3
    assert value("bohran_brand_mentions_total", brand="globex", sentiment="positive") is None
    assert value("bohran_brand_reach_total", brand="globex") is None
    assert value("bohran_negative_share", brand="globex") is None


def test_reset_brand_gauges_leaves_other_brands_alone() -> None:
    m.set_brand_window("acme", 0.3, 0.1, {"negative": 3})
    m.set_brand_window("globex", 0.2, 0.1, {"negative": 2})
    m.set_detector_state("acme", "viral_post", 1, 2, 3, 4)
    removed = m.reset_brand_gauges("acme")
    assert removed >= 2 + 3 + 4
    assert value("bohran_negative_share", brand="acme") is None
    assert value("bohran_spike_score", brand="acme", detector="viral_post") is None
    assert value("bohran_negative_share", brand="globex") == 0.2
    assert m.reset_brand_gauges("acme") == 0


def test_configured_channels_start_at_zero_and_unknown_channels_are_folded() -> None:
    for outcome in m.NOTIFICATION_OUTCOMES:
        assert value("bohran_notifications_total", channel="slack-pr", outcome=outcome) is not None
    sent = value("bohran_notifications_total", channel="slack-pr", outcome="sent") or 0.0
    m.record_notification("slack-pr", "sent", latency_seconds=0.4)
    assert value("bohran_notifications_total", channel="slack-pr", outcome="sent") == sent + 1
    assert (value("bohran_notification_latency_seconds_bucket", channel="slack-pr", le="0.5") or 0) >= 1
    m.record_notification("https://hooks.slack.com/services/T000/B000/XXXX", "sent")
    texts = generate_latest(REGISTRY).decode()
    assert "hooks.slack.com" not in texts

    removed = m.set_configured_channels(["email-pr"])
    assert removed == {"slack-pr"}
    assert value("bohran_notifications_total", channel="slack-pr", outcome="sent") is None
    assert value("bohran_notification_latency_seconds_count", channel="slack-pr") is None


def test_small_enumerations_exist_at_zero_before_the_first_event() -> None:
    # rate()/increase() cannot see a series' first increment: these must exist before it.
    assert value("bohran_config_reloads_total", result="rejected") is not None
    assert value("bohran_config_reloads_total", result="applied") is not None
    assert value("bohran_mentions_total", platform="telegram", status="rejected") is not None
    assert value("bohran_alerts_total", transition="firing", severity="critical") is not None
    assert value("bohran_late_events_total", stage="detect") is not None
    for reason in m.MENTION_REJECT_REASONS:
        assert value("bohran_dlq_total", stage="enrich", reason=reason) is not None


def test_reject_reasons_cover_every_code_the_mention_decoder_uses() -> None:
    source = (REPO / "streams" / "mention.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'(?:InvalidMention|Rejection)\("([a-z_]+)"', source))
    assert codes, "the decoder's reason codes could not be found"
    assert codes <= set(m.MENTION_REJECT_REASONS)


def test_config_reload_stamps_time_only_when_applied() -> None:
    rejected = value("bohran_config_reloads_total", result="rejected") or 0.0
    m.record_config_reload(True, at=1_700_000_000.0)
    m.record_config_reload(False)
    assert value("bohran_config_last_reload_timestamp_seconds") == 1_700_000_000.0
    assert value("bohran_config_reloads_total", result="rejected") == rejected + 1


def test_event_lag_from_a_clock_ahead_counts_as_zero() -> None:
    before = value("bohran_event_lag_seconds_bucket", stage="detect", le="0.1") or 0.0
    m.observe_event_lag("detect", -30.0)
    assert value("bohran_event_lag_seconds_bucket", stage="detect", le="0.1") == before + 1


def test_worker_info_keeps_one_series() -> None:
    m.set_worker_info("0.1.0")
    m.set_worker_info("0.2.0")
    versions = [labels["version"] for name, labels, _ in bohran_series() if name == "bohran_worker_info"]
    assert versions == ["0.2.0"]


def test_catalog_matches_what_is_exposed() -> None:
    m.set_worker_info("0.1.0")
    m.record_config_reload(True)
    m.set_consumer_lag("mentions", 12)
    m.observe_event_lag("enrich", 1.0)
    m.observe_batch("enrich", 100)
    m.record_notification("slack-pr", "sent", 0.2)
    m.set_brand_window("acme", 0.1, 0.1, {})
    m.set_detector_state("acme", "total_volume", 1, 2, 3, 4)
    m.set_alert_active("acme", "total_volume", "warning")
    m.count_brand_mentions("acme", "neutral", reach=5.0)
    exposed = {name for name, _, _ in bohran_series()}
    expected = set()
    for base, (kind, _) in m.metric_catalog().items():
        if kind == "counter":
            expected.add(f"{base}_total")
        elif kind == "histogram":
            expected |= {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
        else:
            expected.add(base)
    assert exposed == expected
    assert len(m.metric_catalog()) == len(m.all_metrics())


def test_configured_channels_latency_histogram_exists_before_first_delivery() -> None:
    """rate() cannot see the first step of a series born at 1: the latency panel needs it at 0."""
    m.set_configured_channels(["pager-new"])
    count = REGISTRY.get_sample_value("bohran_notification_latency_seconds_count", {"channel": "pager-new"})
    assert count == 0.0
    m.record_notification("pager-new", "sent", 0.25)
    count = REGISTRY.get_sample_value("bohran_notification_latency_seconds_count", {"channel": "pager-new"})
    assert count == 1.0
