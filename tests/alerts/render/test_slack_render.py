"""Slack payload: Block Kit within Slack's limits whatever the input, Persian isolated, links present."""

from __future__ import annotations

import json
from typing import Any

from factories import T0, make_alert, make_notification, make_post, make_resolved_notification, make_signal

from alerts.render.escaping import PDI, RLI
from alerts.render.slack import (
    OMITTED_NOTE,
    SLACK_BLOCKS_CHARS_BUDGET,
    SLACK_CONTEXT_ELEMENTS_MAX,
    SLACK_FALLBACK_TEXT_MAX,
    SLACK_HEADER_TEXT_MAX,
    SLACK_MAX_BLOCKS,
    SLACK_SECTION_TEXT_MAX,
    render_slack,
)

PERSIAN_SENTENCE = "اینترنت نوین‌نت از دیشب قطع است و هیچ‌کس جواب نمی‌دهد، این سومین بار در این هفته است. "


def all_texts(payload: dict[str, Any]) -> list[str]:
    out = [payload["text"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload["blocks"])
    return out


def assert_within_slack_limits(payload: dict[str, Any]) -> None:
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= SLACK_MAX_BLOCKS
    assert len(payload["text"]) <= SLACK_FALLBACK_TEXT_MAX
    total = 0
    for block in blocks:
        kind = block["type"]
        assert kind in ("header", "section", "context", "divider")
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= SLACK_HEADER_TEXT_MAX
        elif kind == "section":
            assert 0 < len(block["text"]["text"]) <= SLACK_SECTION_TEXT_MAX
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= SLACK_CONTEXT_ELEMENTS_MAX
            assert all(0 < len(e["text"]) <= SLACK_SECTION_TEXT_MAX for e in block["elements"])
        total += len(json.dumps(block, ensure_ascii=False))
    assert sum(len(t) for t in all_texts(payload)[1:]) <= SLACK_BLOCKS_CHARS_BUDGET
    for text in all_texts(payload):
        depth = 0
        for ch in text:
            depth += (ch == RLI) - (ch == PDI)
            assert depth >= 0, text
        assert depth == 0, text


def test_payload_has_header_fallback_and_no_unfurling():
    payload = render_slack(make_notification())
    assert_within_slack_limits(payload)
    assert payload["blocks"][0]["type"] == "header"
    assert payload["unfurl_links"] is False and payload["unfurl_media"] is False
    assert "Negative-mention spike" in payload["text"]
    assert "42 negative mentions in 5 min vs 6.1 expected" in payload["text"]


def test_links_to_top_posts_and_grafana_panel():
    texts = "\n".join(all_texts(render_slack(make_notification())))
    assert "<https://x.com/sara_k/status/1|open post>" in texts
    assert "var-brand=novinnet" in texts and "<http://grafana.local:3000/d/bohran-overview?orgId=1&" in texts
    assert "`bohran ack novinnet/negative_volume`" in texts
    assert (
        "`bohran silence add --brand novinnet --duration 2h --comment 'PR on-call is handling this'`" in texts
    )


def test_persian_post_is_isolated_rtl_and_english_post_is_not():
    texts = all_texts(render_slack(make_notification()))[1:]  # blocks only
    persian = next(t for t in texts if "از صبح قطع است" in t)
    assert f">{RLI}اینترنت نوین‌نت از صبح قطع است و پشتیبانی جواب نمی‌دهد{PDI}" in persian
    english = next(t for t in texts if "third time this week" in t)
    assert ">NovinNet down again, third time this week" in english
    assert RLI not in english.split("\n>")[1]


def test_mixed_header_isolates_the_persian_brand_name():
    header = render_slack(make_notification())["blocks"][0]["text"]["text"]
    assert header == f"CRITICAL · {RLI}نوین‌نت{PDI} (NovinNet): Negative-mention spike"


def test_long_persian_posts_and_huge_evidence_never_break_limits():
    huge = PERSIAN_SENTENCE * 400  # ~35k characters, far past any Slack limit
    posts = [
        make_post(id=f"p{i}", text=huge, author_handle="کاربر_" * 40, reach=1000.0 - i) for i in range(30)
    ]
    sig = make_signal(
        top_posts=posts,
        top_terms=[(f"واژه{i}" * 20, 100 - i) for i in range(200)],
        categories={f"دسته{i}": i for i in range(100)},
        platforms={f"platform{i}": i for i in range(100)},
        flags=["bot_flood", "repeat_complainer"] + [f"flag_{i}" * 30 for i in range(50)],
        repeat_complainers=[f"@user{i}" for i in range(500)],
        summary=huge,
    )
    alerts = [
        make_alert(make_signal(detector=f"detector_{i}", **{"top_posts": posts, "summary": huge}))
        for i in range(40)
    ]
    n = make_notification(
        [make_alert(sig), *alerts],
        brand_name="نوین‌نت " * 60,
        previous_incident={
            "started_at": T0 - 9000,
            "ended_at": T0 - 3000,
            "detector": "viral_post",
            "summary": huge,
        },
    )
    payload = render_slack(n, max_posts=30)
    assert_within_slack_limits(payload)
    texts = all_texts(payload)
    assert any(OMITTED_NOTE in t for t in texts)
    # The essentials survive the trimming.
    joined = "\n".join(texts)
    assert "bohran silence add --brand novinnet" in joined
    assert "Negative-mention spike" in joined


def test_a_single_enormous_post_is_clipped_not_dropped():
    n = make_notification([make_alert(make_signal(top_posts=[make_post(text=PERSIAN_SENTENCE * 300)]))])
    payload = render_slack(n)
    assert_within_slack_limits(payload)
    post = next(t for t in all_texts(payload) if "*1.*" in t)
    assert "…" in post and post.count(RLI) == post.count(PDI) >= 1


def test_resolved_notice_is_short():
    payload = render_slack(make_resolved_notification())
    assert_within_slack_limits(payload)
    assert len(payload["blocks"]) <= 3
    joined = "\n".join(all_texts(payload))
    assert "resolved" in joined and "after 40 min" in joined
    assert "Playbook" not in joined and "open post" not in joined and "bohran ack" not in joined


def test_acknowledged_alert_says_who_and_drops_its_ack_command():
    n = make_notification([make_alert(acked_by="sara", acked_at=T0 - 120)], kind="update")
    joined = "\n".join(all_texts(render_slack(n)))
    assert "Acknowledged by sara at 2024-05-01 09:58 UTC" in joined
    assert "bohran ack" not in joined


def test_unsafe_post_url_is_not_linked():
    n = make_notification([make_alert(make_signal(top_posts=[make_post(url="javascript:alert(1)")]))])
    joined = "\n".join(all_texts(render_slack(n)))
    assert "javascript" not in joined and "open post" not in joined
