"""Response playbooks: the first steps for the PR on-call, per complaint category, in Persian and English.

The text lives in `alerts/data/playbooks.yaml` so the team can edit wording without touching code.
Every playbook is the shared opening (acknowledge publicly, empathize, don't deny), then the
category's own steps, then the shared hand-over (move to a private channel, after-sales, close the
loop). A notification shows the playbook of its dominant complaint category, or the generic one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

GENERIC = "generic"
PLAYBOOKS_RESOURCE = "playbooks.yaml"


class PlaybookError(ValueError):
    """The playbook file is missing a field or has the wrong shape."""


@dataclass(frozen=True, slots=True)
class Playbook:
    category: str
    title_fa: str
    title_en: str
    owner_fa: str
    owner_en: str
    steps_fa: tuple[str, ...]
    steps_en: tuple[str, ...]
    first_reply_fa: str
    first_reply_en: str


def _pair(node: Any, where: str) -> tuple[str, str]:
    if not isinstance(node, Mapping):
        raise PlaybookError(f"{where}: expected a mapping with 'fa' and 'en'")
    fa, en = node.get("fa"), node.get("en")
    if not isinstance(fa, str) or not isinstance(en, str) or not fa.strip() or not en.strip():
        raise PlaybookError(f"{where}: both 'fa' and 'en' must be non-empty strings")
    return fa.strip(), en.strip()


def _steps(node: Any, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(node, Mapping):
        raise PlaybookError(f"{where}: expected a mapping with 'fa' and 'en' lists")
    out = []
    for lang in ("fa", "en"):
        items = node.get(lang)
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(s, str) and s.strip() for s in items)
        ):
            raise PlaybookError(f"{where}.{lang}: expected a non-empty list of strings")
        out.append(tuple(s.strip() for s in items))
    fa, en = out
    if len(fa) != len(en):
        raise PlaybookError(f"{where}: 'fa' has {len(fa)} steps but 'en' has {len(en)}")
    return fa, en


def parse_playbooks(data: Any) -> dict[str, Playbook]:
    """Build playbooks from the parsed YAML document, checking its shape precisely."""
    if not isinstance(data, Mapping):
        raise PlaybookError("playbooks: expected a mapping at the top level")
    common = data.get("common")
    if not isinstance(common, Mapping):
        raise PlaybookError("common: missing")
    before_fa, before_en = _steps(common.get("before"), "common.before")
    after_fa, after_en = _steps(common.get("after"), "common.after")
    categories = data.get("categories")
    if not isinstance(categories, Mapping) or GENERIC not in categories:
        raise PlaybookError(f"categories: missing, or has no {GENERIC!r} playbook")
    out: dict[str, Playbook] = {}
    for name, node in categories.items():
        where = f"categories.{name}"
        if not isinstance(node, Mapping):
            raise PlaybookError(f"{where}: expected a mapping")
        title_fa, title_en = _pair(node.get("title"), f"{where}.title")
        owner_fa, owner_en = _pair(node.get("owner"), f"{where}.owner")
        steps_fa, steps_en = _steps(node.get("steps"), f"{where}.steps")
        reply_fa, reply_en = _pair(node.get("first_reply"), f"{where}.first_reply")
        out[str(name)] = Playbook(
            category=str(name),
            title_fa=title_fa,
            title_en=title_en,
            owner_fa=owner_fa,
            owner_en=owner_en,
            steps_fa=before_fa + steps_fa + after_fa,
            steps_en=before_en + steps_en + after_en,
            first_reply_fa=reply_fa,
            first_reply_en=reply_en,
        )
    return out


def load_playbooks(path: str | Path | None = None) -> dict[str, Playbook]:
    """Playbooks from a YAML file, or the team's built-in ones when no path is given."""
    if path is None:
        text = resources.files("alerts").joinpath("data", PLAYBOOKS_RESOURCE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return parse_playbooks(yaml.safe_load(text))


@lru_cache(maxsize=1)
def builtin_playbooks() -> dict[str, Playbook]:
    return load_playbooks()


def playbook_for(category: str | None, playbooks: Mapping[str, Playbook] | None = None) -> Playbook:
    """The playbook for a complaint category; the generic one for None or an unknown category."""
    books = builtin_playbooks() if playbooks is None else playbooks
    if category and category in books:
        return books[category]
    return books[GENERIC]
