"""Escaping: untrusted text can never ping, link, inject headers/HTML or flip the layout."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from alerts.render.escaping import (
    PDI,
    RLI,
    ZWSP,
    clip,
    defang_plain,
    escape_html,
    escape_mrkdwn,
    header_safe,
    isolate_bidi,
    safe_url,
    slack_link,
    text_direction,
)


def pings(text: str) -> bool:
    """True if Slack could read a mention, broadcast or link control sequence in `text`."""
    if "<" in text:
        return True
    return re.search(r"[@＠](?:channel|here|everyone)\b", text, re.IGNORECASE) is not None


def test_slack_control_sequences_are_escaped_not_removed():
    out = escape_mrkdwn("<!channel> <!here> <@U123> <#C1> <http://evil|click> a & b")
    assert "<" not in out and ">" not in out
    assert "&lt;!channel&gt;" in out
    assert "&lt;http://evil|click&gt;" in out
    assert "a &amp; b" in out


def test_bare_broadcasts_get_a_zero_width_break():
    out = escape_mrkdwn("hey @here and @channel and @Everyone, mail me@hereford.com")
    assert f"@{ZWSP}here" in out and f"@{ZWSP}channel" in out and f"@{ZWSP}Everyone" in out
    assert not pings(out)
    assert "me@hereford.com" in out  # not a broadcast: left alone


def test_backtick_runs_cannot_open_a_code_block():
    out = escape_mrkdwn("```swallow the rest")
    assert "```" not in out


@given(st.text())
def test_escape_mrkdwn_never_leaves_a_control_sequence(text):
    out = escape_mrkdwn(text)
    assert not pings(out)
    assert "\r" not in out
    assert not any(unicodedata.bidirectional(c) in ("RLO", "LRO", "RLE", "LRE", "PDF") for c in out)


@given(st.text())
def test_header_safe_is_one_line(text):
    out = header_safe(text)
    assert "\n" not in out and "\r" not in out and len(out) <= 200


@given(st.text())
def test_escape_html_leaves_no_markup(text):
    out = escape_html(text)
    assert "<" not in out and ">" not in out and '"' not in out


def test_defang_plain_breaks_every_slack_sequence_but_keeps_text_readable():
    out = defang_plain("<!channel> see <http://evil|click> @here")
    assert not re.search(r"<[!@#a-z]", out)
    assert f"@{ZWSP}here" in out
    assert out.replace(ZWSP, "") == "<!channel> see <http://evil|click> @here"


def test_control_and_bidi_override_characters_are_stripped():
    out = escape_mrkdwn("ok\x1b[31mred\x00\u202eevil\u2066x")
    assert "\x1b" not in out and "\x00" not in out and "\u202e" not in out and "\u2066" not in out
    assert "okred" in out.replace("[31m", "")


def test_zwnj_survives_because_persian_needs_it():
    assert "\u200c" in escape_mrkdwn("می\u200cخواهم")


def test_safe_url_refuses_other_schemes_and_encodes_link_breakers():
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url("ftp://x/y") is None
    assert safe_url("https://x.com/a b") == "https://x.com/a%20b"
    url = safe_url("https://x.com/a|<!channel>>")
    assert url is not None and "|" not in url and "<" not in url and ">" not in url
    assert safe_url("https://x.com/\u202egnp.exe") is None


def test_slack_link_with_unsafe_url_is_just_text():
    assert slack_link("javascript:alert(1)", "click") == "click"
    link = slack_link("https://x.com/p?a=1&b=2", "<b>|x")
    assert link.startswith("<https://x.com/p?a=1&b=2|") and link.endswith(">")
    assert link.count("|") == 1 and "&lt;b&gt;" in link


def test_direction_follows_the_majority_not_the_first_letter():
    assert text_direction("novinnet اینترنتم از صبح قطع است") == "rtl"
    assert text_direction("NovinNet is down again") == "ltr"
    assert text_direction("12345 !!") == "neutral"


def test_mostly_persian_line_is_isolated_whole():
    line = "novinnet اینترنتم از صبح قطع است"
    assert isolate_bidi(line) == RLI + line + PDI


def test_persian_run_inside_english_is_isolated_alone():
    out = isolate_bidi("Brand نوین‌نت (NovinNet) is down")
    assert out == f"Brand {RLI}نوین‌نت{PDI} (NovinNet) is down"


def test_isolation_is_per_line_and_skips_english_lines():
    out = isolate_bidi("English only\nفارسی")
    assert out == f"English only\n{RLI}فارسی{PDI}"


@given(st.text(alphabet=st.sampled_from("ab &<>;فارسی\u200c|xy"), max_size=300), st.integers(1, 400))
def test_clip_respects_limit_and_keeps_isolates_balanced(raw, limit):
    text = isolate_bidi(escape_mrkdwn(raw))
    out = clip(text, limit)
    assert len(out) <= limit
    depth = 0
    for ch in out:
        if ch == RLI:
            depth += 1
        elif ch == PDI:
            depth -= 1
            assert depth >= 0
    assert depth == 0
    # No half entity: every '&' still starts a complete entity.
    assert re.search(r"&(?!amp;|lt;|gt;)", out) is None


def test_clip_never_cuts_inside_a_link():
    text = "see " + slack_link("https://example.com/" + "a" * 50, "the post") + " now"
    out = clip(text, 30)
    assert "<" not in out or ">" in out
    assert out.endswith("…")
