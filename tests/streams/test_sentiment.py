"""Sentiment: lexicon rules, the linear model's fast path, the shipped scorer and its figures."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from streams.sentiment import SentimentScorer, default_lexicon, default_model, default_weights
from streams.sentiment_eval import evaluate_by_language, parse_labelled_lines
from streams.sentiment_model import (
    DENSE_FEATURES,
    K_LEX,
    K_MARK,
    K_PLAIN,
    K_QMARK,
    LABELS,
    NEG_POST,
    LinearSentimentModel,
    SentimentWeights,
    canonical_word,
    lexicon_signals,
    mention_facts,
    parse_lexicon,
    rejoin_affixes,
    sparse_features,
    token_facts,
)
from streams.text.analysis import analyze

CORPUS = Path(__file__).resolve().parents[2] / "training" / "corpus"
F = {name: i for i, name in enumerate(DENSE_FEATURES)}

# A tiny lexicon, tokenized by str.split, so the rule tests depend on neither the shipped data
# nor the text core's normalizer.
TINY = parse_lexicon(
    [
        "# comment",
        "good\tpolar\t2",
        "bad\tpolar\t-2",
        "problem\tpolar\t-1",
        "well done\tpolar\t3",
        "خوب\tpolar\t2",
        "بد\tpolar\t-2",
        "مشکل\tpolar\t-1",
        "دقیقه\tpolar\t0",
        "دقیق\tpolar\t1",
        "میارزه\tpolar\t1.5",
        "not\tneg_pre\t0",
        "no\tneg_pre\t-0.5",
        "نیست\tneg_post\t0",
        "نمیده\tneg_post\t-0.8",
        "very\tintens\t1.5",
        "هیچ\tconcord\t1.3",
        "but\tcontrast\t1",
        "ولی\tcontrast\t1",
        "why\tquestion\t1",
        "is\tquestion_lead\t1",
        "average\tneutral\t1",
        "🙄\tsarcasm\t-1",
        "😡\tpolar\t-3",
    ],
    str.split,
)


def signals(text: str, lang: str = "en", lexicon=TINY) -> tuple[dict[str, float], int]:
    dense, cut = lexicon_signals(mention_facts(text.split(), lexicon), lang, False)
    return dict(zip(DENSE_FEATURES, dense, strict=True)), cut


def net(text: str, lang: str = "en") -> float:
    """Signed lexicon polarity of a text (inverse of the log1p squashing of pos/neg)."""
    s, _ = signals(text, lang)
    return math.expm1(s["lex_pos"]) - math.expm1(s["lex_neg"])


# --- canonical tokens and affixes -------------------------------------------------------------------


def test_canonical_word_folds_letters_marks_and_elongation() -> None:
    assert canonical_word("كيفيت") == canonical_word("کیفیت") == "کیفیت"
    assert canonical_word("می\u200cخوام") == "میخوام"
    assert canonical_word("عالییییی") == "عالی"
    assert canonical_word("Soooo") == "soo"
    assert canonical_word("goooood") == "good"
    assert canonical_word("can't") == "cant"
    assert canonical_word("۲۰") == "20"


def test_rejoin_affixes_glues_prefixes_and_plural_suffixes() -> None:
    assert rejoin_affixes(["بی", "کیفیت", "بود"]) == ["بیکیفیت", "بود"]
    assert rejoin_affixes(["نمی", "ارزه"]) == ["نمیارزه"]
    assert rejoin_affixes(["سفارش", "ها", "دیر"]) == ["سفارشها", "دیر"]
    assert rejoin_affixes(["ها", "good"]) == ["ها", "good"]  # nothing Persian to attach to


# --- lexicon parsing and lookups ------------------------------------------------------------------


def test_parse_lexicon_sorts_entries_into_words_phrases_and_marks() -> None:
    assert TINY.words["good"][1] == 2.0
    assert TINY.phrases["well"] == {"done": (((), 3.0),)}
    assert TINY.marks["🙄"] == (-1.0, True)
    assert TINY.marks["😡"] == (-3.0, False)


def test_parse_lexicon_reports_the_bad_line() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_lexicon(["good\tpolar\t1", "oops\tsmiley\t1"], str.split)


def test_suffixes_and_negated_verbs_are_derived_but_listed_words_are_final() -> None:
    assert TINY.polar_of("خوبه") == 2.0  # colloquial copula
    assert TINY.polar_of("مشکلی") == -1.0
    assert TINY.polar_of("نمیارزه") < 0  # negated form of a positive verb
    assert TINY.polar_of("دقیقه") == 0.0  # "minute" is listed as 0, not "accurate" + ه
    assert TINY.polar_of("goods") == 2.0
    assert TINY.polar_of("unrelated") == 0.0


def test_token_kinds() -> None:
    assert token_facts("?!", TINY).kind == K_QMARK
    assert token_facts("😡", TINY).kind == K_MARK
    assert token_facts("good", TINY).kind == K_LEX
    assert token_facts("table", TINY).kind == K_PLAIN
    assert token_facts("https://x.co/a", TINY).key == "<url>"
    assert token_facts("@someone", TINY).key == "<handle>"
    assert token_facts("نمیندازه", TINY).role == NEG_POST  # unlisted negated verb closes a clause


def test_hashtag_parts_carry_polarity() -> None:
    facts = token_facts("#very_bad_service", TINY)
    assert facts.parts == ("very", "bad", "service")
    assert facts.polarity == -2.0


# --- the rules --------------------------------------------------------------------------------------


def test_english_negation_flips_forward_and_not_bad_is_only_mildly_good() -> None:
    assert net("good") > 0 > net("not good")
    assert 0 < net("not bad") < net("good")
    assert net("never had any problem".replace("never", "not")) > 0


def test_persian_negation_flips_backward() -> None:
    assert net("خوب", "fa") > 0 > net("خوب نیست", "fa")
    assert net("بد نیست", "fa") > 0
    assert signals("خوب نیست", "fa")[0]["negation"] == 1.0


def test_negated_verb_with_nothing_to_flip_carries_its_own_polarity() -> None:
    assert net("اینترنت سرعت نمیده", "fa") < 0
    assert net("no internet") < 0


def test_concord_keeps_the_noun_open_to_a_distant_negated_verb() -> None:
    assert net("هیچ مشکل با این سرویس جدید نیست", "fa") > 0
    assert net("مشکل با این سرویس جدید نیست", "fa") < 0  # without هیچ the verb is too far


def test_intensifier_scales_the_next_polar_word() -> None:
    assert net("very good") == pytest.approx(1.5 * net("good"))
    assert net("very nice day good") == pytest.approx(net("good"))  # out of reach


def test_phrases_take_precedence_over_their_words() -> None:
    assert net("well done") == pytest.approx(3.0)


def test_contrast_clause_dominates_and_marks_the_cut() -> None:
    s, cut = signals("good food but bad delivery")
    assert cut == 3
    assert s["contrast"] == 1.0
    assert s["after_contrast_net"] < 0
    assert net("good food but bad delivery") < 0 < net("bad delivery but good food")
    assert net("خوب بود ولی بد", "fa") < 0


def test_questions_emoji_sarcasm_and_neutral_cues() -> None:
    s, _ = signals("why is it down ?")
    assert s["question_mark"] == s["question_word"] == s["question_no_polar"] == 1.0
    s, _ = signals("good 🙄")
    assert s["sarcasm_mark"] == s["sarcasm_with_praise"] == 1.0
    s, _ = signals("😡 😡")
    assert s["emoji_neg"] == pytest.approx(math.log1p(6.0))
    assert signals("average")[0]["neutral_cue"] == 1.0
    assert signals("is it open")[0]["question_word"] == 1.0
    assert signals("it is open")[0]["question_word"] == 0.0


def test_script_features() -> None:
    assert signals("خوب", "fa")[0]["script_fa"] == 1.0
    assert signals("good", "en")[0]["script_en"] == 1.0
    dense, _ = lexicon_signals(mention_facts(["kheili", "khoob"], TINY), "fa", True)
    assert dense[F["script_finglish"]] == 1.0 and dense[F["script_fa"]] == 0.0


def test_sparse_features_scale_tokens_before_the_contrast() -> None:
    facts = mention_facts(["good", "but", "bad"], TINY)
    features = sparse_features(facts, cut=2)
    assert features["w|good"] == pytest.approx(0.5 / math.sqrt(3))
    assert features["w|bad"] == pytest.approx(1.0 / math.sqrt(3))
    assert any(name.startswith("c|") for name in features)


# --- weights and the fast path -----------------------------------------------------------------------


def _reference_logits(model: LinearSentimentModel, text: str) -> list[float]:
    """bias + dense·W + sparse·W computed the slow, obvious way from training-side features."""
    view = analyze(text)
    facts = mention_facts(view.tokens, model.lexicon)
    dense, cut = lexicon_signals(facts, view.lang, view.finglish)
    logits = list(model.weights.bias)
    for x, row in zip(dense, model.weights.dense, strict=True):
        for k in range(3):
            logits[k] += x * row[k]
    for name, x in sparse_features(facts, cut).items():
        row = model.weights.weight_of(name)
        if row is not None:
            for k in range(3):
                logits[k] += x * row[k]
    return logits


def test_fast_path_equals_the_reference_dot_product_on_the_corpus() -> None:
    model = default_model()
    items = parse_labelled_lines((CORPUS / "heldout.tsv").read_text(encoding="utf-8").splitlines())
    assert items
    for item in items:
        view = analyze(item.text)
        fast = model.logits(view.tokens, view.lang, view.finglish)
        ref = _reference_logits(model, item.text)
        assert fast[0] == pytest.approx(ref[0] - ref[1], abs=1e-9), item.text
        assert fast[2] == pytest.approx(ref[2] - ref[1], abs=1e-9), item.text


def test_token_memo_is_bounded_and_does_not_change_results() -> None:
    model = LinearSentimentModel(default_lexicon(), default_weights())
    model._CACHE_LIMIT = 5
    texts = ["سرعت اینترنت خیلی پایینه و قطع میشه", "great food, thanks!", "kheili khoob bood"]
    views = [analyze(t) for t in texts]
    first = [model.predict(v.tokens, v.lang, v.finglish) for v in views]
    distinct = {t for v in views for t in v.tokens}
    # cleared before learning a mention once full: at most the limit plus one mention's tokens
    assert len(model._vectors) < min(len(distinct), 5 + max(len(v.tokens) for v in views))
    fresh = LinearSentimentModel(default_lexicon(), default_weights())
    assert [fresh.predict(v.tokens, v.lang, v.finglish) for v in views] == first
    assert [model.predict(v.tokens, v.lang, v.finglish) for v in views] == first


def test_weights_round_trip_and_reject_stale_feature_sets() -> None:
    weights = default_weights()
    data = weights.to_json_dict()
    assert SentimentWeights.from_json_dict(data) == weights
    stale = dict(data, dense={k: v for k, v in data["dense"].items() if k != "sarcasm_mark"})
    with pytest.raises(ValueError, match="retrain"):
        SentimentWeights.from_json_dict(stale)
    with pytest.raises(ValueError):
        SentimentWeights.from_json_dict(dict(data, labels=["pos", "neg", "neu"]))


# --- the shipped scorer ------------------------------------------------------------------------------

SCORER = SentimentScorer()


def label(text: str) -> str:
    return SCORER.score(analyze(text))[0]


def test_score_is_in_range_and_agrees_with_the_label() -> None:
    for text in ["عالی بود", "افتضاحه", "کسی میدونه ساعت کاری چیه؟", "", "https://example.com", "😡"]:
        name, score = SCORER.score(analyze(text))
        assert name in LABELS
        assert -1.0 <= score <= 1.0
        if name == "negative":
            assert score < 0
        if name == "positive":
            assert score > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("سه روزه اینترنت قطعه و هیچکس جواب نمیده", "negative"),
        ("پشتیبانی خیلی سریع مشکلم رو حل کرد، ممنون", "positive"),
        ("داغونه این اپ، هر بار هنگ میکنه", "negative"),
        ("دمتون گرم، غذا داغ و خوشمزه رسید", "positive"),
        ("کسی میدونه شعبه ونک جمعه‌ها بازه؟", "neutral"),
        ("بانک اعلام کرد ساعت کاری شعب از شنبه تغییر می‌کند", "neutral"),
        ("My order is two hours late and support is ignoring me", "negative"),
        ("Great service, the driver was friendly and on time", "positive"),
        ("Does the app support paying with a gift card?", "neutral"),
        ("internet dobare ghat shod, aslan javab nemidan", "negative"),
        ("kheili mamnoon, ghaza aali bood", "positive"),
    ],
)
def test_clear_cases_in_every_language(text: str, expected: str) -> None:
    assert label(text) == expected


@pytest.mark.parametrize(
    ("plain", "negated"),
    [
        ("از خریدم راضی هستم", "از خریدم راضی نیستم"),
        ("The delivery was good", "The delivery was not good"),
        ("kheili khoob bood", "aslan khoob nabood"),
    ],
)
def test_negation_turns_praise_into_complaint(plain: str, negated: str) -> None:
    assert label(plain) == "positive"
    assert label(negated) == "negative"


def test_negated_complaint_is_not_a_complaint() -> None:
    assert label("هیچ مشکلی با سرعتش نداشتم") == "positive"
    assert label("Never had a problem with them") == "positive"


def test_the_clause_after_the_contrast_word_wins() -> None:
    assert label("غذا خوشمزه بود ولی یک ساعت دیر رسید و کاملا سرد بود") == "negative"
    assert label("یکم دیر رسید ولی غذا فوق‌العاده خوشمزه بود") == "positive"
    assert label("The app looks nice but it crashes all the time") == "negative"


def test_sarcastic_praise_is_read_as_a_complaint() -> None:
    assert label("عالیه واقعا 🙄 سه روزه اینترنت نداریم") == "negative"
    assert label("Great job 🙄 three days without internet") == "negative"


def test_spelling_variants_score_alike() -> None:
    persian = SCORER.score(analyze("کیفیت این سرویس خیلی بد است"))
    arabic_forms = SCORER.score(analyze("كيفيت اين سرويس خيلي بد است"))
    assert persian[0] == arabic_forms[0] == "negative"
    assert arabic_forms[1] == pytest.approx(persian[1], abs=0.05)
    zwnj = SCORER.score(analyze("بسته‌بندی بی‌کیفیت بود"))
    spaced = SCORER.score(analyze("بسته بندی بی کیفیت بود"))
    assert zwnj[0] == spaced[0] == "negative"


def test_reaches_the_held_out_figures_per_language() -> None:
    items = parse_labelled_lines((CORPUS / "heldout.tsv").read_text(encoding="utf-8").splitlines())
    reports = evaluate_by_language((item.label, label(item.text), item.lang) for item in items)
    assert reports["fa"].macro_f1 >= 0.80
    assert reports["en"].macro_f1 >= 0.80
    assert reports["finglish"].macro_f1 >= 0.75


def test_corpus_split_is_disjoint_and_labelled_in_every_language() -> None:
    train = parse_labelled_lines((CORPUS / "train.tsv").read_text(encoding="utf-8").splitlines())
    heldout = parse_labelled_lines((CORPUS / "heldout.tsv").read_text(encoding="utf-8").splitlines())
    assert len(train) + len(heldout) >= 2000
    assert not {i.text for i in train} & {i.text for i in heldout}
    for items in (train, heldout):
        cells = {(i.lang, i.label) for i in items}
        assert cells == {(lang, lab) for lang in ("fa", "en", "finglish") for lab in LABELS}
    assert 0.2 <= len(heldout) / (len(train) + len(heldout)) <= 0.3


def test_only_polar_entries_may_span_words() -> None:
    with pytest.raises(ValueError, match="line 1"):
        parse_lexicon(["very much\tintens\t1.5"], str.split)
