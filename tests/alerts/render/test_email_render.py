"""Email: multipart text + HTML, Persian right-to-left, safe headers, stable ids."""

from __future__ import annotations

from email import message_from_bytes, policy
from html.parser import HTMLParser

from factories import make_alert, make_notification, make_resolved_notification, make_signal

from alerts.render.email import email_subject, render_email
from alerts.render.summary import summarize


def rendered(notification=None):
    msg = render_email(
        notification or make_notification(),
        from_addr="bohran@example.org",
        to=["pr@example.org", "ops@example.org"],
    )
    # Round-trip through bytes: what the SMTP server and the mail client will see.
    return message_from_bytes(msg.as_bytes(), policy=policy.default)


class DirCollector(HTMLParser):
    """Records the `dir` in force for every text run of the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.runs: list[tuple[str | None, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("br", "meta"):
            return
        self.stack.append(dict(attrs).get("dir"))

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        current = next((d for d in reversed(self.stack) if d), None)
        if data.strip():
            self.runs.append((current, data))


def test_multipart_alternative_with_text_and_html():
    msg = rendered()
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "42 negative mentions in 5 min vs 6.1 expected" in text
    assert "42 negative mentions in 5 min vs 6.1 expected" in html
    assert "bohran ack novinnet/negative_volume" in text and "bohran ack novinnet/negative_volume" in html
    assert 'href="https://x.com/sara_k/status/1"' in html
    assert "var-brand=novinnet" in html


def test_subject_has_severity_and_brand():
    msg = rendered()
    assert msg["Subject"] == "[CRITICAL] نوین‌نت (NovinNet): Negative-mention spike"
    assert email_subject(summarize(make_notification(kind="escalated"))).startswith("[CRITICAL] Escalated: ")
    assert rendered(make_resolved_notification())["Subject"].startswith("[RESOLVED · CRITICAL] ")


def test_persian_blocks_are_marked_rtl_and_english_ones_ltr():
    collector = DirCollector()
    collector.feed(rendered().get_body(("html",)).get_content())
    by_text = {data: direction for direction, data in collector.runs}
    persian_post = next(t for t in by_text if "از صبح قطع است" in t)
    assert by_text[persian_post] == "rtl"
    english_post = next(t for t in by_text if "third time this week" in t)
    assert by_text[english_post] == "ltr"
    playbook_step = next(t for t in by_text if "ظرف ۳۰ دقیقه" in t)
    assert by_text[playbook_step] == "rtl"


def test_headers_thread_an_incident_and_repeat_the_same_id_on_redelivery():
    first, again = rendered(), rendered()
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].endswith("@example.org>")
    update = rendered(make_notification(key="another-key", kind="update"))
    assert update["Message-ID"] != first["Message-ID"]
    assert update["References"] == first["References"] == first["In-Reply-To"]
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["To"] == "pr@example.org, ops@example.org"


def test_resolved_email_is_short():
    msg = rendered(make_resolved_notification())
    text = msg.get_body(("plain",)).get_content()
    assert "resolved" in text and "Playbook" not in text


def test_acked_alert_is_shown_as_acknowledged():
    n = make_notification([make_alert(make_signal(), acked_by="sara", acked_at=None)], kind="update")
    html = rendered(n).get_body(("html",)).get_content()
    assert "Acknowledged by <bdi>sara</bdi>" in html
