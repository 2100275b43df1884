"""AnalyzedText: the one view of a mention's text every enrich step shares."""

import pytest

from streams.text.analysis import AnalyzedText, analyze
from streams.text.normalizer import TokenKind


def test_fields_of_an_analysis():
    view = analyze("سلام @NovinNet! اینترنت #قطعی_نت 😡 https://t.co/x 1403 hello")
    assert view.raw == "سلام @NovinNet! اینترنت #قطعی_نت 😡 https://t.co/x 1403 hello"
    assert view.normalized == " ".join(view.tokens)
    assert view.tokens == (
        "سلام",
        "@novinnet",
        "!",
        "اینترنت",
        "#قطعی_نت",
        "😡",
        "https://t.co/x",
        "1403",
        "hello",
    )
    assert view.lang == "fa"
    assert view.handles == ("@novinnet",)
    assert view.hashtags == ("#قطعی_نت",)
    assert view.urls == ("https://t.co/x",)
    assert view.emoji == ("😡",)
    assert view.words == ("سلام", "اینترنت", "1403", "hello")
    assert len(view.kinds) == len(view.tokens)


def test_view_is_immutable_and_hashable():
    view = analyze("سلام")
    with pytest.raises(AttributeError):
        view.lang = "en"  # type: ignore[misc]
    assert hash(view) == hash(analyze("سلام"))


def test_hand_built_view_gets_kinds_and_canonical_text():
    view = AnalyzedText("raw", "ignored text", ("سلام", "#تست", "hi"), "fa")
    assert view.kinds == (TokenKind.FA, TokenKind.HASHTAG, TokenKind.LATIN)
    assert view.normalized == "سلام #تست hi"
    assert view.hashtags == ("#تست",)


def test_analysis_of_empty_text():
    view = analyze("")
    assert (view.normalized, view.tokens, view.lang, view.kind_codes) == ("", (), "und", "")
