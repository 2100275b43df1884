"""The traffic simulator: deterministic, time-ordered, valid, realistic in shape, with honest labels."""

from __future__ import annotations

import statistics
from collections import Counter
from itertools import islice

import pytest

from streams.config import StreamsConfig
from streams.enrichment import Enricher
from streams.mention import parse_mention
from streams.simulate import CATALOG, SCENARIO_KINDS, activity, catalog_config, parse_scenarios, simulate

START = 1_760_000_400.0  # a Thursday, 09:00 UTC (12:30 in Tehran)


def test_same_seed_same_traffic_other_seed_other_traffic() -> None:
    a = list(islice(simulate(days=1, brands=3, seed=5, start=START).mentions(), 500))
    b = list(islice(simulate(days=1, brands=3, seed=5, start=START).mentions(), 500))
    c = list(islice(simulate(days=1, brands=3, seed=6, start=START).mentions(), 500))
    assert a == b
    assert a != c
    assert simulate(days=3, seed=5, start=START).labels == simulate(days=3, seed=5, start=START).labels


def test_mentions_are_valid_and_in_event_time_order() -> None:
    sim = simulate(days=0.5, brands=4, seed=2, start=START)
    times = []
    ids = set()
    for item in islice(sim.mentions(), 3000):
        mention = parse_mention(item)  # the same validation the worker applies
        times.append(mention.created_at)
        ids.add((mention.platform, mention.id))
        assert mention.url and mention.url.startswith("https://")
    assert times == sorted(times)
    assert len(ids) == len(times)
    assert times[0] >= START and times[-1] < START + 0.5 * 86400


def test_volumes_span_tiny_to_huge_brands_with_daily_and_weekly_cycles() -> None:
    sim = simulate(days=1, brands=["novinnet", "tazeban", "ketabito"], seed=1, start=START, scenarios="none")
    per_brand: Counter[str] = Counter()
    by_hour: Counter[int] = Counter()
    for item in sim.mentions():
        text = item["text"].lower()
        brand = next(
            (
                b.id
                for b in CATALOG
                if b.id in text
                or any(f in item["text"] for f in b.forms_fa)
                or b.hashtag in item["text"]
                or b.handle in text
            ),
            None,
        )
        per_brand[brand] += 1
        if brand == "novinnet":
            hour = int(((parse_mention(item).created_at + 3.5 * 3600) % 86400) // 3600)
            by_hour[hour] += 1
    assert 35_000 < per_brand["novinnet"] < 70_000
    assert per_brand["tazeban"] < 40
    assert by_hour[21] > 4 * by_hour[5]  # busy Tehran evening vs the small hours
    friday, saturday = START + 1 * 86400, START + 2 * 86400
    assert activity(saturday) > 1.2 * activity(friday)


def test_followers_are_heavy_tailed() -> None:
    followers = [
        m["author"]["followers"] for m in islice(simulate(days=1, seed=3, start=START).mentions(), 20_000)
    ]
    median = statistics.median(followers)
    assert 50 < median < 1_000
    assert max(followers) > 200 * median
    assert sum(f < 10 for f in followers) > 100  # some near-empty accounts too


def test_texts_are_persian_and_english_with_obvious_sentiment() -> None:
    config = StreamsConfig(brands=catalog_config())
    enricher = Enricher(config)
    langs: Counter[str] = Counter()
    sentiments: Counter[str] = Counter()
    unmatched = 0
    sample = list(islice(simulate(days=1, brands=2, seed=4, start=START, scenarios="none").mentions(), 3000))
    for item in sample:
        enriched = enricher.enrich(parse_mention(item))
        langs[item["lang"]] += 1
        sentiments[enriched.sentiment] += 1
        unmatched += not enriched.brands
    assert langs["fa"] > 1.5 * langs["en"] > 0
    assert unmatched < 0.02 * len(sample)
    share = sentiments["negative"] / len(sample)
    assert 0.12 < share < 0.26  # the brands' configured complaint share (0.15-0.18), recognised as such
    assert sentiments["positive"] > 0.1 * len(sample) and sentiments["neutral"] > 0.3 * len(sample)


def test_labels_cover_every_kind_once_per_brand_without_overlap() -> None:
    sim = simulate(days=7, seed=9, start=START)
    kinds = Counter(label.kind for label in sim.labels)
    assert set(kinds) == set(SCENARIO_KINDS)
    assert all(n == len(CATALOG) for n in kinds.values())
    for brand in CATALOG:
        mine = sorted((lab for lab in sim.labels if lab.brand == brand.id), key=lambda lab: lab.start)
        for a, b in zip(mine, mine[1:], strict=False):
            assert a.end <= b.start
        assert all(lab.start >= START + 86400 * 0.99 and lab.end <= START + 7 * 86400 for lab in mine)
    assert all(lab.crisis == (lab.kind != "positive_campaign") for lab in sim.labels)
    assert sim.labels[0].to_dict()["start"].endswith("Z")


def _scenario_mentions(kind: str, brand: str = "safarbaz"):
    sim = simulate(days=2, brands=[brand], seed=11, start=START, scenarios=kind)
    (label,) = sim.labels
    inside = [m for m in sim.mentions() if label.start <= parse_mention(m).created_at < label.end]
    return label, inside


def test_outage_is_a_wave_of_complaints() -> None:
    label, inside = _scenario_mentions("outage")
    minutes = (label.end - label.start) / 60
    assert len(inside) > 1.2 * minutes  # at least ~1.2 extra complaints a minute on a 400/day brand
    enricher = Enricher(StreamsConfig(brands=catalog_config()))
    negative = sum(enricher.enrich(parse_mention(m)).sentiment == "negative" for m in inside)
    assert negative > 0.7 * len(inside)


def test_viral_post_is_reshared_by_real_accounts() -> None:
    label, inside = _scenario_mentions("viral")
    root = inside[0]
    assert root["author"]["followers"] >= 80_000
    reshares = [m for m in inside if m.get("reshare_of") == root["id"]]
    assert len(reshares) > 100
    assert statistics.median(m["author"]["followers"] for m in reshares) > 20


def test_bot_flood_is_near_duplicates_from_fresh_accounts() -> None:
    label, inside = _scenario_mentions("bot_flood")
    bots = [m for m in inside if m["author"]["followers"] < 10 and m["author"]["id"].startswith("b")]
    assert len(bots) > 50
    cores = Counter(
        " ".join(w for w in m["text"].split() if not w.startswith("@") and not w.isdigit()).rstrip("!")
        for m in bots
    )
    assert cores.most_common(1)[0][1] > 0.3 * len(bots)


def test_positive_campaign_is_labelled_not_a_crisis() -> None:
    label, inside = _scenario_mentions("positive_campaign", brand="kalaland")
    assert not label.crisis
    enricher = Enricher(StreamsConfig(brands=catalog_config()))
    sentiments = Counter(enricher.enrich(parse_mention(m)).sentiment for m in inside[:2000])
    assert sentiments["positive"] > 3 * sentiments["negative"]


def test_scenario_spec_parsing() -> None:
    assert parse_scenarios("outage,viral:2") == [("outage", 1), ("viral", 2)]
    assert parse_scenarios("none") == []
    assert parse_scenarios(None) == [(k, 1) for k in SCENARIO_KINDS]
    assert parse_scenarios("slow-burn") == [("slow_burn", 1)]
    with pytest.raises(ValueError):
        parse_scenarios("meteor")
    with pytest.raises(ValueError):
        simulate(days=1, brands=["nope"])
