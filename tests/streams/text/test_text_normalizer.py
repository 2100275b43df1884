"""Normalization and tokenization: the canonical form every enrich step reads."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.text import normalizer
from streams.text.analysis import analyze
from streams.text.normalizer import (
    KIND_BY_CODE,
    TokenKind,
    match_fold,
    normalize,
    squeeze,
    tokenize,
    tokens_and_kinds,
)


def kinds_of(text: str) -> list[TokenKind]:
    return tokens_and_kinds(text)[1]


# --- Persian letters, digits, marks ----------------------------------------------------------


@pytest.mark.parametrize(
    ("arabic_form", "persian_form"),
    [
        ("كيفيت", "کیفیت"),  # Arabic kaf and yeh
        ("ملى", "ملی"),  # alef maksura
        ("مسئول", "مسیول"),  # yeh with hamza folds like its informal spelling
        ("رئیس", "رییس"),
        ("هزينة", "هزینه"),  # teh marbuta
        ("خانۀ", "خانه"),  # heh with yeh above
        ("خانهٔ", "خانه"),  # heh + combining hamza
        ("أسعار", "اسعار"),
        ("إمضا", "امضا"),
        ("مؤسسه", "موسسه"),
    ],
)
def test_arabic_letter_forms_fold_to_persian(arabic_form, persian_form):
    assert normalize(arabic_form) == normalize(persian_form)
    assert normalize(arabic_form) == persian_form


def test_persian_and_arabic_indic_digits_become_ascii():
    assert tokenize("سفارش ۱۲۳۴۵ و ٦٧٨") == ["سفارش", "12345", "و", "678"]
    assert tokenize("قیمت ۱٬۲۰۰٬۰۰۰ تومان") == ["قیمت", "1200000", "تومان"]
    assert tokenize("۲٫۵ گیگ") == ["2.5", "گیگ"]
    assert tokenize("۱۰تا") == ["10", "تا"]


def test_diacritics_tanwin_and_kashida_are_removed():
    assert normalize("مُحَمَّد") == "محمد"
    assert normalize("حتماً") == "حتما"
    assert normalize("نـــــوین") == "نوین"
    assert normalize("اِنتِرنِت") == "انترنت"


def test_madda_written_as_combining_mark_is_kept():
    assert normalize("ا\u0653مد") == "آمد"
    assert normalize("آمد") == "آمد"


@pytest.mark.parametrize("spelling", ["نوین‌نت", "نویننت", "نوین\u200c\u200cنت", "نوین\u200dنت"])
def test_zwnj_and_joiners_inside_a_word_are_removed(spelling):
    assert tokenize(spelling) == ["نویننت"]


def test_spaced_zwnj_and_joined_verb_prefix_give_one_token():
    forms = ["می خوام", "می‌خوام", "میخوام", "مي خوام"]
    assert {normalize(form) for form in forms} == {"میخوام"}
    assert {normalize(form) for form in ["نمی دونم", "نمی‌دونم", "نمیدونم"]} == {"نمیدونم"}


def test_spaced_plural_and_comparative_suffixes_join_their_word():
    assert normalize("کتاب ها") == normalize("کتاب‌ها") == normalize("کتابها") == "کتابها"
    assert normalize("گران تر") == "گرانتر"
    assert normalize("بزرگ ترین") == "بزرگترین"


def test_affix_joining_needs_a_persian_neighbour():
    assert tokenize("ها") == ["ها"]
    assert tokenize("hello ها") == ["hello", "ها"]
    assert tokenize("می 😡") == ["می", "😡"]
    assert tokenize("ها ها") == ["ها", "ها"]  # a suffix does not join another suffix


def test_persian_elongation_collapses_but_doubled_letters_stay():
    assert normalize("خیلیییییی") == "خیلی"
    assert normalize("بدهههه") == "بده"
    assert normalize("رییس") == "رییس"
    assert normalize("ممنون") == "ممنون"


def test_latin_case_accents_and_elongation():
    assert normalize("NovinNet") == "novinnet"
    assert normalize("SOOOOOO") == "soo"
    assert normalize("goooood") == "good"
    assert normalize("Café") == "cafe"
    assert normalize("too good") == "too good"


def test_apostrophes_negations_kept_possessive_dropped():
    assert tokenize("I don’t can't") == ["i", "don't", "can't"]
    assert tokenize("Novinnet's support") == ["novinnet", "support"]


def test_presentation_forms_and_fancy_latin_are_folded():
    assert normalize("ﻧﻮﯾﻦ ﻧﺖ") == "نوین نت"
    assert normalize("ＮＯＶＩＮ") == "novin"
    assert normalize("𝐍𝐨𝐯𝐢𝐧") == "novin"


# --- URLs, handles, hashtags, emoji, punctuation ----------------------------------------------


def test_urls_are_single_lowercased_tokens_without_trailing_punctuation():
    tokens, kinds = tokens_and_kinds("ببینید https://Example.com/Status?id=3. و www.test.ir،")
    assert tokens == ["ببینید", "https://example.com/status?id=3", "و", "www.test.ir"]
    assert kinds == [TokenKind.FA, TokenKind.URL, TokenKind.FA, TokenKind.URL]


def test_handles_are_tokens_but_emails_are_not_handles():
    assert tokens_and_kinds("@NovinNet_Support.") == (["@novinnet_support"], [TokenKind.HANDLE])
    tokens, kinds = tokens_and_kinds("support@novinnet.ir")
    assert TokenKind.HANDLE not in kinds
    assert tokens == ["support", "novinnet", "ir"]


def test_hashtags_keep_underscores_and_normalize_their_words():
    assert tokenize("#نوين_نت") == ["#نوین_نت"]
    assert tokenize("#قطعی‌_اینترنت") == ["#قطعی_اینترنت"]
    assert tokenize("#Novin__Net_") == ["#novin_net"]
    assert tokenize("#خیلییییی_بد") == ["#خیلی_بد"]
    assert kinds_of("#outage") == [TokenKind.HASHTAG]
    assert tokenize("C# code") != ["#code"]


def test_emoji_are_tokens_skin_tones_and_variation_selectors_dropped():
    assert tokenize("بده😡😡👍🏽❤️") == ["بده", "😡", "😡", "👍", "❤"]
    assert set(kinds_of("😡👍")) == {TokenKind.EMOJI}


@pytest.mark.parametrize(
    ("text", "token"),
    [(":)))", ":)"), (":-(((", ":("), ("=))", ":)"), (":D", ":)"), (";)", ";)"), (":|", ":/"), ("<3", "❤")],
)
def test_emoticons_are_canonical(text, token):
    assert tokenize(text) == [token]
    assert kinds_of(text) == [TokenKind.EMOJI]


def test_emoticon_attached_to_a_word():
    assert tokenize("قطعه:(((") == ["قطعه", ":("]


def test_exclamation_and_question_runs():
    assert tokenize("چرا؟") == ["چرا", "?"]
    assert tokenize("چرا؟؟؟") == ["چرا", "??"]
    assert tokenize("واقعا؟!") == ["واقعا", "?!"]
    assert tokenize("wow!!!!") == ["wow", "!!"]
    assert kinds_of("!") == [TokenKind.PUNCT]


def test_other_punctuation_only_separates():
    assert tokenize("سلام،خوبی؛ (تست) «نقل» - ok...") == ["سلام", "خوبی", "تست", "نقل", "ok"]


def test_whitespace_variants_separate_tokens():
    assert tokenize("a\u00a0b\u2003c\td\ne") == ["a", "b", "c", "d", "e"]
    assert normalize("  \n ") == ""
    assert tokenize("") == []


def test_squeeze_is_a_lookup_fallback_for_elongated_latin():
    assert normalize("kheiliiii") == "kheilii"
    assert squeeze("kheilii") == "kheili"


# --- invariants -----------------------------------------------------------------------------

MIXED_ALPHABET = st.sampled_from(
    list("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةۀأإؤئآ")
    + list("abcdefghijklmnopqrstuvwxyzABCXYZ")
    + list("0123456789۰۱۲۳۴۵۶۷۸۹٠١٢")
    + ["\u200c", "\u200d", "\u064e", "\u0651", "\u0640", " ", " ", " ", "\n", "\u00a0"]
    + list("#@_.,!?؟،:;()=-'/")
    + ["😡", "👍", "🏽", "\ufe0f", "❤", "ﻧ", "Ａ"]
    + ["http://", "https://x.ir/", "www.", "می ", " ها", " تر"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(MIXED_ALPHABET, max_size=60).map("".join))
def test_normalize_is_idempotent_and_tokens_agree(text):
    normalized = normalize(text)
    assert normalize(normalized) == normalized
    assert tokenize(normalized) == tokenize(text)
    view = analyze(text)
    assert view.normalized == normalized
    assert list(view.tokens) == tokenize(text)
    assert len(view.kind_codes) == len(view.tokens)
    assert all(token and " " not in token for token in view.tokens)


@settings(max_examples=200, deadline=None)
@given(st.lists(MIXED_ALPHABET, max_size=40).map("".join))
def test_memo_never_changes_results(text):
    warm = tokens_and_kinds(text)
    normalizer.CHUNK_MEMO.clear()
    assert tokens_and_kinds(text) == warm


def test_memo_stays_bounded():
    memo = normalizer._ChunkMemo(capacity=10)
    memo.lookup([f"w{i}" for i in range(55)])
    assert len(memo.young) + len(memo.old) <= 20
    assert memo.lookup(["w54"]) == [("w54", "l", ("w54",))]


def test_kind_codes_map_back_to_kinds():
    view = analyze("سلام hello 12 #tag @user https://a.ir 😡 ! привет")
    assert list(view.kinds) == [KIND_BY_CODE[c] for c in view.kind_codes]
    assert view.kinds == (
        TokenKind.FA,
        TokenKind.LATIN,
        TokenKind.NUMBER,
        TokenKind.HASHTAG,
        TokenKind.HANDLE,
        TokenKind.URL,
        TokenKind.EMOJI,
        TokenKind.PUNCT,
        TokenKind.OTHER,
    )


# --- spelling fold used by matching ---------------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        ("sheypoor", "sheipour", "sheypur", "sheypoor"),
        ("khodro", "khodroo", "khodrou", "khodru"),
        ("tapsi", "tapsy"),
        ("gheymat", "qeymat", "gheimat"),
        ("kharabe", "kharabeh"),
        ("mokhaberat", "mokhaberaat"),
        ("novin", "novin"),
    ],
)
def test_match_fold_meets_finglish_spellings(variants):
    assert len({match_fold(v) for v in variants}) == 1


def test_match_fold_keeps_doubled_consonants_and_spaces():
    assert match_fold("snapp") != match_fold("snap")
    text = "sheypoor va tapsy #tapsy_khoob @q"
    assert len(match_fold(text).split(" ")) == len(text.split(" "))
    assert match_fold("#tapsy_khoob") == "#tapsi_khob"


# --- hazm, as a reference ---------------------------------------------------------------------

PERSIAN_SAMPLES = [
    "اينترنت نوين نت از ديروز قطع است و هيچكس جواب نمي‌دهد!",
    "می خواهم سفارشم را لغو کنم ولی سایت باز نمیشه",
    "کتاب ها و دفتر ها رو فرستادن؟",
    "قیمت‌ها ۲۰ درصد بالا رفته",
    "مُحَمَّد گفت حتماً می‌آیم",
    "اینترنتــــم قطعه",
    "پشتیبانی ایرانسل واقعاً افتضاحه 😡",
    "سفارش شماره ۱۲۳۴۵ هنوز نرسیده است.",
    "هزينه‌ي اضافه كسر كردند",
    "آیا این مشکل حل خواهد شد؟",
]


@pytest.fixture(scope="module")
def hazm_tools():
    hazm = pytest.importorskip("hazm")
    return hazm.Normalizer(), hazm.WordTokenizer(join_verb_parts=False)


def test_hazm_normalized_text_has_the_same_letters_as_ours(hazm_tools):
    """hazm's Normalizer is the reference for Persian; running it first must not change our result.

    hazm also joins compound verbs with ZWNJ (قطع شده → قطع‌شده), which we keep as two tokens; both
    spellings reach the same joined keys in matching, so letters are compared without separators.
    """
    reference, _ = hazm_tools
    for text in PERSIAN_SAMPLES:
        ours = "".join(tokenize(text))
        via_hazm = "".join(tokenize(reference.normalize(text)))
        assert ours == via_hazm, text


def test_persian_words_agree_with_hazm_word_tokenizer(hazm_tools):
    """Every simple word hazm's tokenizer finds is one of our tokens, in the same order.

    (hazm's Normalizer writes compound verbs with ZWNJ, "قطع‌شده", which we leave as two words.)
    """
    reference, word_tokenizer = hazm_tools
    for text in PERSIAN_SAMPLES:
        simple = [
            normalize(w)
            for w in word_tokenizer.tokenize(reference.normalize(text))
            if any(ch.isalpha() for ch in w) and "\u200c" not in w
        ]
        ours = iter(tokenize(text))
        assert all(word in ours for word in simple), text  # subsequence: `in` consumes the iterator
        assert len(simple) >= len(text.split()) // 2
