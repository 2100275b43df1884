"""Issue A end to end: normal traffic for two brands, a complaint burst for one → exactly one Slack
message and one email naming that brand with counts and the top post; nothing for the quiet brand;
the same burst replayed inside the cooldown sends nothing more."""

from __future__ import annotations

import json
import random
import time

from kafka_helpers import produce_raw, wait_for

from streams import topics

NORMAL = {
    "novinnet": ["سرعت اینترنت نوین‌نت امروز خوب بود", "کسی می‌دونه بسته‌های جدید نوین نت کی میاد؟",
                 "novinnet support answered quickly, thanks"],
    "tazeban": ["خرید از تازه‌بان به موقع رسید، ممنون", "Is @tazeban open on Fridays?",
                "میوه‌های #تازه_بان تازه بود"],
}
COMPLAINTS = [
    "اینترنت نوین‌نت از صبح قطعه، هیچ جوابی هم نمیدن! افتضاحه",
    "#نوین_نت قطعی کامل، کل محله بدون اینترنت موندیم",
    "NovinNet has been down for hours, no internet at all, terrible service",
    "@novinnet outage again?! worst ISP ever",
]


def mention(i: int, brand: str, text: str, ts: float, followers: int = 300) -> dict:
    return {
        "id": f"{brand}-{i}",
        "platform": "twitter",
        "text": text,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z",
        "url": f"https://social.example/s/{brand}-{i}",
        "author": {"id": f"u{i}", "handle": f"user{i}", "followers": followers},
        "metrics": {"likes": 1, "reshares": 0, "replies": 0, "views": followers},
    }


def packed(mentions: list[dict], size: int = 200) -> list[bytes]:
    return [json.dumps(mentions[i : i + size], ensure_ascii=False).encode() for i in range(0, len(mentions), size)]


def test_burst_pages_once_per_channel_and_replay_is_deduplicated(start_worker, kafka_bootstrap, slack, smtp, namespace):
    start_worker()
    topic = namespace + topics.MENTIONS
    rng = random.Random(3)
    now = time.time()
    history = []
    t = now - 3 * 3600
    i = 0
    while t < now - 60:  # three hours of ordinary chatter, ~2 mentions/min per brand
        for brand in NORMAL:
            i += 1
            history.append(mention(i, brand, rng.choice(NORMAL[brand]), t + rng.random() * 30))
        t += 30
    history.sort(key=lambda m: m["created_at"])
    produce_raw(kafka_bootstrap, topic, packed(history))
    time.sleep(3)
    assert slack.received() == [] and smtp.messages == [], "ordinary traffic must not page"

    burst = []
    top_followers = 250_000
    for k in range(150):  # 150 complaints within ~2 minutes, one from a large account
        i += 1
        burst.append(mention(i, "novinnet", COMPLAINTS[k % len(COMPLAINTS)], now - 100 + k * 0.8,
                             followers=top_followers if k == 40 else 200 + k))
    produce_raw(kafka_bootstrap, topic, packed(burst, 50))

    wait_for(lambda: len(slack.received()) >= 1 and len(smtp.messages) >= 1, 90, what="Slack POST and email")
    time.sleep(8)  # anything else that would be sent for this incident arrives in this time
    posts = slack.received()
    assert len(posts) == 1, [p.body[:300] for p in posts]
    assert len(smtp.messages) == 1
    body = json.dumps(posts[0].json(), ensure_ascii=False)
    assert "NovinNet" in body or "نوین" in body
    for quiet in ("tazeban", "تازه‌بان", "تازه بان"):
        at = body.lower().find(quiet)
        assert at < 0, f"the quiet brand appears in the alert: …{body[max(0, at - 200):at + 100]}…"
    assert f"novinnet-{burst[40]['id'].split('-')[1]}" in body or "social.example/s/" + burst[40]["id"] in body, \
        "the top post (largest reach) is linked"
    mail = smtp.messages[0]
    assert "novinnet" in mail["Subject"].lower() or "نوین" in mail["Subject"]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert any(ch.isdigit() for ch in text)

    # The same burst again, inside the cooldown: nothing new is sent.
    produce_raw(kafka_bootstrap, topic, packed(burst, 50))
    time.sleep(10)
    assert len(slack.received()) == 1
    assert len(smtp.messages) == 1
