"""Telegram: Telegram Desktop exports (`result.json`) and Bot API `Update` objects.

Telegram is where most Persian-language brand talk happens, and it has no firehose: operators
export channels and groups from Telegram Desktop, or run a bot in them. Both shapes map to the same
mention ids so that a message seen by the bot and later in an export is one mention (dedupe):

    id      = "<chat>/<message>"  where <chat> is the bare chat id: the Bot API's "-100" prefix of
              channels and supergroups is dropped, as Desktop exports write it
    author  = "user<id>" or "channel<id>" (the export's own `from_id` spelling)
    url     = https://t.me/<username>/<message> when the chat is public, else t.me/c/<chat>/<message>

Forwards carry the original post id when the source says it (Bot API forwards from channels);
when it only names the origin (exports, forwards from users), `reshare_of` is "forwarded:<origin>",
which still marks the post as a copy and groups copies of one origin.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from streams.adapters import (
    AdapterOptions,
    Candidate,
    Item,
    Skipped,
    as_int,
    drop_none,
    json_documents,
    localize,
)

PLATFORM = "telegram"
_CHANNEL_ID_OFFSET = 10**12
# Chat types whose messages have a t.me/c/ link (members can open them).
_LINKABLE_EXPORT_TYPES = {"public_channel", "private_channel", "public_supergroup", "private_supergroup"}
_CHANNEL_EXPORT_TYPES = {"public_channel", "private_channel"}
MESSAGE_KEYS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)


def bare_chat_id(chat_id: Any) -> str | None:
    """Bot API chat id → the id Desktop exports use (-1001234567890 → 1234567890, -4567 → 4567).

    The Bot API writes a channel or supergroup as -(10^12 + id) and a basic group as -id.
    """
    if isinstance(chat_id, bool) or not isinstance(chat_id, int | str):
        return None
    try:
        number = int(str(chat_id).strip())
    except ValueError:
        return None
    if number <= -_CHANNEL_ID_OFFSET:
        return str(-number - _CHANNEL_ID_OFFSET)
    return str(abs(number))


def entity_text(value: Any) -> str:
    """Export `text`: a string, or a list of strings and entity objects ({"type", "text", ...})."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return ""


# --------------------------------------------------------------------------------------------------
# Telegram Desktop export
# --------------------------------------------------------------------------------------------------


def convert_export(source: BinaryIO | Iterable[bytes], options: AdapterOptions) -> Iterator[Item]:
    """A single-chat `result.json`, or a full-account export (`chats.list[]`)."""
    zone = options.zone()
    for where, doc in _documents(source):
        if isinstance(doc, Skipped):
            yield doc
            continue
        chats = _export_chats(doc)
        if chats is None:
            yield Skipped(where, "unsupported_shape", "not a Telegram Desktop export (no messages list)")
            continue
        for chat in chats:
            yield from _export_chat(chat, options, zone)


def _documents(source: BinaryIO | Iterable[bytes]) -> Iterator[tuple[str, Any]]:
    for item in json_documents(source):
        if isinstance(item, Skipped):
            yield item.where, item
        else:
            yield item


def _export_chats(doc: Any) -> list[dict[str, Any]] | None:
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("messages"), list):
        return [doc]
    chats = doc.get("chats")
    if isinstance(chats, dict) and isinstance(chats.get("list"), list):
        return [c for c in chats["list"] if isinstance(c, dict) and isinstance(c.get("messages"), list)]
    return None


def _export_chat(chat: dict[str, Any], options: AdapterOptions, zone: Any) -> Iterator[Item]:
    chat_id = bare_chat_id(chat.get("id"))
    chat_name = chat.get("name") if isinstance(chat.get("name"), str) else None
    chat_type = chat.get("type") if isinstance(chat.get("type"), str) else ""
    for position, message in enumerate(chat["messages"]):
        if not isinstance(message, dict):
            yield Skipped(
                f"{chat_name or chat_id} message #{position}", "not_an_object", "message is not an object"
            )
            continue
        message_id = message.get("id")
        where = f"{chat_name or chat_id} message {message_id if message_id is not None else f'#{position}'}"
        if message.get("type", "message") != "message":
            yield Skipped(where, "not_a_post", f"{message.get('type')} message", rejected=False)
            continue
        text = entity_text(message.get("text"))
        if not text.strip():
            yield Skipped(where, "no_text", "message has no text or caption", rejected=False)
            continue
        if chat_id is None or message_id is None:
            yield Skipped(where, "missing_field", "chat id or message id is missing")
            continue
        from_id = message.get("from_id") if isinstance(message.get("from_id"), str) else None
        from_name = message.get("from") if isinstance(message.get("from"), str) else None
        if from_id is None and chat_type in _CHANNEL_EXPORT_TYPES:
            from_id = f"channel{chat_id}"
        is_channel_post = bool(from_id) and from_id == f"channel{chat_id}"
        if "date_unixtime" in message:
            created_at: Any = as_int(message.get("date_unixtime"))
        else:
            date = message.get("date")
            # Exports write `date` in the exporting computer's local time, without an offset.
            created_at = localize(date, zone) if isinstance(date, str) else date
        reactions = message.get("reactions")
        likes = 0
        if isinstance(reactions, list):
            likes = sum(
                r["count"] for r in reactions if isinstance(r, dict) and isinstance(r.get("count"), int)
            )
        reply = message.get("reply_to_message_id")
        forwarded = message.get("forwarded_from")
        yield Candidate(
            where,
            drop_none(
                {
                    "id": f"{chat_id}/{message_id}",
                    "platform": PLATFORM,
                    "text": text,
                    "created_at": created_at,
                    "url": f"https://t.me/c/{chat_id}/{message_id}"
                    if chat_type in _LINKABLE_EXPORT_TYPES
                    else None,
                    "author": drop_none(
                        {
                            "id": from_id or (f"name:{from_name}" if from_name else None),
                            "handle": from_name or (chat_name if is_channel_post else None),
                            # A channel post reaches the channel's subscribers, which exports do not record.
                            "followers": options.followers if is_channel_post else 0,
                        }
                    ),
                    "metrics": {"likes": likes},
                    "reply_to": f"{chat_id}/{reply}"
                    if isinstance(reply, int | str) and reply != ""
                    else None,
                    "reshare_of": f"forwarded:{forwarded}"
                    if isinstance(forwarded, str) and forwarded
                    else None,
                }
            ),
        )


# --------------------------------------------------------------------------------------------------
# Bot API updates
# --------------------------------------------------------------------------------------------------


def convert_bot_updates(source: BinaryIO | Iterable[bytes], options: AdapterOptions) -> Iterator[Item]:
    """One `Update`, an array of them, a `getUpdates` response ({"ok", "result": [...]}) or NDJSON."""
    for where, doc in _documents(source):
        if isinstance(doc, Skipped):
            yield doc
            continue
        if isinstance(doc, dict) and isinstance(doc.get("result"), list):
            updates: list[Any] = doc["result"]
        elif isinstance(doc, list):
            updates = doc
        else:
            updates = [doc]
        for position, update in enumerate(updates):
            label = where if len(updates) == 1 else f"{where} update #{position}"
            yield _bot_update(update, label, options)


def _bot_update(update: Any, where: str, options: AdapterOptions) -> Item:
    if not isinstance(update, dict):
        return Skipped(where, "not_an_object", "update is not an object")
    if "update_id" in update:
        where = f"update {update['update_id']}"
    message = next((update[k] for k in MESSAGE_KEYS if isinstance(update.get(k), dict)), None)
    if message is None:
        if "message_id" in update and "chat" in update:
            message = update  # a bare Message object
        else:
            kinds = ", ".join(k for k in update if k != "update_id") or "empty"
            return Skipped(where, "not_a_post", f"update carries no message ({kinds})", rejected=False)
    text = message.get("text") if isinstance(message.get("text"), str) else message.get("caption")
    if not isinstance(text, str) or not text.strip():
        return Skipped(where, "no_text", "message has no text or caption", rejected=False)
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    chat_id = bare_chat_id(chat.get("id"))
    message_id = message.get("message_id")
    if chat_id is None or message_id is None:
        return Skipped(where, "missing_field", "chat.id or message_id is missing")
    username = chat.get("username") if isinstance(chat.get("username"), str) else None
    if username:
        url: str | None = f"https://t.me/{username}/{message_id}"
    elif chat.get("type") in ("channel", "supergroup"):
        url = f"https://t.me/c/{chat_id}/{message_id}"
    else:
        url = None

    sender = message.get("from") if isinstance(message.get("from"), dict) else None
    sender_chat = message.get("sender_chat") if isinstance(message.get("sender_chat"), dict) else None
    if sender_chat is None and sender is None and chat.get("type") == "channel":
        sender_chat = chat
    if sender_chat is not None:
        sender_chat_id = bare_chat_id(sender_chat.get("id"))
        author = {
            "id": f"channel{sender_chat_id}",
            "handle": sender_chat.get("username") or sender_chat.get("title"),
            "followers": options.followers if sender_chat_id == chat_id else 0,
        }
    elif sender is not None:
        author = {
            "id": f"user{sender.get('id')}",
            "handle": sender.get("username") or _full_name(sender),
        }
    else:
        author = {}

    reply = message.get("reply_to_message")
    reply_to = None
    if isinstance(reply, dict) and reply.get("message_id") is not None:
        reply_chat = reply.get("chat") if isinstance(reply.get("chat"), dict) else chat
        reply_to = f"{bare_chat_id(reply_chat.get('id')) or chat_id}/{reply['message_id']}"
    return Candidate(
        where,
        drop_none(
            {
                "id": f"{chat_id}/{message_id}",
                "platform": PLATFORM,
                "text": text,
                "created_at": message.get("date"),
                "url": url,
                "author": drop_none(author),
                "metrics": {"views": message.get("views") if isinstance(message.get("views"), int) else 0},
                "reply_to": reply_to,
                "reshare_of": _forward_origin(message),
            }
        ),
    )


def _full_name(user: dict[str, Any]) -> str | None:
    name = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))
    return name or None


def _forward_origin(message: dict[str, Any]) -> str | None:
    """The forwarded post's mention id when known, else "forwarded:<origin>"."""
    origin = message.get("forward_origin")
    if isinstance(origin, dict):
        kind = origin.get("type")
        if kind == "channel" and isinstance(origin.get("chat"), dict):
            chat_id = bare_chat_id(origin["chat"].get("id"))
            if origin.get("message_id") is not None:
                return f"{chat_id}/{origin['message_id']}"
            return f"forwarded:channel{chat_id}"
        if kind == "chat" and isinstance(origin.get("sender_chat"), dict):
            return f"forwarded:channel{bare_chat_id(origin['sender_chat'].get('id'))}"
        if kind == "user" and isinstance(origin.get("sender_user"), dict):
            return f"forwarded:user{origin['sender_user'].get('id')}"
        if kind == "hidden_user" and origin.get("sender_user_name"):
            return f"forwarded:{origin['sender_user_name']}"
        return "forwarded:unknown"
    # Bot API before 7.0
    legacy_chat = message.get("forward_from_chat")
    if isinstance(legacy_chat, dict):
        chat_id = bare_chat_id(legacy_chat.get("id"))
        if message.get("forward_from_message_id") is not None:
            return f"{chat_id}/{message['forward_from_message_id']}"
        return f"forwarded:channel{chat_id}"
    legacy_user = message.get("forward_from")
    if isinstance(legacy_user, dict):
        return f"forwarded:user{legacy_user.get('id')}"
    if message.get("forward_sender_name"):
        return f"forwarded:{message['forward_sender_name']}"
    return None
