"""Complaint categories from Persian (formal, colloquial), Finglish and English text."""

import pytest

from streams.category import CATEGORIES, PRIORITY, CategoryLexicon, categorize, category_scores, inflections
from streams.text.analysis import analyze

EXAMPLES = {
    "outage": [
        "اینترنت نوین نت از دیروز قطع است",  # formal
        "نتم از صبح قطعه، اعصابم خورد شد",  # colloquial
        "سایت از دسترس خارج شده",
        "اپ باز نمیشه، وصل نمیشه اصلا",
        "آنتن نمیده تو خونه",
        "internetam ghat shode",
        "vasl nemishe chand saate",
        "NovinNet is down again",
        "the app is not working since morning",
        "#قطعی_اینترنت",
    ],
    "billing": [
        "مبلغ دو بار از حسابم کسر شد",
        "پولم برنگشت هنوز، یک هفته گذشته",
        "قبض این ماه اشتباهه",
        "درخواست استرداد وجه دادم خبری نشد",
        "pulam bargasht nakhorde",
        "I was charged twice and need a refund",
        "still no refunds after 3 weeks",
    ],
    "delivery": [
        "سفارشم هنوز نرسیده",
        "مرسوله با تاخیر زیاد تحویل شد",
        "پیک دیر اومد و غذا سرد بود",
        "sefaresham naresideh",
        "my order never arrived",
        "delivery delayed again, where is my order",
    ],
    "staff": [
        "کارمند شعبه خیلی بی‌ادب بود",
        "اپراتور پشتیبانی بی احترامی کرد",
        "راننده سرم داد زد",
        "poshtibani kheili bi adab bood",
        "the agent was rude and hung up on me",
    ],
    "defect": [
        "گوشی که خریدم خراب بود",
        "محصول معیوب به دستم رسید",
        "کیفیتش افتضاحه، بی‌کیفیت ترین جنس",
        "یخچال نو نقص فنی داره",
        "kharab bood az aval",
        "the charger arrived broken and the app is buggy",
    ],
    "safety": [
        "پاوربانک آتش گرفت",
        "بعد از خوردن غذا مسموم شدیم",
        "راننده مزاحمت ایجاد کرد",
        "battery caught fire in my bag",
        "food poisoning after the order",
    ],
    "fraud": [
        "با اسم این شرکت کلاهبرداری میکنن",
        "پیامک جعلی فرستادن و حسابم خالی شد",
        "کلاهبردارا پولمو خوردن",
        "kolahbardari ba esme shoma",
        "this is a scam, they stole my money",
        "scammers are using your logo",
    ],
    "price": [
        "قیمت‌ها خیلی گرون شده",
        "تعرفه‌ها سه برابر شده",
        "چقدر گرانه این سرویس",
        "kheili geroon shode",
        "way too expensive after the price hike",
    ],
}


@pytest.mark.parametrize(("category", "text"), [(c, t) for c, texts in EXAMPLES.items() for t in texts])
def test_complaints_get_their_category(category, text):
    assert categorize(analyze(text)) == category, category_scores(analyze(text))


@pytest.mark.parametrize(
    "text",
    [
        "سلام، خسته نباشید",
        "ممنون از پیگیری سریعتون",
        "thanks for the quick answer",
        "merci, kheili khoob bood",
        "",
        "😡😡",
    ],
)
def test_texts_without_a_complaint_topic_have_none(text):
    assert categorize(analyze(text)) is None


def test_a_weak_hint_alone_is_not_enough():
    assert categorize(analyze("یک سوال درباره قیمت داشتم")) is None  # "قیمت" is weak
    assert categorize(analyze("قیمت‌ها خیلی بالا رفته، تعرفه رو چک کنید")) == "price"  # two weak hints


def test_each_distinct_term_counts_once():
    assert category_scores(analyze("قطع قطع قطع قطع"))["outage"] == category_scores(analyze("قطع"))["outage"]


def test_ties_go_to_the_more_serious_category():
    scores = category_scores(analyze("پیک بی ادب بود"))
    assert scores["delivery"] == scores["staff"]
    assert categorize(analyze("پیک بی ادب بود")) == "staff"
    assert PRIORITY.index("safety") < PRIORITY.index("price")


def test_a_stronger_signal_beats_priority():
    assert categorize(analyze("پیک دیر اومد و سفارشم نرسیده")) == "delivery"


def test_multi_word_terms_match_spaced_zwnj_and_joined():
    for text in ["بی ادب", "بی‌ادب", "بیادب"]:
        assert category_scores(analyze(text)).get("staff", 0) >= 1.0, text
    for text in ["وصل نمیشه", "وصل نمی‌شه", "وصل نمی شه"]:
        assert categorize(analyze(text)) == "outage", text


def test_inflected_forms_of_star_terms():
    assert "refunded" in inflections("refund") and "کلاهبرداری" in inflections("کلاهبردار")
    assert categorize(analyze("they refunded nothing")) == "billing"
    assert categorize(analyze("کلاهبردارها")) == "fraud"


def test_custom_lexicon_and_validation():
    lexicon = CategoryLexicon({"price": {"strong": ["arzoon nist"]}, "outage": {"weak": ["kond"]}})
    assert categorize(analyze("aslan arzoon nist"), lexicon) == "price"
    assert categorize(analyze("kond"), lexicon) is None
    with pytest.raises(ValueError, match="unknown categories"):
        CategoryLexicon({"weather": {"strong": ["rain"]}})


def test_shipped_lexicon_covers_every_category():
    assert {categorize(analyze(texts[0])) for texts in EXAMPLES.values()} == set(CATEGORIES)
