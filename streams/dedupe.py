"""Bounded "seen recently" memory of (platform, id): idempotent ingest for re-polls and retries.

The same post reaches `mentions` more than once in ordinary operation: an adapter re-polls a search
and gets overlapping pages, a client retries a request whose 202 it never saw, an export is
ingested after the bot already delivered the same messages. Counting those twice would inflate
exactly the volumes the detectors watch, so the enrich stage drops a mention whose (platform, id)
it has seen within the window.

Structure: a ring of time buckets, each a set of 64-bit key fingerprints (BLAKE2b of
"platform\\x1fid"). A key is checked against every live bucket and (re)written into the current one,
so the window runs from the *last* sighting: a post re-polled every minute for a day is counted
once, not once per window.

Guarantees, stated so they can be tested:
  * a key seen at time t is reported as a duplicate at any t' with t <= t' < t + window_s;
  * it is forgotten no later than t + window_s + bucket_s (bucket_s = window_s / buckets);
  * memory is bounded: at most `max_keys` fingerprints (~100 bytes each) plus one bucket. Under a
    flood of distinct ids the oldest buckets are dropped early (`early_evictions` counts them), so
    the window shrinks instead of memory growing;
  * false duplicates need a 64-bit collision: with a million live keys the chance that a given new
    key collides is about 5e-14.
Time is whatever clock the caller passes (the enrich stage passes wall time); it never moves
backwards inside the structure, so an out-of-order clock cannot resurrect a forgotten key.
State is per process and not checkpointed: after a restart the window starts empty.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable
from typing import Protocol

DEFAULT_WINDOW_S = 6 * 3600.0
DEFAULT_BUCKETS = 12
DEFAULT_MAX_KEYS = 1_000_000


class Keyed(Protocol):
    @property
    def platform(self) -> str: ...

    @property
    def id(self) -> str: ...


def fingerprint(platform: str, mention_id: str) -> int:
    digest = hashlib.blake2b(f"{platform}\x1f{mention_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class RecentKeys:
    """Time-bucketed set of recently seen (platform, id) fingerprints. See the module docstring."""

    def __init__(
        self,
        window_s: float = DEFAULT_WINDOW_S,
        buckets: int = DEFAULT_BUCKETS,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if window_s <= 0 or buckets < 1 or max_keys < 1:
            raise ValueError("window_s, buckets and max_keys must be positive")
        self.window_s = float(window_s)
        self.bucket_s = self.window_s / buckets
        self.max_keys = max_keys
        # (bucket number, fingerprints), oldest first; the last one is the current bucket.
        self._buckets: deque[tuple[int, set[int]]] = deque()
        self._size = 0
        self._now = float("-inf")
        self.early_evictions = 0

    def __len__(self) -> int:
        return self._size

    def _advance(self, now: float) -> set[int]:
        self._now = max(self._now, now)
        number = int(self._now // self.bucket_s)
        # Buckets whose whole span ended more than a window ago can hold nothing still in the window.
        oldest_live = int((self._now - self.window_s) // self.bucket_s)
        while self._buckets and self._buckets[0][0] < oldest_live:
            self._size -= len(self._buckets.popleft()[1])
        if not self._buckets or self._buckets[-1][0] != number:
            self._buckets.append((number, set()))
        return self._buckets[-1][1]

    def seen(self, platform: str, mention_id: str, now: float) -> bool:
        """True if (platform, id) was seen within the window; records this sighting either way."""
        key = fingerprint(platform, mention_id)
        current = self._advance(now)
        duplicate = False
        for _, keys in self._buckets:
            if key in keys:
                duplicate = True
                if keys is not current:
                    keys.discard(key)
                    self._size -= 1
                break
        if key not in current:
            current.add(key)
            self._size += 1
        self._bound()
        return duplicate

    def _bound(self) -> None:
        while self._size > self.max_keys and len(self._buckets) > 1:
            self._size -= len(self._buckets.popleft()[1])
            self.early_evictions += 1
        if self._size > self.max_keys:
            # One bucket alone is over the bound: start a fresh one at the same time.
            number, keys = self._buckets.popleft()
            self._size -= len(keys)
            self.early_evictions += 1
            self._buckets.append((number, set()))

    def fresh[M: Keyed](self, mentions: Iterable[M], now: float) -> tuple[list[M], int]:
        """The mentions not seen within the window (first occurrence wins), and how many were dropped."""
        kept: list[M] = []
        dropped = 0
        for mention in mentions:
            if self.seen(mention.platform, mention.id, now):
                dropped += 1
            else:
                kept.append(mention)
        return kept, dropped
