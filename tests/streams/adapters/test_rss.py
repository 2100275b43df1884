from datetime import UTC, datetime

from adapter_support import by_id, run

from streams.adapters import convert
from streams.adapters.rss import parse_feed_date, strip_html


def test_rss_items_become_news_mentions_from_the_outlet():
    mentions, invalid, _ = run("rss", "news_rss.xml", followers=250_000)
    assert sorted(reason for _, reason in invalid) == ["bad_timestamp", "missing_field"]
    posts = by_id(mentions)
    item = posts["ed-48213"]
    assert item.platform == "news"
    assert item.url == "https://eqtesad-digital.example/news/48213"
    assert item.lang == "fa"
    assert item.author.id == "site:eqtesad-digital.example"
    assert item.author.handle == "خبرگزاری اقتصاد دیجیتال"
    assert item.author.followers == 250_000
    # +0330: 16:45 in Tehran is 13:15 UTC
    assert item.created_at == datetime(2026, 2, 14, 13, 15, tzinfo=UTC).timestamp()


def test_text_is_title_and_lead_without_html_scripts_or_full_article():
    item = by_id(run("rss", "news_rss.xml")[0])["ed-48213"]
    assert item.text == (
        "قطعی سه‌روزه اینترنت نوین‌نت؛ مشترکان خواستار جبران خسارت شدند\n"
        "مشترکان نوین‌نت در چند منطقه تهران از قطعی سه‌روزه خبر می‌دهند."
    )
    assert "track()" not in item.text and "متن کامل" not in item.text
    english = by_id(run("rss", "news_rss.xml")[0])["https://eqtesad-digital.example/en/news/48220"]
    assert "Tazeban & partners" in english.text  # entities decoded
    assert english.created_at == datetime(2026, 2, 15, 8, 0, tzinfo=UTC).timestamp()


def test_atom_entries():
    mentions, invalid, _ = run("rss", "news_atom.xml")
    assert invalid == []
    posts = by_id(mentions)
    first = posts["tag:tehrantechwatch.example,2026:post-771"]
    assert first.url == "https://tehrantechwatch.example/2026/02/sepehrpay-outage"  # rel=alternate, not self
    assert first.text == (
        "SepehrPay outage leaves merchants unable to take payments\n"
        "Card readers using SepehrPay failed for two hours on Sunday."
    )
    assert first.created_at == datetime(2026, 2, 15, 6, 50, tzinfo=UTC).timestamp()  # published, +03:30
    assert first.lang == "en" and first.author.id == "site:tehrantechwatch.example"
    second = posts["tag:tehrantechwatch.example,2026:post-772"]
    assert second.lang == "fa"  # the entry's xml:lang wins over the feed's
    assert second.text.endswith("نسخه جدید اپ تازه‌بان سریع‌تر شده است.")  # xhtml content
    assert second.created_at == datetime(2026, 2, 15, 11, 30, tzinfo=UTC).timestamp()  # `updated`


def test_entity_expansion_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b"<rss><channel><item><title>&b;</title></item></channel></rss>"
    )
    [item] = list(convert("rss", bomb))
    assert item.rejected and item.reason == "invalid_xml"
    external = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><title>&x;</title></item></channel></rss>"
    )
    [item] = list(convert("rss", external))
    assert item.rejected and item.reason == "invalid_xml"


def test_not_a_feed():
    [item] = list(convert("rss", b"<html><body>hi</body></html>"))
    assert item.reason == "unsupported_shape"
    [item] = list(convert("rss", b"<rss><channel><item>"))
    assert item.reason == "invalid_xml"


def test_long_ids_are_hashed_and_items_without_any_id_get_a_stable_one():
    long_link = "https://news.example/" + "a" * 400
    feed = (
        f"<rss><channel><item><title>NovinNet</title><link>{long_link}</link>"
        "<pubDate>Sun, 15 Feb 2026 08:00:00 GMT</pubDate></item>"
        "<item><title>Tazeban</title><pubDate>Sun, 15 Feb 2026 08:00:00 GMT</pubDate></item>"
        "</channel></rss>"
    ).encode()
    first, second = list(convert("rss", feed))
    assert first.value["id"].startswith("sha1:") and len(first.value["id"]) <= 256
    assert second.value["id"] == list(convert("rss", feed))[1].value["id"]


def test_helpers():
    assert strip_html("<p>a<br>b &amp; <i>c</i></p><style>x{}</style>") == "a b & c"
    assert (
        parse_feed_date("Sat, 14 Feb 2026 16:45:00 -0000")
        == datetime(2026, 2, 14, 16, 45, tzinfo=UTC).timestamp()
    )
    assert parse_feed_date("2026-02-14T16:45:00Z") == "2026-02-14T16:45:00Z"
    assert parse_feed_date(None) is None
