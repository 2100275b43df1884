import json

from adapter_support import by_id, run

from streams.adapters import convert


def test_media_page_with_nested_comments_and_replies():
    mentions, invalid, skipped = run("instagram", "instagram_media.json")
    assert invalid == [("media 18034512345678904", "missing_field")]  # no timestamp
    assert [s.reason for s in skipped] == ["no_text"]  # image without caption
    posts = by_id(mentions)
    assert sorted(posts) == sorted(
        [
            "18034512345678901",
            "17890011122233301",
            "17890011122233302",
            "17890011122233303",
            "18034512345678903",
        ]
    )
    media = posts["18034512345678901"]
    assert media.platform == "instagram"
    assert media.text.startswith("جعبه میوه امروز از تازه‌بان")
    assert media.created_at == 1771143300  # 2026-02-15T08:15:00+0000
    assert media.metrics.likes == 523 and media.metrics.replies == 3
    assert media.author.handle == "golnar.kitchen" and media.author.id == "17841400011122233"
    comment = posts["17890011122233301"]
    assert comment.reply_to == "18034512345678901"
    assert comment.url == "https://www.instagram.com/p/C3xYzAbCdEf/"  # the media's permalink
    assert comment.author.id == "17841400099988877"
    reply = posts["17890011122233302"]
    assert reply.reply_to == "17890011122233301"  # answers the comment, not the media
    assert posts["17890011122233303"].author.id == "shiraz.foodie"  # no `from`: the username identifies


def test_reel_carries_owner_followers_and_views():
    reel = by_id(run("instagram", "instagram_media.json")[0])["18034512345678903"]
    assert reel.author.followers == 120400
    assert reel.metrics.views == 98000


def test_webhook_comment_uses_the_entry_time():
    mentions, invalid, skipped = run("instagram", "instagram_webhook.json")
    assert invalid == []
    assert [s.reason for s in skipped] == ["not_a_post"]  # a `mentions` change has no text
    [comment] = mentions
    assert comment.id == "17890011122233399"
    assert comment.created_at == 1771150000
    assert comment.reply_to == "18034512345678901"
    assert comment.author.handle == "ali.reviews"


def test_single_comment_object():
    comment = {
        "id": "1",
        "text": "SepehrPay",
        "timestamp": "2026-02-15T08:15:00+0000",
        "username": "x",
        "media": {"id": "9"},
    }
    [item] = list(convert("instagram", json.dumps(comment).encode()))
    assert item.value["reply_to"] == "9"


def test_unknown_object_is_unsupported():
    [item] = list(convert("instagram", b'{"name": "not instagram"}'))
    assert item.reason == "unsupported_shape" and item.rejected
