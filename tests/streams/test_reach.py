"""Reach: followers, reshare audiences, views as a floor; bounded, monotone, never negative."""

import math

from hypothesis import given
from hypothesis import strategies as st

from streams.mention import Author, Mention, Metrics
from streams.reach import REACH_CAP, RESHARER_AUDIENCE, exposure, reach


def mention(followers=0, reshares=0, views=0, likes=0, replies=0) -> Mention:
    return Mention(
        id="1",
        platform="twitter",
        text="x",
        created_at=1_700_000_000.0,
        author=Author(id="a", followers=followers),
        metrics=Metrics(likes=likes, reshares=reshares, replies=replies, views=views),
    )


def test_the_issue_example_a_reshare_adds_the_resharers_audience():
    # 1,200 followers, reshared once: the resharer's followers see it too.
    assert reach(mention(followers=1200)) == 1200
    assert reach(mention(followers=1200, reshares=1)) == 1200 + RESHARER_AUDIENCE


def test_reshares_dominate_for_viral_posts_of_small_accounts():
    assert reach(mention(followers=150, reshares=2000)) == 150 + 2000 * RESHARER_AUDIENCE


def test_views_are_a_measured_floor_not_an_extra_audience():
    assert reach(mention(followers=1000, views=50_000)) == 50_000
    assert reach(mention(followers=100_000, views=5_000)) == 100_000


def test_engagement_is_a_floor_when_nothing_else_is_known():
    assert reach(mention(likes=40, replies=10)) == 50


def test_resharer_audience_is_a_parameter():
    assert reach(mention(followers=10, reshares=3), resharer_audience=1000) == 3010


def test_never_negative_never_nan_and_bounded():
    assert exposure(-5, -3, -1, -1, -1) == 0
    assert exposure(math.nan) == 0
    assert exposure(10**12, 10**12) == REACH_CAP


COUNTS = st.integers(min_value=0, max_value=10**11)


@given(
    COUNTS,
    COUNTS,
    COUNTS,
    COUNTS,
    COUNTS,
    st.sampled_from(["followers", "reshares", "views", "likes", "replies"]),
    COUNTS,
)
def test_reach_is_monotone_and_bounded(followers, reshares, views, likes, replies, grown, extra):
    base = dict(followers=followers, reshares=reshares, views=views, likes=likes, replies=replies)
    more = dict(base, **{grown: base[grown] + extra})
    before, after = reach(mention(**base)), reach(mention(**more))
    assert 0 <= before <= after <= REACH_CAP
