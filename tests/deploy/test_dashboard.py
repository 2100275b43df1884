"""The Grafana dashboard only queries metrics that exist, per-brand panels follow the brand variable,
and every query is valid PromQL (checked by promtool)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.metrics import metric_catalog

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "bohran-overview.json"
RULES_DIR = REPO / "deploy" / "prometheus" / "rules"
DATASOURCES = REPO / "deploy" / "grafana" / "provisioning" / "datasources"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

METRIC_NAME = re.compile(r"\b(bohran_[A-Za-z0-9_]+)")
RECORDED_NAME = re.compile(r"\b(bohran:[A-Za-z0-9_:]+)")
# A metric name with an optional selector: group 1 the name, group 2 the matchers inside {...}.
SELECTOR = re.compile(r"\b(bohran[_:][A-Za-z0-9_:]+)\s*(?:\{([^}]*)\})?")
BRAND_MATCHER = 'brand=~"$brand"'


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def all_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))  # collapsed rows hold their panels
    return [p for p in out if p.get("type") != "row"]


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, expr) for every panel target and every Prometheus annotation."""
    out = []
    for panel in all_panels(dashboard):
        for target in panel.get("targets", []):
            out.append((f"panel {panel['title']!r} target {target.get('refId')}", target["expr"]))
    for annotation in dashboard["annotations"]["list"]:
        if "expr" in annotation:
            out.append((f"annotation {annotation['name']!r}", annotation["expr"]))
    return out


def exposed_names() -> dict[str, tuple[str, ...]]:
    """Sample name -> label names, for every series name streams/metrics.py can expose."""
    names: dict[str, tuple[str, ...]] = {}
    for base, (kind, labels) in metric_catalog().items():
        if kind == "counter":
            names[f"{base}_total"] = labels
        elif kind == "histogram":
            for suffix in ("_bucket", "_sum", "_count"):
                names[base + suffix] = labels
        else:
            names[base] = labels
    return names


def recording_rules() -> dict[str, str]:
    """Recorded name -> its expression, from deploy/prometheus/rules."""
    rules = {}
    for path in sorted(RULES_DIR.glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    rules[rule["record"]] = rule["expr"]
    return rules


def brand_labelled(name: str) -> bool:
    if name in exposed_names():
        return "brand" in exposed_names()[name]
    expr = recording_rules().get(name, "")
    return bool(re.search(r"by\s*\([^)]*\bbrand\b", expr))


# --- metric names -----------------------------------------------------------------------------------


def test_every_queried_metric_is_defined_in_streams_metrics(dashboard: dict[str, Any]) -> None:
    known = exposed_names()
    unknown = []
    for where, expr in queries(dashboard):
        for name in METRIC_NAME.findall(expr):
            if name not in known:
                unknown.append(f"{where}: {name}")
    assert not unknown, "queries use metrics streams/metrics.py does not define:\n" + "\n".join(unknown)


def test_every_recorded_series_used_is_a_recording_rule(dashboard: dict[str, Any]) -> None:
    recorded = recording_rules()
    used = {name for _, expr in queries(dashboard) for name in RECORDED_NAME.findall(expr)}
    assert used, "the dashboard uses no recording rule (expected at least the negative share ratio)"
    assert used <= set(recorded), f"not recorded by deploy/prometheus/rules: {sorted(used - set(recorded))}"


def test_the_dashboard_shows_every_bohran_metric(dashboard: dict[str, Any]) -> None:
    used = {name for _, expr in queries(dashboard) for name in METRIC_NAME.findall(expr)}
    shown_bases = set()
    for base, (kind, _) in metric_catalog().items():
        names = {
            "counter": [f"{base}_total"],
            "histogram": [f"{base}_bucket", f"{base}_sum", f"{base}_count"],
        }.get(kind, [base])
        if used & set(names):
            shown_bases.add(base)
    assert shown_bases == set(metric_catalog()), (
        f"metrics with no panel: {sorted(set(metric_catalog()) - shown_bases)}"
    )


def test_the_required_views_exist(dashboard: dict[str, Any]) -> None:
    exprs_by_title = {
        p["title"]: " ".join(t["expr"] for t in p.get("targets", [])) for p in all_panels(dashboard)
    }

    def panel_using(*needles: str) -> bool:
        return any(all(n in expr for n in needles) for expr in exprs_by_title.values())

    assert panel_using("bohran_brand_mentions_total", "sentiment")  # mentions/min by sentiment
    assert panel_using("bohran_negative_share", "bohran_baseline_negative_share")  # share vs baseline
    assert panel_using("bohran_spike_score", "bohran_detector_threshold")  # score vs threshold
    assert panel_using("bohran_brand_reach_total")
    assert panel_using("topk", "bohran_negative_share")  # top brands by negative share
    assert panel_using("bohran_notifications_total", "outcome")
    assert panel_using(
        "histogram_quantile(0.5", "histogram_quantile(0.99", "bohran_notification_latency_seconds_bucket"
    )
    assert panel_using("bohran_dlq_total", "reason")
    assert panel_using("histogram_quantile(0.5", "histogram_quantile(0.99", "bohran_event_lag_seconds_bucket")
    assert panel_using("bohran_consumer_lag")
    assert panel_using("bohran_config_reloads_total")
    annotations = " ".join(a.get("expr", "") for a in dashboard["annotations"]["list"])
    assert "bohran_alerts_total" in annotations and "ALERTS" in annotations


# --- variables and the brand filter -------------------------------------------------------------------


def test_datasource_is_a_variable_defaulting_to_the_provisioned_uid(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "bohran-overview"
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    ds = variables["datasource"]
    assert ds["type"] == "datasource" and ds["query"] == "prometheus"
    provisioned = [d for f in DATASOURCES.glob("*.yml") for d in yaml.safe_load(f.read_text())["datasources"]]
    assert ds["current"]["value"] in {d["uid"] for d in provisioned if d["type"] == "prometheus"}
    for panel in all_panels(dashboard):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]


def test_brand_variable_lists_brands_from_the_brand_counter(dashboard: dict[str, Any]) -> None:
    brand = {v["name"]: v for v in dashboard["templating"]["list"]}["brand"]
    query = brand["query"]["query"] if isinstance(brand["query"], dict) else brand["query"]
    assert query == "label_values(bohran_brand_mentions_total, brand)"
    assert brand["datasource"]["uid"] == "${datasource}"
    assert brand["multi"] and brand["includeAll"]
    # "All" must not match the _unknown bucket: brand ids start with a lowercase letter or digit.
    assert re.fullmatch(brand["allValue"], "novinnet") and not re.fullmatch(brand["allValue"], "_unknown")
    hide = re.compile(brand["regex"].strip("/"))
    assert hide.match("novinnet") and not hide.match("_unknown")


def test_per_brand_queries_follow_the_brand_variable(dashboard: dict[str, Any]) -> None:
    unfiltered = []
    for panel in all_panels(dashboard):
        across_brands = "(all brands)" in panel["title"]
        for target in panel["targets"]:
            for name, matchers in SELECTOR.findall(target["expr"]):
                if brand_labelled(name) and not across_brands and BRAND_MATCHER not in matchers:
                    unfiltered.append(f"{panel['title']}: {name}{{{matchers}}}")
    assert not unfiltered, "per-brand series not filtered by $brand:\n" + "\n".join(unfiltered)
    per_brand_panels = [
        p["title"] for p in all_panels(dashboard) if any(BRAND_MATCHER in t["expr"] for t in p["targets"])
    ]
    assert len(per_brand_panels) >= 7, per_brand_panels


def test_the_brand_filter_check_catches_an_unfiltered_panel() -> None:
    # The check above must be able to fail: an unfiltered per-brand selector is found.
    found = [
        name
        for name, matchers in SELECTOR.findall(
            "sum(rate(bohran_brand_mentions_total[5m])) / bohran:negative_share:ratio5m"
        )
        if brand_labelled(name) and BRAND_MATCHER not in matchers
    ]
    assert found == ["bohran_brand_mentions_total", "bohran:negative_share:ratio5m"]


# --- layout and links -----------------------------------------------------------------------------


def test_panels_have_unique_ids_and_do_not_overlap(dashboard: dict[str, Any]) -> None:
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24, panel["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_example_config_links_alerts_to_this_dashboard(dashboard: dict[str, Any]) -> None:
    config = yaml.safe_load((REPO / "bohran.example.yaml").read_text(encoding="utf-8"))
    url = config["alerting"]["grafana_url"]
    assert url.rstrip("/").endswith(f"/d/{dashboard['uid']}")


# --- PromQL validity --------------------------------------------------------------------------------


def test_every_query_is_valid_promql(dashboard: dict[str, Any], tmp_path: Path) -> None:
    """promtool parses each query (Grafana variables substituted) as a recording rule expression."""
    if not Path(PROMTOOL).exists():
        pytest.fail("promtool is needed (Debian package prometheus); not found")
    rules = []
    for i, (where, expr) in enumerate(queries(dashboard)):
        concrete = (
            expr.replace("$__rate_interval", "1m").replace("$__range", "1h").replace("$brand", "novinnet")
        )
        assert "$" not in concrete, f"{where}: unsubstituted variable in {expr}"
        rules.append({"record": f"dashboard:query_{i}", "expr": concrete})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    result = subprocess.run(
        [PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
