"""Slack incoming-webhook payload: Block Kit blocks plus a plain-text fallback.

Slack rejects a message outright when a block breaks a limit (50 blocks, 3000 characters per
section, 150 per header) and, in practice, when all blocks together pass roughly 13k characters.
A crisis is exactly when a post is long and the evidence is plenty, so this renderer never fails:
every text is clipped to its limit, and whole blocks are dropped lowest-value first (later posts,
the English playbook, …) until the message fits, with a note saying details were left out.
All untrusted text is mrkdwn-escaped (no pings, no disguised links) and Persian runs are isolated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.notification import Notification
from alerts.render.escaping import clip, defang_plain, escape_mrkdwn, isolate_bidi, slack_link
from alerts.render.summary import (
    SILENCE_DURATION,
    AlertFact,
    NotificationSummary,
    PostFact,
    human_count,
    human_duration,
    post_byline,
    summarize,
)

SLACK_MAX_BLOCKS = 50
SLACK_SECTION_TEXT_MAX = 3000
SLACK_HEADER_TEXT_MAX = 150
SLACK_CONTEXT_ELEMENTS_MAX = 10
SLACK_CONTEXT_TEXT_MAX = 2000
# Slack cuts `text` at 40,000 characters; the fallback only needs to be a good notification line.
SLACK_FALLBACK_TEXT_MAX = 3000
# Slack answers `msg_blocks_too_long` somewhere above ~13k characters of block text; stay well under.
SLACK_BLOCKS_CHARS_BUDGET = 11_000
POST_TEXT_CHARS = 700
ESSENTIAL_ALERT_SECTIONS = 8
MAX_ACK_LINES = 8

SEVERITY_EMOJI = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}
OMITTED_NOTE = (
    "Some details were left out to fit Slack's message limits; the dashboard and the email have everything."
)


@dataclass(slots=True)
class _Group:
    """Blocks that stand or fall together; higher `drop_rank` is dropped first."""

    drop_rank: int
    blocks: list[dict[str, Any]]


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text, SLACK_SECTION_TEXT_MAX)}


def _header(text: str) -> dict[str, Any]:
    plain = isolate_bidi(defang_plain(text).replace("\n", " "))
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(plain, SLACK_HEADER_TEXT_MAX), "emoji": True},
    }


def _context(items: list[str]) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [_mrkdwn(item, SLACK_CONTEXT_TEXT_MAX) for item in items[:SLACK_CONTEXT_ELEMENTS_MAX]],
    }


_DIVIDER: dict[str, Any] = {"type": "divider"}


def _m(text: str) -> str:
    """Escape untrusted text and isolate its Persian runs."""
    return isolate_bidi(escape_mrkdwn(text))


def _alert_section(alert: AlertFact, summary: NotificationSummary) -> str:
    if alert.status == "resolved":
        end = f" at {summary.when(alert.ended_at)}" if alert.ended_at else ""
        lasted = f" after {human_duration(alert.ended_at - alert.started_at)}" if alert.ended_at else ""
        return f":white_check_mark: *{_m(alert.title)}* resolved{end}{lasted}"
    emoji = SEVERITY_EMOJI.get(alert.severity, ":warning:")
    since = (
        f"since {summary.when(alert.started_at)} ({human_duration(summary.created_at - alert.started_at)})"
    )
    lines = [
        f"{emoji} *{_m(alert.title)}* ({_m(alert.title_fa)}) · `{_m(alert.severity)}` · {since}",
        _m(alert.measurement),
    ]
    if alert.share_line:
        lines.append(_m(alert.share_line))
    lines.append(f"{_m(alert.volume_line)} · {_m(alert.score_line)}")
    if alert.detail:
        lines.append(f"_{clip(_m(alert.detail), 600)}_")
    if alert.acked_by:
        at = f" at {summary.when(alert.acked_at)}" if alert.acked_at else ""
        lines.append(f":eyes: Acknowledged by {_m(alert.acked_by)}{at}")
    if alert.silenced_by:
        lines.append(f":mute: Silenced by {_m(alert.silenced_by)}")
    return "\n".join(lines)


def _post_section(index: int, post: PostFact) -> str:
    link = f" · {slack_link(post.url, 'open post')}" if post.url else ""
    text = clip(_m(post.text), POST_TEXT_CHARS) if post.text else "_(no text)_"
    return f"*{index}.* {_m(post_byline(post))}{link}\n>{text}"


def _counts(pairs: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{_m(name)} ({human_count(count)})" for name, count in pairs)


def _actions_text(summary: NotificationSummary) -> str:
    lines = []
    links = []
    if summary.grafana_url:
        links.append(slack_link(summary.grafana_url, ":bar_chart: Dashboard"))
    links += [slack_link(p.url, f"Post {i}") for i, p in enumerate(summary.posts[:5], 1) if p.url]
    if links:
        lines.append(" · ".join(links))
    if not summary.resolved:
        lines.append(f"Silence {SILENCE_DURATION}: `{escape_mrkdwn(summary.silence_command)}`")
        for cmd in summary.ack_commands[:MAX_ACK_LINES]:
            lines.append(f"Acknowledge: `{escape_mrkdwn(cmd)}`")
        if len(summary.ack_commands) > MAX_ACK_LINES:
            more = len(summary.ack_commands) - MAX_ACK_LINES
            lines.append(f"… and {more} more to acknowledge: see `bohran alerts list`")
    return "\n".join(lines)


def _groups(summary: NotificationSummary) -> list[_Group]:
    groups = [_Group(0, [_header(summary.headline)])]
    for i, alert in enumerate(summary.alerts):
        rank = 0 if i < ESSENTIAL_ALERT_SECTIONS else 6
        groups.append(_Group(rank, [_section(_alert_section(alert, summary))]))
    if summary.resolved:
        actions = _actions_text(summary)
        if actions:
            groups.append(_Group(0, [_context([actions])]))
        return groups

    for i, post in enumerate(summary.posts, 1):
        block = [_section(_post_section(i, post))]
        if i == 1:
            block.insert(0, _DIVIDER)
            block.insert(1, _section("*Top posts by reach*"))
        groups.append(_Group(1 if i <= 2 else (2 if i == 3 else 4), block))

    talk = []
    if summary.terms:
        talk.append(f"*What people say:* {_counts(summary.terms)}")
    if summary.categories:
        talk.append(f"*Complaint categories:* {_counts(summary.categories)}")
    if summary.platforms:
        talk.append(f"*Platforms:* {_counts(summary.platforms)}")
    if talk:
        groups.append(_Group(1, [_section("\n".join(talk))]))

    warnings = [f":warning: {_m(flag)}" for flag in summary.flags]
    if summary.repeat_complainers:
        warnings.append(f":repeat: Repeat complainers: {_m(', '.join(summary.repeat_complainers))}")
    if warnings:
        groups.append(_Group(2, [_section("\n".join(warnings))]))
    if summary.previous_incident:
        groups.append(_Group(3, [_context([f":rewind: Previous incident: {_m(summary.previous_incident)}"])]))

    book = summary.playbook
    fa_lines = [f"*{_m('راهنمای پاسخ: ' + book.title_fa)}* {_m('(مسئول: ' + book.owner_fa + ')')}"]
    fa_lines += [_m(f"{_fa_number(i)}. {step}") for i, step in enumerate(book.steps_fa, 1)]
    fa_lines.append(f"*{_m('پاسخ نخست پیشنهادی:')}* {_m(book.first_reply_fa)}")
    en_lines = [f"*:clipboard: Playbook: {_m(book.title_en)}* (owner: {_m(book.owner_en)})"]
    en_lines += [f"{i}. {_m(step)}" for i, step in enumerate(book.steps_en, 1)]
    en_lines.append(f"*Suggested first reply:* {_m(book.first_reply_en)}")
    groups.append(_Group(2, [_DIVIDER, _section("\n".join(fa_lines))]))
    groups.append(_Group(3, [_section("\n".join(en_lines))]))

    groups.append(_Group(0, [_DIVIDER, _section(_actions_text(summary))]))
    return groups


_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _fa_number(n: int) -> str:
    return str(n).translate(_FA_DIGITS)


def _text_chars(node: Any) -> int:
    if isinstance(node, str):
        return len(node)
    if isinstance(node, dict):
        return sum(_text_chars(v) for k, v in node.items() if k != "type")
    if isinstance(node, list):
        return sum(_text_chars(v) for v in node)
    return 0


def _fit(groups: list[_Group], *, max_blocks: int, budget: int) -> list[dict[str, Any]]:
    """Drop whole groups, highest drop_rank and latest first, until the message fits."""
    kept = list(groups)

    def size() -> tuple[int, int]:
        blocks = [b for g in kept for b in g.blocks]
        return len(blocks), _text_chars(blocks)

    dropped = False
    reserve_blocks, reserve_chars = 1, len(OMITTED_NOTE) + 10
    while True:
        count, chars = size()
        if count <= max_blocks - reserve_blocks and chars <= budget - reserve_chars:
            break
        candidates = [i for i, g in enumerate(kept) if g.drop_rank > 0]
        if not candidates:
            break
        victim = max(candidates, key=lambda i: (kept[i].drop_rank, i))
        del kept[victim]
        dropped = True
    blocks = [b for g in kept for b in g.blocks]
    # Essential blocks alone can still be too many (pathological alert counts): hard cap.
    blocks = blocks[: max_blocks - 1]
    if dropped:
        blocks.append(_context([f"_{OMITTED_NOTE}_"]))
    return blocks


def fallback_text(summary: NotificationSummary) -> str:
    """The `text` Slack shows in notifications and where blocks can't render; escaped too."""
    lines = [_m(summary.headline)]
    for alert in summary.alerts:
        if alert.status == "resolved":
            lines.append(f"{_m(alert.title)}: resolved")
        else:
            lines.append(f"{_m(alert.title)}: {_m(alert.measurement)}")
    if summary.posts and not summary.resolved:
        top = summary.posts[0]
        lines.append(
            f"Top post ({_m(top.author)}, reach {human_count(top.reach)}): {clip(_m(top.text), 280)}"
        )
    return clip("\n".join(lines), SLACK_FALLBACK_TEXT_MAX)


def render_slack(
    notification: Notification,
    *,
    summary: NotificationSummary | None = None,
    tz: str = "UTC",
    max_posts: int = 5,
    max_blocks: int = SLACK_MAX_BLOCKS,
    chars_budget: int = SLACK_BLOCKS_CHARS_BUDGET,
) -> dict[str, Any]:
    """The JSON body for a Slack incoming webhook; always within Slack's limits."""
    facts = summary or summarize(notification, tz=tz, max_posts=max_posts)
    blocks = _fit(_groups(facts), max_blocks=max_blocks, budget=chars_budget)
    return {
        "text": fallback_text(facts),
        "blocks": blocks,
        # Never let Slack fetch previews of links strangers posted.
        "unfurl_links": False,
        "unfurl_media": False,
    }
