"""X (Twitter) API v2: search / timeline / lookup responses and filtered-stream lines.

A response carries tweets in `data` (a list, or one object for a single lookup) and the authors in
`includes.users`, joined on `author_id`; the author's follower count comes from there, which is what
makes reach meaningful. `referenced_tweets` says what a tweet is: a retweet or quote → `reshare_of`,
a reply → `reply_to`; a retweet's like/retweet/reply counts are the original's, so they are not
copied onto the retweet (that would count the original's engagement once per retweet). Long
posts keep their full text in `note_tweet.text`. Filtered-stream lines may carry `matching_rules`;
a rule tagged "brand:<id>" pre-tags the mention with that brand. Entries in `errors` (deleted or
protected tweets in a lookup) are not posts and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from streams.adapters import AdapterOptions, Candidate, Item, Skipped, as_int, drop_none, json_documents

PLATFORM = "twitter"
# X's pseudo-languages: undetermined, media/hashtag/emoji only, no linguistic content.
_NOT_A_LANGUAGE = {"und", "zxx", "art", "qam", "qct", "qht", "qme", "qst", "qag"}
_VERIFIED_TYPES = {"blue", "business", "government"}


def convert(source: BinaryIO | Iterable[bytes], options: AdapterOptions) -> Iterator[Item]:
    for item in json_documents(source):
        if isinstance(item, Skipped):
            yield item
            continue
        where, doc = item
        responses = doc if isinstance(doc, list) and all(_is_response(d) for d in doc) and doc else [doc]
        for number, response in enumerate(responses):
            label = where if len(responses) == 1 else f"{where} response #{number}"
            yield from _response(response, label)


def _is_response(value: Any) -> bool:
    return isinstance(value, dict) and ("data" in value or "errors" in value or "includes" in value)


def _response(doc: Any, where: str) -> Iterator[Item]:
    if isinstance(doc, list):  # a bare list of tweet objects
        tweets, includes, rules = doc, {}, []
    elif isinstance(doc, dict) and _is_response(doc):
        data = doc.get("data")
        tweets = data if isinstance(data, list) else ([data] if isinstance(data, dict) else [])
        includes = doc.get("includes") if isinstance(doc.get("includes"), dict) else {}
        rules = doc.get("matching_rules") if isinstance(doc.get("matching_rules"), list) else []
        for error in doc.get("errors") or []:
            if isinstance(error, dict):
                detail = str(error.get("detail") or error.get("title") or "error")[:200]
                yield Skipped(
                    f"{where} error {error.get('value') or ''}".strip(), "api_error", detail, rejected=False
                )
    elif isinstance(doc, dict) and "id" in doc and "text" in doc:
        tweets, includes, rules = [doc], {}, []
    else:
        yield Skipped(where, "unsupported_shape", "not an X API v2 response (no data, includes or errors)")
        return
    users = {
        str(u["id"]): u
        for u in includes.get("users") or []
        if isinstance(u, dict) and u.get("id") is not None
    }
    brands = sorted(
        {
            tag.split(":", 1)[1].strip()
            for rule in rules
            if isinstance(rule, dict)
            and isinstance(tag := rule.get("tag"), str)
            and tag.startswith("brand:")
            and tag.split(":", 1)[1].strip()
        }
    )
    for position, tweet in enumerate(tweets):
        if not isinstance(tweet, dict):
            yield Skipped(f"{where} data[{position}]", "not_an_object", "tweet is not an object")
            continue
        yield Candidate(
            f"tweet {tweet.get('id', f'data[{position}]')}", tweet_to_mention(tweet, users, brands)
        )


def tweet_to_mention(
    tweet: dict[str, Any], users: dict[str, dict[str, Any]], brands: list[str]
) -> dict[str, Any]:
    author_id = tweet.get("author_id")
    user = users.get(str(author_id)) if author_id is not None else None
    user = user or {}
    user_metrics = user.get("public_metrics") if isinstance(user.get("public_metrics"), dict) else {}
    metrics = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
    note = tweet.get("note_tweet")
    text = note["text"] if isinstance(note, dict) and isinstance(note.get("text"), str) else tweet.get("text")
    reshare_of = reply_to = None
    retweet = False
    for ref in tweet.get("referenced_tweets") or []:
        if not isinstance(ref, dict):
            continue
        if ref.get("type") in ("retweeted", "quoted") and reshare_of is None:
            reshare_of = ref.get("id")
            retweet = ref.get("type") == "retweeted"
        elif ref.get("type") == "replied_to":
            reply_to = ref.get("id")
    if retweet:
        # A retweet reports the original's counts; they belong to the original, not to this copy.
        metrics = {"impression_count": metrics.get("impression_count", 0)}
    username = user.get("username") if isinstance(user.get("username"), str) else None
    tweet_id = tweet.get("id")
    lang = tweet.get("lang")
    verified = bool(user.get("verified")) or user.get("verified_type") in _VERIFIED_TYPES
    reshares = as_int(metrics.get("retweet_count", 0))
    quotes = as_int(metrics.get("quote_count", 0))
    if isinstance(reshares, int) and isinstance(quotes, int):
        reshares += quotes
    return drop_none(
        {
            "id": tweet_id,
            "platform": PLATFORM,
            "text": text,
            "created_at": tweet.get("created_at"),
            "lang": lang if isinstance(lang, str) and lang not in _NOT_A_LANGUAGE else None,
            "url": (
                f"https://x.com/{username}/status/{tweet_id}"
                if username
                else f"https://x.com/i/web/status/{tweet_id}"
            )
            if tweet_id is not None
            else None,
            "author": drop_none(
                {
                    "id": str(author_id) if author_id is not None else None,
                    "handle": username,
                    "followers": as_int(user_metrics.get("followers_count", 0)),
                    "verified": verified,
                }
            ),
            "metrics": {
                "likes": as_int(metrics.get("like_count", 0)),
                "reshares": reshares,
                "replies": as_int(metrics.get("reply_count", 0)),
                "views": as_int(metrics.get("impression_count", 0)),
            },
            "reshare_of": reshare_of,
            "reply_to": reply_to,
            "brands": brands or None,
        }
    )
