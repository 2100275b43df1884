"""Running an adapter on a fixture the way `bohran ingest` does: convert, then validate."""

from __future__ import annotations

from pathlib import Path

from streams.adapters import AdapterOptions, Candidate, Skipped, convert
from streams.mention import InvalidMention, Mention, parse_mention

FIXTURES = Path(__file__).parent / "fixtures"


def run(fmt: str, name: str, **options: object) -> tuple[list[Mention], list[tuple[str, str]], list[Skipped]]:
    """(valid mentions, [(where, reason)] of invalid items, non-post skips) for one fixture."""
    mentions: list[Mention] = []
    invalid: list[tuple[str, str]] = []
    skipped: list[Skipped] = []
    with (FIXTURES / name).open("rb") as source:
        for item in convert(fmt, source, AdapterOptions(**options)):  # type: ignore[arg-type]
            if isinstance(item, Candidate):
                try:
                    mentions.append(parse_mention(item.value))
                except InvalidMention as exc:
                    invalid.append((item.where, exc.reason))
            elif item.rejected:
                invalid.append((item.where, item.reason))
            else:
                skipped.append(item)
    return mentions, invalid, skipped


def by_id(mentions: list[Mention]) -> dict[str, Mention]:
    return {m.id: m for m in mentions}
