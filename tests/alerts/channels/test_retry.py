"""The retry loop: backoff with jitter, Retry-After, deadline, permanent errors; on a fake clock."""

from __future__ import annotations

import asyncio

import pytest
from factories import make_notification

from alerts.channels.base import DeliveryFailed
from alerts.channels.retry import RetryPolicy, deliver_with_retry


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedChannel:
    """Fails with the scripted errors in order, then succeeds; records attempt times."""

    kind = "test"

    def __init__(self, clock: FakeClock, errors: list[BaseException], *, cost: float = 0.0) -> None:
        self.name = "scripted"
        self.clock = clock
        self.errors = list(errors)
        self.cost = cost
        self.attempt_times: list[float] = []

    async def send(self, notification) -> None:
        self.attempt_times.append(self.clock.now)
        self.clock.now += self.cost
        if self.errors:
            raise self.errors.pop(0)

    async def aclose(self) -> None:
        return None


def transient(retry_after: float | None = None) -> DeliveryFailed:
    return DeliveryFailed("HTTP 503", retryable=True, retry_after=retry_after)


async def run(channel, clock, policy=None, rand=lambda: 0.5):
    return await deliver_with_retry(
        channel, make_notification(), policy or RetryPolicy(), sleep=clock.sleep, clock=clock, rand=rand
    )


async def test_success_first_time():
    clock = FakeClock()
    outcome = await run(ScriptedChannel(clock, []), clock)
    assert (outcome.ok, outcome.attempts, outcome.error, clock.sleeps) == (True, 1, None, [])


async def test_exponential_backoff_without_jitter_at_midpoint():
    clock = FakeClock()
    channel = ScriptedChannel(clock, [transient() for _ in range(8)])
    outcome = await run(channel, clock)
    assert outcome.ok and outcome.attempts == 9
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]  # capped at max_backoff
    assert outcome.elapsed == pytest.approx(sum(clock.sleeps))


async def test_jitter_stays_within_its_fraction():
    for rand, factor in ((0.0, 0.8), (0.999999, 1.2)):
        clock = FakeClock()
        await run(ScriptedChannel(clock, [transient(), transient()]), clock, rand=lambda r=rand: r)
        assert clock.sleeps == pytest.approx([0.5 * factor, 1.0 * factor], rel=1e-5)


async def test_retry_after_is_honoured_instead_of_backoff():
    clock = FakeClock()
    outcome = await run(ScriptedChannel(clock, [transient(7.0), transient(3.0)]), clock)
    assert outcome.ok and clock.sleeps == [7.0, 3.0]


async def test_retry_after_past_the_deadline_gives_up_without_sleeping():
    clock = FakeClock()
    outcome = await run(ScriptedChannel(clock, [transient(600.0)]), clock, RetryPolicy(deadline=300.0))
    assert not outcome.ok and outcome.attempts == 1 and clock.sleeps == []
    assert "deadline" in outcome.error and outcome.retryable is True


async def test_no_attempt_starts_after_the_deadline():
    clock = FakeClock()
    channel = ScriptedChannel(clock, [transient() for _ in range(100)], cost=1.0)
    outcome = await run(channel, clock, RetryPolicy(deadline=60.0))
    assert not outcome.ok
    assert all(t - 1000.0 < 60.0 for t in channel.attempt_times)
    assert outcome.elapsed < 60.0
    assert outcome.attempts == len(channel.attempt_times) > 3


async def test_permanent_error_stops_at_once():
    clock = FakeClock()
    channel = ScriptedChannel(clock, [DeliveryFailed("HTTP 404: no_service", retryable=False)])
    outcome = await run(channel, clock)
    assert (outcome.ok, outcome.attempts, clock.sleeps) == (False, 1, [])
    assert outcome.error == "HTTP 404: no_service" and outcome.retryable is False


async def test_unexpected_exception_is_an_outcome_not_a_crash():
    clock = FakeClock()
    outcome = await run(ScriptedChannel(clock, [KeyError("bug")]), clock)
    assert not outcome.ok and outcome.attempts == 1 and "KeyError" in outcome.error


async def test_a_hanging_attempt_times_out_and_is_retried():
    class Hangs(ScriptedChannel):
        async def send(self, notification) -> None:
            self.attempt_times.append(self.clock.now)
            if len(self.attempt_times) == 1:
                await asyncio.sleep(10)

    clock = FakeClock()
    channel = Hangs(clock, [])
    outcome = await run(channel, clock, RetryPolicy(attempt_timeout=0.05))
    assert outcome.ok and outcome.attempts == 2 and clock.sleeps == [0.5]


async def test_cancellation_propagates():
    class Hangs(ScriptedChannel):
        async def send(self, notification) -> None:
            await asyncio.sleep(10)

    clock = FakeClock()
    task = asyncio.create_task(run(Hangs(clock, []), clock))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
