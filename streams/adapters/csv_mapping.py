"""CSV with a column mapping: monitoring-tool exports and spreadsheets into mentions.

Every tool names its columns differently, so the operator says which column holds which mention
field: `--map id=post_id,text=body,created_at=time,author.followers=fans`. Columns already named
like a field (`id`, `text`, `author.followers`, ...) need no mapping. The delimiter (`,` `;` tab
`|`) is detected, a UTF-8 BOM (as Excel writes) is ignored, counts may be written "1,204" or "3.5K",
times as RFC 3339, as naive local times (read in `--timezone`) or as epoch seconds/milliseconds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, BinaryIO

from streams.adapters import (
    AdapterError,
    AdapterOptions,
    Candidate,
    Item,
    Skipped,
    as_int,
    localize,
    read_all,
)

FIELDS = (
    "id",
    "platform",
    "text",
    "created_at",
    "url",
    "lang",
    "reshare_of",
    "reply_to",
    "brands",
    "author.id",
    "author.handle",
    "author.followers",
    "author.verified",
    "metrics.likes",
    "metrics.reshares",
    "metrics.replies",
    "metrics.views",
)
COUNT_FIELDS = {"author.followers", "metrics.likes", "metrics.reshares", "metrics.replies", "metrics.views"}
DEFAULT_PLATFORM = "web"
_TRUE = {"true", "yes", "y", "1", "t", "verified"}
_FALSE = {"false", "no", "n", "0", "f", ""}


def parse_column_map(spec: str | None) -> dict[str, str]:
    """`field=column,field=column` → {field: column}; unknown fields are an AdapterError."""
    mapping: dict[str, str] = {}
    if not spec:
        return mapping
    for pair in spec.split(","):
        if not pair.strip():
            continue
        target, sep, column = pair.partition("=")
        target, column = target.strip(), column.strip()
        if not sep or not target or not column:
            raise AdapterError(f"--map entry {pair.strip()!r} is not field=column")
        if target not in FIELDS:
            raise AdapterError(f"--map: unknown mention field {target!r}; fields: {', '.join(FIELDS)}")
        if target in mapping:
            raise AdapterError(f"--map: field {target!r} is mapped twice")
        mapping[target] = column
    return mapping


def _sniff_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def resolve_columns(header: list[str], column_map: Mapping[str, str]) -> dict[str, int]:
    """Mention field → column index: the explicit map, then columns named like fields."""
    index = {name.strip(): i for i, name in enumerate(header)}
    resolved: dict[str, int] = {}
    missing = [column for column in column_map.values() if column not in index]
    if missing:
        raise AdapterError(f"CSV has no column {', '.join(map(repr, missing))}; columns: {', '.join(index)}")
    mapped_columns = set(column_map.values())
    for target in FIELDS:
        if target in column_map:
            resolved[target] = index[column_map[target]]
        elif target in index and target not in mapped_columns:
            resolved[target] = index[target]
    for required in ("id", "text", "created_at"):
        if required not in resolved:
            raise AdapterError(f"CSV: no column for {required!r}; map one with --map {required}=COLUMN")
    return resolved


def _time(value: str, options: AdapterOptions, zone: Any) -> Any:
    text = value.strip()
    if text.isdigit():
        number = int(text)
        return number / 1000 if number > 10**11 else number  # epoch milliseconds vs seconds
    return localize(text, zone)


def _bool(value: str) -> bool | str:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return value


def convert(source: BinaryIO | Iterable[bytes], options: AdapterOptions) -> Iterator[Item]:
    data = read_all(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AdapterError(f"CSV is not UTF-8 (byte {exc.start}); re-save it as UTF-8") from exc
    if not text.strip():
        return
    zone = options.zone()
    reader = csv.reader(io.StringIO(text, newline=""), _sniff_dialect(text[:8192]))
    header = next(reader, None)
    if header is None:
        return
    columns = resolve_columns(header, options.column_map)
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Skipped(
                f"line {line}", "wrong_columns", f"row has {len(row)} cells, header has {len(header)}"
            )
            continue
        if not row[columns["text"]].strip():
            yield Skipped(f"line {line}", "no_text", "row has an empty text cell", rejected=False)
            continue
        yield Candidate(f"line {line}", row_to_mention(row, columns, options, zone))


def row_to_mention(
    row: list[str], columns: Mapping[str, int], options: AdapterOptions, zone: Any
) -> dict[str, Any]:
    mention: dict[str, Any] = {"platform": options.platform or DEFAULT_PLATFORM}
    for target, position in columns.items():
        raw = row[position]
        if not raw.strip():
            continue
        value: Any = raw
        if target in COUNT_FIELDS:
            value = as_int(raw)
        elif target == "author.verified":
            value = _bool(raw)
        elif target == "created_at":
            value = _time(raw, options, zone)
        elif target == "brands":
            value = [b.strip() for b in raw.replace(";", "|").split("|") if b.strip()]
        elif target != "text":
            value = raw.strip()
        if "." in target:
            group, key = target.split(".", 1)
            mention.setdefault(group, {})[key] = value
        else:
            mention[target] = value
    author = mention.get("author")
    if isinstance(author, dict) and "id" not in author and author.get("handle"):
        author["id"] = author["handle"]  # a handle is the only stable identity many exports carry
    return mention
