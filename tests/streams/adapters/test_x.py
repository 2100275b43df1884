import json

from adapter_support import by_id, run

from streams.adapters import convert
from streams.reach import reach


def test_search_response_joins_authors_and_metrics():
    mentions, invalid, skipped = run("x", "x_search_recent.json")
    assert invalid == []
    assert [(s.reason, s.rejected) for s in skipped] == [("api_error", False)]  # a deleted referenced tweet
    posts = by_id(mentions)
    assert len(posts) == 5
    original = posts["1890001112223334441"]
    assert original.platform == "twitter"
    assert original.author.handle == "mahsa_tech"
    assert original.author.followers == 84210
    assert original.author.verified  # verified_type "blue"
    assert original.metrics.likes == 1930
    assert original.metrics.reshares == 412 + 21  # retweets + quotes
    assert original.metrics.replies == 88
    assert original.metrics.views == 152004
    assert original.url == "https://x.com/mahsa_tech/status/1890001112223334441"
    assert original.lang == "fa"


def test_referenced_tweets_become_reshare_of_and_reply_to():
    posts = by_id(run("x", "x_search_recent.json")[0])
    retweet = posts["1890001112223334442"]
    assert retweet.reshare_of == "1890001112223334441" and retweet.reply_to is None
    # The original's 412 retweets are not the retweet's own: reach is the retweeter's audience.
    assert retweet.metrics.reshares == 0 and retweet.metrics.likes == 0
    assert reach(retweet) < reach(posts["1890001112223334441"]) / 100
    reply = posts["1890001112223334443"]
    assert reply.reply_to == "1890001112223334441" and reply.reshare_of is None
    assert not reply.author.verified  # verified_type "none"
    quote = posts["1890001112223334444"]
    assert quote.reshare_of == "1890001112223334441"
    assert quote.metrics.likes == 340  # a quote is its own post with its own engagement


def test_long_posts_use_note_tweet_and_pseudo_languages_are_dropped():
    posts = by_id(run("x", "x_search_recent.json")[0])
    assert posts["1890001112223334444"].text.endswith("a service they could not use.")
    assert "…" not in posts["1890001112223334444"].text
    emoji_only = posts["1890001112223334445"]
    assert emoji_only.lang is None  # "zxx"
    assert emoji_only.author.handle is None and emoji_only.author.id == "1999000111"  # author not in includes
    assert emoji_only.url == "https://x.com/i/web/status/1890001112223334445"


def test_filtered_stream_lines_pretag_brands_and_bad_lines_are_reported():
    mentions, invalid, _ = run("x", "x_filtered_stream.ndjson")
    assert invalid == [("line 5", "invalid_json")]
    assert [m.id for m in mentions] == ["1890009990001112221", "1890009990001112222", "1890009990001112221"]
    assert mentions[0].brands == ("tazeban",)
    assert mentions[1].brands == ("tazeban",)  # the untagged "complaints" rule adds nothing


def test_single_lookup_and_bare_tweet_lists():
    tweet = {"id": "77", "text": "NovinNet is back", "created_at": "2026-02-15T07:00:00Z", "author_id": "5"}
    lookup = {
        "data": tweet,
        "includes": {"users": [{"id": "5", "username": "u5", "public_metrics": {"followers_count": 9}}]},
    }
    [item] = list(convert("x", json.dumps(lookup).encode()))
    assert item.value["author"] == {"id": "5", "handle": "u5", "followers": 9, "verified": False}
    items = list(convert("x", json.dumps([tweet, {**tweet, "id": "78"}]).encode()))
    assert [i.value["id"] for i in items] == ["77", "78"]


def test_missing_created_at_is_rejected_by_validation_not_guessed():
    body = json.dumps({"data": [{"id": "1", "text": "tazeban"}]}).encode()
    [item] = list(convert("x", body))
    assert "created_at" not in item.value


def test_unrelated_json_is_unsupported():
    items = list(convert("x", b'{"foo": 1}'))
    assert [(i.reason, i.rejected) for i in items] == [("unsupported_shape", True)]
