from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.dedupe import RecentKeys, fingerprint


@dataclass
class Post:
    platform: str
    id: str


def test_second_sighting_inside_the_window_is_a_duplicate():
    recent = RecentKeys(window_s=600, buckets=6)
    assert not recent.seen("twitter", "1", now=1000)
    assert recent.seen("twitter", "1", now=1000)
    assert recent.seen("twitter", "1", now=1599)
    assert not recent.seen("instagram", "1", now=1599)  # same id, other platform: another post
    assert not recent.seen("twitter", "2", now=1599)


def test_a_key_is_forgotten_after_window_plus_one_bucket():
    recent = RecentKeys(window_s=600, buckets=6)  # 100 s buckets
    recent.seen("telegram", "c/1", now=1000)
    recent.seen("telegram", "other", now=1800)  # advances time, evicts old buckets
    assert not recent.seen("telegram", "c/1", now=1800)
    assert len(recent) == 2  # c/1 again (fresh) and other


def test_the_window_runs_from_the_last_sighting():
    recent = RecentKeys(window_s=600, buckets=6)
    first_seen = 0.0
    for minute in range(0, 60):  # re-polled every minute for an hour: one count
        duplicate = recent.seen("twitter", "99", now=first_seen + minute * 60)
        assert duplicate == (minute > 0)


def test_time_going_backwards_cannot_resurrect_a_forgotten_key():
    recent = RecentKeys(window_s=100, buckets=4)
    recent.seen("x", "1", now=0)
    recent.seen("x", "2", now=1000)
    assert not recent.seen("x", "1", now=50)  # forgotten; the clock going back does not bring it back
    assert recent.seen("x", "1", now=60)


def test_memory_is_bounded_and_early_evictions_are_counted():
    recent = RecentKeys(window_s=3600, buckets=4, max_keys=1000)
    for i in range(5000):
        recent.seen("web", str(i), now=i * 0.5)  # 2500 s: spans several buckets
    assert len(recent) <= 1000
    assert recent.early_evictions > 0
    assert recent.seen("web", "4999", now=2500)  # the newest are kept


def test_a_single_overfull_bucket_is_restarted_not_grown():
    recent = RecentKeys(window_s=3600, buckets=1, max_keys=100)
    for i in range(1000):
        recent.seen("web", str(i), now=5)
    assert len(recent) <= 100
    assert recent.seen("web", "999", now=5)


def test_fresh_keeps_the_first_occurrence_in_order():
    recent = RecentKeys()
    posts = [Post("telegram", "1/2"), Post("twitter", "5"), Post("telegram", "1/2"), Post("telegram", "1/3")]
    kept, dropped = recent.fresh(posts, now=10)
    assert kept == [posts[0], posts[1], posts[3]] and dropped == 1
    kept, dropped = recent.fresh([Post("twitter", "5")], now=20)  # a later batch (a retry)
    assert kept == [] and dropped == 1


def test_fingerprint_is_stable_and_separates_fields():
    assert fingerprint("twitter", "1") == fingerprint("twitter", "1")
    assert fingerprint("twitter", "1") != fingerprint("twitte", "r1")


@pytest.mark.parametrize("args", [(0, 1, 1), (10, 0, 1), (10, 1, 0)])
def test_bad_parameters(args):
    with pytest.raises(ValueError):
        RecentKeys(*args)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.floats(0, 50)), max_size=60))
def test_matches_a_reference_model_of_the_guarantee(events):
    """Against a plain dict of last-seen times: inside the window always a duplicate, after window +
    one bucket never; in between either is allowed."""
    window, buckets = 10.0, 5
    recent = RecentKeys(window_s=window, buckets=buckets)
    last_seen: dict[str, float] = {}
    now = 0.0
    for key, step in events:
        now += step / 10
        duplicate = recent.seen("p", key, now)
        previous = last_seen.get(key)
        if previous is None or now - previous >= window + window / buckets:
            assert not duplicate
        elif now - previous < window:
            assert duplicate
        last_seen[key] = now
