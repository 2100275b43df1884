"""Rendering the advocates digest: plain text, Slack Block Kit, email (text + HTML), webhook JSON.

A digest is good news, not an incident: no severity, no ack, no playbook; just who said something
good about the brand in the last day, how far it went and a link to it, so someone can thank them.
The posts are strangers' text like any mention, so they go through the same escaping as alerts
(`escaping`): nothing in a post can ping a Slack channel, disguise a link, inject an email header
or HTML; Persian posts are isolated (text, Slack) or laid out `dir="rtl"` (HTML).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from alerts.render.escaping import (
    clip,
    defang_plain,
    escape_html,
    escape_mrkdwn,
    header_safe,
    isolate_bidi,
    one_line,
    safe_url,
    slack_link,
)
from alerts.render.slack import (
    SLACK_BLOCKS_CHARS_BUDGET,
    SLACK_CONTEXT_TEXT_MAX,
    SLACK_FALLBACK_TEXT_MAX,
    SLACK_HEADER_TEXT_MAX,
    SLACK_MAX_BLOCKS,
    SLACK_SECTION_TEXT_MAX,
)
from alerts.render.summary import (
    PostFact,
    format_time,
    grafana_panel_url,
    human_count,
    post_byline,
    post_fact,
)
from alerts.render.webhook import rfc3339
from streams.advocates import Digest

WEBHOOK_TYPE = "advocates_digest"
WEBHOOK_VERSION = "1"
POST_TEXT_CHARS = 700
SUBJECT_MAX = 200
THANK_EN = "Thank them where they posted: a reply, a like or a share. bohran never posts anything itself."
THANK_FA = "از این مشتریان راضی همان‌جا که نوشته‌اند قدردانی کنید: با پاسخ، لایک یا بازنشر."
OMITTED_NOTE = "More posts were left out to fit Slack's message limits; the email has them all."

_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@dataclass(frozen=True, slots=True)
class DigestSummary:
    """The facts of one digest, cleaned once (control and bidi characters stripped), unescaped."""

    key: str
    brand: str
    brand_name: str
    period_key: str
    period_start: float
    period_end: float
    tz: str
    created_at: float
    posts: tuple[PostFact, ...]
    positive_mentions: int
    mentions: int
    dashboard_url: str | None

    def when(self, ts: float) -> str:
        return format_time(ts, self.tz)

    @property
    def headline(self) -> str:
        n = len(self.posts)
        people = "happy customer" if n == 1 else "happy customers"
        return f"Advocates · {self.brand_name}: {n} {people} to thank"

    @property
    def headline_fa(self) -> str:
        return f"هواداران {self.brand_name}: {str(len(self.posts)).translate(_FA_DIGITS)} مشتری راضی"

    @property
    def span(self) -> str:
        return f"{self.when(self.period_start)} – {self.when(self.period_end)}"

    @property
    def counts_line(self) -> str:
        share = ""
        if self.mentions:
            share = f" ({self.positive_mentions / self.mentions:.0%})"
        return (
            f"{human_count(self.positive_mentions)} positive of {human_count(self.mentions)} mentions{share}; "
            f"top {len(self.posts)} by reach"
        )


def summarize_digest(
    digest: Digest, *, brand_name: str | None = None, grafana_url: str | None = None
) -> DigestSummary:
    brand = one_line(digest.brand)
    return DigestSummary(
        key=one_line(digest.key),
        brand=brand,
        brand_name=one_line(brand_name or "") or brand,
        period_key=one_line(digest.period_key),
        period_start=float(digest.period_start),
        period_end=float(digest.period_end),
        tz=digest.timezone or "UTC",
        created_at=float(digest.created_at),
        posts=tuple(post_fact(p) for p in digest.posts),
        positive_mentions=max(int(digest.positive_mentions), 0),
        mentions=max(int(digest.mentions), 0),
        dashboard_url=grafana_panel_url(grafana_url, brand, digest.period_start, digest.period_end),
    )


def _byline(post: PostFact, summary: DigestSummary) -> str:
    return f"{post_byline(post)} · {summary.when(post.created_at)}"


# ---------------------------------------------------------------- plain text


def render_digest_text(summary: DigestSummary, *, bidi: bool = True) -> str:
    """Console, the email's text part and logs; Persian runs isolated when `bidi`."""
    iso = isolate_bidi if bidi else (lambda t: t)
    lines = [iso(summary.headline), iso(summary.headline_fa), f"{summary.span} · {summary.counts_line}", ""]
    for i, post in enumerate(summary.posts, 1):
        lines.append(f" {i}. {iso(_byline(post, summary))}")
        lines.append(f"    {iso(post.text)}")
        if post.url:
            lines.append(f"    {post.url}")
    lines += ["", THANK_EN, iso(THANK_FA)]
    if summary.dashboard_url:
        lines.append(f"Dashboard: {summary.dashboard_url}")
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------- Slack


def _m(text: str) -> str:
    return isolate_bidi(escape_mrkdwn(text))


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SLACK_SECTION_TEXT_MAX)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SLACK_CONTEXT_TEXT_MAX)}]}


def _slack_post(index: int, post: PostFact, summary: DigestSummary) -> dict[str, Any]:
    link = f" · {slack_link(post.url, 'open post')}" if post.url else ""
    text = clip(_m(post.text), POST_TEXT_CHARS) if post.text else "_(no text)_"
    return _section(f"*{index}.* {_m(_byline(post, summary))}{link}\n>{text}")


def _chars(node: Any) -> int:
    if isinstance(node, str):
        return len(node)
    if isinstance(node, dict):
        return sum(_chars(v) for k, v in node.items() if k != "type")
    if isinstance(node, list):
        return sum(_chars(v) for v in node)
    return 0


def render_digest_slack(
    summary: DigestSummary,
    *,
    max_blocks: int = SLACK_MAX_BLOCKS,
    chars_budget: int = SLACK_BLOCKS_CHARS_BUDGET,
) -> dict[str, Any]:
    """Incoming-webhook body: header, counts, one section per post (later ones dropped to fit)."""
    header_text = isolate_bidi(defang_plain(f":star2: {summary.headline}").replace("\n", " "))
    head = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": clip(header_text, SLACK_HEADER_TEXT_MAX), "emoji": True},
        },
        _section(f"{_m(summary.headline_fa)}\n{_m(summary.span)} · {_m(summary.counts_line)}"),
        {"type": "divider"},
    ]
    footer_lines = [_m(THANK_EN), _m(THANK_FA)]
    if summary.dashboard_url:
        footer_lines.append(slack_link(summary.dashboard_url, ":bar_chart: Dashboard"))
    tail = [{"type": "divider"}, _context("\n".join(footer_lines))]
    posts = [_slack_post(i, p, summary) for i, p in enumerate(summary.posts, 1)]
    note = _context(f"_{OMITTED_NOTE}_")
    dropped = False
    while posts and (
        len(head) + len(posts) + len(tail) + (1 if dropped else 0) > max_blocks
        or _chars(head + posts + tail) + (_chars(note) if dropped else 0) > chars_budget
    ):
        posts.pop()
        dropped = True
    blocks = head + posts + ([note] if dropped else []) + tail
    fallback = [_m(summary.headline), _m(summary.counts_line)]
    if summary.posts:
        top = summary.posts[0]
        fallback.append(
            f"Top post ({_m(top.author)}, reach {human_count(top.reach)}): {clip(_m(top.text), 280)}"
        )
    return {
        "text": clip("\n".join(fallback), SLACK_FALLBACK_TEXT_MAX),
        "blocks": blocks,
        "unfurl_links": False,  # never let Slack fetch previews of links strangers posted
        "unfurl_media": False,
    }


# ---------------------------------------------------------------- email


def _h(text: str) -> str:
    return escape_html(text)


def _bdi(text: str) -> str:
    return f"<bdi>{_h(text)}</bdi>"


def _link(url: str | None, label: str) -> str:
    target = safe_url(url)
    return f'<a href="{_h(target)}">{_h(label)}</a>' if target else _h(label)


def digest_subject(summary: DigestSummary) -> str:
    """`[ADVOCATES] NovinNet: 5 happy customers to thank (2024-05-02T09:00)`."""
    return header_safe(
        f"[ADVOCATES] {summary.headline.removeprefix('Advocates · ')} ({summary.period_key})", SUBJECT_MAX
    )


def render_digest_html(summary: DigestSummary) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_h(summary.headline)}</title></head>",
        '<body style="font-family:Tahoma,Vazirmatn,Arial,sans-serif;font-size:14px;line-height:1.5;color:#222">',
        f'<h2 style="color:#1b7f3b;margin:0 0 4px">{_bdi(summary.headline)}</h2>',
        f'<p dir="rtl" lang="fa" style="margin:0 0 4px">{_h(summary.headline_fa)}</p>',
        f'<p style="color:#666;margin:0 0 12px">{_h(summary.span)} · {_h(summary.counts_line)}</p>',
        "<ol>",
    ]
    for post in summary.posts:
        direction = ' dir="rtl" lang="fa"' if post.direction == "rtl" else ' dir="ltr"'
        link = f" · {_link(post.url, 'open post')}" if post.url else ""
        out.append(
            f"<li><div>{_bdi(_byline(post, summary))}{link}</div>"
            f'<blockquote{direction} style="margin:4px 0 10px;padding:6px 10px;border-left:3px solid #1b7f3b;'
            f'background:#f7f7f7">{_h(post.text)}</blockquote></li>'
        )
    out.append("</ol>")
    out.append(f"<p>{_h(THANK_EN)}</p>")
    out.append(f'<p dir="rtl" lang="fa">{_h(THANK_FA)}</p>')
    if summary.dashboard_url:
        out.append(
            f'<p style="border-top:1px solid #ddd;padding-top:8px">{_link(summary.dashboard_url, "Open the dashboard")}</p>'
        )
    out.append("</body></html>")
    return "\n".join(out)


def render_digest_email(summary: DigestSummary, *, from_addr: str, to: list[str]) -> EmailMessage:
    """The whole message; the Message-ID derives from the digest key, so a resend is the same mail."""
    domain = header_safe(from_addr).rpartition("@")[2].strip(" <>")
    if not domain or not all(c.isalnum() or c in ".-" for c in domain):
        domain = "bohran.local"
    msg = EmailMessage()
    msg["Subject"] = digest_subject(summary)
    msg["From"] = header_safe(from_addr)
    msg["To"] = ", ".join(header_safe(addr) for addr in to)
    msg["Date"] = format_datetime(datetime.fromtimestamp(summary.created_at, tz=UTC))
    msg["Message-ID"] = f"<{hashlib.sha256(summary.key.encode('utf-8')).hexdigest()[:32]}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    msg["X-Bohran-Kind"] = WEBHOOK_TYPE
    msg["X-Bohran-Brand"] = header_safe(summary.brand, 100)
    msg["X-Bohran-Key"] = header_safe(summary.key, 200)
    msg.set_content(render_digest_text(summary), subtype="plain", charset="utf-8")
    msg.add_alternative(render_digest_html(summary), subtype="html", charset="utf-8")
    return msg


# ---------------------------------------------------------------- webhook


def render_digest_webhook(summary: DigestSummary) -> dict[str, Any]:
    """bohran's own JSON (a digest is not an alert, so not the Alertmanager shape). Text fields are
    defanged because receivers may forward them to chat unescaped."""
    return {
        "version": WEBHOOK_VERSION,
        "type": WEBHOOK_TYPE,
        "key": summary.key,
        "brand": summary.brand,
        "brand_name": defang_plain(summary.brand_name),
        "period": {
            "key": summary.period_key,
            "start": rfc3339(summary.period_start),
            "end": rfc3339(summary.period_end),
            "timezone": summary.tz,
        },
        "created_at": rfc3339(summary.created_at),
        "positive_mentions": summary.positive_mentions,
        "mentions": summary.mentions,
        "dashboard_url": summary.dashboard_url,
        "summary": defang_plain(f"{summary.headline} · {summary.span} · {summary.counts_line}"),
        "posts": [
            {
                "rank": i,
                "id": defang_plain(post.id),
                "platform": defang_plain(post.platform),
                "author": defang_plain(post.author),
                "followers": post.followers,
                "verified": post.verified,
                "reach": post.reach,
                "url": post.url,
                "created_at": rfc3339(post.created_at),
                "lang_direction": post.direction,
                "text": defang_plain(post.text),
            }
            for i, post in enumerate(summary.posts, 1)
        ],
    }
