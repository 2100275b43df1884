"""Benchmark of the enrich core alone: `Enricher.enrich_batch` on one core, next to hazm's Normalizer.

Not a timed test: run it, read the figures.

    .venv/bin/python bench/bench_enrich_core.py [--mentions 40000] [--brands 1000] [--out FILE]

What is measured is exactly what the enrich agent calls per batch (analyze + brand match +
sentiment + category + reach + key terms + per-brand aggregation), on generated mentions of
100–200 characters (≈65% Persian, some typed on an Arabic keyboard or with Persian digits,
≈35% English), each naming one or two of `--brands` configured brands (≈8% name none), with
per-mention unique tokens (order numbers, handles, times) so no cache sees only repeats.

- `steady`: the enricher first runs over other generated mentions (caches warm, as in a live
  worker), then over the measured ones in batches of `--batch` (the agent's batch size);
- `cold`: a fresh enricher, first pass (the first batches after a restart);
- `hazm_normalizer`: `hazm.Normalizer().normalize` on the same texts, same process, same run.

Rates are given per wall second and per CPU second of this process (the CPU figure is steadier on
a shared machine). The workload generator (`brand_configs`, `MentionFactory`) is reused by the
Kafka benchmarks so every figure in the report is measured on the same kind of text.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streams.config import BrandConfig, StreamsConfig  # noqa: E402
from streams.mention import Mention, format_time, parse_mention  # noqa: E402

TARGET_PER_SECOND = 25_000

# --------------------------------------------------------------------------------------------------
# Brands: made-up names from syllables, each with a Persian and a Latin spelling.

SYLLABLES = (
    ("dar", "دار"), ("sam", "سام"), ("kav", "کاو"), ("rin", "رین"), ("tabo", "تابو"), ("meh", "مه"),
    ("zan", "زان"), ("pey", "پی"), ("sor", "سور"), ("lan", "لان"), ("gol", "گل"), ("yar", "یار"),
    ("bed", "بد"), ("nika", "نیکا"), ("far", "فر"), ("vosh", "وش"), ("hira", "هیرا"), ("tak", "تاک"),
    ("jal", "جال"), ("mon", "مون"), ("roya", "رویا"), ("shid", "شید"), ("kam", "کام"), ("dena", "دنا"),
    ("pas", "پاس"), ("tir", "تیر"), ("ara", "آرا"), ("nos", "نوس"), ("bar", "بار"), ("sepa", "سپا"),
    ("ful", "فول"), ("ker", "کر"), ("mira", "میرا"), ("hod", "هد"), ("zar", "زر"), ("lio", "لیو"),
)  # fmt: skip


def brand_names(count: int, seed: int = 11) -> list[tuple[str, str]]:
    """`count` distinct (latin, persian) names of two or three syllables, deterministic for a seed."""
    rng = random.Random(seed)
    names: dict[str, str] = {}
    n = len(SYLLABLES)
    while len(names) < count:
        parts = [SYLLABLES[rng.randrange(n)] for _ in range(2 if len(names) < n * n // 2 else 3)]
        latin = "".join(p[0] for p in parts)
        if latin not in names:
            names[latin] = "".join(p[1] for p in parts)
    return list(names.items())


def brand_configs(count: int, seed: int = 11) -> list[BrandConfig]:
    """Brand configs as ops would write them: Persian and Latin aliases, a handle, a hashtag."""
    out = []
    for i, (latin, persian) in enumerate(brand_names(count, seed)):
        out.append(
            BrandConfig(
                id=f"b{i:05d}",
                name=f"{persian} ({latin.title()})",
                aliases=[persian, latin],
                handles=[f"@{latin}"],
                hashtags=[f"#{persian}"],
            )
        )
    return out


def brand_config_dicts(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """The same brands as plain dicts, for writing a `bohran.yaml`."""
    return [b.model_dump(exclude_defaults=True) for b in brand_configs(count, seed)]


# --------------------------------------------------------------------------------------------------
# Mention texts (written for this benchmark). {b} brand as written, {c} city, {t} time, {n} number.

CITIES_FA = ("تهران", "مشهد", "اصفهان", "شیراز", "تبریز", "کرج", "قزوین", "اراک", "زنجان", "بندرعباس")
CITIES_EN = ("Tehran", "Mashhad", "Isfahan", "Shiraz", "Tabriz", "Karaj", "Qazvin", "Arak")
FA_COMPLAINTS = (
    "سفارش {n} من از {b} هنوز نرسیده و پشتیبانی هم تلفن رو جواب نمیده، واقعا افتضاحه",
    "اپ {b} از {t} باز نمیشه و هر بار ارور میده، کل کارم خوابیده",
    "{b} دوبار از کارتم پول کم کرد و الان میگن باید ده روز صبر کنی، این چه وضعشه؟",
    "برخورد نماینده {b} در شعبه {c} خیلی زشت بود، دیگه هیچوقت اونجا نمیرم",
    "اینترنت {b} تو {c} از {t} قطع و وصل میشه، نه اطلاع‌رسانی نه عذرخواهی",
    "کالایی که از {b} گرفتم خراب بود و مرجوعش نمی‌کنن، خیلی بی‌انصافی است",
    "قیمت‌های {b} این ماه دوباره بالا رفته، واقعا گرونه و ارزشش رو نداره",
    "پیک {b} سفارش رو دیر آورد و غذا سرد بود، پول رو هم پس ندادن",
)
FA_PRAISE = (
    "از {b} ممنونم، سفارش {n} زودتر از موعد رسید و بسته‌بندی هم عالی بود",
    "پشتیبانی {b} امروز خیلی خوب جواب داد، مشکلم تو ده دقیقه حل شد، دمتون گرم",
    "کیفیت محصولات {b} واقعا عالیه، دوباره هم ازشون خرید می‌کنم",
    "سرعت {b} در {c} بعد از ارتقا فوق‌العاده شده، راضیم",
)
FA_NEUTRAL = (
    "کسی می‌دونه {b} تو {c} شعبه داره؟ ساعت کاریش تا کیه؟",
    "{b} امروز اعلام کرد از ماه بعد طرح جدیدی رو در {c} شروع می‌کنه",
    "برای ثبت‌نام در {b} چه مدارکی لازمه؟ کسی تجربه داره؟",
    "شماره پشتیبانی {b} عوض شده؟ {t} هر چی زنگ زدم بوق آزاد نبود",
)
EN_COMPLAINTS = (
    "Order {n} from {b} still hasn't arrived and support keeps closing my ticket. Really disappointed",
    "The {b} app has been crashing {t}, I can't even log in to pay my bill",
    "{b} charged my card twice and now says the refund takes two weeks. Not acceptable",
    "Internet from {b} in {c} keeps dropping {t}, no notice, no apology",
)
EN_PRAISE = (
    "Shout out to {b} support, they fixed my account issue in ten minutes. Great service",
    "Ordered from {b} {t} and it arrived the same day in {c}, very happy with it",
)
EN_NEUTRAL = (
    "Does anyone know whether {b} delivers to {c} on weekends?",
    "{b} just announced a new plan for students, details on their site",
)
# Tails pad a text to its length; complaint tails only follow complaints, so sentiment stays as drawn.
FA_TAILS = (" ساعت {t} بود.", " #{tag}", " @{user}", " شماره {n}", " از {c} می‌نویسم.", " به نقل از @{user}")
FA_COMPLAINT_TAILS = (" کسی دیگه هم این مشکل رو داره؟", " لطفا پیگیری کنید.", " 😡😡")
EN_TAILS = (" #{tag}", " @{user}", " ref {n}", " (posted from {c})", " via @{user}")
EN_COMPLAINT_TAILS = (" Anyone else?", " Please look into it.", " 😤")
TIMES_FA = ("دیروز", "صبح", "دیشب", "سه روز پیش", "ساعت ۱۰", "ظهر")
TIMES_EN = ("since yesterday", "all morning", "since last night", "for three days")
PLATFORMS = ("twitter", "instagram", "telegram", "news", "web")
ARABIC_KEYBOARD = str.maketrans({"ی": "ي", "ک": "ك"})
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


class MentionFactory:
    """Deterministic wire-form mentions about the given brands (dicts, as producers send them)."""

    def __init__(
        self,
        brands: Sequence[tuple[str, str]],
        *,
        seed: int = 5,
        persian_share: float = 0.65,
        unmatched_share: float = 0.08,
        negative_share: float = 0.2,
        second_brand_share: float = 0.12,
    ) -> None:
        self.brands = list(brands)  # (latin, persian) names
        self.rng = random.Random(seed)
        self.persian_share = persian_share
        self.unmatched_share = unmatched_share
        self.negative_share = negative_share
        self.second_brand_share = second_brand_share  # texts that also name another configured brand
        self.seq = 0

    def text(self, brand: tuple[str, str] | None, *, negative: bool | None = None) -> tuple[str, str]:
        """(lang, text) of 100–200 characters naming `brand` (None: a text about no configured brand)."""
        rng = self.rng
        fa = rng.random() < self.persian_share
        if negative is None:
            negative = rng.random() < self.negative_share
        if negative:
            pool = FA_COMPLAINTS if fa else EN_COMPLAINTS
        else:
            pool = (FA_PRAISE + FA_NEUTRAL) if fa else (EN_PRAISE + EN_NEUTRAL)
        latin, persian = brand if brand is not None else ("shop", "فروشگاه")
        form = rng.random()
        if form < 0.1:
            name = f"@{latin}"
        elif fa:
            name = persian if form < 0.8 else latin.title()
        else:
            name = latin.title() if form < 0.7 else latin
        fields = {
            "b": name,
            "c": rng.choice(CITIES_FA if fa else CITIES_EN),
            "t": rng.choice(TIMES_FA if fa else TIMES_EN),
            "n": str(rng.randrange(10_000, 9_999_999)),
            "tag": persian if fa else latin,
            "user": f"user{rng.randrange(1, 99_999)}",
        }
        text = rng.choice(pool).format(**fields)
        if brand is not None and rng.random() < self.second_brand_share and len(self.brands) > 1:
            other = rng.choice(self.brands)
            text += f" {other[1]} هم همینطوره" if fa else f" Same with {other[0].title()}."
        tails = FA_TAILS if fa else EN_TAILS
        if negative:
            tails += FA_COMPLAINT_TAILS if fa else EN_COMPLAINT_TAILS
        target = rng.randint(100, 200)
        while len(text) < target:
            fields["n"] = str(rng.randrange(10_000, 9_999_999))
            fields["user"] = f"user{rng.randrange(1, 99_999)}"
            text += rng.choice(tails).format(**fields)
        if len(text) > 200:
            text = text[:200].rsplit(" ", 1)[0]
        if fa and rng.random() < 0.15:
            text = text.translate(ARABIC_KEYBOARD)
        if fa and rng.random() < 0.3:
            text = text.translate(PERSIAN_DIGITS)
        return ("fa" if fa else "en"), text

    def mention(
        self,
        ts: float,
        brand: tuple[str, str] | None = None,
        *,
        negative: bool | None = None,
        followers: int | None = None,
        author: str | None = None,
    ) -> dict[str, Any]:
        """One wire-form mention at event time `ts`; a random brand unless given."""
        rng = self.rng
        if brand is None and rng.random() >= self.unmatched_share:
            brand = rng.choice(self.brands)
        lang, text = self.text(brand, negative=negative)
        self.seq += 1
        user = author or f"u{int(200_000 * rng.random() ** 1.5)}"
        if followers is None:
            followers = int(min(3_000_000, rng.paretovariate(1.1) * 60))
        platform = PLATFORMS[self.seq % len(PLATFORMS)]
        return {
            "id": f"m{self.seq}",
            "platform": platform,
            "text": text,
            "created_at": format_time(ts),
            "url": f"https://{platform}.example/{user}/{self.seq}",
            "lang": lang,
            "author": {"id": user, "handle": user, "followers": followers, "verified": followers > 200_000},
            "metrics": {
                "likes": rng.randrange(0, 30),
                "reshares": rng.randrange(0, 3),
                "replies": 0,
                "views": followers,
            },
        }

    def stream(self, count: int, start: float, per_second: float) -> Iterator[dict[str, Any]]:
        """`count` mentions in event-time order, `per_second` apart on average, from `start`."""
        step = 1.0 / per_second
        ts = start
        for _ in range(count):
            ts += step * 2 * self.rng.random()
            yield self.mention(ts)


def mentions_for(brands: Sequence[BrandConfig], count: int, seed: int) -> list[Mention]:
    """Validated `Mention`s (the enrich core's input), spread over the last hour."""
    names = [(b.aliases[1], b.aliases[0]) for b in brands]
    factory = MentionFactory(names, seed=seed)
    start = datetime.now(UTC).timestamp() - 3600
    return [parse_mention(m) for m in factory.stream(count, start, per_second=max(1.0, count / 3600))]


# --------------------------------------------------------------------------------------------------
# Measuring


def measure(fn: Callable[[], Any], items: int) -> dict[str, Any]:
    """Run `fn` once with the collector paused; rates per wall second and per CPU second."""
    gc.collect()
    gc.disable()
    try:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        gc.enable()
    return {
        "items": items,
        "wall_seconds": round(wall, 4),
        "cpu_seconds": round(cpu, 4),
        "per_second": round(items / wall) if wall > 0 else None,
        "per_cpu_second": round(items / cpu) if cpu > 0 else None,
    }


def enrich_all(enricher: Any, mentions: Sequence[Mention], batch: int) -> int:
    brand_batches = 0
    for i in range(0, len(mentions), batch):
        brand_batches += len(enricher.enrich_batch(mentions[i : i + batch]).batches)
    return brand_batches


def run(
    mentions: int = 40_000, brands: int = 1000, batch: int = 2000, hazm_mentions: int = 5000, seed: int = 1
) -> dict[str, Any]:
    from streams.enrichment import Enricher

    configs = brand_configs(brands)
    config = StreamsConfig(brands=configs)
    t0 = time.perf_counter()
    enricher = Enricher(config)
    build_s = time.perf_counter() - t0
    warm = mentions_for(configs, max(batch, mentions // 2), seed=seed + 100)
    measured = mentions_for(configs, mentions, seed=seed)
    cold_set = mentions_for(configs, min(mentions, 5 * batch), seed=seed + 200)
    lengths = [len(m.text) for m in measured]
    persian = sum(1 for m in measured if m.lang == "fa")

    cold = measure(lambda: enrich_all(Enricher(config), cold_set, batch), len(cold_set))
    enrich_all(enricher, warm, batch)  # warm the caches on other mentions
    result = enricher.enrich_batch(measured[:batch])
    steady = measure(lambda: enrich_all(enricher, measured, batch), len(measured))
    matched = sum(enricher.enrich(m).brands != () for m in measured[: min(2000, len(measured))])

    texts = [m.text for m in measured[:hazm_mentions]]
    from hazm import Normalizer

    normalizer = Normalizer()
    normalizer.normalize(texts[0])
    hazm = measure(lambda: [normalizer.normalize(t) for t in texts], len(texts))

    return {
        "benchmark": "enrich core: Enricher.enrich_batch (analyze, match, sentiment, category, reach, terms, "
        "per-brand aggregation), one process, one thread",
        "command": f".venv/bin/python bench/bench_enrich_core.py --mentions {mentions} --brands {brands}",
        "configured_brands": brands,
        "matcher_build_seconds": round(build_s, 3),
        "batch": batch,
        "text_chars": {
            "min": min(lengths),
            "max": max(lengths),
            "mean": round(sum(lengths) / len(lengths), 1),
        },
        "persian_share": round(persian / len(measured), 3),
        "matched_share_sample": round(matched / min(2000, len(measured)), 3),
        "brand_batches_per_batch": len(result.batches),
        "steady": steady,
        "cold": cold,
        "hazm_normalizer": hazm,
        "ratio_steady_to_hazm": round(steady["per_second"] / hazm["per_second"], 2),
        "ratio_steady_to_hazm_cpu": round(steady["per_cpu_second"] / hazm["per_cpu_second"], 2),
        "goal": {"per_second": TARGET_PER_SECOND, "met": steady["per_second"] >= TARGET_PER_SECOND},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=40_000)
    parser.add_argument("--brands", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--hazm-mentions", type=int, default=5000)
    parser.add_argument("--out", type=Path, help="write the JSON result here too")
    args = parser.parse_args(argv)
    report = run(args.mentions, args.brands, args.batch, args.hazm_mentions)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
