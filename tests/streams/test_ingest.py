import json

from streams.ingest import IngestSummary, Pacer, pack_records, parse_lines
from streams.mention import decode_record

LINE = {"id": "1", "text": "سلام", "created_at": "2026-01-01T00:00:00Z"}


def test_parse_lines_reports_bad_lines_with_numbers():
    lines = [json.dumps(LINE), "", "{oops", json.dumps({"id": "2"}), b"\xff\n", json.dumps({**LINE, "id": "3"})]
    summary = IngestSummary()
    ids = [m.id for m in parse_lines(lines, summary)]
    assert ids == ["1", "3"]
    assert summary.accepted == 2 and summary.rejected == 3
    assert dict(summary.reasons) == {"invalid_json": 1, "missing_field": 1, "invalid_utf8": 1}
    assert summary.examples[0].startswith("line 3: invalid_json")


def test_packed_records_decode_back_to_the_same_mentions():
    summary = IngestSummary()
    mentions = list(parse_lines([json.dumps({**LINE, "id": str(i)}) for i in range(1200)], summary))
    packs = list(pack_records(mentions, pack=500))
    assert [len(chunk) for chunk, _ in packs] == [500, 500, 200]
    decoded = [m for _, raw in packs for m in decode_record(raw)[0]]
    assert decoded == mentions


def test_pacer_holds_the_rate():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    pacer = Pacer(rate=100, clock=lambda: now[0], sleep=sleep)
    summary = IngestSummary()
    mentions = list(parse_lines([json.dumps({**LINE, "id": str(i)}) for i in range(300)], summary))
    for chunk, _ in pack_records(mentions, pack=100):
        pacer.wait(chunk)
    assert abs(now[0] - 2.0) < 1e-9  # 300 mentions at 100/s: the third pack is due at t=2s
