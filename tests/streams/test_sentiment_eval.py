"""Labelled-file parsing, metrics, and the `bohran eval-sentiment` command."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from bohran.commands.eval_sentiment import register
from streams.sentiment import SentimentScorer
from streams.sentiment_eval import (
    LabelledFileError,
    LabelledText,
    evaluate,
    evaluate_by_language,
    format_report,
    normalize_label,
    parse_labelled_lines,
)
from streams.text.analysis import analyze

# --- parsing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("negative", "negative"),
        ("Positive", "positive"),
        (" NEUTRAL ", "neutral"),
        ("-1", "negative"),
        ("0", "neutral"),
        ("1", "positive"),
        ("+1", "positive"),
        ("pos", "positive"),
    ],
)
def test_label_spellings(raw: str, label: str) -> None:
    assert normalize_label(raw) == label


def test_unknown_label_spelling_is_none() -> None:
    assert normalize_label("2") is None
    assert normalize_label("bad") is None


def test_parses_two_and_three_column_lines() -> None:
    items = parse_labelled_lines(["سرعت اینترنت عالیه\tpositive\tfa", "down again\t-1", "ok\t0\t"])
    assert items == [
        LabelledText("سرعت اینترنت عالیه", "positive", "fa"),
        LabelledText("down again", "negative", None),
        LabelledText("ok", "neutral", None),
    ]


def test_skips_blank_lines_and_a_header_but_keeps_hashtag_mentions() -> None:
    lines = ["text\tlabel\tlang", "", "   ", "#نوین_نت قطعه\tnegative\tfa\r\n"]
    assert parse_labelled_lines(lines) == [LabelledText("#نوین_نت قطعه", "negative", "fa")]


@pytest.mark.parametrize(
    ("lines", "bad_line", "fragment"),
    [
        (["fine\tpositive", "no tab here"], 2, "expected text"),
        (["fine\tpositive", "", "meh\tmaybe"], 3, "unknown label"),
        (["a\tpositive\tfa\textra"], 1, "at most 3"),
        (["\tnegative"], 1, "empty text"),
    ],
)
def test_malformed_lines_raise_with_their_line_number(lines: list[str], bad_line: int, fragment: str) -> None:
    with pytest.raises(LabelledFileError) as info:
        parse_labelled_lines(lines)
    assert info.value.line_number == bad_line
    assert fragment in str(info.value)
    assert f"line {bad_line}" in str(info.value)


# --- metrics --------------------------------------------------------------------------------------


def test_confusion_accuracy_and_per_class_scores_by_hand() -> None:
    pairs = [
        ("negative", "negative"),
        ("negative", "negative"),
        ("negative", "neutral"),
        ("neutral", "neutral"),
        ("neutral", "positive"),
        ("positive", "positive"),
        ("positive", "positive"),
        ("positive", "negative"),
    ]
    report = evaluate(pairs)
    assert report.n == 8
    assert report.accuracy == pytest.approx(5 / 8)
    assert report.confusion["negative"] == {"negative": 2, "neutral": 1, "positive": 0}
    assert report.confusion["positive"]["negative"] == 1
    negative = report.per_class["negative"]  # predicted negative 3 times, 2 right; 3 gold
    assert (negative.precision, negative.recall, negative.support) == (
        pytest.approx(2 / 3),
        pytest.approx(2 / 3),
        3,
    )
    neutral = report.per_class["neutral"]  # predicted 2, right 1; gold 2
    assert neutral.f1 == pytest.approx(0.5)
    positive = report.per_class["positive"]  # predicted 3, right 2; gold 3
    assert positive.f1 == pytest.approx(2 / 3)
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.5 + 2 / 3) / 3)


def test_perfect_predictions_score_one() -> None:
    report = evaluate([("negative", "negative"), ("positive", "positive"), ("neutral", "neutral")])
    assert report.accuracy == 1.0
    assert report.macro_f1 == 1.0


def test_macro_f1_ignores_a_class_nobody_has_or_predicted() -> None:
    report = evaluate([("negative", "negative"), ("positive", "positive"), ("positive", "negative")])
    assert report.per_class["neutral"].support == 0
    # negative F1 = 2·(1/2·1)/(1.5) = 2/3; positive F1 = 2·(1·1/2)/1.5 = 2/3; neutral is absent.
    assert report.macro_f1 == pytest.approx(2 / 3)


def test_a_wrongly_predicted_absent_class_counts_as_zero() -> None:
    report = evaluate([("negative", "neutral"), ("negative", "negative")])
    assert report.per_class["neutral"].f1 == 0.0
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.0) / 2)


def test_empty_input_and_unknown_labels() -> None:
    assert evaluate([]).accuracy == 0.0
    with pytest.raises(ValueError):
        evaluate([("negative", "angry")])


def test_reports_per_language() -> None:
    reports = evaluate_by_language(
        [
            ("negative", "negative", "fa"),
            ("positive", "negative", "fa"),
            ("positive", "positive", "en"),
            ("neutral", "neutral", None),
        ]
    )
    assert set(reports) == {"fa", "en", "?"}
    assert reports["fa"].accuracy == 0.5
    assert reports["en"].accuracy == 1.0
    assert reports["?"].n == 1


def test_report_text_and_dict_carry_the_figures() -> None:
    report = evaluate([("negative", "negative"), ("positive", "neutral")])
    text = format_report(report, "demo")
    assert text.splitlines()[0] == "demo"
    assert "accuracy 0.500" in text
    assert f"macro-F1 {report.macro_f1:.3f}" in text
    as_dict = report.to_dict()
    assert as_dict["confusion"]["positive"]["neutral"] == 1
    assert as_dict["per_class"]["negative"]["support"] == 1
    json.dumps(as_dict)  # machine output must be JSON-serializable


# --- the CLI command ------------------------------------------------------------------------------

LABELLED = [
    ("اینترنت سه روزه قطعه و پشتیبانی جواب نمیده", "negative", "fa"),
    ("خیلی ممنون، غذا داغ و خوشمزه رسید", "positive", "fa"),
    ("کسی میدونه شعبه ونک تا ساعت چند بازه؟", "neutral", "fa"),
    ("Worst service ever, still no refund", "negative", "en"),
    ("Thanks, the driver was kind and on time", "1", "en"),
    ("What time does the branch open tomorrow?", "0", "en"),
]


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")  # a second command keeps typer from collapsing the app into one command
    def noop() -> None:
        pass

    return app


def test_cli_prints_figures_and_a_per_language_breakdown(tmp_path) -> None:
    path = tmp_path / "labelled.tsv"
    path.write_text("".join(f"{t}\t{label}\t{lang}\n" for t, label, lang in LABELLED), encoding="utf-8")
    result = CliRunner().invoke(_app(), ["eval-sentiment", str(path)])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "macro-F1" in result.output
    assert "confusion" in result.output
    assert "language fa" in result.output and "language en" in result.output


def test_cli_json_matches_the_scorer(tmp_path) -> None:
    path = tmp_path / "labelled.tsv"
    path.write_text("".join(f"{t}\t{label}\t{lang}\n" for t, label, lang in LABELLED), encoding="utf-8")
    result = CliRunner().invoke(_app(), ["eval-sentiment", str(path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    scorer = SentimentScorer()
    gold = [normalize_label(label) for _, label, _ in LABELLED]
    predicted = [scorer.score(analyze(text))[0] for text, _, _ in LABELLED]
    assert payload["n"] == len(LABELLED)
    assert payload["accuracy"] == pytest.approx(sum(g == p for g, p in zip(gold, predicted, strict=True)) / 6)
    assert set(payload["by_language"]) == {"fa", "en"}
    assert payload["by_language"]["en"]["n"] == 3
    assert sum(sum(row.values()) for row in payload["confusion"].values()) == len(LABELLED)


def test_cli_without_language_column_has_no_breakdown(tmp_path) -> None:
    path = tmp_path / "two_columns.tsv"
    path.write_text(
        "great job, thanks!\tpositive\nterrible, cancelled my order\tnegative\n", encoding="utf-8"
    )
    result = CliRunner().invoke(_app(), ["eval-sentiment", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["by_language"] == {}


def test_cli_rejects_bad_and_missing_files(tmp_path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("fine\tpositive\nbroken line without a tab\n", encoding="utf-8")
    result = CliRunner().invoke(_app(), ["eval-sentiment", str(bad)])
    assert result.exit_code == 2
    assert "line 2" in result.output

    empty = tmp_path / "empty.tsv"
    empty.write_text("\n\n", encoding="utf-8")
    assert CliRunner().invoke(_app(), ["eval-sentiment", str(empty)]).exit_code == 2

    result = CliRunner().invoke(_app(), ["eval-sentiment", str(tmp_path / "missing.tsv")])
    assert result.exit_code == 2
