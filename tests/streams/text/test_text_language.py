"""Language detection: Persian script, English, Finglish, nothing."""

import pytest

from streams.text.analysis import analyze
from streams.text.finglish import ENGLISH, FINGLISH, NEUTRAL, latin_vote


@pytest.mark.parametrize(
    "text",
    [
        "اینترنت از دیروز قطعه و هیچکس جواب نمیده",
        "سرویس‌دهی شرکت در هفته گذشته با اختلال مواجه بود.",
        "@novinnet چرا اینترنت قطعه؟ https://x.com/a",  # Latin handle and URL in a Persian post
        "novinnet باز هم قطع شد",  # a Latin brand name in a Persian post
        "كيفيت خدمات افتضاح است",  # Arabic keyboard
    ],
)
def test_persian_script_is_fa(text):
    view = analyze(text)
    assert (view.lang, view.finglish) == ("fa", False)


@pytest.mark.parametrize(
    "text",
    [
        "My internet has been down since yesterday and nobody answers",
        "The delivery was late and the courier was rude",
        "Novinnet is the worst ISP, never again!!!",
        "I love this app 😍",
        "Thanks for the quick refund",
    ],
)
def test_english_is_en(text):
    view = analyze(text)
    assert (view.lang, view.finglish) == ("en", False)


@pytest.mark.parametrize(
    "text",
    [
        "internetam ghat shode",
        "kheili bade",
        "sefaresham hanooz naresideh, chera?",
        "poshtibani javab nemide, pulam ham bargasht nakhorde",
        "man dige az in service estefade nemikonam",
        "mamnoon az peygiritoon, kheili khoob bood",
        "Novinnet chera inghadr kond shode",
    ],
)
def test_finglish_is_fa_with_flag(text):
    view = analyze(text)
    assert (view.lang, view.finglish) == ("fa", True)


@pytest.mark.parametrize("text", ["", "   ", "12345", "😡😡😡", "!!! ???", ":)"])
def test_no_letters_is_und(text):
    assert analyze(text).lang == "und"


def test_hashtag_only_posts_take_the_hashtags_language():
    assert analyze("#قطعی_اینترنت 😡").lang == "fa"
    assert analyze("#outage #fail").lang == "en"


def test_word_votes():
    assert latin_vote("kheili") == FINGLISH
    assert latin_vote("kheiliii") == FINGLISH  # elongated
    assert latin_vote("the") == ENGLISH
    assert latin_vote("man") == NEUTRAL  # English word and Finglish "I"
    assert latin_vote("mikhoram") > 0  # unknown, Finglish verb shape
    assert latin_vote("disappointing") < 0  # unknown, English spelling
    assert latin_vote("x1") == NEUTRAL
