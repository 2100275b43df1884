from streams.brand_batch import (
    TOP_POSTS_PER_MINUTE,
    BrandBatch,
    BrandBatchBuilder,
    MinuteAggregate,
    PostSummary,
    minute_of,
)


def post(i: int, sentiment: str = "negative", reach: float = 100.0, ts: float = 1_700_000_000.0, **kw) -> PostSummary:
    base = dict(id=f"p{i}", platform="twitter", text=f"t{i}", created_at=ts, author_id=f"a{i}", author_handle=None,
                followers=int(reach), verified=False, reach=reach, reshares=0, views=0, sentiment=sentiment,
                score=-0.8 if sentiment == "negative" else 0.5, category="outage" if sentiment == "negative" else None)
    base.update(kw)
    return PostSummary(**base)


def test_builder_buckets_by_minute_and_counts_sentiment():
    b = BrandBatchBuilder()
    t0 = 1_700_000_000.0
    b.add("x", post(1, ts=t0), ["قطع"])
    b.add("x", post(2, "positive", ts=t0 + 5))
    b.add("x", post(3, ts=t0 + 61))
    b.add("y", post(4, "neutral", ts=t0))
    batches = {bb.brand: bb for bb in b.build()}
    x = batches["x"]
    assert x.mentions == 3 and len(x.minutes) == 2
    first = x.minutes[minute_of(t0)]
    assert (first.total, first.negative, first.positive) == (2, 1, 1)
    assert first.terms == {"قطع": 1} and first.categories == {"outage": 1}
    assert batches["y"].minutes[minute_of(t0)].neutral == 1


def test_top_posts_bounded_and_negative_first_by_reach():
    b = BrandBatchBuilder()
    for i in range(20):
        b.add("x", post(i, "negative" if i % 2 else "positive", reach=float(i * 10)))
    (batch,) = b.build()
    (agg,) = batch.minutes.values()
    assert len(agg.top_posts) == TOP_POSTS_PER_MINUTE
    assert all(p.sentiment == "negative" for p in agg.top_posts)
    assert [p.reach for p in agg.top_posts] == sorted((p.reach for p in agg.top_posts), reverse=True)
    assert agg.top_posts[0].id == "p19"


def test_near_duplicates_and_fresh_accounts_are_counted():
    b = BrandBatchBuilder()
    for i in range(5):
        b.add("x", post(i, reach=1, followers=0), near_duplicate_key="same text")
    (batch,) = b.build()
    (agg,) = batch.minutes.values()
    assert agg.near_duplicates == 4 and agg.new_authors == 5


def test_json_round_trip_and_merge():
    b = BrandBatchBuilder()
    b.add("x", post(1), ["a"])
    (batch,) = b.build()
    again = BrandBatch.from_dict(batch.to_dict())
    assert again.to_dict() == batch.to_dict()
    agg = MinuteAggregate.from_dict(batch.to_dict()["minutes"][0])
    agg.merge(MinuteAggregate.from_dict(batch.to_dict()["minutes"][0]))
    assert agg.total == 2 and agg.terms == {"a": 2} and len(agg.top_posts) == 1  # same post id kept once
