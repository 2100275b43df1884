import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.mention import InvalidMention, decode_record, parse_mention

VALID = {
    "id": "123",
    "platform": "Twitter",
    "text": "اینترنت نوین نت قطعه",
    "created_at": "2026-03-01T10:00:00Z",
    "author": {"id": "u1", "handle": "ali", "followers": 1200, "verified": False},
    "metrics": {"likes": 3, "reshares": 1, "replies": 0, "views": 500},
    "url": "https://x.example/1",
}


def test_valid_mention_round_trips():
    m = parse_mention(VALID)
    assert m.platform == "twitter" and m.author.followers == 1200 and m.metrics.reshares == 1
    again = parse_mention(json.loads(json.dumps(m.to_dict())))
    assert again == m


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"id": None}, "missing_field"),
        ({"text": None}, "missing_field"),
        ({"text": 5}, "wrong_type"),
        ({"created_at": "yesterday"}, "bad_timestamp"),
        ({"created_at": "2026-03-01T10:00:00"}, "bad_timestamp"),  # no offset
        ({"created_at": "2999-01-01T00:00:00Z"}, "bad_timestamp"),
        ({"created_at": "1970-01-02T00:00:00Z"}, "bad_timestamp"),
        ({"author": {"id": "u", "followers": -1}}, "wrong_type"),
        ({"author": {"id": "u", "followers": "many"}}, "wrong_type"),
        ({"author": "bob"}, "wrong_type"),
        ({"brands": "novinnet"}, "wrong_type"),
        ({"text": "a" * 10_001}, "text_too_long"),
        ({"text": "a\x00b"}, "wrong_type"),
    ],
)
def test_invalid_fields_have_precise_reasons(patch, reason):
    data = {**VALID, **patch}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(InvalidMention) as info:
        parse_mention(data)
    assert info.value.reason == reason


def test_record_forms_single_array_ndjson():
    one = json.dumps(VALID).encode()
    assert len(decode_record(one)[0]) == 1
    arr = json.dumps([VALID, {**VALID, "id": "2"}, {"id": "bad"}]).encode()
    mentions, rejected = decode_record(arr)
    assert [m.id for m in mentions] == ["123", "2"]
    assert [r.reason for r in rejected] == ["missing_field"]
    nd = b"\n".join([one, b"{broken", json.dumps({**VALID, "id": "3"}).encode()])
    mentions, rejected = decode_record(nd)
    assert [m.id for m in mentions] == ["123", "3"]
    assert rejected[0].reason == "invalid_json" and rejected[0].raw == b"{broken"


def test_invalid_utf8_line_in_ndjson_loses_only_that_line():
    nd = json.dumps(VALID).encode() + b"\n" + b'{"id": "\xff"}'
    mentions, rejected = decode_record(nd)
    assert len(mentions) == 1 and rejected[0].reason == "invalid_utf8"


def test_dlq_record_keeps_original_bytes():
    raw = b"\xff\xfe not utf8"
    _, rejected = decode_record(raw)
    record = rejected[0].to_dlq_record("enrich")
    assert record["reason"] == "invalid_utf8"
    assert record["raw_latin1"].encode("latin-1") == raw


def test_empty_and_none_records():
    assert decode_record(None)[1][0].reason == "empty_record"
    assert decode_record(b"   ")[1][0].reason == "empty_record"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(raw):
    mentions, rejected = decode_record(raw)
    assert len(mentions) + len(rejected) >= 1


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                    max_leaves=20))
def test_arbitrary_json_never_raises(value):
    mentions, rejected = decode_record(json.dumps(value).encode())
    assert all(r.reason for r in rejected)


def test_bidi_override_controls_are_rejected_but_marks_and_zwnj_are_not():
    with pytest.raises(InvalidMention) as info:
        parse_mention({**VALID, "text": "safe \u202egnp.exe"})
    assert info.value.reason == "bidi_control"
    ok = parse_mention({**VALID, "text": "نوین\u200cنت \u200fقطعه\u200e ok"})
    assert "\u200c" in ok.text


def test_huge_integers_are_rejected_not_raised():
    big = int("9" * 400)
    mentions, rejected = decode_record(json.dumps({**VALID, "created_at": big}).encode())
    assert not mentions and rejected[0].reason == "bad_timestamp"
    (clamped,), _ = decode_record(json.dumps({**VALID, "author": {"id": "u", "followers": big}}).encode())
    assert clamped.author.followers == 10**12


def test_verified_must_be_a_boolean():
    with pytest.raises(InvalidMention) as info:
        parse_mention({**VALID, "author": {"id": "u", "verified": "no"}})
    assert info.value.reason == "wrong_type"


def test_ndjson_keeps_line_separator_characters_inside_strings():
    texts = ["a\u2028b", "c\x1cd"]
    nd = "\n".join(json.dumps({**VALID, "id": str(i), "text": t}, ensure_ascii=False) for i, t in enumerate(texts))
    mentions, rejected = decode_record(nd.encode())
    assert [m.text for m in mentions] == texts and not rejected
