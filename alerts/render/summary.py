"""The facts of a notification, once, for every renderer.

Slack, email, webhook, Alertmanager and the console all say the same things: what fired, since
when, observed vs expected, negative share vs normal, reach, the top posts, what people say, which
complaint categories and platforms, warning flags, the brand's previous incident, the playbook and
how to ack or silence. `summarize` computes those facts as clean, unescaped text (control and bidi
characters already stripped); each renderer escapes them for its own medium.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from alerts.notification import Alert, Notification
from alerts.playbooks import Playbook, playbook_for
from alerts.render.escaping import isolate_bidi, one_line, safe_url, text_direction
from streams.brand_batch import PostSummary

MAX_POST_CHARS = 1000  # kept per post in the summary; renderers clip further to their limits
SILENCE_DURATION = "2h"
SILENCE_COMMENT = "PR on-call is handling this"


@dataclass(frozen=True, slots=True)
class DetectorInfo:
    title: str
    title_fa: str
    unit: str


DETECTORS: dict[str, DetectorInfo] = {
    "negative_volume": DetectorInfo("Negative-mention spike", "جهش شکایت‌ها", "negative mentions"),
    "negative_share": DetectorInfo("Negative share shift", "افزایش سهم نظرهای منفی", "negative share"),
    "viral_post": DetectorInfo("Viral negative post", "پست منفی پربازدید", "reach"),
    "total_volume": DetectorInfo("Mention volume spike", "جهش حجم اشاره‌ها", "mentions"),
    "slow_burn": DetectorInfo("Slow-burn rise in complaints", "رشد تدریجی شکایت‌ها", "negative mentions"),
}

FLAG_TEXT: dict[str, str] = {
    "bot_flood": "Possible bot flood: many new or low-follower accounts or duplicate texts. Verify before responding publicly.",
    "repeat_complainer": "Repeat complainers are driving part of this wave (see below): reach out to them directly.",
    "late_data": "Some mentions arrived late; counts may still rise.",
}


def detector_info(detector: str) -> DetectorInfo:
    known = DETECTORS.get(detector)
    if known is not None:
        return known
    title = one_line(detector).replace("_", " ").strip().capitalize() or "Alert"
    return DetectorInfo(title, title, "value")


@dataclass(frozen=True, slots=True)
class PostFact:
    id: str
    platform: str
    text: str  # clean, one line, at most MAX_POST_CHARS
    author: str  # "@handle" or the author id
    followers: int
    verified: bool
    reach: float
    reshares: int
    views: int
    sentiment: str
    category: str | None
    url: str | None  # only a safe http(s) URL
    direction: str  # "rtl" | "ltr" | "neutral"
    created_at: float


@dataclass(frozen=True, slots=True)
class AlertFact:
    fingerprint: str
    detector: str
    title: str
    title_fa: str
    severity: str
    status: str
    started_at: float
    ended_at: float | None
    measurement: str  # "42 negative mentions in 5 min vs 6.1 expected (6.9×)"
    share_line: str | None  # "negative share 48% (normal 12%)"
    volume_line: str  # "reach 1.2M · 130 mentions, 60 negative"
    score_line: str  # "score 8.2 (threshold 6.0)"
    detail: str  # the detector's own one-line summary, cleaned
    acked_by: str | None
    acked_at: float | None
    silenced_by: str | None
    incident_id: str


@dataclass(frozen=True, slots=True)
class NotificationSummary:
    brand: str
    brand_name: str
    status: str
    kind: str
    severity: str
    headline: str
    created_at: float
    alerts: tuple[AlertFact, ...]
    posts: tuple[PostFact, ...]
    terms: tuple[tuple[str, int], ...]
    categories: tuple[tuple[str, int], ...]
    platforms: tuple[tuple[str, int], ...]
    flags: tuple[str, ...]
    repeat_complainers: tuple[str, ...]
    previous_incident: str | None
    top_category: str | None
    playbook: Playbook
    grafana_url: str | None
    ack_commands: tuple[str, ...]
    silence_command: str
    tz: str

    @property
    def resolved(self) -> bool:
        return self.status == "resolved"

    def when(self, ts: float) -> str:
        return format_time(ts, self.tz)


# ---------------------------------------------------------------- formatting helpers


def human_count(value: float) -> str:
    """12, 12.3k, 1.2M: numbers a person reads at a glance."""
    v = float(value)
    sign = "-" if v < 0 else ""
    v = abs(v)
    if v < 1000:
        return f"{sign}{v:.0f}" if v == int(v) or v >= 100 else f"{sign}{v:.1f}"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= size:
            scaled = v / size
            text = f"{scaled:.1f}" if scaled < 100 else f"{scaled:.0f}"
            return f"{sign}{text.removesuffix('.0')}{unit}"
    return f"{sign}{v:.0f}"  # pragma: no cover


def percent(share: float) -> str:
    return f"{share * 100:.0f}%" if share >= 0.01 or share == 0 else f"{share * 100:.1f}%"


def human_duration(seconds: float) -> str:
    s = max(int(seconds), 0)
    if s < 60:
        return f"{s} s"
    minutes = s // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_time(ts: float, tz: str = "UTC") -> str:
    zone = UTC if tz.upper() == "UTC" else ZoneInfo(tz)
    moment = datetime.fromtimestamp(ts, tz=zone)
    label = "UTC" if zone is UTC else moment.strftime("%Z")
    return moment.strftime("%Y-%m-%d %H:%M ") + label


def grafana_panel_url(
    base: str | None, brand: str, start: float | None = None, end: float | None = None
) -> str | None:
    """The dashboard URL for one brand (`var-brand=`), framed around the incident when known."""
    url = safe_url(base)
    if url is None:
        return None
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("var-brand", "from", "to")
    ]
    query.append(("var-brand", brand))
    if start is not None:
        query.append(("from", str(int((start - 3600) * 1000))))
        query.append(("to", str(int(end * 1000)) if end is not None else "now"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def ack_command(fingerprint: str) -> str:
    return f"bohran ack {shlex.quote(fingerprint)}"


def silence_command(brand: str, duration: str = SILENCE_DURATION, comment: str = SILENCE_COMMENT) -> str:
    return (
        f"bohran silence add --brand {shlex.quote(brand)} --duration {shlex.quote(duration)} "
        f"--comment {shlex.quote(comment)}"
    )


# ---------------------------------------------------------------- facts


def post_fact(post: PostSummary) -> PostFact:
    text = one_line(post.text)
    if len(text) > MAX_POST_CHARS:
        text = text[: MAX_POST_CHARS - 1].rstrip() + "…"
    handle = one_line(post.author_handle or "")
    if handle and not handle.startswith("@"):
        handle = "@" + handle
    return PostFact(
        id=one_line(post.id),
        platform=one_line(post.platform) or "unknown",
        text=text,
        author=handle or one_line(post.author_id) or "unknown",
        followers=max(int(post.followers), 0),
        verified=bool(post.verified),
        reach=max(float(post.reach), 0.0),
        reshares=max(int(post.reshares), 0),
        views=max(int(post.views), 0),
        sentiment=one_line(post.sentiment),
        category=one_line(post.category) if post.category else None,
        url=safe_url(post.url),
        direction=text_direction(text),
        created_at=float(post.created_at),
    )


def _window_text(alert: Alert) -> str:
    span = alert.signal.window_end - alert.signal.window_start
    return human_duration(span) if span > 0 else ""


def _measurement(alert: Alert, info: DetectorInfo) -> str:
    s = alert.signal
    window = _window_text(alert)
    within = f" in {window}" if window else ""
    if alert.detector == "negative_share":
        return f"negative share {percent(s.negative_share)}{within} vs normal {percent(s.baseline_share)}"
    if alert.detector == "viral_post":
        return f"one post reached {human_count(s.observed)}{within} vs {human_count(s.expected)} expected"
    ratio = f" ({s.observed / s.expected:.1f}×)" if s.expected > 0 else ""
    return f"{human_count(s.observed)} {info.unit}{within} vs {s.expected:.1f} expected{ratio}"


def _alert_fact(alert: Alert) -> AlertFact:
    s = alert.signal
    info = detector_info(alert.detector)
    share = None
    if alert.detector != "negative_share" and (s.negative_share or s.baseline_share):
        share = f"negative share {percent(s.negative_share)} (normal {percent(s.baseline_share)})"
    volume = (
        f"reach {human_count(s.reach)} · {human_count(s.total)} mentions, {human_count(s.negative)} negative"
    )
    return AlertFact(
        fingerprint=one_line(alert.fingerprint),
        detector=one_line(alert.detector),
        title=info.title,
        title_fa=info.title_fa,
        severity=one_line(alert.severity),
        status=alert.status,
        started_at=alert.starts_at,
        ended_at=alert.ends_at,
        measurement=_measurement(alert, info),
        share_line=share,
        volume_line=volume,
        score_line=f"score {s.score:.1f} (threshold {s.threshold:.1f})",
        detail=one_line(s.summary),
        acked_by=one_line(alert.acked_by) if alert.acked_by else None,
        acked_at=alert.acked_at,
        silenced_by=one_line(alert.silenced_by) if alert.silenced_by else None,
        incident_id=one_line(alert.incident_id),
    )


def _merge_max(maps: Iterable[Mapping[str, int]]) -> list[tuple[str, int]]:
    """Combine per-alert counters without double counting the same window: keep each key's max."""
    merged: dict[str, int] = {}
    for counts in maps:
        for key, count in counts.items():
            name = one_line(str(key))
            if name:
                merged[name] = max(merged.get(name, 0), int(count))
    return sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))


def _top_posts(alerts: Iterable[Alert], limit: int) -> list[PostFact]:
    best: dict[str, PostSummary] = {}
    for alert in alerts:
        for post in alert.signal.top_posts:
            seen = best.get(post.id)
            if seen is None or post.reach > seen.reach:
                best[post.id] = post
    ranked = sorted(best.values(), key=lambda p: (p.sentiment == "negative", p.reach), reverse=True)
    return [post_fact(p) for p in ranked[:limit]]


def _previous_incident(info: Mapping[str, object] | None, tz: str) -> str | None:
    if not info:
        return None

    def stamp(value: object) -> str | None:
        if isinstance(value, int | float):
            return format_time(float(value), tz)
        if isinstance(value, str) and value.strip():
            return one_line(value)
        return None

    parts = []
    detector = info.get("detector")
    if isinstance(detector, str) and detector:
        parts.append(detector_info(detector).title)
    start, end = stamp(info.get("started_at")), stamp(info.get("ended_at"))
    if start and end:
        span = f"{start} – {end}"
        s, e = info.get("started_at"), info.get("ended_at")
        if isinstance(s, int | float) and isinstance(e, int | float) and e >= s:
            span += f" ({human_duration(e - s)})"
        parts.append(span)
    elif start:
        parts.append(f"from {start}")
    summary = info.get("summary")
    if isinstance(summary, str) and summary.strip():
        parts.append(one_line(summary)[:300])
    return ", ".join(parts) if parts else None


def _headline(kind: str, severity: str, brand_name: str, alerts: list[AlertFact], created_at: float) -> str:
    titles = ", ".join(dict.fromkeys(a.title for a in alerts)) or "alert"
    if kind == "resolved":
        ends = [a.ended_at for a in alerts if a.ended_at is not None]
        start = min((a.started_at for a in alerts), default=created_at)
        lasted = human_duration((max(ends) if ends else created_at) - start)
        return f"Resolved · {brand_name}: {titles} (lasted {lasted})"
    prefix = {
        "escalated": f"Escalated to {severity.upper()}",
        "repeat": f"Still firing, not acknowledged · {severity.upper()}",
        "update": f"Update · {severity.upper()}",
    }.get(kind, severity.upper())
    return f"{prefix} · {brand_name}: {titles}"


def summarize(
    notification: Notification, *, tz: str = "UTC", max_posts: int = 5, max_terms: int = 10
) -> NotificationSummary:
    """Every fact the renderers show, computed once from a notification."""
    alerts = sorted(notification.alerts, key=lambda a: (a.status != "firing", -a.severity_rank, a.detector))
    facts = [_alert_fact(a) for a in alerts]
    brand = one_line(notification.brand)
    brand_name = one_line(notification.brand_name) or brand
    categories = _merge_max(a.signal.categories for a in alerts)
    top_category = categories[0][0] if categories else None
    if top_category is None:
        labelled = [a.labels.get("category") for a in alerts if a.labels.get("category")]
        top_category = one_line(labelled[0]) if labelled else None
    flags: list[str] = []
    complainers: list[str] = []
    for alert in alerts:
        for flag in alert.signal.flags:
            text = FLAG_TEXT.get(flag) or one_line(flag).replace("_", " ")
            if text and text not in flags:
                flags.append(text)
        for who in alert.signal.repeat_complainers:
            name = one_line(who)
            if name and name not in complainers:
                complainers.append(name)
    start = min((a.starts_at for a in alerts), default=notification.created_at)
    ends = [a.ends_at for a in alerts if a.ends_at is not None]
    end = max(ends) if notification.status == "resolved" and ends else None
    firing = [f for f in facts if f.status != "resolved"]
    return NotificationSummary(
        brand=brand,
        brand_name=brand_name,
        status=notification.status,
        kind=notification.kind,
        severity=notification.severity,
        headline=_headline(
            notification.kind, notification.severity, brand_name, facts, notification.created_at
        ),
        created_at=notification.created_at,
        alerts=tuple(facts),
        posts=tuple(_top_posts(alerts, max_posts)),
        terms=tuple(_merge_max(dict(a.signal.top_terms) for a in alerts)[:max_terms]),
        categories=tuple(categories),
        platforms=tuple(_merge_max(a.signal.platforms for a in alerts)),
        flags=tuple(flags),
        repeat_complainers=tuple(complainers[:10]),
        previous_incident=_previous_incident(notification.previous_incident, tz),
        top_category=top_category,
        playbook=playbook_for(top_category),
        grafana_url=grafana_panel_url(notification.grafana_url, brand, start, end),
        ack_commands=tuple(ack_command(f.fingerprint) for f in firing if not f.acked_by),
        silence_command=silence_command(brand),
        tz=tz,
    )


# ---------------------------------------------------------------- plain text


def post_byline(post: PostFact) -> str:
    verified = " ✓" if post.verified else ""
    return (
        f"{post.author}{verified} on {post.platform} · {human_count(post.followers)} followers · "
        f"reach {human_count(post.reach)}"
    )


def render_text(summary: NotificationSummary, *, bidi: bool = True) -> str:
    """A readable plain-text version: the console, the email text part, logs of what was sent.

    Untrusted parts are already cleaned of control characters; with `bidi`, Persian runs are
    wrapped in isolates so terminals and mail clients with bidi support show them in order.
    """
    iso = isolate_bidi if bidi else (lambda t: t)
    lines = [iso(summary.headline)]
    lines.append(
        f"Brand {summary.brand} · {summary.status} ({summary.kind}) · {summary.when(summary.created_at)}"
    )
    lines.append("")
    for a in summary.alerts:
        if a.status == "resolved":
            end = f" at {summary.when(a.ended_at)}" if a.ended_at else ""
            lasted = f" after {human_duration(a.ended_at - a.started_at)}" if a.ended_at else ""
            lines.append(f"✔ {a.title}: resolved{end}{lasted}")
            continue
        since = f"since {summary.when(a.started_at)} ({human_duration(summary.created_at - a.started_at)})"
        lines.append(f"• {a.title} ({iso(a.title_fa)}) — {a.severity} — {since}")
        lines.append(f"  {a.measurement}")
        if a.share_line:
            lines.append(f"  {a.share_line}")
        lines.append(f"  {a.volume_line} · {a.score_line}")
        if a.detail:
            lines.append(f"  {iso(a.detail)}")
        if a.acked_by:
            at = f" at {summary.when(a.acked_at)}" if a.acked_at else ""
            lines.append(f"  Acknowledged by {a.acked_by}{at}")
        if a.silenced_by:
            lines.append(f"  Silenced by {a.silenced_by}")
    if not summary.resolved:
        if summary.posts:
            lines += ["", "Top posts by reach:"]
            for i, post in enumerate(summary.posts, 1):
                lines.append(f" {i}. {post_byline(post)}")
                lines.append(f"    {iso(post.text)}")
                if post.url:
                    lines.append(f"    {post.url}")
        if summary.terms:
            lines += ["", "What people say: " + ", ".join(f"{iso(t)} ({c})" for t, c in summary.terms)]
        if summary.categories:
            lines.append("Complaint categories: " + ", ".join(f"{c} ({n})" for c, n in summary.categories))
        if summary.platforms:
            lines.append("Platforms: " + ", ".join(f"{p} ({n})" for p, n in summary.platforms))
        if summary.flags or summary.repeat_complainers:
            lines.append("")
            lines += [f"! {flag}" for flag in summary.flags]
            if summary.repeat_complainers:
                lines.append("! Repeat complainers: " + iso(", ".join(summary.repeat_complainers)))
        if summary.previous_incident:
            lines += ["", "Previous incident: " + iso(summary.previous_incident)]
        book = summary.playbook
        lines += ["", f"Playbook: {book.title_en} (owner: {book.owner_en})"]
        lines += [f" {i}. {step}" for i, step in enumerate(book.steps_en, 1)]
        lines.append(f" Suggested first reply: {book.first_reply_en}")
        lines += ["", iso(f"راهنمای پاسخ: {book.title_fa} (مسئول: {book.owner_fa})")]
        lines += [iso(f"{_fa_digits(i)}. {step}") for i, step in enumerate(book.steps_fa, 1)]
        lines.append(iso(f"پاسخ نخست پیشنهادی: {book.first_reply_fa}"))
    lines.append("")
    if summary.grafana_url:
        lines.append(f"Dashboard: {summary.grafana_url}")
    if not summary.resolved:
        lines += [f"Acknowledge: {cmd}" for cmd in summary.ack_commands]
        lines.append(f"Silence {SILENCE_DURATION}: {summary.silence_command}")
    return "\n".join(lines).rstrip() + "\n"


_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _fa_digits(n: int) -> str:
    return str(n).translate(_FA_DIGITS)
