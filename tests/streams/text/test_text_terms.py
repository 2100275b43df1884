"""Key terms for alert evidence."""

from streams.text.analysis import analyze
from streams.text.terms import STOPWORDS, key_terms


def test_persian_terms_drop_stopwords_urls_handles_numbers_and_emoji():
    view = analyze(
        "سلام، اینترنت نوین‌نت از دیروز قطعه و پشتیبانی هم جواب نمیده https://x.com/a @ali ۱۲۳ 😡 #قطعی_اینترنت"
    )
    assert key_terms(view) == ["اینترنت", "نویننت", "قطعه", "پشتیبانی", "جواب", "نمیده", "#قطعی_اینترنت"]


def test_english_and_finglish_terms():
    assert key_terms(
        analyze("My internet has been down since yesterday, the support is useless!!! #outage")
    ) == [
        "internet",
        "down",
        "support",
        "useless",
        "#outage",
    ]
    assert key_terms(analyze("internetam az dirooz ghat shode va kheili bade")) == [
        "internetam",
        "dirooz",
        "ghat",
        "bade",
    ]


def test_limit_order_dedupe_and_exclude():
    view = analyze("قطعی قطعی اختلال کندی ارور خطا سرور پینگ لگ")
    assert key_terms(view, limit=3) == ["قطعی", "اختلال", "کندی"]
    assert key_terms(view, limit=0) == []
    assert "اختلال" not in key_terms(view, exclude={"اختلال"})


def test_stopwords_are_normalized_when_loaded():
    assert "اینها" in STOPWORDS  # written "این‌ها" in the list
    assert "the" in STOPWORDS and "vali" in STOPWORDS
