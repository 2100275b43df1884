"""Email rendering: a multipart/alternative message (plain text + HTML) ready for SMTP.

Headers carry only bohran's own words (severity, brand, detector titles) and even those pass
through `header_safe`, so no CR/LF can ever reach a header. Every piece of mention text in the
HTML part is HTML-escaped; Persian blocks get `dir="rtl"` so mail clients lay them out
right-to-left. The Message-ID derives from the notification's idempotency key, so a redelivery
after a crash is recognisably the same message, and all mails of one incident thread together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from alerts.notification import Notification
from alerts.render.escaping import escape_html, header_safe, safe_url
from alerts.render.summary import (
    SILENCE_DURATION,
    AlertFact,
    NotificationSummary,
    PostFact,
    human_count,
    human_duration,
    post_byline,
    render_text,
    summarize,
)

SEVERITY_COLOR = {"critical": "#b3261e", "warning": "#b26a00", "info": "#1f5fa8"}
RESOLVED_COLOR = "#1b7f3b"
SUBJECT_MAX = 200
KIND_PREFIX = {"escalated": "Escalated: ", "repeat": "Still firing: ", "update": "Update: "}


def email_subject(summary: NotificationSummary) -> str:
    """`[CRITICAL] Brand: Negative-mention spike` — severity and brand first, for inbox triage."""
    titles = ", ".join(dict.fromkeys(a.title for a in summary.alerts)) or "alert"
    if summary.resolved:
        tag = f"RESOLVED · {summary.severity.upper()}"
        prefix = ""
    else:
        tag = summary.severity.upper()
        prefix = KIND_PREFIX.get(summary.kind, "")
    return header_safe(f"[{tag}] {prefix}{summary.brand_name}: {titles}", SUBJECT_MAX)


def _domain(from_addr: str) -> str:
    domain = header_safe(from_addr).rpartition("@")[2].strip(" <>")
    return domain if domain and all(c.isalnum() or c in ".-" for c in domain) else "bohran.local"


def _msg_id(seed: str, domain: str) -> str:
    return f"<{hashlib.sha256(seed.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def _h(text: str) -> str:
    return escape_html(text)


def _bdi(text: str) -> str:
    """Inline text of either direction inside an English line, isolated by the browser."""
    return f"<bdi>{_h(text)}</bdi>"


def _dir(post: PostFact) -> str:
    return ' dir="rtl" lang="fa"' if post.direction == "rtl" else ' dir="ltr"'


def _link(url: str | None, label: str) -> str:
    target = safe_url(url)
    if target is None:
        return _h(label)
    return f'<a href="{_h(target)}">{_h(label)}</a>'


def _alert_html(alert: AlertFact, summary: NotificationSummary) -> str:
    if alert.status == "resolved":
        end = f" at {_h(summary.when(alert.ended_at))}" if alert.ended_at else ""
        lasted = f" after {_h(human_duration(alert.ended_at - alert.started_at))}" if alert.ended_at else ""
        return f"<li>&#10004; <strong>{_h(alert.title)}</strong> resolved{end}{lasted}</li>"
    since = (
        f"since {summary.when(alert.started_at)} ({human_duration(summary.created_at - alert.started_at)})"
    )
    parts = [
        f'<strong>{_h(alert.title)}</strong> (<bdi dir="rtl" lang="fa">{_h(alert.title_fa)}</bdi>) — '
        f"{_h(alert.severity)} — {_h(since)}",
        _h(alert.measurement),
    ]
    if alert.share_line:
        parts.append(_h(alert.share_line))
    parts.append(f"{_h(alert.volume_line)} · {_h(alert.score_line)}")
    if alert.detail:
        parts.append(f"<em>{_bdi(alert.detail)}</em>")
    if alert.acked_by:
        at = f" at {summary.when(alert.acked_at)}" if alert.acked_at else ""
        parts.append(f"Acknowledged by {_bdi(alert.acked_by)}{_h(at)}")
    if alert.silenced_by:
        parts.append(f"Silenced by {_bdi(alert.silenced_by)}")
    return "<li>" + "<br>".join(parts) + "</li>"


def _counts(pairs: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{_bdi(name)} ({human_count(count)})" for name, count in pairs)


def render_html(summary: NotificationSummary) -> str:
    color = RESOLVED_COLOR if summary.resolved else SEVERITY_COLOR.get(summary.severity, "#333")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_h(summary.headline)}</title></head>",
        '<body style="font-family:Tahoma,Vazirmatn,Arial,sans-serif;font-size:14px;line-height:1.5;color:#222">',
        f'<h2 style="color:{color};margin:0 0 4px">{_bdi(summary.headline)}</h2>',
        f'<p style="color:#666;margin:0 0 12px">Brand {_bdi(summary.brand)} · {_h(summary.status)} '
        f"({_h(summary.kind)}) · {_h(summary.when(summary.created_at))}</p>",
        "<ul>" + "".join(_alert_html(a, summary) for a in summary.alerts) + "</ul>",
    ]
    if not summary.resolved:
        if summary.posts:
            out.append("<h3>Top posts by reach</h3><ol>")
            for post in summary.posts:
                link = f" · {_link(post.url, 'open post')}" if post.url else ""
                out.append(
                    f"<li><div>{_bdi(post_byline(post))}{link}</div>"
                    f'<blockquote{_dir(post)} style="margin:4px 0 10px;padding:6px 10px;border-left:3px solid {color};'
                    f'background:#f7f7f7">{_h(post.text)}</blockquote></li>'
                )
            out.append("</ol>")
        facts = []
        if summary.terms:
            facts.append(f"<strong>What people say:</strong> {_counts(summary.terms)}")
        if summary.categories:
            facts.append(f"<strong>Complaint categories:</strong> {_counts(summary.categories)}")
        if summary.platforms:
            facts.append(f"<strong>Platforms:</strong> {_counts(summary.platforms)}")
        if facts:
            out.append("<p>" + "<br>".join(facts) + "</p>")
        warnings = [f"&#9888; {_bdi(flag)}" for flag in summary.flags]
        if summary.repeat_complainers:
            warnings.append(
                "&#9888; Repeat complainers: " + ", ".join(_bdi(c) for c in summary.repeat_complainers)
            )
        if warnings:
            out.append('<p style="color:#8a4b00">' + "<br>".join(warnings) + "</p>")
        if summary.previous_incident:
            out.append(f"<p><strong>Previous incident:</strong> {_bdi(summary.previous_incident)}</p>")
        book = summary.playbook
        out.append(f"<h3>Playbook: {_h(book.title_en)} <small>(owner: {_h(book.owner_en)})</small></h3><ol>")
        out += [f"<li>{_h(step)}</li>" for step in book.steps_en]
        out.append(f"</ol><p><strong>Suggested first reply:</strong> {_h(book.first_reply_en)}</p>")
        out.append(
            f'<div dir="rtl" lang="fa"><h3>راهنمای پاسخ: {_h(book.title_fa)} <small>(مسئول: {_h(book.owner_fa)})</small></h3>'
        )
        out.append(
            '<ol style="list-style-type:persian">'
            + "".join(f"<li>{_h(step)}</li>" for step in book.steps_fa)
            + "</ol>"
        )
        out.append(f"<p><strong>پاسخ نخست پیشنهادی:</strong> {_h(book.first_reply_fa)}</p></div>")
    actions = []
    if summary.grafana_url:
        actions.append(_link(summary.grafana_url, "Open the dashboard"))
    if not summary.resolved:
        actions += [f"Acknowledge: <code>{_h(cmd)}</code>" for cmd in summary.ack_commands]
        actions.append(f"Silence {SILENCE_DURATION}: <code>{_h(summary.silence_command)}</code>")
    if actions:
        out.append('<p style="border-top:1px solid #ddd;padding-top:8px">' + "<br>".join(actions) + "</p>")
    out.append("</body></html>")
    return "\n".join(out)


def render_email(
    notification: Notification,
    *,
    from_addr: str,
    to: Sequence[str],
    summary: NotificationSummary | None = None,
    tz: str = "UTC",
    max_posts: int = 5,
) -> EmailMessage:
    """The complete message: headers, text part, HTML part."""
    facts = summary or summarize(notification, tz=tz, max_posts=max_posts)
    domain = _domain(from_addr)
    msg = EmailMessage()
    msg["Subject"] = email_subject(facts)
    msg["From"] = header_safe(from_addr)
    msg["To"] = ", ".join(header_safe(addr) for addr in to)
    msg["Date"] = format_datetime(datetime.fromtimestamp(notification.created_at, tz=UTC))
    msg["Message-ID"] = _msg_id(notification.key, domain)
    first_incident = min((a.incident_id for a in notification.alerts), default=notification.group_key)
    thread = _msg_id(f"{notification.group_key}|{first_incident}", domain)
    msg["In-Reply-To"] = thread
    msg["References"] = thread
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to alerts
    msg["X-Bohran-Severity"] = header_safe(facts.severity, 20)
    msg["X-Bohran-Brand"] = header_safe(facts.brand, 100)
    msg["X-Bohran-Key"] = header_safe(notification.key, 200)
    msg.set_content(render_text(facts), subtype="plain", charset="utf-8")
    msg.add_alternative(render_html(facts), subtype="html", charset="utf-8")
    return msg
