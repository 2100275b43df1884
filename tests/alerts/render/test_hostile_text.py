"""A hostile mention cannot ping, disguise a link, inject headers or HTML in any rendering.

The attack text sits in every untrusted field: post text, author handle, terms, categories,
platforms, flags, repeat complainers, the detector summary, the previous incident, even who acked.
"""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from html.parser import HTMLParser

from factories import HOSTILE, make_hostile_notification

from alerts.render.alertmanager import render_alertmanager
from alerts.render.email import render_email
from alerts.render.slack import render_slack
from alerts.render.summary import render_text, summarize
from alerts.render.webhook import render_webhook

BARE_BROADCAST = re.compile(r"[@＠](?:channel|here|everyone)\b", re.IGNORECASE)
OUR_LINK = re.compile(r"<(https?://[^|<>\s]+)\|[^<>]*>")
ALLOWED_LINK_PREFIXES = (
    "http://grafana.local:3000/d/bohran-overview?",
    "https://x.com/sara_k/status/1",
    "https://x.com/a%7C",
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


def test_hostile_text_cannot_ping_or_link_in_slack():
    payload = render_slack(make_hostile_notification())
    for text in slack_strings(payload):
        assert "\r" not in text and "\u202e" not in text
        # Every raw "<" must open one of our own links, to a URL we chose to link.
        for match in re.finditer(r"<", text):
            link = OUR_LINK.match(text, match.start())
            assert link is not None, text[match.start() : match.start() + 40]
            assert link.group(1).startswith(ALLOWED_LINK_PREFIXES), link.group(1)
        assert BARE_BROADCAST.search(text) is None, text
    joined = "\n".join(slack_strings(payload))
    assert "&lt;!channel&gt;" in joined  # shown to the reader, inert
    assert "&lt;script&gt;" in joined
    assert "javascript:" not in joined


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs


def test_hostile_text_cannot_inject_email_headers_or_html():
    msg = render_email(make_hostile_notification(), from_addr="bohran@example.org", to=["pr@example.org"])
    raw = msg.as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert parsed["To"] == "pr@example.org"
    assert {k.lower() for k in parsed} == {
        "subject", "from", "to", "date", "message-id", "in-reply-to", "references", "auto-submitted",
        "x-bohran-severity", "x-bohran-brand", "x-bohran-key", "content-type", "mime-version",
    }  # fmt: skip
    html = parsed.get_body(("html",)).get_content()
    collector = TagCollector()
    collector.feed(html)
    assert collector.tags <= {
        "html", "head", "meta", "title", "body", "h2", "h3", "p", "ul", "ol", "li", "strong", "em", "small",
        "br", "bdi", "div", "blockquote", "a", "code",
    }  # fmt: skip
    hrefs = [v for k, v in collector.attrs if k == "href"]
    assert all(h.startswith(("https://", "http://grafana.local")) for h in hrefs)
    assert not any("javascript" in h for h in hrefs)
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_hostile_text_is_defanged_in_webhook_and_alertmanager_payloads():
    n = make_hostile_notification()
    for body in (render_webhook(n), {"alerts": render_alertmanager(n)}):
        for alert in body["alerts"]:
            for value in [*alert["annotations"].values(), *alert["labels"].values()]:
                assert re.search(r"<[!@#a-zA-Z]", value) is None, value
                assert BARE_BROADCAST.search(value) is None, value
                assert "\r" not in value
        json.dumps(body)


def test_hostile_text_cannot_reach_the_terminal_as_escape_sequences():
    n = make_hostile_notification()
    n.alerts[0].signal.top_posts[0].text = "\x1b]0;pwned\x07\x1b[2J" + HOSTILE
    text = render_text(summarize(n))
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
