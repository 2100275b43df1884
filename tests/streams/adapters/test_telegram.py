import json
from datetime import UTC, datetime

import pytest
from adapter_support import by_id, run

from streams.adapters import AdapterError, AdapterOptions, convert
from streams.adapters.telegram import bare_chat_id, entity_text
from streams.dedupe import RecentKeys


def test_channel_export_messages_become_mentions_and_service_messages_are_skipped():
    mentions, invalid, skipped = run("telegram-export", "telegram_export_channel.json", followers=52_000)
    assert invalid == []
    assert sorted(s.reason for s in skipped) == [
        "no_text",
        "not_a_post",
    ]  # channel creation, photo without caption
    posts = by_id(mentions)
    assert sorted(posts) == ["1804417723/118", "1804417723/119", "1804417723/121", "1804417723/122"]
    first = posts["1804417723/118"]
    assert first.platform == "telegram"
    assert first.created_at == 1771061400  # from date_unixtime, not the export's local `date`
    assert first.author.id == "channel1804417723"
    assert first.author.followers == 52_000  # a channel post reaches the subscribers the operator gave
    assert first.metrics.likes == 214 + 37  # reactions
    assert first.url == "https://t.me/c/1804417723/118"


def test_entity_list_text_is_joined_in_order():
    posts = by_id(run("telegram-export", "telegram_export_channel.json")[0])
    assert posts["1804417723/119"].text == (
        "به‌روزرسانی: NovinNet says the outage is fixed. Details: statement #نوین_نت"
    )
    assert entity_text(["a", {"type": "bold", "text": "b"}, {"type": "x"}, 5, "c"]) == "abc"
    assert entity_text(None) == ""


def test_export_forwards_and_replies():
    posts = by_id(run("telegram-export", "telegram_export_channel.json")[0])
    assert posts["1804417723/121"].reshare_of == "forwarded:کانال مشتریان تازه‌بان"
    assert posts["1804417723/122"].reply_to == "1804417723/118"
    assert posts["1804417723/118"].reshare_of is None and posts["1804417723/118"].reply_to is None


def test_account_export_without_unixtime_needs_a_timezone():
    mentions, invalid, skipped = run("telegram-export", "telegram_export_account.json")
    assert mentions == []
    assert [reason for _, reason in invalid] == ["bad_timestamp", "bad_timestamp"]  # naive local times
    assert [s.reason for s in skipped] == ["not_a_post"]

    mentions, invalid, _ = run("telegram-export", "telegram_export_account.json", timezone="Asia/Tehran")
    assert invalid == []
    posts = by_id(mentions)
    # 09:12:44 in Tehran (UTC+03:30) is 05:42:44 UTC
    assert posts["1922001455/5031"].created_at == datetime(2026, 2, 15, 5, 42, 44, tzinfo=UTC).timestamp()
    assert posts["1922001455/5031"].author.id == "user5523190042"
    assert posts["1922001455/5031"].author.followers == 0  # group members are not the channel's audience
    assert posts["1922001455/5032"].reply_to == "1922001455/5031"


def test_unknown_timezone_is_an_adapter_error():
    with pytest.raises(AdapterError, match="timezone"):
        list(convert("telegram-export", b"{}", AdapterOptions(timezone="Mars/Olympus")))


def test_not_an_export_is_reported_not_crashed():
    items = list(convert("telegram-export", b'{"hello": "world"}'))
    assert [(i.reason, i.rejected) for i in items] == [("unsupported_shape", True)]
    items = list(convert("telegram-export", b"not json at all"))
    assert [i.reason for i in items] == ["invalid_json"]


def test_bot_updates_map_chat_sender_forward_and_reply():
    mentions, invalid, skipped = run("telegram-bot", "telegram_bot_updates.json", followers=52_000)
    assert invalid == []
    # sticker without caption, callback query: not posts
    assert sorted(s.reason for s in skipped) == ["no_text", "not_a_post"]
    ids = [m.id for m in mentions]
    assert ids == [
        "1804417723/118",
        "1922001455/5031",
        "1922001455/5032",
        "1922001455/5040",
        "1922001455/5032",
        "6100234987/77",
    ]
    channel_post, shirin, arash, forward, edit, private = mentions
    assert channel_post.url == "https://t.me/fanavari_rooz_news/118"
    assert channel_post.metrics.views == 48210
    assert channel_post.author.id == "channel1804417723" and channel_post.author.followers == 52_000
    assert shirin.author.handle == "Shirin K." and shirin.url == "https://t.me/c/1922001455/5031"
    assert arash.author.handle == "arash_dev_92" and arash.reply_to == "1922001455/5031"
    assert forward.text == "قطعی گسترده اینترنت نوین‌نت در شمال تهران"  # the caption
    assert forward.reshare_of == "1804417723/118"  # the original post's mention id
    assert edit.text.endswith("(edit: two hours)")
    assert private.url is None and private.reshare_of == "forwarded:user5523190042"


def test_bot_and_export_give_the_same_ids_so_the_same_message_is_counted_once():
    exported = run("telegram-export", "telegram_export_channel.json")[0]
    from_bot = run("telegram-bot", "telegram_bot_updates.json")[0]
    recent = RecentKeys()
    fresh, dropped = recent.fresh(exported + from_bot, now=0.0)
    # The channel post 118 is in both; the edited message repeats 5032.
    assert dropped == 2
    assert len(fresh) == len(exported) + len(from_bot) - 2


def test_single_update_and_ndjson_of_updates_are_accepted():
    update = {
        "update_id": 1,
        "message": {
            "message_id": 3,
            "chat": {"id": -1001, "type": "group"},
            "from": {"id": 9, "first_name": "Ali"},
            "date": 1771061400,
            "text": "تازه بان",
        },
    }
    single = list(convert("telegram-bot", json.dumps(update).encode()))
    assert [i.value["id"] for i in single] == ["1001/3"]
    ndjson = (
        json.dumps(update)
        + "\n"
        + json.dumps({**update, "update_id": 2, "message": {**update["message"], "message_id": 4}})
        + "\n"
    ).encode()
    assert [i.value["id"] for i in convert("telegram-bot", ndjson)] == ["1001/3", "1001/4"]


def test_bare_chat_ids():
    assert bare_chat_id(-1001804417723) == "1804417723"
    assert bare_chat_id(-4567) == "4567"
    assert bare_chat_id(6100234987) == "6100234987"
    assert bare_chat_id(None) is None and bare_chat_id(True) is None
    assert bare_chat_id(-1000000000001) == "1"
    assert bare_chat_id("-1001804417723") == "1804417723"
    assert bare_chat_id("not a number") is None
