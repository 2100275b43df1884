"""Synthetic mention traffic with injected, labelled incidents: the test bench for detection.

Pure generator (no I/O): several fictional brands from ~10 to ~50,000 mentions a day, with daily
(Tehran time) and weekly (Iranian weekend) cycles, slowly wandering volume, heavy-tailed follower
counts, Persian and English texts written for this project, and scenarios injected on top:

    outage            a sharp wave of outage complaints (minutes to ramp, an hour or two long),
                      sized by the brand's user base, at least a few complaints a minute
    viral             one negative post by a big account, reshared by hundreds within the hour
    slow_burn         complaints creeping up over a day or more, no single spike
    bot_flood         near-duplicate negative posts from freshly made accounts
    positive_campaign volume up several times, sentiment positive: must NOT page (crisis=False)

Texts are template sentences with interchangeable fragments, phrased so their sentiment is obvious to
any lexicon: complaints use unmistakably negative words, praise unmistakably positive ones, and
neutral posts (questions, announcements) none of either.

Deterministic for a seed. `Simulation.mentions()` yields wire-form `Mention` dicts in event-time
order; `Simulation.labels` lists the injected incidents {brand, kind, start, end, crisis}.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import NormalDist
from typing import Any

from streams.config import BrandConfig
from streams.mention import format_time

SCENARIO_KINDS = ("outage", "viral", "slow_burn", "bot_flood", "positive_campaign")
CRISIS_KINDS = frozenset({"outage", "viral", "slow_burn", "bot_flood"})
TEHRAN_OFFSET_S = 3.5 * 3600
DAY_S = 86400.0

# ---------------------------------------------------------------------------------------------
# Brands


@dataclass(frozen=True, slots=True)
class SimBrand:
    id: str
    name: str
    per_day: float  # mentions a day on an average weekday
    negative_share: float
    positive_share: float
    forms_fa: tuple[str, ...]  # how people write the name in Persian text
    forms_en: tuple[str, ...]
    handle: str
    hashtag: str
    persian_share: float = 0.7
    sector: str = "service"

    def brand_config(self) -> BrandConfig:
        aliases = list(dict.fromkeys([*self.forms_fa, *self.forms_en]))
        return BrandConfig(
            id=self.id,
            name=self.name,
            aliases=aliases,
            handles=[f"@{self.handle}"],
            hashtags=[f"#{self.hashtag}"],
        )


CATALOG: tuple[SimBrand, ...] = (
    SimBrand(
        "novinnet",
        "نوین‌نت (NovinNet)",
        50_000,
        0.18,
        0.22,
        ("نویننت", "نوین‌نت"),
        ("novinnet", "NovinNet"),
        "novinnet",
        "نوین_نت",
        sector="isp",
    ),
    SimBrand(
        "tazeban",
        "تازه‌بان (Tazeban)",
        10,
        0.15,
        0.30,
        ("تازه‌بان", "تازه بان"),
        ("tazeban", "Tazeban"),
        "tazeban",
        "تازه_بان",
        sector="grocery",
    ),
    SimBrand(
        "pardakhtino",
        "پرداختینو (Pardakhtino)",
        3_000,
        0.16,
        0.24,
        ("پرداختینو",),
        ("pardakhtino",),
        "pardakhtino",
        "پرداختینو",
        sector="payments",
    ),
    SimBrand(
        "safarbaz",
        "سفرباز (Safarbaz)",
        400,
        0.14,
        0.28,
        ("سفرباز",),
        ("safarbaz", "Safarbaz"),
        "safarbaz",
        "سفرباز",
        sector="travel",
    ),
    SimBrand(
        "kalaland",
        "کالالند (Kalaland)",
        20_000,
        0.13,
        0.27,
        ("کالالند",),
        ("kalaland", "Kalaland"),
        "kalaland",
        "کالالند",
        sector="shop",
    ),
    SimBrand(
        "hamrahno",
        "همراه‌نو (HamrahNo)",
        40_000,
        0.20,
        0.20,
        ("همراهنو", "همراه‌نو"),
        ("hamrahno", "HamrahNo"),
        "hamrahno",
        "همراه_نو",
        sector="isp",
    ),
    SimBrand(
        "ketabito",
        "کتابیتو (Ketabito)",
        100,
        0.10,
        0.35,
        ("کتابیتو",),
        ("ketabito",),
        "ketabito",
        "کتابیتو",
        sector="shop",
    ),
    SimBrand(
        "darooyar",
        "دارویار (Darooyar)",
        27_000,
        0.12,
        0.25,
        ("دارویار",),
        ("darooyar", "Darooyar"),
        "darooyar",
        "دارویار",
        sector="pharmacy",
    ),
)


def catalog_brands(count_or_ids: int | Sequence[str] | None = None) -> list[SimBrand]:
    """The first N catalog brands, or those with the given ids (all when None)."""
    if count_or_ids is None:
        return list(CATALOG)
    if isinstance(count_or_ids, int):
        if not 1 <= count_or_ids <= len(CATALOG):
            raise ValueError(f"--brands must be 1..{len(CATALOG)}")
        return list(CATALOG[:count_or_ids])
    by_id = {b.id: b for b in CATALOG}
    unknown = [i for i in count_or_ids if i not in by_id]
    if unknown:
        raise ValueError(f"unknown simulated brand(s): {', '.join(unknown)}; known: {', '.join(by_id)}")
    return [by_id[i] for i in count_or_ids]


def catalog_config(brands: Sequence[SimBrand] | None = None) -> list[BrandConfig]:
    return [b.brand_config() for b in (brands or CATALOG)]


# ---------------------------------------------------------------------------------------------
# Texts (written for this project). {b} = brand as written, {c} = city, {t} = time phrase.

CITIES_FA = ("تهران", "شیراز", "اصفهان", "تبریز", "مشهد", "کرج", "رشت", "اهواز", "یزد", "قم", "کرمان", "ساری")
CITIES_EN = ("Tehran", "Shiraz", "Isfahan", "Tabriz", "Mashhad", "Karaj", "Rasht", "Ahvaz", "Yazd", "Kerman")
TIMES_FA = (
    "از صبح",
    "از دیشب",
    "دو روز است",
    "سه ساعت است",
    "از دیروز",
    "این هفته",
    "امروز هم",
    "از ظهر",
    "یک هفته است",
    "از اول ماه",
)
TIMES_EN = (
    "since this morning",
    "since last night",
    "for two days",
    "for three hours",
    "since yesterday",
    "all week",
    "again today",
    "since noon",
)
PREFIX_FA = (
    "",
    "",
    "سلام، ",
    "دوستان ",
    "باورم نمی‌شود، ",
    "یکی جواب بده، ",
    "آقا ",
    "جدی ",
    "همسایه‌ها هم می‌گویند ",
)
CLOSER_FA = (
    "",
    "",
    " لطفا رسیدگی کنید",
    " دیگر خسته شدم",
    " 😡",
    " واقعا متاسفم برایتان",
    " تا کی؟",
    " #اعتراض",
)
PREFIX_EN = ("", "", "Honestly, ", "Ugh. ", "Seriously, ", "Hey ", "PSA: ")
CLOSER_EN = ("", "", " Fix it.", " 😡", " Not happy.", " Done with this.", " #fail")

NEGATIVE_FA: dict[str, tuple[str, ...]] = {
    "outage": (
        "اینترنت {b} {t} قطع است و هیچ خبری نیست، افتضاح است",
        "{b} دوباره قطع شد، در {c} هیچ چیز کار نمی‌کند، افتضاح است",
        "سرویس {b} {t} قطع و وصل می‌شود، واقعا افتضاح",
        "اپلیکیشن {b} خراب است و {t} باز نمی‌شود، افتضاح",
        "در {c} سرویس {b} {t} قطع است، افتضاح است",
    ),
    "delivery": (
        "سفارشم از {b} {t} نرسیده و پشتیبانی جواب نمی‌دهد، افتضاح",
        "{b} بسته‌ام را خراب تحویل داد، خیلی بد و افتضاح بود",
        "پیک {b} در {c} {t} نیامده، واقعا افتضاح",
    ),
    "billing": (
        "{b} دو بار از حسابم پول کم کرد و پس نمی‌دهد، کلاهبرداری است",
        "صورتحساب {b} {t} دو برابر شده، افتضاح است",
        "بازگشت وجه {b} {t} انجام نشده، افتضاح است",
    ),
    "staff": (
        "برخورد کارمند {b} در {c} خیلی بد و افتضاح بود",
        "پشتیبانی {b} {t} تلفن را قطع می‌کند، افتضاح",
    ),
    "defect": (
        "کالایی که از {b} خریدم خراب بود، افتضاح است",
        "دستگاهی که {b} فرستاد {t} خراب شده، افتضاح",
    ),
}
NEGATIVE_EN: dict[str, tuple[str, ...]] = {
    "outage": (
        "{b} has been down {t} in {c}, terrible service",
        "Another {b} outage {t}. Worst provider ever",
        "The {b} app is broken {t}, terrible",
        "{b} is down again in {c}. Terrible",
    ),
    "delivery": (
        "Worst experience with {b}, my order is late {t}",
        "{b} delivered my package broken. Terrible",
    ),
    "billing": (
        "{b} charged me twice {t} and refuses a refund. Total scam",
        "My {b} bill doubled {t}. Terrible",
    ),
    "staff": ("{b} support in {c} was terrible {t}",),
    "defect": ("The thing I bought from {b} arrived broken. Worst purchase",),
}
POSITIVE_FA = (
    "از {b} ممنون، سفارشم زود رسید، عالی",
    "پشتیبانی {b} در {c} عالی بود، ممنون",
    "سرعت {b} {t} عالی شده، ممنون از تیم",
    "خرید از {b} تجربه عالی بود، ممنون",
    "کیفیت {b} در {c} عالی است",
)
POSITIVE_EN = (
    "Thanks {b}, delivery to {c} was great",
    "Love the new {b} app, awesome update",
    "Great support from {b} {t}, thanks!",
    "{b} in {c} is awesome, love it",
)
NEUTRAL_FA = (
    "کسی می‌داند {b} در {c} شعبه دارد؟",
    "ساعت کاری پشتیبانی {b} تا چند است؟",
    "{b} امروز اطلاعیه جدیدی منتشر کرد",
    "خبر: {b} طرح جدیدش را در {c} معرفی کرد",
    "برای ثبت نام در {b} چه مدارکی لازم است؟",
    "{b} در {c} دفتر تازه‌ای باز کرده",
    "شماره تماس {b} در {c} را کسی دارد؟",
)
NEUTRAL_EN = (
    "Does anyone know if {b} delivers to {c}?",
    "{b} announced a new plan today",
    "What are the {b} support hours on Fridays?",
    "Is {b} open in {c} {t}?",
    "{b} opened an office in {c}",
)
CAMPAIGN_FA = (
    "جشنواره {b} عالی است، ممنون بابت تخفیف",
    "از کمپین جدید {b} ممنون، عالی بود",
    "تخفیف {b} در {c} عالی است، ممنون",
)
CAMPAIGN_EN = (
    "The {b} festival is awesome, thanks for the discount",
    "Love the new {b} campaign, great deals in {c}",
)
BOT_SLOGANS_FA = (
    "{b} کلاهبرداری است، از {b} خرید نکنید، افتضاح",
    "همه بدانند {b} خراب و افتضاح است، تحریمش کنید",
)
BOT_SLOGANS_EN = ("{b} is a scam, do not buy from {b}. Worst company",)
VIRAL_FA = (
    "{b} وسایلم را خراب کرد و سه ماه است جواب نمی‌دهد. این را ببینید و پخش کنید، افتضاح است",
    "کارمند {b} جلوی چشمم بسته‌ها را پرت کرد و همه خراب شد، افتضاح است، لطفا پخش کنید",
)
VIRAL_EN = (
    "{b} broke my guitar and ignored me for three months. Worst company. Please share this",
    "Watch how {b} treats customers: terrible, broken promises, worst support. Share it",
)

PLATFORMS = (("twitter", 0.45), ("instagram", 0.25), ("telegram", 0.20), ("web", 0.07), ("news", 0.03))
# Daily shape by Tehran local hour (relative; normalised below): quiet nights, busy evenings.
_DAY_SHAPE = (
    0.9,
    0.6,
    0.4,
    0.25,
    0.18,
    0.15,
    0.2,
    0.35,
    0.6,
    0.9,
    1.1,
    1.2,
    1.25,
    1.25,
    1.2,
    1.15,
    1.15,
    1.2,
    1.3,
    1.45,
    1.55,
    1.6,
    1.5,
    1.2,
)
_DAY_MEAN = sum(_DAY_SHAPE) / 24
# Weekly shape by Tehran weekday (Python: Monday=0); Thursday afternoon/Friday is the weekend.
_WEEK_SHAPE = (1.05, 1.05, 1.0, 0.9, 0.75, 1.05, 1.05)
_WEEK_MEAN = sum(_WEEK_SHAPE) / 7
_NORMAL = NormalDist()


def activity(ts: float) -> float:
    """Relative activity at event time `ts` (mean 1 over a week)."""
    local = ts + TEHRAN_OFFSET_S
    hour = (local % DAY_S) / 3600.0
    i = int(hour)
    frac = hour - i
    day = (_DAY_SHAPE[i] * (1 - frac) + _DAY_SHAPE[(i + 1) % 24] * frac) / _DAY_MEAN
    weekday = datetime.fromtimestamp(local, UTC).weekday()
    return day * _WEEK_SHAPE[weekday] / _WEEK_MEAN


# ---------------------------------------------------------------------------------------------
# Labels and scenarios


@dataclass(frozen=True, slots=True)
class Label:
    brand: str
    kind: str
    start: float
    end: float
    crisis: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "kind": self.kind,
            "start": format_time(self.start),
            "end": format_time(self.end),
            "crisis": self.crisis,
        }


@dataclass(slots=True)
class Scenario:
    brand: SimBrand
    kind: str
    start: float
    end: float
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> Label:
        return Label(self.brand.id, self.kind, self.start, self.end, self.kind in CRISIS_KINDS)


DURATIONS_MIN = {  # (min, max) minutes
    "outage": (45, 150),
    "viral": (90, 150),
    "slow_burn": (18 * 60, 30 * 60),
    "bot_flood": (20, 60),
    "positive_campaign": (120, 360),
}
GAP_AFTER_S = 6 * 3600.0  # quiet time after each incident so labels do not blur


def parse_scenarios(spec: str | Sequence[str] | None) -> list[tuple[str, int]]:
    """'outage,viral:2' -> [('outage', 1), ('viral', 2)]; 'none' or '' -> []; None -> every kind once."""
    if spec is None:
        return [(k, 1) for k in SCENARIO_KINDS]
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[tuple[str, int]] = []
    for raw in items:
        item = raw.strip()
        if not item or item == "none":
            continue
        if item == "all":
            out.extend((k, 1) for k in SCENARIO_KINDS)
            continue
        kind, _, count = item.partition(":")
        kind = kind.strip().replace("-", "_")
        if kind not in SCENARIO_KINDS:
            raise ValueError(f"unknown scenario {kind!r}; known: {', '.join(SCENARIO_KINDS)}")
        out.append((kind, int(count) if count else 1))
    return out


# ---------------------------------------------------------------------------------------------
# Simulation


@dataclass(slots=True)
class SimulationConfig:
    days: float = 7.0
    brands: list[SimBrand] = field(default_factory=lambda: list(CATALOG))
    seed: int = 7
    scenarios: list[tuple[str, int]] = field(default_factory=lambda: [(k, 1) for k in SCENARIO_KINDS])
    start: float | None = None  # epoch seconds; default: `days` before now, on the hour
    scale: float = 1.0  # multiplies every brand's volume
    warmup_hours: float = 24.0  # no scenario before this (baselines learn first)


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit = math.exp(-lam)
    k = 0
    p = rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class Simulation:
    """A planned run: labels are known up front; mentions are generated lazily in time order."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        if config.start is None:
            now = datetime.now(UTC).timestamp()
            config.start = math.floor((now - config.days * DAY_S) / 3600.0) * 3600.0
        self.start = float(config.start) // 60 * 60
        self.end = self.start + config.days * DAY_S
        self.scenarios = self._plan()
        self.labels = sorted((s.label for s in self.scenarios), key=lambda lab: (lab.start, lab.brand))

    # ---- planning ------------------------------------------------------------------------
    def _plan(self) -> list[Scenario]:
        cfg = self.config
        rng = random.Random(f"plan:{cfg.seed}")
        warm = min(cfg.warmup_hours * 3600.0, cfg.days * DAY_S * 0.3)
        scenarios: list[Scenario] = []
        kinds = [k for k, n in cfg.scenarios for _ in range(n)]
        if not kinds:
            return scenarios
        for brand in cfg.brands:
            order = kinds[:]
            rng.shuffle(order)
            span_start = self.start + warm
            slot = (self.end - span_start) / len(order)
            for i, kind in enumerate(order):
                lo, hi = DURATIONS_MIN[kind]
                slot_start = span_start + i * slot
                room = slot - GAP_AFTER_S - 1800.0
                duration = min(rng.uniform(lo, hi) * 60.0, max(room * 0.85, lo * 60.0 * 0.5))
                latest = slot_start + max(0.0, room - duration)
                start = math.floor(rng.uniform(slot_start, max(slot_start, latest)) / 60.0) * 60.0
                start += rng.randint(0, 59)
                if start + duration > self.end:
                    continue
                scenarios.append(
                    Scenario(brand, kind, start, start + duration, self._params(brand, kind, rng))
                )
        return scenarios

    def _params(self, brand: SimBrand, kind: str, rng: random.Random) -> dict[str, Any]:
        fa = rng.random() < brand.persian_share
        if kind == "outage":
            return {
                "mult": rng.uniform(4.0, 8.0),
                "floor": rng.uniform(2.5, 4.0),
                "ramp_min": rng.uniform(1, 3),
            }
        if kind == "viral":
            return {
                "followers": int(rng.uniform(80_000, 400_000)),
                "peak": rng.uniform(15, 40),
                "ramp_min": rng.uniform(4, 10),
                "text": rng.choice(VIRAL_FA if fa else VIRAL_EN),
                "fa": fa,
            }
        if kind == "slow_burn":
            return {"mult": rng.uniform(2.5, 3.5), "floor_per_hour": rng.uniform(1.5, 2.5)}
        if kind == "bot_flood":
            return {"rate": rng.uniform(5, 25), "text": rng.choice(BOT_SLOGANS_FA if fa else BOT_SLOGANS_EN)}
        return {"mult": rng.uniform(3.0, 6.0)}

    def expected_mentions(self) -> float:
        per_day = sum(b.per_day for b in self.config.brands) * self.config.scale
        return per_day * self.config.days

    # ---- generation ----------------------------------------------------------------------
    def mentions(self) -> Iterator[dict[str, Any]]:
        """Every mention, as a wire-form dict, in event-time order."""
        gen = _Generator(self)
        minute = self.start
        while minute < self.end:
            batch = gen.minute(minute)
            batch.sort(key=lambda item: item[0])
            for _, mention in batch:
                yield mention
            minute += 60.0


class _Generator:
    """Per-minute generation state (noise processes, author pool, id counters)."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        cfg = sim.config
        self.rng = random.Random(f"traffic:{cfg.seed}")
        self.noise: dict[str, float] = {b.id: 0.0 for b in cfg.brands}
        self.noise_hour: dict[str, int] = {b.id: -1 for b in cfg.brands}
        self.day_factor: dict[tuple[str, int], float] = {}
        self.followers: dict[int, int] = {}
        self.seq = 0
        self.by_brand: dict[str, list[Scenario]] = {}
        for s in sim.scenarios:
            self.by_brand.setdefault(s.brand.id, []).append(s)
        self.viral_roots: dict[int, dict[str, Any]] = {}
        self.pool = 400_000
        self.platforms = [p for p, _ in PLATFORMS]
        self.platform_weights = [w for _, w in PLATFORMS]
        self.seed_mix = (cfg.seed * 2654435761) & 0xFFFFFFFF

    # ---- helpers -------------------------------------------------------------------------
    def author_followers(self, idx: int) -> int:
        f = self.followers.get(idx)
        if f is None:
            h = (idx * 2654435761 + self.seed_mix) & 0xFFFFFFFF
            u = (h + 0.5) / 4294967296.0
            f = int(math.exp(math.log(180.0) + 1.7 * _NORMAL.inv_cdf(u)))
            f = min(f, 5_000_000)
            self.followers[idx] = f
        return f

    def next_id(self) -> int:
        self.seq += 1
        return self.seq

    def brand_form(self, brand: SimBrand, fa: bool) -> str:
        r = self.rng.random()
        if r < 0.12:
            return f"@{brand.handle}"
        if r < 0.2:
            return f"#{brand.hashtag}"
        return self.rng.choice(brand.forms_fa if fa else brand.forms_en)

    def fill(self, template: str, brand: SimBrand, fa: bool) -> str:
        rng = self.rng
        text = template.format(
            b=self.brand_form(brand, fa),
            c=rng.choice(CITIES_FA if fa else CITIES_EN),
            t=rng.choice(TIMES_FA if fa else TIMES_EN),
        )
        return text

    def complaint(self, brand: SimBrand, fa: bool, category: str | None = None) -> str:
        rng = self.rng
        table = NEGATIVE_FA if fa else NEGATIVE_EN
        if category is None:
            category = rng.choice(
                ("outage", "delivery", "billing", "staff", "defect")
                if brand.sector != "isp"
                else ("outage", "outage", "billing", "staff")
            )
        body = self.fill(rng.choice(table[category]), brand, fa)
        if fa:
            return rng.choice(PREFIX_FA) + body + rng.choice(CLOSER_FA)
        return rng.choice(PREFIX_EN) + body + rng.choice(CLOSER_EN)

    def make(
        self,
        ts: float,
        brand: SimBrand,
        text: str,
        fa: bool,
        *,
        author: int | None = None,
        followers: int | None = None,
        handle: str | None = None,
        author_id: str | None = None,
        platform: str | None = None,
        reshare_of: str | None = None,
        mention_id: str | None = None,
    ) -> tuple[float, dict[str, Any]]:
        rng = self.rng
        if platform is None:
            platform = rng.choices(self.platforms, self.platform_weights)[0]
        if author is None and author_id is None:
            author = int(self.pool * rng.random() ** 1.5)
        if author_id is None:
            author_id = f"u{author}"
            handle = handle or f"user{author}"
        if followers is None:
            followers = self.author_followers(author if author is not None else 0)
        n = self.next_id()
        mid = mention_id or f"{platform[:2]}{n}"
        mention: dict[str, Any] = {
            "id": mid,
            "platform": platform,
            "text": text,
            "created_at": format_time(ts),
            "url": f"https://{platform}.example/{handle or author_id}/{mid}",
            "lang": "fa" if fa else "en",
            "author": {
                "id": author_id,
                "handle": handle,
                "followers": followers,
                "verified": followers > 200_000,
            },
            "metrics": {
                "likes": int(rng.random() * 4),
                "reshares": 1 if rng.random() < 0.05 else 0,
                "replies": 0,
                "views": 0,
            },
        }
        if reshare_of:
            mention["reshare_of"] = reshare_of
        return ts, mention

    def brand_rate(self, brand: SimBrand, minute: float) -> float:
        """Normal mentions per minute of `brand` at `minute` (cycles × slow noise)."""
        hour = int(minute // 3600)
        if self.noise_hour[brand.id] != hour:
            self.noise_hour[brand.id] = hour
            self.noise[brand.id] = 0.8 * self.noise[brand.id] + self.rng.gauss(0.0, 0.06)
        day = int(minute // DAY_S)
        key = (brand.id, day)
        factor = self.day_factor.get(key)
        if factor is None:
            factor = self.day_factor[key] = math.exp(self.rng.gauss(0.0, 0.05))
        scale = self.sim.config.scale
        return brand.per_day * scale / 1440.0 * activity(minute) * math.exp(self.noise[brand.id]) * factor

    # ---- one minute ----------------------------------------------------------------------
    def minute(self, minute: float) -> list[tuple[float, dict[str, Any]]]:
        rng = self.rng
        out: list[tuple[float, dict[str, Any]]] = []
        for brand in self.sim.config.brands:
            rate = self.brand_rate(brand, minute)
            for _ in range(poisson(rng, rate)):
                out.append(self.normal(brand, minute + rng.random() * 60.0))
            for scenario in self.by_brand.get(brand.id, ()):
                if scenario.start - 60.0 < minute < scenario.end:
                    out.extend(self.inject(scenario, minute, rate))
        return out

    def normal(self, brand: SimBrand, ts: float) -> tuple[float, dict[str, Any]]:
        rng = self.rng
        fa = rng.random() < brand.persian_share
        r = rng.random()
        if r < brand.negative_share:
            text = self.complaint(brand, fa)
        elif r < brand.negative_share + brand.positive_share:
            text = self.fill(rng.choice(POSITIVE_FA if fa else POSITIVE_EN), brand, fa)
        else:
            text = self.fill(rng.choice(NEUTRAL_FA if fa else NEUTRAL_EN), brand, fa)
        return self.make(ts, brand, text, fa)

    def inject(self, s: Scenario, minute: float, base_rate: float) -> list[tuple[float, dict[str, Any]]]:
        rng = self.rng
        p = s.params
        brand = s.brand
        out: list[tuple[float, dict[str, Any]]] = []

        def times(n: int) -> list[float]:
            return [t for t in (minute + rng.random() * 60.0 for _ in range(n)) if s.start <= t < s.end]

        elapsed = max(0.0, (minute - s.start) / 60.0)
        length = (s.end - s.start) / 60.0
        if s.kind == "outage":
            shape = min(1.0, (elapsed + 1.0) / p["ramp_min"])
            tail = 0.3 * length
            if elapsed > length - tail:
                shape *= max(0.2, (length - elapsed) / tail)
            # An outage hits the brand's users, not its posting rhythm: the wave scales with the daily
            # user base, damped (not silenced) at night when fewer people notice.
            users = brand.per_day * self.sim.config.scale / 1440.0 * brand.negative_share
            extra = max(p["floor"], (p["mult"] - 1.0) * users * math.sqrt(activity(minute))) * shape
            for ts in times(poisson(rng, extra)):
                fa = rng.random() < brand.persian_share
                out.append(self.make(ts, brand, self.complaint(brand, fa, "outage"), fa))
        elif s.kind == "viral":
            root = self.viral_roots.get(id(s))
            if root is None and s.start < minute + 60.0:
                fa = p["fa"]
                handle = f"storyteller{rng.randint(100, 999)}"
                text = p["text"].format(b=self.brand_form(brand, fa))
                ts, mention = self.make(
                    s.start,
                    brand,
                    text,
                    fa,
                    author_id=f"v{handle}",
                    handle=handle,
                    followers=p["followers"],
                    platform="twitter",
                )
                root = self.viral_roots[id(s)] = {
                    "id": mention["id"],
                    "handle": handle,
                    "text": text,
                    "fa": fa,
                }
                out.append((ts, mention))
            if root is not None:
                rise = min(1.0, (elapsed + 1.0) / p["ramp_min"])
                decay = math.exp(-max(0.0, elapsed - p["ramp_min"]) / 45.0)
                for ts in times(poisson(rng, p["peak"] * rise * decay)):
                    if rng.random() < 0.85:
                        text = f"RT @{root['handle']}: {root['text']}"
                        out.append(
                            self.make(ts, brand, text, root["fa"], platform="twitter", reshare_of=root["id"])
                        )
                    else:
                        fa = rng.random() < brand.persian_share
                        out.append(self.make(ts, brand, self.complaint(brand, fa), fa))
        elif s.kind == "slow_burn":
            ramp = min(1.0, elapsed / (0.7 * length))
            normal_neg = base_rate * brand.negative_share
            extra = max((p["mult"] - 1.0) * normal_neg, p["floor_per_hour"] / 60.0) * ramp
            for ts in times(poisson(rng, extra)):
                fa = rng.random() < brand.persian_share
                out.append(self.make(ts, brand, self.complaint(brand, fa, "billing"), fa))
        elif s.kind == "bot_flood":
            for ts in times(poisson(rng, p["rate"])):
                fa = any("\u0600" <= ch <= "\u06ff" for ch in p["text"])
                body = p["text"].format(b=brand.forms_fa[0] if fa else brand.forms_en[0])
                tag = rng.randint(1000, 99999)
                style = rng.random()
                text = f"{body} {tag}" if style < 0.5 else f"@{brand.handle} {body}!! {tag}"
                bot = f"b{self.next_id()}x{rng.randint(100, 999)}"
                out.append(
                    self.make(
                        ts,
                        brand,
                        text,
                        fa,
                        author_id=bot,
                        handle=bot,
                        followers=rng.randint(0, 8),
                        platform="twitter",
                    )
                )
        elif s.kind == "positive_campaign":
            shape = min(1.0, (elapsed + 1.0) / 20.0)
            extra = (p["mult"] - 1.0) * base_rate * shape
            for ts in times(poisson(rng, extra)):
                fa = rng.random() < brand.persian_share
                r = rng.random()
                if r < 0.02:
                    text = self.complaint(brand, fa)
                elif r < 0.8:
                    text = self.fill(rng.choice(CAMPAIGN_FA if fa else CAMPAIGN_EN), brand, fa)
                else:
                    text = self.fill(rng.choice(NEUTRAL_FA if fa else NEUTRAL_EN), brand, fa)
                out.append(self.make(ts, brand, text, fa))
        return out


def simulate(
    days: float = 7.0,
    brands: int | Sequence[str] | None = None,
    seed: int = 7,
    scenarios: str | Sequence[str] | None = None,
    start: float | None = None,
    scale: float = 1.0,
) -> Simulation:
    """Plan a simulation; iterate `.mentions()` for the traffic, read `.labels` for the incidents."""
    return Simulation(
        SimulationConfig(
            days=days,
            brands=catalog_brands(brands),
            seed=seed,
            scenarios=parse_scenarios(scenarios),
            start=start,
            scale=scale,
        )
    )
