"""Benchmark of the text core: analyze + brand match + categorize, next to hazm's Normalizer.

Not a timed test: run it, read the figures.

    .venv/bin/python bench/bench_text.py [--mentions 20000] [--brands 1000] [--repeat 5]

Mentions are generated here: 100–200 characters, Persian (formal and colloquial, some with
Arabic letter forms, Persian digits, ZWNJ variants, elongations), English and Finglish, with brand
names, hashtags, handles, emoji, and per-mention unique tokens (order numbers, times, random
URLs and user handles) so the text core's chunk memo sees realistic misses. Figures:

- `steady`: memo warmed on other generated mentions, then measured on fresh ones (the live case);
- `cold`: memo cleared right before the measured pass (a restart);
- `no_memo`: memo capacity 1, every chunk takes the slow path (the worst case);
- `hazm_normalizer`: `hazm.Normalizer().normalize` on the same texts, same process.

Figures are mentions per second of this process's CPU time on one core (single thread), the best
of `--repeat` passes, each pass on its own freshly generated mentions; the median is given too.
Writes `bench/report-text.json` and prints it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streams.brand_matcher import BrandMatcher  # noqa: E402
from streams.category import categorize  # noqa: E402
from streams.config import BrandConfig  # noqa: E402
from streams.text import normalizer  # noqa: E402
from streams.text.analysis import analyze  # noqa: E402

SYLLABLES = [
    ("pars", "پارس"), ("novin", "نوین"), ("mehr", "مهر"), ("tak", "تک"), ("net", "نت"), ("kala", "کالا"),
    ("pay", "پی"), ("shop", "شاپ"), ("iran", "ایران"), ("sepid", "سپید"), ("rah", "راه"), ("nik", "نیک"),
    ("tel", "تل"), ("sim", "سیم"), ("bar", "بار"), ("dana", "دانا"), ("arman", "آرمان"), ("khodro", "خودرو"),
    ("bank", "بانک"), ("food", "فود"), ("box", "باکس"), ("taxi", "تاکسی"), ("sazan", "سازان"), ("asia", "آسیا"),
    ("tejarat", "تجارت"), ("ofogh", "افق"), ("nour", "نور"), ("sahand", "سهند"), ("kavir", "کویر"),
    ("zagros", "زاگرس"), ("alborz", "البرز"), ("hamrah", "همراه"), ("pishro", "پیشرو"), ("ava", "آوا"),
    ("rayan", "رایان"), ("mobin", "مبین"), ("pooya", "پویا"), ("saman", "سامان"), ("tazeh", "تازه"), ("baran", "باران"),
]  # fmt: skip

FA_TEMPLATES = [
    "اینترنت {fa} از دیروز قطعه و پشتیبانی هم جواب نمیده، خیلیییی بده واقعا {emoji}",
    "سفارشم از {fa} هنوز نرسیده، کد رهگیری {order} رو هم چک کردم هیچ خبری نیست",
    "من از خدمات {fa} راضی هستم، ممنون از پیگیری سریعتون {emoji}",
    "پول از حسابم کم شده ولی تراکنش ناموفق بود، {fa} لطفا پول منو برگردونید",
    "قیمت‌های {fa} دوباره گران شده، این‌همه افزایش قیمت منطقی نیست",
    "پیک {fa} خيلي بي‌ادب بود و سفارش رو دیر آورد ساعت {time}",
    "کسی می‌دونه چرا اپ {fa} باز نمیشه؟ از ساعت {time} ارور میده",
    "آنتن {fa} تو خونه ما اصلاً نمیده، {num} بار زنگ زدم فایده نداشت",
    "گوشی که از {fa} خریدم خراب بود و گارانتی هم قبول نمی‌کنه {emoji}",
    "{tag} امروز هم قطعی داشتیم، {fa} کی درست میشه؟",
    "کلاهبرداری با اسم {fa} شروع شده، پیامک جعلی میفرستن مراقب باشید {url}",
    "نمی‌دونم چرا {fa} اینقدر کُند شده، سرعت دانلود ۱۲ کیلوبایته {emoji}",
]
EN_TEMPLATES = [
    "{en} internet is down again since {time}, support is not answering. Seriously?! {emoji}",
    "Ordered from {en} {num} days ago, order #{order} still not delivered. Worst service ever",
    "Thanks {handle} for the quick fix, great support team {emoji}",
    "I was charged twice by {en} and still waiting for a refund, ticket {order}",
    "{en} prices went up again, this is way too expensive now {url}",
    "The {en} driver was so rude to me today, never using this app again",
    "Is anyone else having trouble with {en}? The app keeps crashing {tag}",
    "{en} app is soooo slow today, can't even log in {emoji}",
]
FINGLISH_TEMPLATES = [
    "internetam az {time} ghat shode, {en} kheili bade vaghan {emoji}",
    "sefaresham az {en} hanooz naresideh, {num} rooze montazeram",
    "poshtibani {en} javab nemide, pulam ham bargasht nakhorde {emoji}",
    "{en} kheili geroon shode, dige azash kharid nemikonam",
    "mamnoon az {en}, kheili khoob bood {emoji}",
]
FILLERS_FA = [
    "دیگه واقعا خسته شدم.", "لطفا رسیدگی کنید.", "این اولین بار نیست.", "همه دوستانم هم همین مشکل رو دارن.",
    "ممنون میشم جواب بدید.", "تا کی باید صبر کنیم؟",
]  # fmt: skip
FILLERS_EN = ["Please fix this asap.", "This is not the first time.", "Really disappointed.", "Anyone else?"]
EMOJI = ["😡", "😡😡😡", "🙏", "👍", "💔", ":(((", ":)", "🤬", "❤️", ""]


def make_brands(count: int, rng: random.Random) -> list[BrandConfig]:
    """Synthetic brands named from syllable pairs (and triples past 1,560), like real Persian brand names."""
    names: list[tuple[tuple[str, str], ...]] = [(a, b) for a in SYLLABLES for b in SYLLABLES if a != b]
    rng.shuffle(names)
    while len(names) < count:
        names.append(tuple(rng.sample(SYLLABLES, 3)))
    brands = []
    for index, parts in enumerate(names[:count]):
        latin = "".join(p[0] for p in parts)
        persian = " ".join(p[1] for p in parts)
        brands.append(
            BrandConfig(
                id=f"b{index:05d}",
                name=latin,
                aliases=[persian, latin, " ".join(p[0] for p in parts)],
                handles=[f"@{latin}"],
                hashtags=["#" + "_".join(p[1] for p in parts)],
                exclude=[persian + " کافه"],
            )
        )
    return brands


def make_mentions(count: int, brands: Sequence[BrandConfig], rng: random.Random) -> list[str]:
    texts = []
    for _ in range(count):
        brand = rng.choice(brands)
        fa = rng.choice(
            [brand.aliases[0], brand.aliases[0].replace(" ", "\u200c"), brand.aliases[0].replace(" ", "")]
        )
        if rng.random() < 0.15:  # Arabic keyboard
            fa = fa.replace("ی", "ي").replace("ک", "ك")
        slots = {
            "fa": fa,
            "en": rng.choice([brand.aliases[1], brand.aliases[1].capitalize(), brand.aliases[2].title()]),
            "handle": brand.handles[0],
            "tag": rng.choice(brand.hashtags + ["#قطعی_اینترنت", "#outage"]),
            "emoji": rng.choice(EMOJI),
            "order": str(rng.randrange(10**6, 10**8)),
            "time": f"{rng.randrange(24)}:{rng.randrange(60):02d}",
            "num": str(rng.randrange(2, 40)),
            "url": f"https://t.co/{''.join(rng.choices('abcdefghijkLMNOPQ0123456789', k=10))}",
        }
        roll = rng.random()
        if roll < 0.6:
            template, fillers = rng.choice(FA_TEMPLATES), FILLERS_FA
            if rng.random() < 0.3:
                slots["order"] = slots["order"].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
        elif roll < 0.85:
            template, fillers = rng.choice(EN_TEMPLATES), FILLERS_EN
        else:
            template, fillers = rng.choice(FINGLISH_TEMPLATES), FILLERS_EN
        text = template.format(**slots)
        if rng.random() < 0.2:
            text = f"@user{rng.randrange(10**5)} " + text
        while len(text) < 100:
            text += " " + rng.choice(fillers)
        if len(text) > 200:
            text = text[:200].rsplit(" ", 1)[0]
        texts.append(text)
    return texts


def timed(func: Callable[[str], object], batches: Sequence[Sequence[str]]) -> dict[str, float]:
    """Mentions per second of this process's CPU time: best and median over one pass per batch.

    The machine is shared: CPU time leaves out time spent waiting for a core, and the best pass
    is the one least disturbed by neighbours (the convention of `timeit`); wall time is also given.
    Each pass reads its own batch, so unique tokens (order numbers, URLs) are always new.
    """
    cpu_times, wall_times = [], []
    for texts in batches:
        gc.collect()
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        for text in texts:
            func(text)
        cpu_times.append(time.process_time() - cpu_start)
        wall_times.append(time.perf_counter() - wall_start)
    size = len(batches[0])
    best, median = min(cpu_times), statistics.median(cpu_times)
    return {
        "mentions_per_pass": size,
        "passes": len(batches),
        "per_second": round(size / best),
        "per_second_median": round(size / median),
        "per_second_wall_best": round(size / min(wall_times)),
        "us_per_mention": round(best / size * 1e6, 2),
    }


def machine() -> dict[str, object]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import hazm

        hazm_version = getattr(hazm, "__version__", None) or _dist_version("hazm")
    except ImportError:
        hazm_version = None
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "hazm": hazm_version,
    }


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=20_000, help="mentions per measured pass")
    parser.add_argument("--brands", type=int, default=1_000)
    parser.add_argument("--hazm-mentions", type=int, default=5_000, help="hazm is slow: time it on a prefix")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="passes per figure; the best is reported")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "report-text.json")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    brands = make_brands(args.brands, rng)
    build_start = time.process_time()
    matcher = BrandMatcher(brands)
    build_seconds = time.process_time() - build_start

    def batches(count: int, size: int = args.mentions) -> list[list[str]]:
        return [make_mentions(size, brands, rng) for _ in range(count)]

    def enrich(text: str) -> object:
        view = analyze(text)
        return matcher.match(view), categorize(view)

    memo = normalizer.CHUNK_MEMO
    results: dict[str, object] = {}
    small = max(1, args.mentions // 5)

    memo.clear()
    results["cold"] = {"analyze_match_categorize": timed(enrich, batches(1, small))}

    memo.clear()
    for text in batches(1)[0]:  # warm-up stream
        enrich(text)
    headline_batches = batches(args.repeat)
    hit_rates = [_memo_hit_rate(memo, batch) for batch in headline_batches[:1]]
    steady = {
        "analyze": timed(analyze, batches(args.repeat)),
        "analyze_match": timed(lambda t: matcher.match(analyze(t)), batches(args.repeat)),
        "analyze_match_categorize": timed(enrich, headline_batches),
        "chunk_memo_hit_rate": round(statistics.mean(hit_rates), 3),
    }
    results["steady"] = steady
    texts = headline_batches[0]
    lengths = [len(t) for t in texts]

    capacity = memo.capacity
    memo.capacity = 1
    memo.clear()
    results["no_memo"] = {"analyze_match_categorize": timed(enrich, batches(args.repeat, small))}
    memo.capacity = capacity
    memo.clear()

    try:
        from hazm import Normalizer

        hazm_normalizer = Normalizer()
        results["hazm_normalizer"] = timed(
            hazm_normalizer.normalize, [texts[: args.hazm_mentions]] * args.repeat
        )
    except ImportError:
        results["hazm_normalizer"] = None

    headline = steady["analyze_match_categorize"]["per_second"]
    hazm_rate = results["hazm_normalizer"]["per_second"] if results["hazm_normalizer"] else None
    report = {
        "benchmark": "text core: analyze + brand match + categorize",
        "mentions_per_pass": args.mentions,
        "text_chars": {
            "min": min(lengths),
            "max": max(lengths),
            "mean": round(sum(lengths) / len(lengths), 1),
        },
        "configured_brands": args.brands,
        "matcher_build_cpu_seconds": round(build_seconds, 3),
        "mix": "≈60% Persian (15% Arabic keyboard), 25% English, 15% Finglish",
        "results": results,
        "summary": {
            "enrich_text_core_per_second": headline,
            "hazm_normalizer_per_second": hazm_rate,
            "speedup_vs_hazm_normalizer": round(headline / hazm_rate, 1) if hazm_rate else None,
            "target_whole_enrichment_per_second": 25_000,
        },
        "machine": machine(),
        "single_thread": True,
    }
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return report


def _memo_hit_rate(memo: normalizer._ChunkMemo, texts: Sequence[str]) -> float:
    """Share of the chunks of never-seen `texts` that the warmed memo already holds."""
    chunks = [c for t in texts for c in t.split()]
    return sum(1 for c in chunks if c in memo.young or c in memo.old) / len(chunks)


if __name__ == "__main__":
    main()
