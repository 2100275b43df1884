"""The whole `bohran.yaml`: streams settings + alerting, loaded with precise, line-numbered errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from alerts.channels.config import secret_env_names
from alerts.config import AlertingConfig
from streams.config import StreamsConfig


class BohranConfig(StreamsConfig):
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)

    @property
    def streams(self) -> StreamsConfig:
        return self

    @model_validator(mode="after")
    def _advocates_receiver_exists(self) -> BohranConfig:
        receiver = self.advocates.receiver
        if receiver is not None and self.alerting.receiver(receiver) is None:
            names = ", ".join(r.name for r in self.alerting.receivers)
            raise ValueError(
                f"advocates.receiver: unknown receiver {receiver!r} (alerting.receivers: {names})"
            )
        return self


class ConfigError(Exception):
    """A config file that cannot be used; `problems` are 'path (line N): message' strings."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


class _LineLoader(yaml.SafeLoader):
    """Records the line of every mapping key so validation errors can point into the file."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    lines = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            lines[key] = key_node.start_mark.line + 1
    return _LineDict(mapping, lines, node.start_mark.line + 1)


class _LineDict(dict):
    def __init__(self, data: dict[Any, Any], key_lines: dict[Any, int], line: int) -> None:
        super().__init__(data)
        self.key_lines = key_lines
        self.line = line


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_of(doc: Any, loc: tuple[Any, ...]) -> int | None:
    node, line = doc, getattr(doc, "line", None)
    for part in loc:
        if isinstance(node, _LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or "[" in str(part):
            continue  # pydantic's internal validator steps say nothing to a user
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def parse_config(text: str, source: str = "<config>", *, check_env: bool = True) -> BohranConfig:
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(source, [f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(source, ["the top level must be a mapping"])
    try:
        config = BohranConfig.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line_of(doc, loc)
            where = f" (line {line})" if line else ""
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (typo?)"
            problems.append(f"{_format_loc(loc)}{where}: {msg}")
        raise ConfigError(source, problems) from None
    if check_env:
        missing = []
        for channel in config.alerting.channels:
            for name in secret_env_names(channel):
                import os

                if not os.environ.get(name):
                    missing.append(f"alerting.channels[{channel.name}]: environment variable {name} is not set")
        if missing:
            raise ConfigError(source, missing)
    return config


def load_config(path: str | Path, *, check_env: bool = True) -> BohranConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), ["not UTF-8 text"]) from None
    return parse_config(text, str(path), check_env=check_env)
