from datetime import UTC, datetime

import pytest
from adapter_support import by_id, run

from streams.adapters import AdapterError, AdapterOptions, convert
from streams.adapters.csv_mapping import parse_column_map

MAP = (
    "id=post_id,text=body,created_at=time,author.handle=user,author.followers=fans,metrics.likes=likes,"
    "metrics.reshares=shares,url=link"
)


def test_mapped_export_with_bom_semicolons_and_local_times():
    mentions, invalid, skipped = run(
        "csv",
        "mentions_export.csv",
        column_map=parse_column_map(MAP),
        timezone="Asia/Tehran",
        platform="forum",
    )
    assert invalid == [("line 6", "wrong_type"), ("line 7", "wrong_columns")]  # "lots" followers, short row
    assert [s.reason for s in skipped] == ["no_text"]
    posts = by_id(mentions)
    assert sorted(posts) == ["a-1001", "a-1002", "a-1003"]
    first = posts["a-1001"]
    assert first.text == "قطعی اینترنت نوین‌نت از دیشب; لطفا رسیدگی کنید"  # quoted cell keeps its ;
    assert first.created_at == datetime(2026, 2, 14, 18, 45, tzinfo=UTC).timestamp()  # 22:15 Tehran
    assert first.author.followers == 1204  # "1,204"
    assert first.author.handle == "sara.n" and first.author.id == "sara.n"
    assert first.platform == "forum"
    second = posts["a-1002"]
    assert second.author.followers == 3500 and second.metrics.reshares == 1200  # "3.5K", "1.2K"
    assert posts["a-1003"].created_at == 1771146000  # epoch seconds column


def test_naive_times_without_a_timezone_are_rejected():
    mentions, invalid, _ = run("csv", "mentions_export.csv", column_map=parse_column_map(MAP))
    assert [m.id for m in mentions] == ["a-1003"]  # only the epoch time is unambiguous
    assert ("line 2", "bad_timestamp") in invalid


def test_columns_named_like_fields_need_no_map():
    csv_text = (
        b"id,text,created_at,author.followers,brands,author.verified\n"
        b"1,NovinNet down,2026-02-15T07:00:00Z,12,novinnet|tazeban,yes\n"
        b"2,Tazeban ok,1771146000000,0,,no\n"
    )
    items = list(convert("csv", csv_text))
    assert items[0].value == {
        "platform": "web",
        "id": "1",
        "text": "NovinNet down",
        "created_at": "2026-02-15T07:00:00Z",
        "author": {"followers": 12, "verified": True},
        "brands": ["novinnet", "tazeban"],
    }
    assert items[1].value["created_at"] == 1771146000.0  # milliseconds
    assert items[1].value["author"]["verified"] is False


def test_tab_separated():
    tsv = "id\ttext\tcreated_at\n7\tسپهرپی\t2026-02-15T07:00:00Z\n".encode()
    [item] = list(convert("csv", tsv))
    assert item.value["text"] == "سپهرپی"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("id", "not field=column"),
        ("idd=x", "unknown mention field"),
        ("id=a,id=b", "mapped twice"),
        ("=x", "not"),
    ],
)
def test_bad_maps_are_refused(spec, message):
    with pytest.raises(AdapterError, match=message):
        parse_column_map(spec)


def test_map_naming_a_missing_column_or_no_text_column_is_an_error():
    body = b"post_id,body,time\n1,x,2026-02-15T07:00:00Z\n"
    with pytest.raises(AdapterError, match="no column 'nope'"):
        list(convert("csv", body, AdapterOptions(column_map={"id": "nope"})))
    with pytest.raises(AdapterError, match="--map text=COLUMN"):
        list(convert("csv", body, AdapterOptions(column_map={"id": "post_id", "created_at": "time"})))
    with pytest.raises(AdapterError, match="not UTF-8"):
        list(convert("csv", b"id,text\n1,\xff\n"))
