"""Brand matching: aliases, handles, hashtags, spacing variants, boundaries, exclusions, scale."""

import random

import pytest

from streams.brand_matcher import MAX_WINDOW_TOKENS, BrandMatcher
from streams.config import BrandConfig
from streams.text.analysis import AnalyzedText, analyze

NOVINNET = BrandConfig(
    id="novinnet",
    name="NovinNet",
    aliases=["نوین نت", "novinnet", "novin net"],
    handles=["@novinnet", "novinnet_support"],
    hashtags=["#نوین_نت"],
    exclude=["نوین نت کافه", "novin net cafe"],
)
TAZEBAN = BrandConfig(id="tazeban", name="Tazeban", aliases=["تازه‌بان", "tazeban"], handles=["@tazeban"])
SNAPP = BrandConfig(id="snapp", name="Snapp", aliases=["اسنپ", "snapp"])
SNAPPFOOD = BrandConfig(id="snappfood", name="SnappFood", aliases=["اسنپ فود", "snappfood", "snapp food"])
SHEYPOOR = BrandConfig(id="sheypoor", name="Sheypoor", aliases=["شیپور", "sheypoor"])
MCI = BrandConfig(id="mci", name="Hamrah-e Aval", aliases=["همراه اول", "hamrah aval"], handles=["@mci_ir"])
DIGIKALA = BrandConfig(
    id="digikala", name="Digikala", aliases=["دیجی‌کالا", "digikala"], substring_ok=["digikala"]
)
ASIATECH = BrandConfig(id="asiatech", name="Asiatech", aliases=["آسیاتک"])

BRANDS = [NOVINNET, TAZEBAN, SNAPP, SNAPPFOOD, SHEYPOOR, MCI, DIGIKALA, ASIATECH]


@pytest.fixture(scope="module")
def matcher() -> BrandMatcher:
    return BrandMatcher(BRANDS)


def brands_in(matcher: BrandMatcher, text: str, pre_tagged=()) -> list[str]:
    return matcher.match(analyze(text), pre_tagged)


@pytest.mark.parametrize(
    "text",
    [
        "اینترنت نوین‌نت قطعه",
        "اینترنت نوین نت قطعه",
        "اینترنت نویننت قطعه",
        "اینترنت نوين نت قطعه",  # Arabic yeh
        "اینترنت نوینـــنت قطعه",  # kashida
        "اینترنت نَوین نت قطعه",  # diacritic
        "#نوین_نت قطعه",
        "#قطعی_نوین_نت",  # the alias inside a longer hashtag
        "#نوین‌نت",
        "@novinnet why is it down",
        "@NovinNet_Support help",
        "NovinNet is down",
        "novin net is down",
        "Novin-Net is down",
        "https://novinnet.ir/status says fine",
        "follow instagram.com/novinnet",
    ],
)
def test_spelling_spacing_and_channel_variants_match(matcher, text):
    assert brands_in(matcher, text) == ["novinnet"]


def test_a_joined_alias_matches_a_spaced_text(matcher):
    # Only "digikala"/"دیجی‌کالا" are configured; people also split it.
    assert brands_in(matcher, "digi kala sent the wrong item") == ["digikala"]
    assert brands_in(matcher, "دیجی کالا جنس اشتباه فرستاد") == ["digikala"]
    assert brands_in(matcher, "دیجیکالا جنس اشتباه فرستاد") == ["digikala"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("snapp driver was late", ["snapp"]),
        ("snappfood order was late", ["snappfood"]),  # "snapp" is not matched inside "snappfood"
        ("snapp food order was late", ["snappfood"]),  # leftmost-longest: the longer alias wins
        ("اسنپ فود دیر آورد", ["snappfood"]),
        ("راننده اسنپ بد بود", ["snapp"]),
        ("snapped a photo", []),
        ("oh snap", []),  # doubled consonants are not folded: snap is not Snapp
        ("اسنپی ها", []),
    ],
)
def test_word_boundaries(matcher, text, expected):
    assert brands_in(matcher, text) == expected


def test_substring_ok_aliases_match_inside_words(matcher):
    assert brands_in(matcher, "my digikalaorder never came") == ["digikala"]
    assert brands_in(matcher, "#mydigikala") == ["digikala"]


@pytest.mark.parametrize(
    "text",
    ["sheypoor", "sheipour", "sheypur", "Sheypour", "شیپور"],
)
def test_finglish_spelling_variants(matcher, text):
    assert brands_in(matcher, f"{text} ads are spam") == ["sheypoor"]


def test_finglish_ezafe_variant(matcher):
    assert brands_in(matcher, "hamrahe aval antenn nadare") == ["mci"]
    assert brands_in(matcher, "hamrah-e aval antenn nadare") == ["mci"]
    assert brands_in(matcher, "hamrah aval antenn nadare") == ["mci"]


@pytest.mark.parametrize(
    "text", ["نوین‌نتو ببندید", "این نوین نته که قطعه", "نویننت‌رو کنسل کردم", "دیجی‌کالام نیومد"]
)
def test_persian_clitics_glued_to_a_name(matcher, text):
    assert brands_in(matcher, text) in (["novinnet"], ["digikala"])


def test_clitics_do_not_open_word_boundaries(matcher):
    assert brands_in(matcher, "اسنپفودو سفارش دادم") == ["snappfood"]
    assert brands_in(matcher, "اسنپتون") == ["snapp"]
    assert brands_in(matcher, "اسنپیار") == []


def test_madda_may_be_left_out(matcher):
    assert brands_in(matcher, "آسیاتک قطعه") == ["asiatech"]
    assert brands_in(matcher, "اسیاتک قطعه") == ["asiatech"]
    assert brands_in(matcher, "اسیا تک قطعه") == ["asiatech"]


def test_exclusion_phrases_unmatch_their_brand_only(matcher):
    assert brands_in(matcher, "کافه نوین نت کافه خوبیه") == []
    assert brands_in(matcher, "I love the novin net cafe") == []
    assert brands_in(matcher, "نوین نت کافه و تازه‌بان") == ["tazeban"]
    # The rule is per mention: an excluded brand stays out even if named again elsewhere.
    assert brands_in(matcher, "نوین نت قطعه، رفتم نوین نت کافه") == []
    assert brands_in(matcher, "#نوین_نت_کافه") == []


def test_several_brands_in_order_of_first_appearance(matcher):
    text = "تازه‌بان دیر آورد، اینترنت نوین نت قطعه، snapp هم نیومد و دوباره تازه بان"
    assert brands_in(matcher, text) == ["tazeban", "novinnet", "snapp"]
    assert brands_in(matcher, "@tazeban و #نوین_نت") == ["tazeban", "novinnet"]
    assert brands_in(matcher, "#نوین_نت و @tazeban") == ["novinnet", "tazeban"]


def test_pre_tagged_ids_only_if_configured(matcher):
    assert brands_in(matcher, "no brand here", ["tazeban", "unknown", "tazeban"]) == ["tazeban"]
    assert brands_in(matcher, "نوین نت قطعه", ["snapp"]) == ["snapp", "novinnet"]
    # The source's tagging is trusted even when the text has an exclusion phrase.
    assert brands_in(matcher, "نوین نت کافه", ["novinnet"]) == ["novinnet"]


def test_nothing_to_match(matcher):
    assert brands_in(matcher, "") == []
    assert brands_in(matcher, "😡😡 !!!") == []
    assert brands_in(matcher, "اینترنت قطعه") == []


def test_hand_built_view_is_accepted(matcher):
    view = AnalyzedText("raw", "", ("اینترنت", "نوین", "نت"), "fa")
    assert matcher.match(view) == ["novinnet"]


def test_shared_alias_returns_every_brand():
    first = BrandConfig(id="a", name="A", aliases=["پارس"])
    second = BrandConfig(id="b", name="B", aliases=["پارس", "parsb"])
    assert BrandMatcher([first, second]).match(analyze("پارس قطعه")) == ["a", "b"]


def test_brand_without_a_word_key_is_only_pre_tagged():
    emoji_only = BrandConfig(id="emoji", name="E", aliases=["🍕"])
    matcher = BrandMatcher([emoji_only])
    assert matcher.match(analyze("🍕 late")) == []
    assert matcher.match(analyze("🍕 late"), ["emoji"]) == ["emoji"]


# --- scale: 10,000 brands --------------------------------------------------------------------

LATIN_SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ta",
    "sa",
    "no",
    "ve",
    "li",
    "da",
    "ba",
    "ne",
    "po",
    "ra",
    "zu",
    "fa",
    "he",
    "gi",
    "lo",
]
PERSIAN_SYLLABLES = [
    "کا",
    "رو",
    "می",
    "تا",
    "سا",
    "نو",
    "وه",
    "لی",
    "دا",
    "با",
    "نه",
    "پو",
    "را",
    "زو",
    "فا",
    "شو",
    "گی",
    "لو",
]


def synthetic_brands(count: int, rng: random.Random) -> list[BrandConfig]:
    """Distinct 4-syllable names (18^4 > 100,000): a Latin alias, a spaced Persian alias, a handle."""
    names: set[tuple[int, ...]] = set()
    while len(names) < count:
        names.add(tuple(rng.randrange(len(LATIN_SYLLABLES)) for _ in range(4)))
    brands = []
    for index, name in enumerate(sorted(names)):
        latin = "".join(LATIN_SYLLABLES[i] for i in name) + "x"  # "x" keeps Latin names apart from words
        persian = (
            "".join(PERSIAN_SYLLABLES[i] for i in name[:2])
            + " "
            + "".join(PERSIAN_SYLLABLES[i] for i in name[2:])
        )
        brands.append(
            BrandConfig(
                id=f"brand{index:05d}", name=latin, aliases=[latin, persian], handles=[f"@{latin}_co"]
            )
        )
    return brands


@pytest.fixture(scope="module")
def ten_thousand() -> tuple[list[BrandConfig], BrandMatcher]:
    brands = synthetic_brands(10_000, random.Random(42))
    return brands, BrandMatcher(brands)


def test_ten_thousand_brands_match_correctly(ten_thousand):
    brands, matcher = ten_thousand
    rng = random.Random(42)
    fillers = ["اینترنت", "قطعه", "و", "سفارش", "نرسید", "the", "app", "is", "down", "😡", "!!", "۱۲۳"]
    for _ in range(400):
        chosen = rng.sample(brands, rng.randint(0, 3))
        parts: list[str] = []
        for brand in chosen:
            parts += rng.sample(fillers, 2)
            form = rng.choice(["latin", "persian", "persian_joined", "persian_zwnj", "handle", "hashtag"])
            latin, persian = brand.aliases
            parts.append(
                {
                    "latin": latin.upper(),
                    "persian": persian,
                    "persian_joined": persian.replace(" ", ""),
                    "persian_zwnj": persian.replace(" ", "\u200c"),
                    "handle": brand.handles[0],
                    "hashtag": "#" + persian.replace(" ", "_"),
                }[form]
            )
        parts += rng.sample(fillers, 2)
        text = " ".join(parts)
        expected = list(dict.fromkeys(brand.id for brand in chosen))
        assert matcher.match(analyze(text)) == expected, text


def test_matching_work_does_not_grow_with_the_number_of_brands(monkeypatch, ten_thousand):
    """The scan looks keys up by hash; count the lookups to show it never iterates over brands."""
    small = BrandMatcher(synthetic_brands(10, random.Random(7)))
    large = ten_thousand[1]
    view = analyze("اینترنت کارو میتا قطعه و the app is down 😡 " * 3)

    class CountingDict(dict):
        lookups = 0

        def get(self, key, default=None):
            CountingDict.lookups += 1
            return super().get(key, default)

    counts = []
    for matcher in (small, large):
        monkeypatch.setattr(matcher, "_word_keys", CountingDict(matcher._word_keys))
        CountingDict.lookups = 0
        matcher.match(view)
        counts.append(CountingDict.lookups)
    # Bounded by the text (tokens × window), never by the brands: with 1,000× the brands, a few
    # more words happen to be key prefixes, nothing more.
    bound = len(view.tokens) * MAX_WINDOW_TOKENS
    assert counts[0] <= counts[1] <= bound
    assert counts[1] < 50
    assert large.match(view) == []  # the syllables are prefixes of names, no name is complete
