"""Advocates digest rendering: every medium names the top posts with links, lays Persian out
right-to-left, and a hostile post can neither ping, disguise a link nor inject headers or HTML."""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from html.parser import HTMLParser

from factories import HOSTILE, T0, make_post

from alerts.render.digest import (
    DigestSummary,
    digest_subject,
    render_digest_email,
    render_digest_html,
    render_digest_slack,
    render_digest_text,
    render_digest_webhook,
    summarize_digest,
)
from alerts.render.escaping import PDI, RLI
from alerts.render.slack import SLACK_BLOCKS_CHARS_BUDGET
from streams.advocates import Digest

PERIOD_END = T0 - 1800  # 2024-05-01 09:30 UTC = 13:00 Tehran
GRAFANA = "http://grafana.local:3000/d/bohran-overview?orgId=1"
BARE_BROADCAST = re.compile(r"[@＠](?:channel|here|everyone)\b", re.IGNORECASE)


def make_digest(posts=None, **overrides) -> Digest:
    fields = dict(
        brand="novinnet",
        period_key="2024-05-01T13:00",
        period_start=PERIOD_END - 86400,
        period_end=PERIOD_END,
        timezone="Asia/Tehran",
        created_at=PERIOD_END + 3,
        posts=posts
        if posts is not None
        else [
            make_post(
                id="tw-9",
                text="سرعت اینترنت نوین‌نت عالیه، واقعاً ممنون از پشتیبانی",
                sentiment="positive",
                score=0.95,
                category=None,
                reach=120_000.0,
                author_handle="maryam",
                followers=98_000,
                url="https://x.com/maryam/status/9",
                created_at=PERIOD_END - 7200,
                verified=True,
            ),
            make_post(
                id="tw-4",
                text="NovinNet fixed my line in 10 minutes, great support!",
                sentiment="positive",
                score=0.9,
                category=None,
                reach=15_000.0,
                author_handle="reza",
                lang="en",
                url="https://x.com/reza/status/4",
                created_at=PERIOD_END - 3600,
            ),
        ],
        positive_mentions=312,
        mentions=1480,
    )
    fields.update(overrides)
    return Digest(**fields)


def facts(digest: Digest | None = None) -> DigestSummary:
    return summarize_digest(digest or make_digest(), brand_name="نوین‌نت (NovinNet)", grafana_url=GRAFANA)


def hostile_digest() -> Digest:
    return make_digest(
        posts=[
            make_post(
                id=HOSTILE,
                text=HOSTILE + " \u202eoverride",
                author_handle=HOSTILE,
                author_id=HOSTILE,
                sentiment="positive",
                url="javascript:alert(1)",
                platform=HOSTILE,
            ),
            make_post(
                id="ok-2",
                text="normal and @channel",
                sentiment="positive",
                url="https://x.com/a|<!channel>>",
                reach=10.0,
            ),
        ]
    )


def slack_strings(payload) -> list[str]:
    out = [payload["text"]]

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            out.append(node)

    walk(payload["blocks"])
    return out


def test_summary_counts_period_and_dashboard() -> None:
    summary = facts()
    assert summary.headline == "Advocates · نوین‌نت (NovinNet): 2 happy customers to thank"
    assert summary.span == "2024-04-30 13:00 +0330 – 2024-05-01 13:00 +0330"
    assert summary.counts_line == "312 positive of 1.5k mentions (21%); top 2 by reach"
    assert summary.dashboard_url is not None and "var-brand=novinnet" in summary.dashboard_url
    assert [p.author for p in summary.posts] == ["@maryam", "@reza"]


def test_text_lists_posts_best_first_with_links_and_isolated_persian() -> None:
    text = render_digest_text(facts())
    first, second = text.index("https://x.com/maryam/status/9"), text.index("https://x.com/reza/status/4")
    assert first < second
    assert " 1. @maryam ✓ on twitter · 98k followers · reach 120k" in text
    assert f"{RLI}سرعت اینترنت نوین‌نت عالیه، واقعاً ممنون از پشتیبانی{PDI}" in text
    assert "312 positive of 1.5k mentions" in text


def test_slack_blocks_link_every_post_and_never_unfurl() -> None:
    payload = render_digest_slack(facts())
    assert payload["unfurl_links"] is False and payload["unfurl_media"] is False
    assert payload["blocks"][0]["type"] == "header"
    assert "happy customers to thank" in payload["blocks"][0]["text"]["text"]
    joined = json.dumps(payload, ensure_ascii=False)
    assert "<https://x.com/maryam/status/9|open post>" in joined
    assert "<https://x.com/reza/status/4|open post>" in joined
    assert "Top post (@maryam, reach 120k)" in payload["text"]


def test_slack_drops_later_posts_to_stay_within_limits() -> None:
    long_posts = [
        make_post(
            id=f"p{i}",
            text="ممنون از نوین‌نت " * 60,
            sentiment="positive",
            reach=100_000.0 - i,
            url=f"https://x.com/u{i}/status/{i}",
            author_handle=f"u{i}",
        )
        for i in range(20)
    ]
    payload = render_digest_slack(facts(make_digest(posts=long_posts)))
    sections = [b for b in payload["blocks"] if b["type"] == "section" and b["text"]["text"].startswith("*")]
    assert 1 <= len(sections) < 20
    assert sections[0]["text"]["text"].startswith("*1.*")
    assert sum(len(s) for s in slack_strings(payload)[1:]) <= SLACK_BLOCKS_CHARS_BUDGET
    assert any("left out" in json.dumps(b) for b in payload["blocks"] if b["type"] == "context")
    assert len(payload["blocks"]) <= 50


def test_email_is_multipart_with_rtl_persian_posts_and_stable_id() -> None:
    summary = facts()
    msg = message_from_bytes(
        render_digest_email(summary, from_addr="bohran@example.org", to=["pr@example.org"]).as_bytes(),
        policy=policy.default,
    )
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == "[ADVOCATES] نوین‌نت (NovinNet): 2 happy customers to thank (2024-05-01T13:00)"
    assert msg["X-Bohran-Kind"] == "advocates_digest" and msg["Auto-Submitted"] == "auto-generated"
    again = render_digest_email(summary, from_addr="bohran@example.org", to=["pr@example.org"])
    assert msg["Message-ID"] == again["Message-ID"] and msg["Message-ID"].endswith("@example.org>")
    html = msg.get_body(("html",)).get_content()
    assert 'href="https://x.com/maryam/status/9"' in html
    runs = DirCollector.runs_of(html)
    persian_post = next(d for d, text in runs if "واقعاً ممنون" in text)
    english_post = next(d for d, text in runs if "fixed my line" in text)
    assert (persian_post, english_post) == ("rtl", "ltr")
    assert "https://x.com/reza/status/4" in msg.get_body(("plain",)).get_content()


def test_webhook_is_bohrans_own_digest_shape() -> None:
    body = render_digest_webhook(facts())
    assert body["type"] == "advocates_digest" and body["key"] == "advocates:novinnet:2024-05-01T13:00"
    assert body["period"] == {
        "key": "2024-05-01T13:00",
        "start": "2024-04-30T09:30:00Z",
        "end": "2024-05-01T09:30:00Z",
        "timezone": "Asia/Tehran",
    }
    assert [(p["rank"], p["url"], p["reach"]) for p in body["posts"]] == [
        (1, "https://x.com/maryam/status/9", 120_000.0),
        (2, "https://x.com/reza/status/4", 15_000.0),
    ]
    json.dumps(body)  # plain JSON types only


class DirCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.runs: list[tuple[str | None, str]] = []
        self.tags: list[str] = []

    @classmethod
    def runs_of(cls, html: str) -> list[tuple[str | None, str]]:
        parser = cls()
        parser.feed(html)
        return parser.runs

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("br", "meta"):
            return
        self.stack.append(dict(attrs).get("dir"))

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if data.strip():
            self.runs.append((next((d for d in reversed(self.stack) if d), None), data))


# ---- hostile text ---------------------------------------------------------------------------


def test_hostile_post_cannot_ping_or_link_in_slack() -> None:
    payload = render_digest_slack(facts(hostile_digest()))
    for text in slack_strings(payload):
        assert "\r" not in text and "\u202e" not in text
        for match in re.finditer(r"<", text):  # every raw "<" opens one of our own links
            link = re.compile(r"<(https?://[^|<>\s]+)\|[^<>]*>").match(text, match.start())
            assert link is not None, text[match.start() : match.start() + 40]
            assert link.group(1).startswith(("http://grafana.local:3000/", "https://x.com/a%7C")), link.group(
                1
            )
        assert BARE_BROADCAST.search(text) is None, text
    joined = "\n".join(slack_strings(payload))
    assert "&lt;!channel&gt;" in joined and "javascript:" not in joined


def test_hostile_post_cannot_inject_email_headers_or_html() -> None:
    summary = facts(hostile_digest())
    raw = render_digest_email(summary, from_addr="bohran@example.org", to=["pr@example.org"]).as_bytes()
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Bcc"] is None and msg["bcc"] is None
    for name, value in msg.items():
        assert "\n" not in value and "\r" not in value, name
    html = render_digest_html(summary)
    parser = DirCollector()
    parser.feed(html)
    assert "script" not in parser.tags
    assert "javascript:" not in html and "\u202e" not in html
    assert "&lt;script&gt;" in html


def test_hostile_post_is_defanged_in_webhook_and_text() -> None:
    body = render_digest_webhook(facts(hostile_digest()))
    for post in body["posts"]:
        for field in ("text", "author", "id", "platform"):
            assert "<!channel>" not in post[field] and "<http" not in post[field]
            assert BARE_BROADCAST.search(post[field]) is None
    assert body["posts"][0]["url"] is None  # javascript: is not a link
    text = render_digest_text(facts(hostile_digest()))
    assert "\r" not in text and "\u202e" not in text and "\x1b" not in text


def test_subject_is_one_safe_line() -> None:
    subject = digest_subject(summarize_digest(make_digest(), brand_name="Evil\r\nBcc: x@y"))
    assert "\n" not in subject and "\r" not in subject and subject.startswith("[ADVOCATES] Evil Bcc: x@y")
