"""News feeds: RSS 2.0, RSS 1.0 (RDF) and Atom items as mentions.

Feeds come from the open internet, so XML is parsed with `defusedxml` (no entity expansion, no
external entities, no DTD retrieval). A news item is matched on its title and lead (description /
summary, HTML stripped), not the full article: the title is what readers see and share, and whole
articles would bury a passing brand name in noise. Each item's author is the outlet (the feed's
site), so reach is the outlet's audience when the operator passes one (`--followers`).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Iterator
from datetime import UTC
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, BinaryIO
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from streams.adapters import AdapterOptions, Candidate, Item, Skipped, drop_none, read_all

PLATFORM = "news"
LEAD_CHARS = 2000
ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/elements/1.1/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_ID_CHARS = 256


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(elem: Element, *names: str) -> Element | None:
    for name in names:
        for child in elem:
            if _local(child.tag) == name:
                return child
    return None


def _text(elem: Element | None) -> str | None:
    if elem is None:
        return None
    value = "".join(elem.itertext()).strip()
    return value or None


class _TextOnly(HTMLParser):
    """Keeps the text of an HTML fragment (feed descriptions are HTML), drops tags and scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def strip_html(value: str) -> str:
    parser = _TextOnly()
    parser.feed(value)
    parser.close()
    return re.sub(r"\s+", " ", html.unescape("".join(parser.parts))).strip()


def parse_feed_date(value: str | None) -> str | float | None:
    """RFC 822 (RSS `pubDate`) → epoch seconds; ISO 8601 (Atom, dc:date) is passed on as is."""
    if value is None:
        return None
    value = value.strip()
    if value[:4].isdigit() and "-" in value[:8]:
        return value  # ISO 8601; parse_mention validates it
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return value  # parse_mention rejects it as a bad timestamp, with the text
    if parsed.tzinfo is None:  # RFC 2822 "-0000": UTC, local offset unknown
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def convert(source: BinaryIO | Iterable[bytes], options: AdapterOptions) -> Iterator[Item]:
    data = read_all(source)
    if not data.strip():
        return
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException) as exc:
        yield Skipped("feed", "invalid_xml", str(exc)[:200])
        return
    kind = _local(root.tag)
    if kind == "feed":
        yield from _atom(root, options)
    elif kind in ("rss", "RDF"):
        yield from _rss(root, options)
    else:
        yield Skipped("feed", "unsupported_shape", f"root element <{kind}> is neither RSS nor Atom")


def _outlet(site: str | None, title: str | None) -> dict[str, Any]:
    host = urlsplit(site).hostname if site else None
    return drop_none(
        {"id": f"site:{host}" if host else (f"feed:{title}" if title else None), "handle": title}
    )


def _lang(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().split("-")[0].split("_")[0].lower() or None


def _mention_id(guid: str | None, link: str | None, title: str | None, date: Any) -> str:
    for candidate in (guid, link):
        if candidate and len(candidate) <= MAX_ID_CHARS:
            return candidate
    basis = guid or link or f"{title}|{date}"
    return "sha1:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()


def _text_of(title: str | None, lead: str | None) -> str | None:
    lead = strip_html(lead)[:LEAD_CHARS] if lead else None
    title = strip_html(title) if title else None
    if title and lead and not lead.startswith(title):
        return f"{title}\n{lead}"
    return lead or title


def _rss(root: Element, options: AdapterOptions) -> Iterator[Item]:
    channel = _child(root, "channel")
    channel_elem = channel if channel is not None else root
    site = _text(_child(channel_elem, "link"))
    title = _text(_child(channel_elem, "title"))
    lang = _lang(_text(_child(channel_elem, "language")))
    author = {**_outlet(site, title), "followers": options.followers}
    # RSS 2.0 nests items in <channel>; RSS 1.0 puts them beside it.
    items = [e for e in channel_elem if _local(e.tag) == "item"] + [
        e for e in root if _local(e.tag) == "item"
    ]
    for position, item in enumerate(items):
        item_title = _text(_child(item, "title"))
        link = _text(_child(item, "link"))
        guid = _text(_child(item, "guid"))
        date = parse_feed_date(_text(_child(item, "pubDate", "date")))
        where = f"item {guid or link or f'#{position}'}"
        text = _text_of(item_title, _text(_child(item, "description", "summary")))
        if not text:
            yield Skipped(where, "no_text", "item has neither title nor description", rejected=False)
            continue
        yield Candidate(
            where,
            drop_none(
                {
                    "id": _mention_id(guid, link, item_title, date),
                    "platform": options.platform or PLATFORM,
                    "text": text,
                    "created_at": date,
                    "url": link,
                    "lang": lang,
                    "author": author,
                }
            ),
        )


def _atom(root: Element, options: AdapterOptions) -> Iterator[Item]:
    site = _atom_link(root)
    title = _text(_child(root, "title"))
    feed_lang = _lang(root.get(XML_LANG))
    author = {**_outlet(site, title), "followers": options.followers}
    for position, entry in enumerate(e for e in root if _local(e.tag) == "entry"):
        entry_id = _text(_child(entry, "id"))
        link = _atom_link(entry)
        entry_title = _text(_child(entry, "title"))
        date = _text(_child(entry, "published")) or _text(_child(entry, "updated"))
        where = f"entry {entry_id or link or f'#{position}'}"
        text = _text_of(entry_title, _text(_child(entry, "summary")) or _text(_child(entry, "content")))
        if not text:
            yield Skipped(where, "no_text", "entry has neither title nor summary", rejected=False)
            continue
        yield Candidate(
            where,
            drop_none(
                {
                    "id": _mention_id(entry_id, link, entry_title, date),
                    "platform": options.platform or PLATFORM,
                    "text": text,
                    "created_at": date,
                    "url": link,
                    "lang": _lang(entry.get(XML_LANG)) or feed_lang,
                    "author": author,
                }
            ),
        )


def _atom_link(elem: Element) -> str | None:
    fallback = None
    for child in elem:
        if _local(child.tag) != "link":
            continue
        href = child.get("href")
        if href and child.get("rel", "alternate") == "alternate":
            return href
        fallback = fallback or href
    return fallback
