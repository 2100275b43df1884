"""docs/operations.md stays in step with what it documents: a runbook for every pipeline-health alert
(and the alert's runbook_url pointing at it), every dashboard panel explained, and every `bohran`
command line in it using options the CLI really has."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from bohran.cli import app

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = REPO / "docs" / "operations.md"
RULES_DIR = REPO / "deploy" / "prometheus" / "rules"
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "bohran-overview.json"
RUNBOOK_PARTS = ("**Means:**", "**Impact:**", "**Check:**", "**Fix:**")


@dataclass(frozen=True, slots=True)
class Section:
    level: int
    title: str
    body: str
    parent: str  # the enclosing level-2 heading

    @property
    def anchor(self) -> str:
        return github_anchor(self.title)


def github_anchor(title: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


def sections(markdown: str) -> list[Section]:
    """Headings with the text up to the next heading; fenced code is not mistaken for headings."""
    out: list[Section] = []
    current: tuple[int, str] | None = None
    parent = ""
    lines: list[str] = []
    fenced = False
    for line in [*markdown.splitlines(), "# end"]:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        heading = None if fenced else re.match(r"^(#{1,6}) (.+)$", line)
        if heading is None:
            lines.append(line)
            continue
        if current is not None:
            out.append(Section(current[0], current[1], "\n".join(lines), parent))
        level, title = len(heading.group(1)), heading.group(2).strip()
        if level <= 2:
            parent = title
        current, lines = (level, title), []
    return out


def section_text(markdown: str, title: str) -> str:
    """A level-2 section with all its subsections."""
    parts = [s for s in sections(markdown) if s.parent == title]
    assert parts, f"docs/operations.md has no section '## {title}'"
    return "\n".join(f"{'#' * s.level} {s.title}\n{s.body}" for s in parts)


def alert_rules() -> dict[str, dict]:
    rules = {}
    for path in sorted(RULES_DIR.glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    rules[rule["alert"]] = rule
    return rules


@pytest.fixture(scope="module")
def doc() -> str:
    return OPERATIONS.read_text(encoding="utf-8")


def test_every_alert_rule_has_a_runbook_and_links_to_it(doc: str) -> None:
    rules = alert_rules()
    assert rules, "no alert rules found"
    runbooks = {s.title: s for s in sections(doc) if s.parent == "Runbooks" and s.level == 3}
    for name, rule in rules.items():
        assert name in runbooks, f"docs/operations.md has no '### {name}' under '## Runbooks'"
        section = runbooks[name]
        url = rule.get("annotations", {}).get("runbook_url")
        assert url == f"docs/operations.md#{section.anchor}", f"{name}: runbook_url is {url!r}"
        for part in RUNBOOK_PARTS:
            assert part in section.body, f"runbook {name} has no {part} paragraph"


def test_every_runbook_is_for_an_alert_that_exists(doc: str) -> None:
    runbooks = {s.title for s in sections(doc) if s.parent == "Runbooks" and s.level == 3}
    stale = runbooks - set(alert_rules())
    assert not stale, f"runbooks for alerts no rule file defines: {sorted(stale)}"


def test_the_runbook_check_catches_a_missing_section() -> None:
    doc = "## Runbooks\n\n### BohranWorkerDown\n**Means:** x\n\n## Tuning\n\n### BohranBrandSilent\n"
    runbooks = {s.title for s in sections(doc) if s.parent == "Runbooks" and s.level == 3}
    assert runbooks == {"BohranWorkerDown"}  # a heading under another section is not a runbook
    assert github_anchor("BohranWorkerDown") == "bohranworkerdown"
    assert (
        github_anchor("Tuning thresholds with `bohran backtest`") == "tuning-thresholds-with-bohran-backtest"
    )


def test_every_dashboard_panel_is_explained(doc: str) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    titles = [p["title"] for p in panels if p.get("type") != "row"]
    reading = section_text(doc, "Reading the dashboard")
    missing = [t for t in titles if f"**{t}**" not in reading]
    assert not missing, f"panels 'Reading the dashboard' does not explain: {missing}"


def test_tuning_section_walks_through_the_backtest_workflow(doc: str) -> None:
    tuning = section_text(doc, "Tuning thresholds with `bohran backtest`")
    steps = [
        "bohran simulate",  # history when there is none
        "--labels",  # scored against labelled incidents
        "bohran backtest --config bohran.yaml",  # the current config
        "bohran backtest --config candidate.yaml",  # and a candidate
        "precision",
        "recall",
        "delay_min_median",
        "false_pages_by_brand",
        "brands[].detection",  # per-brand overrides
        "bohran config check",
        "hot",  # ... reload
        "**Config reloads**",
    ]
    missing = [step for step in steps if step not in tuning]
    assert not missing, f"the tuning section does not cover: {missing}"


def _cli() -> Any:
    """The CLI as a command tree (typer vendors click, so groups are recognised by their `commands`)."""
    command = typer.main.get_command(app)
    assert hasattr(command, "commands")
    return command


def _code(markdown: str) -> list[str]:
    """Inline code spans and fenced code lines."""
    fence = r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```"  # fences may be indented (inside list items)
    fenced = re.findall(fence, markdown, flags=re.S | re.M)
    outside = re.sub(fence, "", markdown, flags=re.S | re.M)
    return [line for block in fenced for line in block.splitlines()] + re.findall(r"`([^`\n]+)`", outside)


def command_lines(markdown: str) -> list[list[str]]:
    """Each `bohran …` invocation in code, as tokens up to a pipe, redirect or `;`."""
    out = []
    for code in _code(markdown):
        for piece in re.split(r"[|;>]|&&", code):
            tokens = piece.split()
            if "bohran" in tokens:
                out.append(tokens[tokens.index("bohran") + 1 :])
    return out


def unknown_options(tokens: list[str], root: Any) -> list[str]:
    """Subcommands or --options in `tokens` that `root` does not have."""
    command = root
    rest = list(tokens)
    while hasattr(command, "commands") and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        if name not in command.commands:
            return [f"command {name!r}"]
        command = command.commands[name]
    if hasattr(command, "commands"):
        return []  # `bohran alerts` on its own
    known = {opt for param in command.params for opt in getattr(param, "opts", [])}
    return [t for t in rest if t.startswith("--") and t.split("=", 1)[0] not in known]


def test_every_bohran_command_in_the_doc_exists_with_those_options(doc: str) -> None:
    root = _cli()
    lines = command_lines(doc)
    assert len(lines) >= 8, lines
    problems = {" ".join(t): bad for t in lines if (bad := unknown_options(t, root))}
    assert not problems, f"docs/operations.md uses what the CLI does not have: {problems}"


def test_the_option_check_catches_a_renamed_option() -> None:
    root = _cli()
    assert unknown_options(["backtest", "--config", "x.yaml", "--input", "h.jsonl"], root) == []
    assert unknown_options(["backtest", "--candidate", "x.yaml"], root) == ["--candidate"]
    assert unknown_options(["config", "verify", "x.yaml"], root) == ["command 'verify'"]


def test_options_the_tuning_section_names_are_backtest_options(doc: str) -> None:
    tuning = section_text(doc, "Tuning thresholds with `bohran backtest`")
    named = {code.split()[0] for code in _code(tuning) if code.startswith("--")}
    assert {"--json", "--step"} <= named, named
    assert unknown_options(["backtest", *sorted(named)], _cli()) == []
