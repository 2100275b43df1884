"""The advocates digest's pure core: per brand, the day's top positive high-reach posts.

Crisis alerts tell PR what is going wrong; the digest tells them who is saying something good, so
they can thank those people while it still matters. Once a day, at `send_at` local time, each brand
that had candidates gets one `Digest`: its top-K positive posts by reach, with links.

A digest period is the day that ends at `send_at` in the configured zone ("yesterday 09:00 until
today 09:00", DST-aware), so the morning digest covers exactly the last day. The board keeps a
bounded top-K per brand per period (it is fed the per-brand batches of the enrich stage, whose
`top_positive` carries the best positive posts of every minute) and is small enough to checkpoint
with the brand. What counts as a candidate:
- positive sentiment and reach at or above `min_reach`;
- not a fresh, unverified, nearly follower-less account (the same bot rule as the crisis evidence);
- one entry per post, per author (thank a person once) and per near-duplicate text (copy-paste
  campaigns and reshares of one post count once): a newcomer replaces the entries it collides
  with only if it outranks all of them.

Time: periods come from each post's event time; a digest is due when the wall clock passes the
period's end (the detect stage's tick, like detection). A post that arrives after its period was
sent (ingest lag around `send_at`) rolls into the next digest if it is at most an hour late;
history older than the previous period (a replay) is ignored, and a worker that was down over
`send_at` sends that one missed digest late rather than never, but not digests older than that.
Delivery is exactly once per brand and period: the digest's `key` is the idempotency key the
alert stage claims in Redis before it sends.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from streams.brand_batch import BrandBatch, PostSummary
from streams.config import AdvocatesConfig
from streams.evidence import is_fresh, text_key

SNAPSHOT_VERSION = 1
LATE_ROLLOVER_SECONDS = 3600.0  # a post at most this late for a sent digest goes into the next one
FUTURE_SKEW_SECONDS = 300.0  # posts dated further ahead than this are a producer's clock bug
COUNTS_CHECKPOINT_SECONDS = 600.0  # count-only changes are checkpointed at most this often


@dataclass(frozen=True, slots=True)
class DigestPeriod:
    """`start <= created_at < end`; `key` is the local end time ("2024-05-02T09:00")."""

    start: float
    end: float
    key: str


class DigestSchedule:
    """Daily periods ending at `send_at` (seconds after local midnight) in `timezone`."""

    def __init__(self, send_at_seconds: int, timezone: str) -> None:
        self.send_at_seconds = send_at_seconds
        self.timezone = timezone
        self._zone = ZoneInfo(timezone)
        self._send_at = time(send_at_seconds // 3600, send_at_seconds // 60 % 60, send_at_seconds % 60)
        self._recent: list[DigestPeriod] = []  # lookups fall in the current or previous period

    @classmethod
    def from_config(cls, config: AdvocatesConfig) -> DigestSchedule:
        return cls(config.send_at_seconds, config.timezone)

    def _end_on(self, day: date) -> float:
        return datetime.combine(day, self._send_at, tzinfo=self._zone).timestamp()

    def period_of(self, ts: float) -> DigestPeriod:
        for known in self._recent:
            if known.start <= ts < known.end:
                return known
        day = datetime.fromtimestamp(ts, self._zone).date()
        end = self._end_on(day)
        if end <= ts:
            day += timedelta(days=1)
            end = self._end_on(day)
        start = self._end_on(day - timedelta(days=1))
        fmt = "%Y-%m-%dT%H:%M:%S" if self._send_at.second else "%Y-%m-%dT%H:%M"
        key = datetime.fromtimestamp(end, self._zone).strftime(fmt)
        period = DigestPeriod(start, end, key)
        self._recent = [period, *self._recent[:2]]
        return period

    def local_time(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self._zone).isoformat(timespec="seconds")


@dataclass(slots=True)
class Digest:
    """One brand's advocates for one period: what the alert stage renders and delivers once."""

    brand: str
    period_key: str
    period_start: float
    period_end: float
    timezone: str
    created_at: float  # wall clock when the digest was cut
    posts: list[PostSummary]  # best first
    positive_mentions: int = 0  # every positive mention of the brand in the period
    mentions: int = 0  # every mention of the brand in the period

    @property
    def key(self) -> str:
        """The idempotency key: one delivery per brand and period, whoever cuts it, however often."""
        return f"advocates:{self.brand}:{self.period_key}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Digest:
        data = dict(data)
        data["posts"] = [PostSummary.from_dict(p) for p in data.get("posts", ())]
        return cls(**data)


def _rank(post: PostSummary) -> tuple[float, float, str, str]:
    """Sort key, best first: reach, then the earlier post (the original), then identity for stability."""
    return (-post.reach, post.created_at, post.platform, post.id)


def _collides(a: PostSummary, b: PostSummary) -> bool:
    if a.id == b.id and a.platform == b.platform:
        return True
    if a.author_id == b.author_id and a.platform == b.platform:
        return True
    key = text_key(a.text)
    return bool(key) and key == text_key(b.text)


@dataclass(slots=True)
class PeriodCandidates:
    """The bounded top-K of one brand in one period, plus the period's mention counts."""

    period: DigestPeriod
    posts: list[PostSummary] = field(default_factory=list)  # pairwise non-colliding, best first
    positive: int = 0
    mentions: int = 0

    def offer(self, post: PostSummary, top_k: int) -> bool:
        """Keep `post` if it makes the top-K and beats every entry it duplicates; True if kept."""
        rank = _rank(post)
        if len(self.posts) >= top_k and rank >= _rank(self.posts[-1]):
            return False
        clashes = [held for held in self.posts if _collides(held, post)]
        if any(_rank(held) <= rank for held in clashes):
            return False  # the same post, person or text is already here, with at least this reach
        if clashes:
            self.posts = [held for held in self.posts if not any(held is c for c in clashes)]
        self.posts.append(post)
        self.posts.sort(key=_rank)
        del self.posts[top_k:]
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.period.start,
            "end": self.period.end,
            "key": self.period.key,
            "positive": self.positive,
            "mentions": self.mentions,
            "posts": [asdict(p) for p in self.posts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PeriodCandidates:
        period = DigestPeriod(float(data["start"]), float(data["end"]), str(data["key"]))
        posts = [PostSummary.from_dict(p) for p in data.get("posts", ())]
        return cls(period, posts, int(data.get("positive", 0)), int(data.get("mentions", 0)))


@dataclass(slots=True)
class BrandBoard:
    """One brand's open periods and how far its digests have been sent."""

    sent_upto: float = 0.0  # end of the last period cut (0: none yet)
    partition: int | None = None  # input partition that owns the brand: where its checkpoint goes
    periods: dict[float, PeriodCandidates] = field(default_factory=dict)  # by period end


class AdvocatesBoard:
    """Per-brand top-K boards; `ingest` per enriched batch, `due` on the tick, snapshots per brand."""

    def __init__(self, config: AdvocatesConfig) -> None:
        self.config = config
        self.schedule = DigestSchedule.from_config(config)
        self._boards: dict[str, BrandBoard] = {}
        self._dirty: set[str] = set()  # candidates or sent state changed: checkpoint soon
        self._counts_dirty: dict[str, float] = {}  # only counts changed, since (wall clock)

    # ---- config --------------------------------------------------------------------------
    def update_config(self, config: AdvocatesConfig) -> None:
        """Hot reload. top_k and min_reach apply when a digest is cut; a new schedule re-buckets."""
        old = self.schedule
        self.config = config
        if (config.send_at_seconds, config.timezone) == (old.send_at_seconds, old.timezone):
            return
        self.schedule = DigestSchedule.from_config(config)
        for brand, board in self._boards.items():
            periods = list(board.periods.values())
            board.periods = {}
            for held in periods:
                counts_at = max(held.period.start, board.sent_upto)
                target = self._target(board, counts_at)
                target.positive += held.positive
                target.mentions += held.mentions
                for post in held.posts:
                    self._target(board, max(post.created_at, board.sent_upto)).offer(post, config.top_k)
            self._dirty.add(brand)

    # ---- feeding ---------------------------------------------------------------------------
    def ingest(self, batch: BrandBatch, *, wall_now: float, partition: int | None = None) -> int:
        """Fold one enriched batch in; returns how many posts entered the brand's top-K."""
        if not self.config.enabled or not batch.minutes:
            return 0
        board = self._boards.get(batch.brand)
        if board is None:
            board = self._boards[batch.brand] = BrandBoard()
        if partition is not None:
            board.partition = partition
        current = self.schedule.period_of(wall_now)
        horizon = self.schedule.period_of(current.start - 1).start  # the previous period may still be cut
        future = wall_now + FUTURE_SKEW_SECONDS
        kept = 0
        counted = False
        for minute_start, agg in batch.minutes.items():
            ts = self._placed(board, float(minute_start), horizon, future)
            if ts is not None and (agg.positive or agg.total):
                held = self._target(board, ts)
                held.positive += agg.positive
                held.mentions += agg.total
                counted = True
            for post in agg.top_positive:
                if post.sentiment != "positive" or post.reach < self.config.min_reach or is_fresh(post):
                    continue
                ts = self._placed(board, post.created_at, horizon, future)
                if ts is not None and self._target(board, ts).offer(post, self.config.top_k):
                    kept += 1
        if kept:
            self._dirty.add(batch.brand)
        elif counted:
            self._counts_dirty.setdefault(batch.brand, wall_now)
        return kept

    def _placed(self, board: BrandBoard, ts: float, horizon: float, future: float) -> float | None:
        """The time a post counts at: its own, or the start of the next open period if it is a
        little late for a digest already cut; None if it is too old or too far in the future."""
        if ts > future or ts < horizon:
            return None
        if ts < board.sent_upto:
            if ts < board.sent_upto - LATE_ROLLOVER_SECONDS:
                return None
            return board.sent_upto
        return ts

    def _target(self, board: BrandBoard, ts: float) -> PeriodCandidates:
        period = self.schedule.period_of(ts)
        held = board.periods.get(period.end)
        if held is None:
            held = board.periods[period.end] = PeriodCandidates(period)
        return held

    # ---- cutting digests ------------------------------------------------------------------
    def due(self, wall_now: float) -> list[Digest]:
        """Digests of every period that ended by `wall_now` and was not cut yet (one per brand and
        period); periods older than the previous one are dropped unsent."""
        if not self.config.enabled:
            return []
        current = self.schedule.period_of(wall_now)
        previous_end = current.start
        digests: list[Digest] = []
        for brand, board in self._boards.items():
            ended = sorted(end for end in board.periods if end <= wall_now)
            if not ended:
                continue
            for end in ended:
                held = board.periods.pop(end)
                if end <= board.sent_upto or end < previous_end:
                    continue  # already cut, or stale (the worker was down for days)
                posts = [p for p in held.posts if p.reach >= self.config.min_reach][: self.config.top_k]
                board.sent_upto = end
                if posts:
                    digests.append(
                        Digest(
                            brand=brand,
                            period_key=held.period.key,
                            period_start=held.period.start,
                            period_end=end,
                            timezone=self.schedule.timezone,
                            created_at=wall_now,
                            posts=posts,
                            positive_mentions=held.positive,
                            mentions=held.mentions,
                        )
                    )
            self._dirty.add(brand)
        return digests

    # ---- ownership and checkpoints --------------------------------------------------------
    def brands(self) -> list[str]:
        return sorted(self._boards)

    def partition_of(self, brand: str) -> int | None:
        board = self._boards.get(brand)
        return board.partition if board is not None else None

    def brands_on(self, partitions: set[int]) -> list[str]:
        return sorted(b for b, board in self._boards.items() if board.partition in partitions)

    def forget(self, brand: str) -> None:
        """Drop a brand (its partition moved to another worker, which restores the checkpoint)."""
        self._boards.pop(brand, None)
        self._dirty.discard(brand)
        self._counts_dirty.pop(brand, None)

    def take_dirty(self, wall_now: float) -> list[str]:
        """Brands to checkpoint now: top-K or sent state changed, or counts unsaved for a while."""
        brands = set(self._dirty)
        self._dirty.clear()
        for brand, since in list(self._counts_dirty.items()):
            if brand in brands or wall_now - since >= COUNTS_CHECKPOINT_SECONDS:
                brands.add(brand)
                del self._counts_dirty[brand]
        return sorted(b for b in brands if b in self._boards)

    def snapshot(self, brand: str) -> dict[str, Any]:
        board = self._boards[brand]
        return {
            "v": SNAPSHOT_VERSION,
            "brand": brand,
            "partition": board.partition,
            "sent_upto": board.sent_upto,
            "periods": [held.to_dict() for _, held in sorted(board.periods.items())],
        }

    def restore(self, brand: str, data: dict[str, Any]) -> bool:
        """Adopt a checkpoint (a restart or a rebalance), merged with anything fed since; False if it
        is unreadable or incompatible. Periods saved under another schedule are re-bucketed."""
        if not isinstance(data, dict) or data.get("v") != SNAPSHOT_VERSION:
            return False
        try:
            sent_upto = float(data.get("sent_upto", 0.0))
            partition = data.get("partition")
            saved = [PeriodCandidates.from_dict(raw) for raw in data.get("periods", ())]
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
        board = self._boards.get(brand)
        merging = board is not None
        if board is None:
            board = BrandBoard()
        if sent_upto > board.sent_upto:
            board.sent_upto = sent_upto
            board.periods = {end: held for end, held in board.periods.items() if end > sent_upto}
        if board.partition is None and isinstance(partition, int):
            board.partition = partition
        for held in saved:
            if held.period.end <= board.sent_upto:
                continue
            same = self.schedule.period_of(held.period.start).end == held.period.end
            if same and held.period.end not in board.periods:
                board.periods[held.period.end] = held
                continue
            target = self._target(board, max(held.period.start, board.sent_upto))
            target.positive += held.positive
            target.mentions += held.mentions
            for post in held.posts:
                self._target(board, max(post.created_at, board.sent_upto)).offer(post, self.config.top_k)
        self._boards[brand] = board
        if merging:
            self._dirty.add(brand)
        return True

    def explain(self, brand: str) -> dict[str, Any]:
        """What the brand's next digests hold right now (`bohran advocates show`, /advocates)."""
        board = self._boards.get(brand)
        out: dict[str, Any] = {
            "brand": brand,
            "enabled": self.config.enabled,
            "send_at": self.config.send_at,
            "timezone": self.config.timezone,
            "top_k": self.config.top_k,
            "min_reach": self.config.min_reach,
        }
        if board is None:
            out["periods"] = []
            return out
        out["sent_upto"] = self.schedule.local_time(board.sent_upto) if board.sent_upto else None
        out["periods"] = [
            {
                "key": held.period.key,
                "start": self.schedule.local_time(held.period.start),
                "end": self.schedule.local_time(held.period.end),
                "positive_mentions": held.positive,
                "mentions": held.mentions,
                "posts": [
                    {
                        "id": p.id,
                        "platform": p.platform,
                        "author": p.author_handle or p.author_id,
                        "followers": p.followers,
                        "reach": p.reach,
                        "url": p.url,
                        "created_at": self.schedule.local_time(p.created_at),
                        "text": p.text[:200],
                    }
                    for p in held.posts
                ],
            }
            for _, held in sorted(board.periods.items())
        ]
        return out
