"""Backtest: replay through the live core, scoring against labels, and the single-series mode."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime

import pytest
from detection_support import T0

from streams.backtest import (
    Backtest,
    LabelWindow,
    Page,
    PageTracker,
    backtest_counts,
    parse_counts_csv,
    parse_labels,
    parse_timestamp,
    read_mentions,
    score,
    score_counts,
    series_interval,
)
from streams.config import StreamsConfig
from streams.signal import Signal
from streams.simulate import catalog_config, simulate

START = 1_760_000_400.0


def _signal(
    status: str, severity: str, started: float, at: float, detector: str = "negative_volume"
) -> Signal:
    return Signal(
        brand="acme",
        detector=detector,
        status=status,
        severity=severity,
        score=9.0,
        threshold=6.0,
        observed=30,
        expected=5,
        started_at=started,
        evaluated_at=at,
        window_start=at - 300,
        window_end=at,
    )


def test_page_tracker_counts_an_incident_once_from_warning_on() -> None:
    tracker = PageTracker()
    assert tracker.add(_signal("firing", "info", T0, T0)) is None  # info never pages
    page = tracker.add(_signal("firing", "warning", T0, T0 + 120))  # escalation: now it pages
    assert page is not None and page.paged_at == T0 + 120
    assert tracker.add(_signal("firing", "critical", T0, T0 + 300)) is None  # same incident
    assert tracker.add(_signal("resolved", "critical", T0, T0 + 900)) is None
    assert tracker.add(_signal("firing", "warning", T0 + 3600, T0 + 3600)) is not None  # a new incident


def _page(brand: str, at: float, detector: str = "negative_volume") -> Page:
    return Page(
        brand=brand, detector=detector, started_at=at, paged_at=at, severity="warning", score=9, summary=""
    )


def test_score_precision_recall_delays_and_false_pages() -> None:
    labels = [
        LabelWindow("a", "outage", T0, T0 + 3600),
        LabelWindow("a", "viral", T0 + 86400, T0 + 90000),
        LabelWindow("b", "outage", T0, T0 + 3600),  # never paged: missed
        LabelWindow("b", "positive_campaign", T0 + 7200, T0 + 9000, crisis=False),
    ]
    pages = [
        _page("a", T0 + 120),  # 2 min late
        _page("a", T0 + 600, "negative_share"),  # same incident, second detector
        _page("a", T0 + 86400 + 60),  # 1 min
        _page("a", T0 + 5 * 86400),  # nothing happening: false
        _page("b", T0 + 8000),  # paging on a campaign: false
    ]
    result = score(pages, labels, brands=["a", "b"], weeks=1.0)
    assert result["labels"] == 3 and result["detected"] == 2
    assert result["recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert result["true_pages"] == 3 and result["false_pages"] == 2
    assert result["precision"] == pytest.approx(3 / 5)
    assert result["false_pages_in_non_crisis_windows"] == 1
    assert result["false_pages_per_brand_week"] == 1.0
    assert result["by_kind"]["outage"]["delay_min_median"] == 2.0
    assert result["by_kind"]["viral"]["delay_min_median"] == 1.0
    assert result["missed"] == [{"brand": "b", "kind": "outage", "start": "2025-10-09T09:00:00Z"}]


def test_backtest_catches_simulated_crises_quickly_and_stays_quiet_otherwise() -> None:
    sim = simulate(
        days=2,
        brands=["pardakhtino", "safarbaz", "tazeban"],
        seed=3,
        start=START,
        scenarios="outage,viral,positive_campaign",
    )
    config = StreamsConfig(brands=catalog_config())
    lines = [json.dumps(m, ensure_ascii=False) for m in sim.mentions()]
    result = Backtest(config).run(read_mentions(lines))
    assert result.mentions == len(lines) and result.late == 0
    report = score(
        result.pages,
        parse_labels(lab.to_dict() for lab in sim.labels),
        brands=result.brands,
        weeks=result.weeks,
    )
    assert report["recall"] == 1.0, report["missed"]
    assert report["false_pages"] == 0, [p.to_dict() for p in result.pages if p.label is None or p.label < 0]
    # Small brands at night: a wave of ~1.5 complaints a minute needs a few minutes to pass the floor of 4.
    assert report["by_kind"]["outage"]["delay_min_median"] <= 7
    assert report["by_kind"]["viral"]["delay_min_median"] <= 3
    assert any(s.severity == "info" for s in result.signals)  # the campaign was seen, as info
    resolved = {(s.brand, s.detector, s.started_at) for s in result.signals if s.status == "resolved"}
    assert {(p.brand, p.detector, p.started_at) for p in result.pages} <= resolved  # every incident closed


def test_parallel_replay_matches_the_serial_one() -> None:
    sim = simulate(days=1.5, brands=["safarbaz", "tazeban"], seed=8, start=START, scenarios="outage")
    lines = [json.dumps(m, ensure_ascii=False).encode() for m in sim.mentions()]
    config = StreamsConfig(brands=catalog_config())
    serial = Backtest(config).run_lines(lines, workers=1)
    errors: list[str] = []
    parallel = Backtest(config).run_lines(lines + [b"not json"], workers=2, chunk_lines=400, errors=errors)
    assert parallel.mentions == serial.mentions
    assert [(p.brand, p.detector, p.severity) for p in parallel.pages] == [
        (p.brand, p.detector, p.severity) for p in serial.pages
    ]
    assert all(abs(a.paged_at - b.paged_at) <= 60 for a, b in zip(parallel.pages, serial.pages, strict=True))
    assert errors == [f"line {len(lines) % 400 + 1}: not JSON"]
    assert parallel.worker_cpu_seconds > 0 and serial.worker_cpu_seconds == 0


def test_read_mentions_accepts_arrays_and_reports_bad_lines() -> None:
    good = {
        "id": "1",
        "text": "novinnet is down",
        "created_at": "2025-10-09T09:00:00Z",
        "platform": "twitter",
    }
    errors: list[str] = []
    lines = [json.dumps(good), json.dumps([good, {**good, "id": "2"}]), "{oops", json.dumps({"id": "3"}), ""]
    mentions = list(read_mentions(lines, errors=errors))
    assert [m.id for m in mentions] == ["1", "1", "2"]
    assert errors[0] == "line 3: not JSON" and errors[1].startswith("line 4: missing_field")


# ---- single count series ------------------------------------------------------------------------


def _series(interval_min: int = 5, days: int = 10, surge_at_day: float = 7.3, seed: int = 1):
    rng = random.Random(seed)
    t0 = datetime(2015, 2, 26, 21, 42, 53, tzinfo=UTC).timestamp()
    rows = []
    surge_start = t0 + surge_at_day * 86400
    for i in range(int(days * 1440 / interval_min)):
        ts = t0 + i * interval_min * 60
        hour = (ts % 86400) / 3600
        mu = (
            interval_min
            * 8
            * (1 + 0.6 * math.sin((hour - 10) / 24 * 2 * math.pi))
            * math.exp(rng.gauss(0, 0.2))
        )
        if surge_start <= ts < surge_start + 90 * 60:
            mu *= 6
        value = max(0, round(rng.gauss(mu, math.sqrt(mu))))
        rows.append(f"{datetime.fromtimestamp(ts, UTC):%Y-%m-%d %H:%M:%S},{value}")
    window = [
        f"{datetime.fromtimestamp(surge_start - 6 * 3600, UTC):%Y-%m-%d %H:%M:%S}.000000",
        f"{datetime.fromtimestamp(surge_start + 6 * 3600, UTC):%Y-%m-%d %H:%M:%S}.000000",
    ]
    return ["timestamp,value", *rows], [window], surge_start


@pytest.mark.parametrize("interval_min", [5, 60])
def test_counts_mode_alerts_on_the_surge_and_little_else(interval_min: int) -> None:
    lines, windows, surge_start = _series(
        interval_min=interval_min,
        days=10 if interval_min == 5 else 30,
        surge_at_day=7.3 if interval_min == 5 else 25.3,
    )
    rows = parse_counts_csv(lines)
    assert series_interval(rows) == interval_min * 60
    result = backtest_counts(rows)
    report = score_counts(result, parse_labels(windows))
    assert report["detected"] == 1, result.alerts
    assert report["false_alerts"] <= 1
    first = min(a["epoch"] for a in result.alerts if a["epoch"] >= surge_start - 3600)
    assert first - surge_start <= 3 * interval_min * 60
    assert result.alerts[0]["timestamp"] in {line.split(",")[0] for line in lines}  # the row's own timestamp


def test_counts_csv_parsing() -> None:
    rows = parse_counts_csv(["timestamp,value", "2015-02-26 21:47:53,100", "2015-02-26 21:42:53,7.6", ""])
    assert [r[1] for r in rows] == [7.6, 100.0]  # sorted by time
    assert rows[0][2] == "2015-02-26 21:42:53"
    assert rows[0][0] == parse_timestamp("2015-02-26T21:42:53Z")
    with pytest.raises(ValueError, match="line 2"):
        parse_counts_csv(["timestamp,value", "yesterday,3"])
    with pytest.raises(ValueError, match="not a number"):
        parse_counts_csv(["timestamp,value", "2015-02-26 21:42:53,lots"])


def test_label_forms() -> None:
    windows = parse_labels([["2015-03-14 17:52:53.000000", "2015-03-17 12:02:53.000000"]])
    assert windows[0].brand is None and windows[0].end - windows[0].start == pytest.approx(
        2.7576 * 86400, rel=1e-3
    )
    labels = parse_labels(
        [{"brand": "a", "kind": "viral", "start": "2025-10-09T09:00:00Z", "end": 1760004000, "crisis": True}]
    )
    assert labels[0].start == START and labels[0].end == 1760004000.0


def test_counts_mode_treats_missing_rows_as_missing_not_as_zero() -> None:
    lines, windows, surge_start = _series(interval_min=5, days=10, surge_at_day=7.3)
    header, body = lines[0], lines[1:]
    gap = 288  # a whole day of rows missing, early, while the profile is young
    gappy = [header, *body[:400], *body[400 + gap :]]
    result = backtest_counts(parse_counts_csv(gappy))
    report = score_counts(result, parse_labels(windows))
    assert report["detected"] == 1
    resumed = parse_counts_csv([header, body[400 + gap]])[0][0]
    after_gap = [a for a in result.alerts if 0 <= a["epoch"] - resumed < 6 * 3600]
    assert after_gap == []  # the first real rows after the gap are not a "spike"


def test_gap_rows_are_filled_with_the_last_value_and_flagged() -> None:
    from streams.backtest import _with_gaps_filled

    rows = [(0.0, 5.0, "a"), (300.0, 7.0, "b"), (300.0, 99.0, "dup"), (1200.0, 9.0, "c")]
    out = list(_with_gaps_filled(rows, 300.0))
    assert [(t, v, real) for t, v, _, real in out] == [
        (0.0, 5.0, True),
        (300.0, 7.0, True),
        (600.0, 7.0, False),
        (900.0, 7.0, False),
        (1200.0, 9.0, True),
    ]
