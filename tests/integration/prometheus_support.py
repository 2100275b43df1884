"""A real Prometheus for integration tests, and the Grafana dashboard's queries as Grafana would send them.

`PrometheusServer` runs the Debian `prometheus` binary on a free loopback port with a temporary TSDB,
using the shipped `deploy/prometheus/prometheus.yml` (job names, rule files) with only the scrape
targets and the intervals changed for a test that lasts a minute.

`dashboard_queries` + `interpolate` turn each panel target / annotation of the dashboard JSON into the
PromQL Grafana would send: template variables (`$brand`, `${brand}`, `[[brand]]`) replaced by the
selected value (a multi-value or All selection as a regex, the way Grafana formats it for
Prometheus), and `$__interval` / `$__rate_interval` / `$__range` computed from the time range, the
panel width and the datasource's scrape interval.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bohran.local_stack import REPO_ROOT, free_port

PROMETHEUS_DIR = REPO_ROOT / "deploy" / "prometheus"
DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "bohran-overview.json"
PROMETHEUS_BIN = shutil.which("prometheus") or "/usr/bin/prometheus"
WORKER_JOB = "bohran-worker"


class PrometheusServer:
    """`prometheus` as a subprocess scraping the given workers; `stop()` ends it."""

    def __init__(self, workdir: Path, worker_targets: Sequence[str], interval_s: float = 1.0) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.interval_s = interval_s
        self.config_path = workdir / "prometheus.yml"
        self.log_path = workdir / "prometheus.log"
        self.config_path.write_text(yaml.safe_dump(self._config(worker_targets)), encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None

    def _config(self, worker_targets: Sequence[str]) -> dict[str, Any]:
        """The shipped config with test targets and intervals; rule files resolved from deploy/prometheus."""
        shipped = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
        interval = f"{int(self.interval_s * 1000)}ms"
        shipped["global"].update(
            scrape_interval=interval, scrape_timeout=interval, evaluation_interval=interval
        )
        shipped["rule_files"] = [str(PROMETHEUS_DIR / pattern) for pattern in shipped["rule_files"]]
        jobs = {job["job_name"]: job for job in shipped["scrape_configs"]}
        assert WORKER_JOB in jobs, f"deploy/prometheus/prometheus.yml has no {WORKER_JOB} job"
        jobs[WORKER_JOB]["static_configs"] = [{"targets": list(worker_targets)}]
        shipped["scrape_configs"] = [jobs[WORKER_JOB]]
        return shipped

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> PrometheusServer:
        if not Path(PROMETHEUS_BIN).exists():
            raise RuntimeError("prometheus is needed (Debian package prometheus); not found")
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                PROMETHEUS_BIN,
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1d",
                "--log.level=warn",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"prometheus not ready after {timeout_s}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        self.proc = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # ---- HTTP API -----------------------------------------------------------------------
    def api(self, path: str, params: Sequence[tuple[str, str]] | Mapping[str, str] = ()) -> Any:
        """GET /api/v1/<path>; returns `data`, raises with Prometheus' error text otherwise."""
        query = urllib.parse.urlencode(params)
        url = f"{self.base_url}/api/v1/{path}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                body = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read() or b"{}")
            raise AssertionError(f"{path} {dict(params)}: HTTP {exc.code}: {body.get('error')}") from None
        assert body.get("status") == "success", body
        return body["data"]

    def query(self, expr: str, at: float) -> list[dict[str, Any]]:
        """Instant query: one sample per series, `value` = [time, "value"]."""
        data = self.api("query", {"query": expr, "time": f"{at:.3f}"})
        return data["result"] if data["resultType"] == "vector" else [{"metric": {}, "value": data["result"]}]

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        data = self.api(
            "query_range", {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        )
        return data["result"]

    def label_values(self, label: str, match: str) -> list[str]:
        return self.api(f"label/{label}/values", [("match[]", match)])

    def rule_groups(self) -> list[dict[str, Any]]:
        return self.api("rules")["groups"]

    def firing_alerts(self) -> list[dict[str, Any]]:
        return [a for a in self.api("alerts")["alerts"] if a["state"] == "firing"]

    def scraped_value(self, expr: str) -> float:
        """Sum of an instant query now (0 when empty): for waiting on a condition."""
        return sum(float(s["value"][1]) for s in self.query(expr, time.time()) if _finite(s["value"][1]))


def _finite(value: str) -> bool:
    return not math.isnan(float(value)) and not math.isinf(float(value))


def finite_values(series: list[dict[str, Any]]) -> list[float]:
    """Every finite sample of an instant (`value`) or range (`values`) result."""
    samples = [s["value"] for s in series if "value" in s]
    samples += [point for s in series for point in s.get("values", [])]
    return [float(v) for _, v in samples if _finite(v)]


# ---------------------------------------------------------------------------------------------
# The dashboard's queries


@dataclass(frozen=True, slots=True)
class DashboardQuery:
    where: str  # "panel 'Title' target A" / "annotation 'name'"
    expr: str
    instant: bool  # Grafana sends /api/v1/query (True) or /api/v1/query_range (False)
    width: int  # grid columns (of 24): Grafana's default max data points is the panel's pixel width
    step_s: float | None = None  # an annotation's fixed step


def _panels(panels: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # rows (collapsed or not) may hold panels


def _duration_s(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)", text.strip())
    assert match, f"not a Grafana duration: {text!r}"
    return float(match.group(1)) * units[match.group(2)]


def dashboard_queries(dashboard: dict[str, Any]) -> list[DashboardQuery]:
    """Every Prometheus query the dashboard runs: panel targets (nested panels too) and annotations."""
    out = []
    for panel in _panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            if target.get("hide") or "expr" not in target:
                continue
            out.append(
                DashboardQuery(
                    where=f"panel {panel.get('title')!r} target {target.get('refId')}",
                    expr=target["expr"],
                    instant=bool(target.get("instant")) and not target.get("range"),
                    width=int(panel.get("gridPos", {}).get("w", 24)),
                )
            )
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if "expr" in annotation and annotation.get("enable", True):
            out.append(
                DashboardQuery(
                    where=f"annotation {annotation['name']!r}",
                    expr=annotation["expr"],
                    instant=False,
                    width=24,
                    step_s=_duration_s(annotation["step"]) if annotation.get("step") else None,
                )
            )
    return out


# Grafana's interval rounding: (upper bound in ms, interval in ms), first bound above the raw interval.
# fmt: off
_ROUNDING_MS = (
    (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500), (1_500, 1_000), (3_500, 2_000),
    (7_500, 5_000), (12_500, 10_000), (17_500, 15_000), (25_000, 20_000), (45_000, 30_000),
    (90_000, 60_000), (210_000, 120_000), (450_000, 300_000), (750_000, 600_000), (1_050_000, 900_000),
    (1_500_000, 1_200_000), (2_700_000, 1_800_000), (5_400_000, 3_600_000), (9_000_000, 7_200_000),
    (16_200_000, 10_800_000), (24_300_000, 21_600_000), (64_800_000, 43_200_000),
    (604_800_000, 86_400_000),
)
# fmt: on


def grafana_interval(range_s: float, max_data_points: int, min_interval_s: float) -> float:
    """$__interval: the time range over the panel's data points, rounded, never below the scrape interval."""
    raw_ms = range_s * 1000 / max(1, max_data_points)
    rounded_ms = next((to for bound, to in _ROUNDING_MS if raw_ms < bound), 604_800_000)
    return max(rounded_ms / 1000, min_interval_s)


def rate_interval(interval_s: float, scrape_s: float) -> float:
    """$__rate_interval: an interval plus one scrape, and at least four scrapes (Grafana's rule)."""
    return max(interval_s + scrape_s, 4 * scrape_s)


def panel_pixels(grid_width: int, screen_px: int = 1920) -> int:
    """Grafana's default max data points is the panel's width in pixels."""
    return max(1, screen_px * grid_width // 24)


def _duration(seconds: float) -> str:
    return f"{int(round(seconds * 1000))}ms" if seconds < 1 or seconds != int(seconds) else f"{int(seconds)}s"


def format_selection(values: Sequence[str], all_value: str | None) -> str:
    """A variable's value inside PromQL: one value as is, several (or All without allValue) as a regex."""
    if all_value is not None:
        return all_value
    if len(values) == 1:
        return values[0]
    return "(" + "|".join(re.escape(v) for v in values) + ")"


_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)")


def interpolate(
    expr: str,
    variables: Mapping[str, str],
    *,
    range_s: float,
    interval_s: float,
    scrape_s: float,
) -> str:
    """`expr` with template variables and Grafana's built-in interval variables replaced."""
    builtins = {
        "__interval": _duration(interval_s),
        "__interval_ms": str(int(interval_s * 1000)),
        "__rate_interval": _duration(rate_interval(interval_s, scrape_s)),
        "__range": _duration(range_s),
        "__range_s": str(int(range_s)),
        "__range_ms": str(int(range_s * 1000)),
    }
    values = {**builtins, **variables}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        if name not in values:
            raise AssertionError(f"unknown template variable ${name} in {expr!r}")
        return values[name]

    return _VARIABLE.sub(replace, expr)


def load_dashboard(path: Path = DASHBOARD) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def template_variables(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}


def variable_options(variable: dict[str, Any], prometheus: PrometheusServer) -> list[str]:
    """A query variable's options as Grafana computes them: label_values(metric, label), then its regex."""
    definition = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
    match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", definition.strip())
    assert match, f"variable {variable['name']}: unsupported query {definition!r}"
    values = prometheus.label_values(match.group(2), match.group(1))
    pattern = variable.get("regex") or ""
    if pattern:
        body = pattern[1:].rsplit("/", 1)[0] if pattern.startswith("/") else pattern
        values = [v for v in values if re.search(body, v)]
    return sorted(values)
