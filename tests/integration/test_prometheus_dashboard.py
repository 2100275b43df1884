"""Issue E: every query of the Grafana dashboard returns data from a real Prometheus scraping a real worker.

A `bohran worker` is fed by `bohran simulate` (two brands, a few hours of history with an outage
that began minutes before now), plus malformed records (dead letters), stale mentions (late events)
and a rejected, then an applied, config reload. A real Prometheus (Debian package) scrapes the
worker every second with the shipped config and rule files. Every panel target and annotation of
the dashboard, with `$brand`, `$__interval`, `$__rate_interval` and friends substituted as Grafana
would, must return data: a non-empty result from /api/v1/query, and for time-series panels a finite
point from /api/v1/query_range over the run. Panels the traffic was built to light up (alerts,
notifications, dead letters, late events, reloads) must show that activity, not just zeros.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.request
from typing import Any

import pytest
import yaml
from kafka_helpers import produce_raw, wait_for
from prometheus_support import (
    PROMETHEUS_DIR,
    PrometheusServer,
    dashboard_queries,
    finite_values,
    format_selection,
    grafana_interval,
    interpolate,
    load_dashboard,
    panel_pixels,
    template_variables,
    variable_options,
)

from bohran.local_stack import REPO_ROOT
from streams import topics
from streams.simulate import DAY_S, catalog_brands, simulate

pytestmark = pytest.mark.integration

SIM_BRANDS = ("novinnet", "pardakhtino")
SIM_DAYS = 0.2  # 4.8 h: the warm-up before the first scenario is 30% of it, over the detectors' 60 min
SIM_SEED = 11
CRISIS_LEAD_S = 240.0  # the outage began this long before the traffic is sent
SCRAPE_S = 1.0


def simulation_start(now: float) -> float:
    """A --start for which the first brand's simulated outage begins CRISIS_LEAD_S before `now`.

    The simulator places scenarios itself (after a warm-up, whole minutes plus a seeded offset), so
    plan, look where the outage landed, and shift the start by whole minutes.
    """
    target = now - CRISIS_LEAD_S
    start = math.floor((target - SIM_DAYS * DAY_S * 0.3) / 60) * 60
    for _ in range(4):
        sim = simulate(days=SIM_DAYS, brands=list(SIM_BRANDS), seed=SIM_SEED, scenarios="outage", start=start)
        outage = next(lab for lab in sim.labels if lab.brand == SIM_BRANDS[0])
        shift = math.ceil((outage.start - target) / 60) * 60
        if shift == 0:
            return start
        start -= shift
    raise AssertionError("could not place the simulated outage")


def worker_config() -> dict[str, Any]:
    """The simulated brands (as `bohran simulate --brands-yaml` writes them), paging Slack and email.

    The `start_worker` fixture points the channels at this test's Slack and SMTP receivers.
    """
    return {
        "brands": [
            b.brand_config().model_dump(exclude_defaults=True) for b in catalog_brands(list(SIM_BRANDS))
        ],
        "alerting": {
            "route": {"receiver": "pr-oncall"},
            "receivers": [{"name": "pr-oncall", "channels": ["slack-pr", "email-pr"]}],
            "channels": [
                {"type": "slack", "name": "slack-pr", "webhook_url_env": "BOHRAN_TEST_SLACK_WEBHOOK"},
                {
                    "type": "email",
                    "name": "email-pr",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": 0,
                    "security": "none",
                    "from_addr": "bohran@example.org",
                    "to": ["pr-oncall@example.org"],
                },
            ],
        },
    }


def run_simulate(kafka_bootstrap: str, namespace: str) -> None:
    start = simulation_start(time.time())
    env = {**os.environ, "BOHRAN_TOPIC_PREFIX": namespace, "BOHRAN_PARTITIONS": "3"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bohran.cli",
            "simulate",
            "--kafka",
            kafka_bootstrap,
            "--brands",
            ",".join(SIM_BRANDS),
            "--days",
            str(SIM_DAYS),
            "--seed",
            str(SIM_SEED),
            "--scenarios",
            "outage",
            "--start",
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
        ],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-3000:]


def bad_records(now: float) -> list[bytes]:
    """One record per dead-letter reason the enrich stage gives malformed input."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3 * DAY_S))
    return [
        b"{not json",
        b"\xff\xfe\x00 not utf-8",
        json.dumps({"platform": "twitter", "text": "no id", "created_at": stamp}).encode(),
        json.dumps(
            {"id": "w1", "platform": "twitter", "text": "a date as a number", "created_at": 1e9}
        ).encode(),
        json.dumps(
            {"id": "f1", "platform": "twitter", "text": "from the future", "created_at": future}
        ).encode(),
    ]


def stale_mentions(now: float, n: int = 20) -> bytes:
    """Mentions of the crisis brand two hours old: past the allowed lateness, counted as late."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 2 * 3600))
    return json.dumps(
        [
            {
                "id": f"stale-{i}",
                "platform": "telegram",
                "text": f"یک پست قدیمی درباره نوین‌نت شماره {i}",
                "created_at": stamp,
                "author": {"id": f"old{i}", "followers": 10},
            }
            for i in range(n)
        ],
        ensure_ascii=False,
    ).encode()


def grafana_variables(dashboard: dict[str, Any], prometheus: PrometheusServer) -> list[dict[str, str]]:
    """Variable selections to check: the dashboard default (All brands) and the crisis brand alone."""
    variables = template_variables(dashboard)
    brand = variables["brand"]
    options = variable_options(brand, prometheus)
    assert options == sorted(SIM_BRANDS), f"brand options from Prometheus: {options}"
    assert brand["current"]["value"] == ["$__all"], "the dashboard opens on All brands"
    selections = [
        {"brand": format_selection(options, brand.get("allValue"))},
        {"brand": format_selection([SIM_BRANDS[0]], None)},
    ]
    other = set(variables) - {"brand", "datasource"}
    assert not other, f"template variables this test does not know how to set: {sorted(other)}"
    return selections


def test_every_dashboard_query_returns_data(start_worker, kafka_bootstrap, namespace, slack, smtp, tmp_path):
    begun = time.monotonic()
    worker = start_worker(worker_config())
    workdir = tmp_path / "prometheus"
    workdir.mkdir()
    prometheus = PrometheusServer(workdir, [f"127.0.0.1:{worker.web_port}"], interval_s=SCRAPE_S).start()
    try:
        wait_for(lambda: prometheus.scraped_value('up{job="bohran-worker"}') == 1, 20, what="first scrape")
        check_rated_series_exist_before_any_event(prometheus)
        range_start = time.time()
        run_simulate(kafka_bootstrap, namespace)
        mentions_topic = namespace + topics.MENTIONS
        produce_raw(kafka_bootstrap, mentions_topic, bad_records(time.time()))
        produce_raw(kafka_bootstrap, mentions_topic, [stale_mentions(time.time())])

        # A broken config is rejected (the worker keeps running); the good one again is applied.
        good = worker.config_path.read_text(encoding="utf-8")
        worker.config_path.write_text(good + "\nbrands: not a list\n", encoding="utf-8")
        wait_for(
            lambda: prometheus.scraped_value('bohran_config_reloads_total{result="rejected"}') >= 1,
            30,
            what="rejected reload scraped",
        )
        worker.config_path.write_text(good, encoding="utf-8")
        wait_for(
            lambda: prometheus.scraped_value('bohran_config_reloads_total{result="applied"}') >= 2,
            30,
            what="applied reload scraped",
        )

        wait_for(lambda: slack.received() and smtp.messages, 90, what="the crisis paged on Slack and email")
        wait_for(
            lambda: prometheus.scraped_value('bohran_notifications_total{outcome="sent"}') >= 2,
            30,
            what="sent notifications scraped",
        )
        wait_for(
            lambda: prometheus.scraped_value('bohran_dlq_total{stage="enrich"}') >= len(bad_records(0)),
            30,
            what="dead letters scraped",
        )
        wait_for(
            lambda: prometheus.scraped_value("bohran_late_events_total") >= 1, 30, what="late events scraped"
        )
        wait_for(lambda: prometheus.query("bohran_consumer_lag", time.time()) != [], 30, what="consumer lag")
        time.sleep(5 * SCRAPE_S)  # a few more scrapes and rule evaluations after the last event

        check_rules_loaded(prometheus)
        check_dashboard(prometheus, range_start)
        firing = {a["labels"]["alertname"] for a in prometheus.firing_alerts()}
        assert "BohranConfigReloadRejected" in firing, f"firing pipeline alerts: {sorted(firing)}"
    except BaseException:
        print("--- prometheus log ---\n" + prometheus.log_tail())
        print("--- worker log ---\n" + worker.log_tail(60))
        print("--- worker metrics ---\n" + worker_metrics(worker))
        raise
    finally:
        prometheus.stop()
    print(f"test took {time.monotonic() - begun:.1f} s")


def worker_metrics(worker: Any) -> str:
    """The worker's bohran series that are not zero, for a failure message."""
    try:
        with urllib.request.urlopen(f"{worker.base_url}/metrics", timeout=5) as resp:
            lines = resp.read().decode("utf-8", "replace").splitlines()
    except OSError as exc:
        return f"(no /metrics: {exc})"
    return "\n".join(line for line in lines if line.startswith("bohran_") and not line.endswith(" 0.0"))


RATED = re.compile(r"\b(?:rate|increase|irate|delta)\(\s*(bohran_[a-z0-9_]+)")


def check_rated_series_exist_before_any_event(prometheus: PrometheusServer) -> None:
    """Every counter / histogram the dashboard or a rule takes a rate() of is exported before its first event.

    A series born at its first increment starts at 1 and rate()/increase() never see that step: a
    first page's latency, a first dead letter or config rejection would be missing from the panels.
    """
    texts = [q.expr for q in dashboard_queries(load_dashboard())]
    texts += [p.read_text(encoding="utf-8") for p in (PROMETHEUS_DIR / "rules").glob("*.yml")]
    names = {name for text in texts for name in RATED.findall(text)}
    assert names, "no rate()/increase() found in the dashboard and rules"
    missing = sorted(name for name in names if not prometheus.query(name, time.time()))
    assert not missing, f"not exported until their first event: {missing}"


def check_rules_loaded(prometheus: PrometheusServer) -> None:
    """Prometheus loaded every rule of deploy/prometheus/rules/ and none fails to evaluate."""
    expected = {
        rule.get("record") or rule["alert"]
        for path in sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
    }
    loaded = {rule["name"]: rule for group in prometheus.rule_groups() for rule in group["rules"]}
    assert set(loaded) == expected, f"missing: {expected - set(loaded)}, extra: {set(loaded) - expected}"
    broken = {name: rule.get("lastError") for name, rule in loaded.items() if rule["health"] == "err"}
    assert not broken, broken
    # Groups on the global evaluation interval have run; the day-long baseline runs every 5 minutes.
    fast = {
        name
        for group in prometheus.rule_groups()
        if group["interval"] <= SCRAPE_S
        for name in (rule["name"] for rule in group["rules"])
    }
    assert fast and all(loaded[name]["health"] == "ok" for name in fast), {
        n: loaded[n]["health"] for n in fast
    }


# Panels the traffic was built to make show activity: (query location, label, value) that must
# appear in a series with a value above zero somewhere in the range.
ACTIVITY = {
    "panel 'Alert transitions' target A": ("transition", "firing"),
    "panel 'Notification outcomes per minute' target A": ("outcome", "sent"),
    "panel 'Dead-letter rate by reason' target A": ("reason", "invalid_json"),
    "panel 'Late events per second' target A": ("stage", "detect"),
    "panel 'Config reloads' target A": ("result", "rejected"),
    "panel 'Active alerts' target A": ("brand", SIM_BRANDS[0]),
    "panel 'Mentions per second by status' target A": ("status", "rejected"),
}


def check_dashboard(prometheus: PrometheusServer, range_start: float) -> None:
    dashboard = load_dashboard()
    queries = dashboard_queries(dashboard)
    assert len(queries) >= 30, f"only {len(queries)} queries found in the dashboard"
    assert set(ACTIVITY) <= {q.where for q in queries}, set(ACTIVITY) - {q.where for q in queries}
    end = time.time()
    range_s = end - range_start
    empty: list[str] = []
    inactive: list[str] = []
    for selection in grafana_variables(dashboard, prometheus):
        for query in queries:
            interval = grafana_interval(range_s, panel_pixels(query.width), SCRAPE_S)
            expr = interpolate(query.expr, selection, range_s=range_s, interval_s=interval, scrape_s=SCRAPE_S)
            assert "$" not in expr, f"{query.where}: unresolved variable in {expr}"
            where = f"{query.where} [brand={selection['brand']}]: {expr}"
            series = prometheus.query(expr, end)
            if not series:
                empty.append(f"{where} (instant)")
                continue
            if not query.instant:
                step = query.step_s or interval
                start = end - math.floor(range_s / step) * step  # the last point is `end`
                series = prometheus.query_range(expr, start, end, step)
            values = finite_values(series)
            if not values:  # NaN everywhere (a quantile of no observations) draws nothing either
                empty.append(f"{where} ({'instant' if query.instant else 'range'}: no finite value)")
                continue
            print(f"{len(series):3d} series, max {max(values, default=math.nan):12.4g}  {where}")
            if query.where in ACTIVITY:
                label, value = ACTIVITY[query.where]
                lit = [
                    s
                    for s in series
                    if s["metric"].get(label) == value and any(v > 0 for v in finite_values([s]))
                ]
                if not lit:
                    inactive.append(f"{where}: no series with {label}={value} above zero")
    assert not empty, "dashboard queries without data:\n" + "\n".join(empty)
    assert not inactive, "panels the traffic should have lit up:\n" + "\n".join(inactive)
