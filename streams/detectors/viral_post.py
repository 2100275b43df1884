"""Viral negative post: one post (with its reshares and copies) reaching a large audience fast.

The "United Breaks Guitars" case: volume may barely move, but one complaint is spreading. Posts in
the window are grouped by their text (a reshare or a quote-copy carries the original's words), and a
group's exposure is the sum of its posts' reach. The score is the largest exposure of a group that is
*spreading* (reshared or copied at least `min_reshares` times, by accounts that are not fresh):
that pages. A big account merely complaining, with no spread yet, is reported as info.
"""

from __future__ import annotations

from typing import Any

from streams.brand_batch import PostSummary
from streams.detection_config import ViralPostSettings
from streams.detectors import Assessment, BrandView, gate, severity_for
from streams.evidence import is_fresh, text_key

NAME = "viral_post"


def post_exposure(post: PostSummary) -> float:
    return max(post.reach, float(post.views))


def _groups(view: BrandView, minutes: int) -> dict[str, list[Any]]:
    """Negative posts of the window grouped by text: key -> [exposure, copies, max reshares, posts]."""
    last = view.now_minute
    posts: dict[str, PostSummary] = {}
    for agg in view.rolling.evidence(last - minutes + 1, last):
        for post in agg.top_posts:
            if post.sentiment != "negative":
                continue
            held = posts.get(post.id)
            if held is None or post.reach > held.reach:
                posts[post.id] = post
    groups: dict[str, list[Any]] = {}
    for post in posts.values():
        key = text_key(post.text)
        group = groups.get(key)
        real = 0 if is_fresh(post) else 1
        if group is None:
            groups[key] = [post_exposure(post), real, post.reshares, [post]]
        else:
            group[0] += post_exposure(post)
            group[1] += real
            if post.reshares > group[2]:
                group[2] = post.reshares
            group[3].append(post)
    return groups


def assess(view: BrandView, settings: ViralPostSettings, memory: dict[str, Any]) -> Assessment:
    minutes = settings.window_minutes
    counts = view.window(minutes)
    normal_share, _ = view.baseline.share()
    start, end = view.window_bounds(minutes)
    if counts.negative_reach < settings.threshold * settings.clear_ratio:
        # Every negative post together reached less than the hysteresis level: nothing to group.
        return Assessment(
            detector=NAME,
            score=counts.negative_reach,
            threshold=settings.threshold,
            critical_threshold=settings.critical_threshold,
            active=False,
            clear=True,
            severity="info",
            observed=counts.negative_reach,
            expected=settings.threshold,
            window_start=start,
            window_end=end,
            reason=f"all negative posts in {minutes} min together reached {counts.negative_reach:,.0f} "
            f"< {settings.threshold:,.0f}",
            total=counts.total,
            negative=counts.negative,
            negative_share=counts.share,
            baseline_share=normal_share,
            reach=counts.negative_reach,
            details={"spread": 0, "spreading": False, "lead_post": ""},
        )
    groups = _groups(view, minutes)
    best_spreading: list[Any] | None = None
    best_any: list[Any] | None = None
    for group in groups.values():
        group[1] = max(0, group[1] - 1) + group[2]  # copies beyond the first + reported reshares = spread
        if best_any is None or group[0] > best_any[0]:
            best_any = group
        if group[1] >= settings.min_reshares and (best_spreading is None or group[0] > best_spreading[0]):
            best_spreading = group
    spreading = best_spreading is not None
    chosen = best_spreading or best_any or [0.0, 0, 0, []]
    exposure, spread, group = chosen[0], chosen[1], chosen[3]
    posts = [p for g in groups.values() for p in g[3]]
    # The original (earliest) post leads, then its widest-reaching copies; the lead is stable.
    group = sorted(group, key=post_exposure, reverse=True)
    if group:
        root = min(group, key=lambda p: p.created_at)
        group = [root, *(p for p in group if p is not root)]
    score = exposure
    floor_ok = len(posts) >= settings.min_count
    active, clear = gate(score, floor_ok, settings)
    severity = severity_for(score, settings) if spreading else "info"
    if not posts:
        reason = f"no negative posts in the last {minutes} min"
    elif active:
        lead = group[0]
        who = f"@{lead.author_handle}" if lead.author_handle else lead.author_id
        reason = f"negative post by {who} reached {exposure:,.0f} (spread {spread})" + (
            "" if spreading else f" but is not spreading (< {settings.min_reshares} reshares/copies): info"
        )
    else:
        reason = f"largest negative exposure {exposure:,.0f} < {settings.threshold:,.0f}"
    return Assessment(
        detector=NAME,
        score=score,
        threshold=settings.threshold,
        critical_threshold=settings.critical_threshold,
        active=active,
        clear=clear,
        severity=severity,
        observed=exposure,
        expected=settings.threshold,
        window_start=start,
        window_end=end,
        reason=reason,
        total=counts.total,
        negative=counts.negative,
        negative_share=counts.share,
        baseline_share=normal_share,
        reach=exposure,
        details={"spread": spread, "spreading": spreading, "lead_post": group[0].id if group else ""},
        focus_posts=group[:5],
    )
