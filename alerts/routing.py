"""Who hears about an alert: labels from the signal and the brand, then the Alertmanager-style route tree.

Routing runs on labels, never on free text: `brand`, `detector`, `severity`, `category` (the
dominant complaint category of the evidence) plus the brand's own `labels` from the config (e.g.
`team: isp-support`). The built-in labels win over a brand label with the same name, so a config
cannot make a warning look critical to the router.

Tree semantics are Alertmanager's: a node matches when all its matchers do; its children are tried
in order and the first match stops the search unless that child says `continue`; a node none of
whose children match is itself the match; a child without a receiver uses its parent's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from alerts.config import AlertingConfig, RouteConfig
from streams.config import BrandConfig
from streams.signal import Signal

BUILTIN_LABELS = ("brand", "detector", "severity", "category")


def dominant_category(categories: Mapping[str, int]) -> str | None:
    """The category with most negative mentions; ties go to the alphabetically first, for stability."""
    counted = [(count, name) for name, count in categories.items() if count > 0 and name]
    if not counted:
        return None
    return min(counted, key=lambda item: (-item[0], item[1]))[1]


def alert_labels(
    signal: Signal, brand: BrandConfig | None = None, *, severity: str | None = None
) -> dict[str, str]:
    """The labels routing, silences and inhibition see for this signal's alert."""
    labels = dict(brand.labels) if brand is not None else {}
    labels.update(
        {
            "brand": signal.brand,
            "detector": signal.detector,
            "severity": severity or signal.severity,
        }
    )
    category = dominant_category(signal.categories)
    if category is not None:
        labels["category"] = category
    else:
        labels.pop("category", None)
    return labels


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def labels_match(
    match: Mapping[str, str | list[str]], labels: Mapping[str, str], match_re: Mapping[str, str] | None = None
) -> bool:
    """Every exact matcher (a list means any of its values) and every regex (full match) holds.

    A missing label reads as the empty string, as in Alertmanager.
    """
    for name, wanted in match.items():
        actual = labels.get(name, "")
        if isinstance(wanted, str):
            if actual != wanted:
                return False
        elif actual not in wanted:
            return False
    for name, pattern in (match_re or {}).items():
        if _compiled(pattern).fullmatch(labels.get(name, "")) is None:
            return False
    return True


@dataclass(frozen=True, slots=True)
class RouteTarget:
    """A receiver an alert goes to and the channels that receiver delivers through."""

    receiver: str
    channels: tuple[str, ...]


class Router:
    """Resolves labels to receivers (and receivers to channels) for one alerting config."""

    def __init__(self, config: AlertingConfig) -> None:
        self.config = config
        self._channels = {r.name: tuple(r.channels) for r in config.receivers}

    def receivers_for(self, labels: Mapping[str, str]) -> list[str]:
        """Receivers in tree order, each once. Never empty: the root always matches."""
        root = self.config.route
        assert root.receiver is not None  # enforced by AlertingConfig
        matched = self._match(root, root.receiver, labels, is_root=True)
        seen: list[str] = []
        for receiver in matched:
            if receiver not in seen:
                seen.append(receiver)
        return seen

    def route(self, labels: Mapping[str, str]) -> list[RouteTarget]:
        return [RouteTarget(r, self.channels_for(r)) for r in self.receivers_for(labels)]

    def channels_for(self, receiver: str) -> tuple[str, ...]:
        """The receiver's channels; empty for a receiver the config no longer has."""
        return self._channels.get(receiver, ())

    def has_receiver(self, receiver: str) -> bool:
        return receiver in self._channels

    def _match(
        self, node: RouteConfig, inherited: str, labels: Mapping[str, str], *, is_root: bool
    ) -> list[str]:
        if not is_root and not labels_match(node.match, labels, node.match_re):
            return []
        receiver = node.receiver or inherited
        found: list[str] = []
        for child in node.routes:
            child_found = self._match(child, receiver, labels, is_root=False)
            found.extend(child_found)
            if child_found and not child.continue_:
                break
        return found or [receiver]
