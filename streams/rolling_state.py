"""Per-brand minute buckets for the recent hours, plus bounded evidence per minute.

Why minute buckets (and not Faust windowed tables): adding a consumed batch is a handful
of integer additions per minute touched, any window ending anywhere in the last hours is a short sum,
and the whole thing serialises to a small dict that is checkpointed once per batch (DESIGN.md).
Counts are kept for `history_minutes`; the heavier evidence (top posts, terms, authors) only for the
last `evidence_minutes`, and trimmed further in snapshots so a brand's checkpoint stays small.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from streams.brand_batch import MinuteAggregate, PostSummary

# Counter fields kept per minute, in storage order.
FIELDS = ("total", "negative", "positive", "reach", "negative_reach", "fresh", "duplicates")
SNAPSHOT_POSTS = 12  # posts kept across all evidence minutes in a snapshot
SNAPSHOT_POST_CHARS = 280
SNAPSHOT_TERMS_PER_MINUTE = 6
SNAPSHOT_AUTHORS_PER_MINUTE = 4  # enough for the distinct-author floor and repeat complainers
SNAPSHOT_EVIDENCE_MINUTES = 30  # the longest window evidence is read for (detectors use <= 15)


@dataclass(slots=True)
class WindowCounts:
    """Sums over a run of minutes."""

    total: int = 0
    negative: int = 0
    positive: int = 0
    reach: float = 0.0
    negative_reach: float = 0.0
    fresh: int = 0  # negative mentions by accounts with almost no followers
    duplicates: int = 0  # negative mentions repeating another's text in the same minute

    @property
    def share(self) -> float:
        return self.negative / self.total if self.total else 0.0


class RollingState:
    """Minute buckets [minute number -> counts] for the last `history_minutes` minutes.

    Stored sparsely (only minutes that had mentions), so a brand with ten mentions a day costs a few
    hundred bytes and 10,000 configured brands fit in a worker's memory.
    """

    __slots__ = ("size", "evidence_minutes", "_rows", "_evidence", "latest")

    def __init__(self, history_minutes: int, evidence_minutes: int) -> None:
        self.size = history_minutes
        self.evidence_minutes = evidence_minutes
        self._rows: dict[int, list[float]] = {}
        self._evidence: dict[int, MinuteAggregate] = {}
        self.latest = -1  # newest minute number with data

    # ---- writing -------------------------------------------------------------------------
    def add(self, minute: int, agg: MinuteAggregate) -> bool:
        """Fold one minute's aggregate in (minute = epoch seconds // 60); False if it is too old."""
        if minute < self.latest - self.size + 1:
            return False  # older than the history: the caller should have treated it as late
        row = self._rows.get(minute)
        if row is None:
            row = self._rows[minute] = [0, 0, 0, 0.0, 0.0, 0, 0]
        row[0] += agg.total
        row[1] += agg.negative
        row[2] += agg.positive
        row[3] += agg.reach
        row[4] += agg.negative_reach
        row[5] += agg.new_authors
        row[6] += agg.near_duplicates
        if minute > self.latest:
            self.latest = minute
            self._prune()
        if agg.negative or agg.top_posts:
            held = self._evidence.get(minute)
            if held is None:
                held = MinuteAggregate(minute * 60)
                self._evidence[minute] = held
            evidence = MinuteAggregate(
                minute * 60,
                platforms=agg.platforms,
                categories=agg.categories,
                terms=agg.terms,
                authors=agg.authors,
                top_posts=agg.top_posts,
            )
            held.merge(evidence)
        return True

    def _prune(self) -> None:
        """Drop minutes that fell out of the history (and evidence out of its shorter horizon).

        Dicts keep insertion order, which is time order except for late minutes, so expiry pops
        from the front; a late minute stuck behind a newer one goes in the occasional full sweep.
        """
        oldest = self.latest - self.size + 1
        rows = self._rows
        while rows:
            first = next(iter(rows))
            if first >= oldest:
                break
            del rows[first]
        if len(rows) > self.size:
            for minute in [m for m in rows if m < oldest]:
                del rows[minute]
        horizon = self.latest - self.evidence_minutes
        held = self._evidence
        while held:
            first = next(iter(held))
            if first > horizon:
                break
            del held[first]
        if len(held) > self.evidence_minutes + 1:
            for minute in [m for m in held if m <= horizon]:
                del held[minute]

    # ---- reading -------------------------------------------------------------------------
    def oldest_kept(self) -> int:
        """Minutes older than this are outside the history."""
        return self.latest - self.size + 1

    def minute(self, minute: int) -> tuple[int, int]:
        """(total, negative) of one minute; zeros when nothing was seen."""
        row = self._rows.get(minute)
        if row is None or minute < self.latest - self.size + 1:
            return 0, 0
        return int(row[0]), int(row[1])

    def window(self, first: int, last: int) -> WindowCounts:
        """Sums over minutes first..last inclusive."""
        out = WindowCounts()
        rows = self._rows
        first = max(first, self.latest - self.size + 1)
        if last - first + 1 > len(rows):
            minutes = [m for m in rows if first <= m <= last]
        else:
            minutes = range(first, last + 1)
        get = rows.get
        for minute in minutes:
            row = get(minute)
            if row is None:
                continue
            out.total += row[0]
            out.negative += row[1]
            out.positive += row[2]
            out.reach += row[3]
            out.negative_reach += row[4]
            out.fresh += row[5]
            out.duplicates += row[6]
        return out

    def has_data(self, first: int, last: int) -> bool:
        return self.window(first, last).total > 0

    def series(self, first: int, last: int) -> list[tuple[int, int, int]]:
        """(minute, total, negative) for every minute first..last (zeros included)."""
        out = []
        for minute in range(first, last + 1):
            total, negative = self.minute(minute)
            out.append((minute, total, negative))
        return out

    def distinct_authors(self, first: int, last: int, enough: int) -> int:
        """Distinct authors of negative mentions in minutes first..last, counted up to `enough`;
        -1 when the aggregates carry no authors at all (e.g. a bare count series): unknown, not zero."""
        seen: set[str] = set()
        for agg in self.evidence(first, last):
            seen.update(agg.authors)
            if len(seen) >= enough:
                break
        return len(seen) if seen else -1

    def evidence(self, first: int, last: int) -> list[MinuteAggregate]:
        """Evidence of minutes first..last (only minutes that have some), oldest first."""
        held = self._evidence
        if last - first > len(held):
            return [agg for minute, agg in sorted(held.items()) if first <= minute <= last]
        return [agg for agg in (held.get(m) for m in range(first, last + 1)) if agg is not None]

    # ---- snapshot ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Compact form: only minutes with data; reach rounded; evidence trimmed."""
        oldest = self.latest - self.size + 1
        minutes = sorted(m for m in self._rows if m >= oldest)
        rows = [self._rows[m] for m in minutes]
        cols: dict[str, Any] = {"m": _delta_encode(minutes)}
        for i, name in enumerate(FIELDS):
            values = [row[i] for row in rows]
            cols[name] = [round(v) for v in values] if i in (3, 4) else [int(v) for v in values]
        return {
            "size": self.size,
            "evidence_minutes": self.evidence_minutes,
            "latest": self.latest,
            "counts": cols,
            "evidence": _evidence_snapshot(
                {m: a for m, a in self._evidence.items() if m > self.latest - SNAPSHOT_EVIDENCE_MINUTES}
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], history_minutes: int, evidence_minutes: int) -> RollingState:
        state = cls(history_minutes, evidence_minutes)
        counts = data.get("counts", {})
        minutes = _delta_decode(counts.get("m", []))
        latest = int(data.get("latest", -1))
        for i, minute in enumerate(minutes):
            if minute <= latest - history_minutes:
                continue
            state._rows[minute] = [
                int(counts["total"][i]),
                int(counts["negative"][i]),
                int(counts["positive"][i]),
                float(counts["reach"][i]),
                float(counts["negative_reach"][i]),
                int(counts["fresh"][i]),
                int(counts["duplicates"][i]),
            ]
        state.latest = latest
        for key, value in data.get("evidence", {}).items():
            agg = MinuteAggregate.from_dict(value)
            state._evidence[int(key)] = agg
        state._prune()
        return state


def _delta_encode(values: Iterable[int]) -> list[int]:
    out: list[int] = []
    prev = 0
    for value in values:
        out.append(value - prev)
        prev = value
    return out


def _delta_decode(values: Iterable[int]) -> list[int]:
    out: list[int] = []
    acc = 0
    for value in values:
        acc += int(value)
        out.append(acc)
    return out


def _evidence_snapshot(evidence: dict[int, MinuteAggregate]) -> dict[str, Any]:
    """Keep every minute's small counters but only the best posts overall, with shortened text."""
    ranked: list[tuple[tuple[int, float], int, PostSummary]] = []
    for minute, agg in evidence.items():
        for post in agg.top_posts:
            ranked.append(((1 if post.sentiment == "negative" else 0, post.reach), minute, post))
    ranked.sort(key=lambda item: item[0], reverse=True)
    keep: dict[int, list[PostSummary]] = {}
    for _, minute, post in ranked[:SNAPSHOT_POSTS]:
        keep.setdefault(minute, []).append(post)
    out: dict[str, Any] = {}
    for minute, agg in sorted(evidence.items()):
        posts = []
        for post in keep.get(minute, ()):
            item = _post_dict(post)
            item["text"] = item["text"][:SNAPSHOT_POST_CHARS]
            posts.append(item)
        out[str(minute)] = {
            "minute": agg.minute,
            "platforms": agg.platforms,
            "categories": agg.categories,
            "terms": dict(Counter(agg.terms).most_common(SNAPSHOT_TERMS_PER_MINUTE)),
            "authors": dict(Counter(agg.authors).most_common(SNAPSHOT_AUTHORS_PER_MINUTE)),
            "top_posts": posts,
        }
    return out


def _post_dict(post: PostSummary) -> dict[str, Any]:
    return {name: getattr(post, name) for name in PostSummary.__slots__}
