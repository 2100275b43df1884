"""Make untrusted text safe for each medium it is rendered into.

Mention text, author handles and terms are written by strangers on the internet. Rendered into a
Slack message they could ping a whole channel (`<!channel>`, `@here`), disguise a link
(`<http://evil|click>`) or break our layout; into an email they could inject headers (CR/LF) or
HTML; into a terminal they could send escape sequences; anywhere, a stray bidi override (U+202E)
could visually reverse the rest of the message. Every renderer passes untrusted text through one
of the functions here, and right-to-left (Persian) runs are wrapped in Unicode isolates so mixed
Persian/English lines render in the right order.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Literal
from urllib.parse import quote, urlsplit

ZWSP = "\u200b"  # zero-width space: breaks a token without visible change
RLI = "\u2067"  # right-to-left isolate
LRI = "\u2066"  # left-to-right isolate
FSI = "\u2068"  # first-strong isolate
PDI = "\u2069"  # pop directional isolate
RLM = "\u200f"  # right-to-left mark
ELLIPSIS = "…"

# Embeddings, overrides, isolates and marks: untrusted text must not carry its own, or an
# unbalanced override could flip everything rendered after it.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_BROADCAST = re.compile(r"([@＠])(?=(?:channel|here|everyone|group)\b)", re.IGNORECASE)
_BACKTICK_RUN = re.compile(r"`(?=`)")
_WHITESPACE = re.compile(r"\s+")
_ISOLATE_OPEN = (RLI, LRI, FSI)

Direction = Literal["rtl", "ltr", "neutral"]


def clean_text(text: str, *, keep_newlines: bool = True) -> str:
    """Drop control characters (terminal escapes, NUL, CR) and bidi controls; keep ZWNJ.

    Persian needs ZWNJ (U+200C, the "half space") so only bidi controls among the format
    characters are removed. Every kind of line break becomes "\\n" (or a space).
    """
    out: list[str] = []
    for ch in str(text):
        if ch in _LINE_BREAKS:
            if ch == "\r":
                continue
            out.append("\n" if keep_newlines else " ")
        elif ch == "\t":
            out.append(" ")
        elif ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: str) -> str:
    """Clean text collapsed to a single line with single spaces."""
    return _WHITESPACE.sub(" ", clean_text(text, keep_newlines=False)).strip()


def header_safe(text: str, limit: int = 200) -> str:
    """A value for an email header: one line, no CR/LF anywhere, bounded length."""
    value = one_line(text)
    for ch in _LINE_BREAKS:
        value = value.replace(ch, " ")
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + ELLIPSIS
    return value


def _defang_broadcasts(text: str) -> str:
    return _BROADCAST.sub(lambda m: m.group(1) + ZWSP, text)


def escape_mrkdwn(text: str, *, keep_newlines: bool = True) -> str:
    """Untrusted text for Slack mrkdwn: nothing in it can ping, link, or open a code block.

    Slack's control sequences all start with `<`, so escaping `&`, `<`, `>` (Slack's documented
    escapes) neutralises `<!channel>`, `<@U123>`, `<#C1>` and `<url|label>`. Bare `@here` /
    `@channel` get a zero-width space so no client or `link_names` setting turns them into pings.
    """
    value = clean_text(text, keep_newlines=keep_newlines)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _BACKTICK_RUN.sub("`" + ZWSP, value)
    return _defang_broadcasts(value)


def escape_html(text: str) -> str:
    """Untrusted text for HTML element content or a quoted attribute."""
    return html.escape(clean_text(text), quote=True)


def defang_plain(text: str) -> str:
    """Untrusted text for plain-text consumers that may forward it to chat (webhook, Alertmanager).

    Alertmanager's own Slack templates do not escape annotations, so `<` gets a zero-width space
    after it (no `<!channel>` or `<http://..|..>` survives) and broadcasts are broken the same way.
    """
    value = clean_text(text).replace("<", "<" + ZWSP)
    return _defang_broadcasts(value)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL safe to put inside a Slack link or an href; None if it is not one.

    Characters that could end a Slack link (`|`, `>`) or an attribute (`"`), whitespace and
    non-ASCII are percent-encoded; other schemes (javascript:, data:) are refused.
    """
    if not url:
        return None
    candidate = str(url).strip()
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(candidate, safe=":/?#[]@!$&'()*+,;=%~-._")


def slack_link(url: str | None, label: str) -> str:
    """A Slack mrkdwn link with an escaped label; just the escaped label if the URL is unsafe."""
    text = escape_mrkdwn(label, keep_newlines=False).replace("|", "¦")
    target = safe_url(url)
    if target is None:
        return text
    return f"<{target}|{text}>"


def _is_rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL")


def text_direction(text: str) -> Direction:
    """Which way a piece of text reads, by its majority of strong characters.

    The Unicode first-strong rule would call "novinnet اینترنتم قطع است" left-to-right; a Persian
    post that starts with a Latin handle or brand name is still a Persian post.
    """
    rtl = ltr = 0
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            rtl += 1
        elif kind == "L":
            ltr += 1
    if rtl == 0 and ltr == 0:
        return "neutral"
    return "rtl" if rtl >= ltr else "ltr"


def has_rtl(text: str) -> bool:
    return any(_is_rtl(ch) for ch in text)


def isolate_bidi(text: str) -> str:
    """Wrap right-to-left text in Unicode isolates, line by line, so it renders in order.

    A line that is mostly Persian is isolated whole (RLI … PDI): its embedded English words and
    numbers stay in Persian reading order. In a mostly-English line, each Persian run is isolated
    so it cannot reorder the English around it. Lines without Persian are left untouched.
    Apply after escaping: isolates are not markup and survive every escaper.
    """
    return "\n".join(_isolate_line(line) for line in text.split("\n"))


def _isolate_line(line: str) -> str:
    if not line or not has_rtl(line):
        return line
    if text_direction(line) == "rtl":
        return RLI + line + PDI
    out: list[str] = []
    i = 0
    n = len(line)
    while i < n:
        if not _is_rtl(line[i]):
            out.append(line[i])
            i += 1
            continue
        # An RTL run: from this RTL char up to the last RTL char before the next strong LTR char.
        j = i
        last_rtl = i
        while j < n and unicodedata.bidirectional(line[j]) != "L":
            if _is_rtl(line[j]):
                last_rtl = j
            j += 1
        out.append(RLI + line[i : last_rtl + 1] + PDI)
        i = last_rtl + 1
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """Shorten rendered text to at most `limit` characters without breaking it.

    Never cuts inside an HTML/mrkdwn entity (`&amp;`) or one of our own `<url|label>` links,
    never leaves an isolate open, and marks the cut with an ellipsis.
    """
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    n = max(limit - 1, 0)
    while n > 0:
        head = text[:n]
        lt, gt = head.rfind("<"), head.rfind(">")
        if lt > gt:
            n = lt
            continue
        amp, semi = head.rfind("&"), head.rfind(";")
        if amp > semi and n - amp <= 10:
            n = amp
            continue
        head = head.rstrip()
        open_isolates = sum(head.count(c) for c in _ISOLATE_OPEN) - head.count(PDI)
        open_isolates = max(open_isolates, 0)
        if open_isolates and head.endswith(_ISOLATE_OPEN):
            # Don't leave an empty isolate behind.
            n = len(head) - 1
            continue
        candidate = head + ELLIPSIS + PDI * open_isolates
        if len(candidate) <= limit:
            return candidate
        n -= len(candidate) - limit
    return ELLIPSIS[:limit]
