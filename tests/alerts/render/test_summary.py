"""The shared facts: what every channel says about a notification."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from factories import T0, make_alert, make_notification, make_post, make_resolved_notification, make_signal

from alerts.render.summary import human_count, human_duration, render_text, summarize


def test_headline_has_severity_brand_and_detector():
    s = summarize(make_notification())
    assert s.headline == "CRITICAL · نوین‌نت (NovinNet): Negative-mention spike"


def test_headline_says_escalated_repeat_and_resolved():
    assert summarize(make_notification(kind="escalated")).headline.startswith("Escalated to CRITICAL · ")
    assert summarize(make_notification(kind="repeat")).headline.startswith("Still firing, not acknowledged")
    resolved = summarize(make_resolved_notification())
    assert resolved.headline == "Resolved · نوین‌نت (NovinNet): Negative-mention spike (lasted 40 min)"


def test_observed_vs_expected_and_share_vs_normal():
    fact = summarize(make_notification()).alerts[0]
    assert fact.measurement == "42 negative mentions in 5 min vs 6.1 expected (6.9×)"
    assert fact.share_line == "negative share 48% (normal 12%)"
    assert fact.volume_line == "reach 1.2M · 130 mentions, 62 negative"


def test_negative_share_detector_speaks_in_shares():
    sig = make_signal(
        detector="negative_share", negative_share=0.35, baseline_share=0.1, window_start=T0 - 900
    )
    fact = summarize(make_notification([make_alert(sig)])).alerts[0]
    assert fact.measurement == "negative share 35% in 15 min vs normal 10%"
    assert fact.share_line is None


def test_top_posts_merge_across_alerts_without_duplicates_negative_first():
    a = make_alert(make_signal(top_posts=[make_post(id="p1", reach=10.0), make_post(id="p2", reach=500.0)]))
    b = make_alert(
        make_signal(
            detector="viral_post",
            severity="warning",
            top_posts=[
                make_post(id="p1", reach=900.0),
                make_post(id="p3", reach=99_999.0, sentiment="positive"),
            ],
        )
    )
    posts = summarize(make_notification([a, b])).posts
    assert [p.id for p in posts] == ["p1", "p2", "p3"]
    assert posts[0].reach == 900.0


def test_counts_from_several_detectors_are_not_double_counted():
    a = make_alert(make_signal(top_terms=[("قطع", 30)], platforms={"twitter": 40}))
    b = make_alert(
        make_signal(detector="negative_share", top_terms=[("قطع", 28), ("کند", 4)], platforms={"twitter": 41})
    )
    s = summarize(make_notification([a, b]))
    assert s.terms == (("قطع", 30), ("کند", 4))
    assert s.platforms == (("twitter", 41),)


def test_top_category_picks_the_playbook():
    sig = make_signal(categories={"billing": 9, "outage": 2})
    s = summarize(make_notification([make_alert(sig)]))
    assert s.top_category == "billing"
    assert s.playbook.category == "billing"
    no_category = summarize(make_notification([make_alert(make_signal(categories={}))]))
    assert no_category.playbook.category == "generic"


def test_flags_and_repeat_complainers_are_explained():
    sig = make_signal(flags=["bot_flood", "repeat_complainer"], repeat_complainers=["@ali", "@ali", "@reza"])
    s = summarize(make_notification([make_alert(sig)]))
    assert any("bot flood" in f for f in s.flags)
    assert s.repeat_complainers == ("@ali", "@reza")


def test_previous_incident_is_described():
    n = make_notification(
        previous_incident={
            "started_at": T0 - 86400,
            "ended_at": T0 - 86400 + 5400,
            "detector": "viral_post",
            "summary": "a video",
        }
    )
    assert summarize(n).previous_incident == (
        "Viral negative post, 2024-04-30 10:00 UTC – 2024-04-30 11:30 UTC (1 h 30 min), a video"
    )


def test_ack_and_silence_commands_are_exact_and_skip_acked_alerts():
    acked = make_alert(make_signal(detector="viral_post"), acked_by="sara", acked_at=T0 - 60)
    s = summarize(make_notification([make_alert(), acked]))
    assert s.ack_commands == ("bohran ack novinnet/negative_volume",)
    assert (
        s.silence_command
        == "bohran silence add --brand novinnet --duration 2h --comment 'PR on-call is handling this'"
    )


def test_grafana_url_keeps_its_query_and_adds_brand_and_time_range():
    url = summarize(make_notification()).grafana_url
    query = parse_qs(urlsplit(url).query)
    assert query["orgId"] == ["1"] and query["var-brand"] == ["novinnet"]
    assert query["from"] == [str(int((T0 - 600 - 3600) * 1000))] and query["to"] == ["now"]


def test_timezone_is_honoured():
    s = summarize(make_notification(), tz="Asia/Tehran")
    assert s.when(T0) == "2024-05-01 13:30 +0330"


def test_plain_text_contains_the_facts_and_the_commands():
    text = render_text(summarize(make_notification()))
    for needle in (
        "42 negative mentions in 5 min vs 6.1 expected",
        "@sara_k on twitter",
        "https://x.com/sara_k/status/1",
        "Playbook: Service outage or disruption",
        "bohran ack novinnet/negative_volume",
        "bohran silence add --brand novinnet --duration 2h",
        "var-brand=novinnet",
    ):
        assert needle in text, needle


def test_resolved_plain_text_is_short():
    text = render_text(summarize(make_resolved_notification()))
    assert "resolved" in text and "Top posts" not in text and "Playbook" not in text
    assert len(text.splitlines()) <= 6


def test_number_and_duration_formatting():
    assert [human_count(v) for v in (7, 999, 1000, 12_345, 1_200_000, 3.5)] == [
        "7",
        "999",
        "1k",
        "12.3k",
        "1.2M",
        "3.5",
    ]
    assert [human_duration(v) for v in (5, 600, 3600, 5400, 90_000)] == [
        "5 s",
        "10 min",
        "1 h",
        "1 h 30 min",
        "1 d 1 h",
    ]
