"""Evidence: text keys for copies, bot-flood recognition, top posts, terms, repeat complainers."""

from __future__ import annotations

from detection_support import T0, minute_agg, post

from streams.detection_config import EvidenceSettings
from streams.evidence import bot_flood, gather, text_key
from streams.rolling_state import WindowCounts


def test_copies_share_a_key_whatever_the_handles_links_and_digits() -> None:
    base = "نوین‌نت کلاهبرداری است، از نوین‌نت خرید نکنید"
    assert text_key(base) == text_key(f"RT @someone: {base}")
    assert text_key(base) == text_key(f"@novinnet {base}!! 48213 https://t.example/x")
    assert text_key(base) != text_key("نوین‌نت امروز اطلاعیه جدیدی منتشر کرد")
    assert text_key("Worst service EVER") == text_key("worst service ever")


def test_bot_flood_needs_duplicates_from_fresh_accounts() -> None:
    settings = EvidenceSettings()
    assert bot_flood(WindowCounts(total=60, negative=50, fresh=40, duplicates=35), settings)
    assert not bot_flood(WindowCounts(total=60, negative=50, fresh=5, duplicates=35), settings)  # real people
    assert not bot_flood(
        WindowCounts(total=60, negative=50, fresh=40, duplicates=3), settings
    )  # varied texts
    assert not bot_flood(WindowCounts(total=8, negative=6, fresh=6, duplicates=5), settings)  # too few to say


def test_gather_ranks_posts_dedupes_copies_and_finds_repeat_complainers() -> None:
    story = "the courier threw my parcel over the fence and it broke, terrible"
    aggs = [
        minute_agg(
            T0,
            10,
            4,
            posts=[
                post("a", T0, reach=500, text=story),
                post("b", T0 + 1, reach=9_000, text=f"RT @x: {story}"),
                post("c", T0 + 2, reach=300, text="different complaint entirely"),
                post("p", T0 + 3, reach=99_000, sentiment="positive", text="love it"),
            ],
            authors={"angry": 2, "x1": 1},
        ),
        minute_agg(T0 + 60, 10, 3, authors={"angry": 2, "x2": 1}),
    ]
    aggs[1].terms = {"broke": 5}
    ev = gather(aggs, WindowCounts(total=20, negative=7), EvidenceSettings())
    assert [p.id for p in ev.top_posts] == ["b", "c", "p"]  # negative first by reach, one copy of the story
    assert ev.top_terms[0] == ("broke", 5)
    assert ev.repeat_complainers == ["angry"] and "repeat_complainer" in ev.flags
    assert ev.platforms == {"twitter": 7} and ev.categories == {"outage": 7}
    focused = gather(
        aggs,
        WindowCounts(total=20, negative=7),
        EvidenceSettings(),
        focus_posts=[next(p for p in aggs[0].top_posts if p.id == "a")],
    )
    assert focused.top_posts[0].id == "a"  # the detector's own lead post comes first
