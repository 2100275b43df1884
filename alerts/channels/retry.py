"""Delivery with retries: exponential backoff with jitter, Retry-After, and a hard deadline.

A page that arrives an hour late is worse than a page that lands in the dead-letter topic with a
clear error, so retries stop at a deadline and the dispatcher DLQs what did not get through.
Errors that cannot heal by waiting (a 404 webhook, a rejected password) stop at once. Sleep and
clock are injectable so tests check the schedule without waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from alerts.channels.base import Channel, DeliveryFailed
from alerts.notification import Notification

log = logging.getLogger(__name__)

MIN_ATTEMPT_TIMEOUT = 1.0


@dataclass(slots=True)
class RetryPolicy:
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.2  # fraction: each delay is scaled by a random factor in [1 - jitter, 1 + jitter]
    deadline: float = 300.0  # seconds from the first attempt; no attempt starts after it
    attempt_timeout: float = 60.0  # one attempt may not hang longer than this (or past the deadline)

    def backoff(self, retry: int, rand: float = 0.5) -> float:
        """The delay before retry number `retry` (1-based), jittered by `rand` in [0, 1)."""
        base = min(self.initial_backoff * self.multiplier ** (retry - 1), self.max_backoff)
        return max(base * (1 + self.jitter * (2 * rand - 1)), 0.0)


@dataclass(slots=True)
class DeliveryOutcome:
    channel: str
    ok: bool
    attempts: int
    error: str | None
    elapsed: float
    retryable: bool | None = None  # of the last error; None when delivered


async def deliver_with_retry(
    channel: Channel,
    notification: Notification,
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> DeliveryOutcome:
    """Send until delivered, a permanent error, or the deadline. Never raises for delivery errors."""
    start = clock()
    attempts = 0
    while True:
        attempts += 1
        remaining = policy.deadline - (clock() - start)
        try:
            # An attempt started just before the deadline still gets a fair second to finish.
            timeout = min(policy.attempt_timeout, max(remaining, MIN_ATTEMPT_TIMEOUT))
            await asyncio.wait_for(channel.send(notification), timeout=timeout)
        except DeliveryFailed as exc:
            failure = exc
        except TimeoutError:
            failure = DeliveryFailed(
                f"{channel.kind} channel {channel.name!r}: attempt timed out", retryable=True
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a renderer or channel bug must not kill the dispatcher
            log.exception("channel %s raised unexpectedly", channel.name)
            failure = DeliveryFailed(
                f"{channel.kind} channel {channel.name!r}: unexpected {type(exc).__name__}", retryable=False
            )
        else:
            return DeliveryOutcome(channel.name, True, attempts, None, clock() - start)

        elapsed = clock() - start
        if not failure.retryable:
            log.warning("delivery to %s failed permanently: %s", channel.name, failure.message)
            return DeliveryOutcome(channel.name, False, attempts, failure.message, elapsed, False)
        delay = policy.backoff(attempts, rand())
        if failure.retry_after is not None:
            delay = max(failure.retry_after, 0.0)
        if elapsed + delay >= policy.deadline:
            message = f"{failure.message} (gave up after {attempts} attempts: next try would pass the {policy.deadline:g}s deadline)"
            log.warning("delivery to %s failed: %s", channel.name, message)
            return DeliveryOutcome(channel.name, False, attempts, message, elapsed, True)
        log.info(
            "delivery to %s failed (attempt %d), retrying in %.2fs: %s",
            channel.name,
            attempts,
            delay,
            failure.message,
        )
        await sleep(delay)
