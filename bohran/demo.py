"""The `make run` demo stream: two fictional brands, normal chatter, then an outage crisis.

Texts are written by the team (Persian and English). History is backdated so the detectors have a
baseline; the live part is produced at wall-clock pace so the alert shows up in the terminal seconds
after the burst starts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from streams.mention import Author, Mention, Metrics

NORMAL: dict[str, list[tuple[str, str]]] = {
    "novinnet": [
        ("fa", "سرعت اینترنت نوین‌نت امروز عالی بود، ممنون"),
        ("fa", "کسی می‌دونه بسته‌های جدید نوین نت کی میاد؟"),
        ("fa", "پشتیبانی #نوین_نت خیلی سریع جواب داد، دمتون گرم"),
        ("fa", "من تازه اینترنتم رو بردم رو نوین‌نت، فعلا راضیم"),
        ("fa", "قیمت سرویس نوین نت نسبت به بقیه چطوره؟"),
        ("en", "Switched to NovinNet last month, speeds have been solid so far"),
        ("en", "Does @novinnet offer a student plan?"),
        ("fa", "اینترنت نوین‌نت یه کم کند شده امشب"),
        ("en", "novinnet support fixed my router config in ten minutes, great job"),
    ],
    "tazeban": [
        ("fa", "خرید از تازه‌بان امروز هم به موقع رسید، ممنون"),
        ("fa", "میوه‌های #تازه_بان واقعا تازه بود"),
        ("fa", "تازه بان ساعت کاریش تا کیه؟"),
        ("en", "Tazeban delivered my groceries in 30 minutes, love it"),
        ("en", "Is @tazeban open on Fridays?"),
        ("fa", "سفارشم از تازه‌بان یه کم دیر رسید ولی مشکلی نبود"),
    ],
}

CRISIS_NOVINNET: list[tuple[str, str]] = [
    ("fa", "اینترنت نوین‌نت از صبح قطعه، هیچ جوابی هم نمیدن! افتضاحه"),
    ("fa", "دو ساعته اینترنت نوین نت قطعه و پشتیبانی جواب نمیده"),
    ("fa", "#نوین_نت قطعی کامل، کل محله بدون اینترنت موندیم"),
    ("fa", "نوین‌نت واقعا افتضاحه، باز هم قطع شد و هیچ اطلاع‌رسانی نکردن"),
    ("fa", "@novinnet اینترنت قطعه، کارم لنگ مونده، کی درست میشه؟ خیلی بده"),
    ("fa", "از دیشب نت نوین نت وصل نمیشه، خسته شدیم از این وضع"),
    ("en", "NovinNet has been down for hours, no internet at all, terrible service"),
    ("en", "@novinnet outage again?! Whole building offline, worst ISP ever"),
    ("en", "novinnet internet is down and support won't even pick up. Awful."),
    ("fa", "نوین نت قطعه و تو اپ هم نوشته همه چیز عادیه، دروغ میگن"),
]


@dataclass(slots=True)
class DemoPlan:
    history_minutes: int = 120
    normal_per_minute: dict[str, float] | None = None
    crisis_brand: str = "novinnet"
    crisis_per_minute: float = 60.0

    def rates(self) -> dict[str, float]:
        return self.normal_per_minute or {"novinnet": 4.0, "tazeban": 3.0}


def _followers(rng: random.Random) -> int:
    """Heavy-tailed audience: most accounts are small, a few are large."""
    return int(min(2_000_000, rng.paretovariate(1.2) * 80))


def _mention(rng: random.Random, seq: int, brand: str, lang: str, text: str, ts: float, *, influencer: bool = False) -> Mention:
    handle = f"user{rng.randrange(1, 50_000)}"
    followers = 450_000 if influencer else _followers(rng)
    return Mention(
        id=f"demo-{brand}-{seq}",
        platform=rng.choice(["twitter", "instagram", "telegram"]),
        text=text,
        created_at=ts,
        author=Author(id=f"u:{handle}", handle=handle, followers=followers, verified=influencer),
        metrics=Metrics(likes=rng.randrange(0, 40), reshares=rng.randrange(0, 8) + (300 if influencer else 0),
                        views=followers * 2),
        url=f"https://social.example/{handle}/status/{seq}",
        lang=lang,
    )


def normal_traffic(start: float, end: float, plan: DemoPlan, rng: random.Random, seq0: int = 0) -> Iterator[Mention]:
    """Poisson arrivals of everyday chatter for every brand, in event-time order."""
    seq = seq0
    events: list[tuple[float, str]] = []
    for brand, per_minute in plan.rates().items():
        t = start
        while True:
            t += rng.expovariate(per_minute / 60.0)
            if t >= end:
                break
            events.append((t, brand))
    for ts, brand in sorted(events):
        seq += 1
        lang, text = rng.choice(NORMAL[brand])
        yield _mention(rng, seq, brand, lang, text, ts)


def crisis_traffic(
    start: float, end: float, plan: DemoPlan, rng: random.Random, seq0: int = 1_000_000, *, with_influencer: bool = True
) -> Iterator[Mention]:
    """The outage wave: complaints at `crisis_per_minute`; the first from a large account if asked."""
    seq = seq0
    t = start
    first = with_influencer
    while True:
        t += rng.expovariate(plan.crisis_per_minute / 60.0)
        if t >= end:
            break
        seq += 1
        lang, text = rng.choice(CRISIS_NOVINNET)
        yield _mention(rng, seq, plan.crisis_brand, lang, text, t, influencer=first)
        first = False
