"""Instagram Graph API: media objects, comments, and `comments` webhook deliveries.

Accepted shapes: one object, a list, an edge page (`{"data": [...], "paging": ...}`), media with
their comments nested (`"comments": {"data": [...]}`, replies nested the same way), and webhook
bodies (`{"object": "instagram", "entry": [{"time", "changes": [{"field": "comments", "value"}]}]}`).

A media object becomes a mention of its caption; a comment becomes a mention of its text with
`reply_to` = the comment it answers or the media it is on. Comments have no permalink of their own,
so they link to their media's. Graph API timestamps look like "2026-03-01T08:15:00+0000".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from streams.adapters import AdapterOptions, Candidate, Item, Skipped, as_int, drop_none, json_documents

PLATFORM = "instagram"


def convert(source: BinaryIO | Iterable[bytes], options: AdapterOptions) -> Iterator[Item]:
    for item in json_documents(source):
        if isinstance(item, Skipped):
            yield item
            continue
        where, doc = item
        if isinstance(doc, dict) and doc.get("object") == "instagram" and isinstance(doc.get("entry"), list):
            yield from _webhook(doc["entry"], where)
        else:
            yield from _objects(doc, where, parent_media=None)


def _objects(doc: Any, where: str, parent_media: dict[str, Any] | None) -> Iterator[Item]:
    if isinstance(doc, dict) and isinstance(doc.get("data"), list) and "id" not in doc:
        doc = doc["data"]  # an edge page
    items = doc if isinstance(doc, list) else [doc]
    for position, obj in enumerate(items):
        label = where if not isinstance(doc, list) else f"{where} item #{position}"
        if not isinstance(obj, dict):
            yield Skipped(label, "not_an_object", "item is not an object")
            continue
        if _is_media(obj):
            yield from _media(obj, label)
        elif "text" in obj and "id" in obj:
            yield from _comment(obj, label, parent_media)
        else:
            yield Skipped(label, "unsupported_shape", "neither an Instagram media object nor a comment")


def _is_media(obj: dict[str, Any]) -> bool:
    return any(k in obj for k in ("media_type", "caption", "permalink", "media_product_type"))


def _edge(obj: dict[str, Any], name: str) -> list[Any]:
    edge = obj.get(name)
    if isinstance(edge, dict) and isinstance(edge.get("data"), list):
        return edge["data"]
    return edge if isinstance(edge, list) else []


def _media(media: dict[str, Any], where: str) -> Iterator[Item]:
    where = f"media {media.get('id', where)}"
    caption = media.get("caption")
    owner = media.get("owner") if isinstance(media.get("owner"), dict) else {}
    username = media.get("username") or owner.get("username")
    if isinstance(caption, str) and caption.strip():
        yield Candidate(
            where,
            drop_none(
                {
                    "id": media.get("id"),
                    "platform": PLATFORM,
                    "text": caption,
                    "created_at": media.get("timestamp"),
                    "url": media.get("permalink"),
                    "author": drop_none(
                        {
                            "id": str(owner["id"]) if owner.get("id") is not None else username,
                            "handle": username,
                            "followers": as_int(owner.get("followers_count", 0)),
                        }
                    ),
                    "metrics": {
                        "likes": as_int(media.get("like_count", 0)),
                        "replies": as_int(media.get("comments_count", 0)),
                        "views": as_int(media.get("view_count", media.get("play_count", 0))),
                    },
                }
            ),
        )
    else:
        yield Skipped(where, "no_text", "media has no caption", rejected=False)
    for comment in _edge(media, "comments"):
        if isinstance(comment, dict):
            yield from _comment(comment, f"comment {comment.get('id')}", media)


def _comment(comment: dict[str, Any], where: str, media: dict[str, Any] | None) -> Iterator[Item]:
    where = f"comment {comment.get('id', where)}"
    media = media or (comment.get("media") if isinstance(comment.get("media"), dict) else None) or {}
    sender = comment.get("from") if isinstance(comment.get("from"), dict) else {}
    username = comment.get("username") or sender.get("username")
    text = comment.get("text")
    if isinstance(text, str) and not text.strip():
        yield Skipped(where, "no_text", "comment has no text", rejected=False)
    else:
        parent = comment.get("parent_id")
        yield Candidate(
            where,
            drop_none(
                {
                    "id": comment.get("id"),
                    "platform": PLATFORM,
                    "text": text,
                    "created_at": comment.get("timestamp"),
                    "url": media.get("permalink"),
                    "author": drop_none(
                        {
                            "id": str(sender["id"]) if sender.get("id") is not None else username,
                            "handle": username,
                        }
                    ),
                    "metrics": {"likes": as_int(comment.get("like_count", 0))},
                    "reply_to": parent if parent is not None else media.get("id"),
                }
            ),
        )
    for reply in _edge(comment, "replies"):
        if isinstance(reply, dict):
            reply = {"parent_id": comment.get("id"), **reply}
            yield from _comment(reply, f"comment {reply.get('id')}", media)


def _webhook(entries: list[Any], where: str) -> Iterator[Item]:
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            yield Skipped(f"{where} entry #{n}", "not_an_object", "entry is not an object")
            continue
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                continue
            value = change["value"]
            if change.get("field") not in ("comments", "live_comments") or "text" not in value:
                yield Skipped(
                    f"{where} entry #{n}", "not_a_post", f"{change.get('field')} change", rejected=False
                )
                continue
            # Comment webhooks carry no timestamp of their own; the entry's `time` is when it happened.
            yield from _comment({"timestamp": entry.get("time"), **value}, f"comment {value.get('id')}", None)
