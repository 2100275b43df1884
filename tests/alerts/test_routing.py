"""Route tree semantics (Alertmanager's) and the labels routing sees."""

from __future__ import annotations

from typing import Any

import pytest
from alert_support import build_signal
from pydantic import ValidationError

from alerts.config import AlertingConfig
from alerts.routing import Router, alert_labels, dominant_category, labels_match
from streams.config import BrandConfig

CHANNELS = [{"type": "console", "name": n} for n in ("slack-pr", "email-pr", "email-care", "webhook-isp")]
RECEIVERS = [
    {"name": "pr-oncall", "channels": ["slack-pr", "email-pr"]},
    {"name": "after-sales", "channels": ["email-care"]},
    {"name": "isp-team", "channels": ["webhook-isp"]},
    {"name": "blackhole", "channels": []},
]


def router(route: dict[str, Any]) -> Router:
    return Router(
        AlertingConfig.model_validate({"route": route, "receivers": RECEIVERS, "channels": CHANNELS})
    )


def labels(**values: str) -> dict[str, str]:
    base = {"brand": "novinnet", "detector": "negative_volume", "severity": "warning"}
    base.update(values)
    return base


TREE = {
    "receiver": "pr-oncall",
    "routes": [
        {"match": {"severity": "critical"}, "receiver": "pr-oncall"},
        {"match": {"category": ["delivery", "billing"]}, "receiver": "after-sales", "continue": True},
        {
            "match": {"team": "isp"},
            "receiver": "isp-team",
            "routes": [{"match": {"detector": "viral_post"}}],  # inherits isp-team
        },
        {"match_re": {"brand": "test-.*"}, "receiver": "blackhole"},
    ],
}


def test_no_child_matches_falls_back_to_root() -> None:
    assert router(TREE).receivers_for(labels()) == ["pr-oncall"]


def test_first_match_wins() -> None:
    # critical + isp team: the critical route matches first and does not continue
    assert router(TREE).receivers_for(labels(severity="critical", team="isp")) == ["pr-oncall"]


def test_continue_lets_later_siblings_match_too() -> None:
    r = router(TREE)
    assert r.receivers_for(labels(category="billing", team="isp")) == ["after-sales", "isp-team"]
    # a continuing route that is the only match is still the whole answer (Alertmanager)
    assert r.receivers_for(labels(category="delivery")) == ["after-sales"]


def test_child_without_receiver_inherits() -> None:
    assert router(TREE).receivers_for(labels(team="isp", detector="viral_post")) == ["isp-team"]


def test_regex_matchers_match_the_whole_value() -> None:
    r = router(TREE)
    assert r.receivers_for(labels(brand="test-brand")) == ["blackhole"]
    assert r.receivers_for(labels(brand="my-test-brand")) == ["pr-oncall"]
    assert r.channels_for("blackhole") == ()


def test_channels_for_receivers() -> None:
    r = router(TREE)
    targets = r.route(labels(category="billing", team="isp"))
    assert [(t.receiver, t.channels) for t in targets] == [
        ("after-sales", ("email-care",)),
        ("isp-team", ("webhook-isp",)),
    ]
    assert r.channels_for("gone") == () and not r.has_receiver("gone")


def test_receivers_listed_once() -> None:
    tree = {
        "receiver": "pr-oncall",
        "routes": [
            {"match": {"brand": "novinnet"}, "receiver": "pr-oncall", "continue": True},
            {"match": {"severity": "warning"}, "receiver": "pr-oncall"},
        ],
    }
    assert router(tree).receivers_for(labels()) == ["pr-oncall"]


def test_missing_label_reads_as_empty() -> None:
    assert labels_match({"category": ""}, labels())
    assert not labels_match({"category": "billing"}, labels())
    assert labels_match({}, labels(), {"category": "|billing"})


def test_config_rejects_bad_trees() -> None:
    base = {"receivers": RECEIVERS, "channels": CHANNELS}
    with pytest.raises(ValidationError, match="unknown receiver 'nobody'"):
        AlertingConfig.model_validate(
            {**base, "route": {"receiver": "pr-oncall", "routes": [{"receiver": "nobody"}]}}
        )
    with pytest.raises(ValidationError, match="root route matches every alert"):
        AlertingConfig.model_validate({**base, "route": {"receiver": "pr-oncall", "match": {"brand": "x"}}})
    with pytest.raises(ValidationError, match="invalid regular expression"):
        AlertingConfig.model_validate(
            {**base, "route": {"receiver": "pr-oncall", "routes": [{"match_re": {"brand": "("}}]}}
        )
    with pytest.raises(ValidationError, match="inhibition works within one brand"):
        AlertingConfig.model_validate(
            {**base, "inhibit_rules": [{"source": {"severity": "critical"}, "target": {}, "equal": []}]}
        )
    with pytest.raises(ValidationError, match="receiver names must be unique"):
        AlertingConfig.model_validate(
            {
                "receivers": [*RECEIVERS, RECEIVERS[0]],
                "channels": CHANNELS,
                "route": {"receiver": "pr-oncall"},
            }
        )


def test_continue_alias_round_trips() -> None:
    config = AlertingConfig.model_validate({"route": TREE, "receivers": RECEIVERS, "channels": CHANNELS})
    assert config.route.routes[1].continue_ is True
    assert config.model_dump(by_alias=True)["route"]["routes"][1]["continue"] is True


# -- labels -----------------------------------------------------------------------------------------


def test_alert_labels_combine_signal_and_brand_labels() -> None:
    brand = BrandConfig(
        id="novinnet",
        name="N",
        aliases=["n"],
        labels={"team": "isp", "severity": "critical", "brand": "other"},
    )
    got = alert_labels(build_signal(categories={"billing": 3, "outage": 9}), brand)
    # a brand label cannot impersonate a built-in one
    assert got == {
        "team": "isp",
        "severity": "warning",
        "brand": "novinnet",
        "detector": "negative_volume",
        "category": "outage",
    }
    assert "category" not in alert_labels(build_signal(categories={}), None)
    assert alert_labels(build_signal(), None, severity="critical")["severity"] == "critical"


def test_dominant_category_is_stable_on_ties() -> None:
    assert dominant_category({"billing": 4, "delivery": 4, "outage": 1}) == "billing"
    assert dominant_category({"billing": 0}) is None
    assert dominant_category({}) is None
