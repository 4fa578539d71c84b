"""A bad byte, a bad record or a cut-off tail costs one rejected row; complete records load."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import make_record, trail_path, utc

MAX_RECORD = 2 << 20  # decode.MAX_RECORD_BYTES, as documented


def _trail(tmp_path, suffix=".json"):
    return trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30), suffix=suffix)


def _rejected(ws):
    return ws.sql("SELECT source_position, reason FROM rejected ORDER BY source_position")


def _doc(records: list[str]) -> bytes:
    return (
        b'{"Records": [' + b", ".join(r.encode("utf-8", "surrogateescape") for r in records) + b"]}"
    )


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_one_invalid_utf8_byte_rejects_only_its_record_at_its_offset(workspace, tmp_path, suffix):
    recs = [make_record() for _ in range(10)]
    texts = [json.dumps(r) for r in recs]
    texts[4] = texts[4].replace("aws-cli/2.15.0", "aws-cli/\udcff")  # one byte 0xff
    data = _doc(texts)
    path = _trail(tmp_path, suffix)
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    report = workspace.load(path, progress=False)
    assert (report.seen, report.loaded, report.rejected_count) == (10, 9, 1) and report.reconciles
    rej = _rejected(workspace)
    start = data.index(texts[4].encode("utf-8", "surrogateescape"))
    assert rej.source_position[0] == f"Records[4], byte {start}"
    bad = data.index(b"\xff")
    assert rej.reason[0].startswith(f"invalid UTF-8 at byte {bad}: ")
    loaded = set(workspace.sql("SELECT event_id FROM events").event_id)
    assert loaded == {r["eventID"] for i, r in enumerate(recs) if i != 4}


def test_a_malformed_record_in_the_middle_is_one_row_and_its_neighbours_load(workspace, tmp_path):
    recs = [make_record() for _ in range(4)]
    texts = [json.dumps(r) for r in recs]
    texts.insert(2, '{"eventID": "x",, "eventTime": }')
    data = _doc(texts)
    path = _trail(tmp_path)
    path.write_bytes(data)
    report = workspace.load(path, progress=False)
    assert (report.seen, report.loaded, report.rejected_count) == (5, 4, 1) and report.reconciles
    rej = _rejected(workspace)
    start = data.index(b'{"eventID": "x"')
    assert rej.source_position[0] == f"Records[2], byte {start}"
    assert rej.reason[0].startswith(f"malformed JSON at byte {start + 16}: ")


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_a_file_cut_inside_a_record_keeps_every_complete_record(workspace, tmp_path, gz):
    recs = [make_record() for _ in range(300 if gz else 6)]
    data = _doc([json.dumps(r) for r in recs])
    cut_at = data.index(json.dumps(recs[4]).encode()) + 40  # inside the fifth record
    path = _trail(tmp_path, ".json.gz" if gz else ".json")
    if gz:
        whole = gzip.compress(data)
        # a gzip stream cut short: its first bytes decompress to a prefix of the file
        path.write_bytes(whole[: int(len(whole) * 0.8)])
    else:
        path.write_bytes(data[:cut_at])
    report = workspace.load(path, progress=False)
    assert report.rejected_count == 1 and report.reconciles
    rej = _rejected(workspace)
    reason, position = rej.reason[0], rej.source_position[0]
    if gz:
        assert reason.startswith("truncated gzip: the stream ends after ")
        assert "inside this record" in reason and position.startswith("Records[")
        assert report.loaded >= 100
    else:
        start = data.index(json.dumps(recs[4]).encode())
        assert report.loaded == 4
        assert position == f"Records[4], byte {start}"
        assert reason == (
            f"truncated: the file ends inside this record ({cut_at - start} bytes from byte "
            f"{start} not loaded)"
        )
    loaded = list(workspace.sql("SELECT event_id FROM events ORDER BY event_id").event_id)
    assert loaded == [r["eventID"] for r in recs[: report.loaded]]


def test_ndjson_with_a_bad_byte_and_a_cut_last_line(workspace, tmp_path):
    recs = [make_record() for _ in range(4)]
    lines = [json.dumps(r).encode() for r in recs]
    lines[1] = lines[1].replace(b"aws-cli", b"aws\xc3(cli")  # an invalid two-byte sequence
    data = b"\n".join(lines[:3]) + b"\n" + lines[3][:50]
    path = tmp_path / "events.ndjson"
    path.write_bytes(data)
    report = workspace.load(path, progress=False)
    assert (report.seen, report.loaded, report.rejected_count) == (4, 2, 2) and report.reconciles
    rej = dict(_rejected(workspace).values)
    bad = data.index(b"\xc3(")
    assert rej["line 2 column 1"].startswith(f"invalid UTF-8 at byte {bad}: ")
    last = data.rindex(b"\n") + 1
    assert rej[f"line 4, byte {last}"] == (
        f"truncated: the file ends inside this record (50 bytes from byte {last} not loaded)"
    )


@pytest.mark.parametrize(
    "shape",
    ["s3-log", "s3-log-gzip", "ndjson", "lookup-events", "lake-json", "lake-csv"],
)
def test_a_record_over_the_per_record_limit_is_rejected_with_its_size(workspace, tmp_path, shape):
    big = make_record(userAgent="x" * (MAX_RECORD + 10))
    small = make_record()
    text = json.dumps(big)
    if shape.startswith("s3-log"):
        path = _trail(tmp_path, ".json.gz" if shape.endswith("gzip") else ".json")
        data = json.dumps({"Records": [big, small]}).encode()
        path.write_bytes(gzip.compress(data) if shape.endswith("gzip") else data)
    elif shape == "ndjson":
        path = tmp_path / "e.ndjson"
        path.write_text(text + "\n" + json.dumps(small) + "\n")
    elif shape == "lookup-events":
        path = tmp_path / "lookup.json"
        path.write_text(
            json.dumps({"Events": [{"CloudTrailEvent": json.dumps(r)} for r in (big, small)]})
        )
    elif shape == "lake-json":
        path = tmp_path / "lake.json"
        rows = [[{"eventjson": json.dumps(r)}] for r in (big, small)]
        path.write_text(json.dumps({"QueryResultRows": rows}))
    else:
        path = tmp_path / "result_1.csv"
        quoted = [json.dumps(r).replace('"', '""') for r in (big, small)]
        path.write_text("eventjson\n" + "".join(f'"{q}"\n' for q in quoted))
    report = workspace.load(path, progress=False)
    assert (report.loaded, report.rejected_count) == (1, 1) and report.reconciles
    reason = _rejected(workspace).reason[0]
    assert reason.startswith("oversized record: ")
    assert f"is more than the {MAX_RECORD}-byte per-record limit" in reason
    size = int(reason.split()[2])
    assert MAX_RECORD < size < MAX_RECORD + 4000
    assert list(workspace.sql("SELECT event_id FROM events").event_id) == [small["eventID"]]


def test_a_gzip_bomb_under_any_name_stops_at_the_cap_with_a_reason(workspace, tmp_path):
    cap = 4 << 20
    zeros = gzip.compress(bytes(16 << 20), 9)
    plain = tmp_path / "export.json.gz"
    plain.write_bytes(zeros)
    named = _trail(tmp_path, ".json.gz")
    named.write_bytes(zeros)
    # a tiny second member makes the trailer say 15 bytes: the whole is counted instead
    multi = trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 35))
    multi.write_bytes(zeros + gzip.compress(b'{"Records": []}'))
    report = workspace.load(tmp_path, progress=False, max_object_bytes=cap)
    assert report.loaded == 0 and report.reconciles
    reasons = {}
    for source, reason in workspace.sql("SELECT source, reason FROM rejected").values:
        reasons.setdefault(source, []).append(reason)
    assert any(
        r.startswith(f"oversized object: more than the {cap}-byte") for r in reasons[str(plain)]
    )
    assert reasons[str(named)] == [
        f"oversized object: about {16 << 20} bytes decompressed is more than the {cap}-byte "
        "limit (raise max_object_bytes to read it)"
    ]
    assert reasons[str(multi)] == [
        f"oversized object: about {(16 << 20) + 15} bytes decompressed is more than the "
        f"{cap}-byte limit (raise max_object_bytes to read it)"
    ]


def test_a_file_of_endless_bad_lines_lists_ten_thousand_and_counts_the_rest(workspace, tmp_path):
    path = tmp_path / "noise.ndjson"
    path.write_bytes(json.dumps(make_record()).encode() + b"\n" + b"x\n" * 10_050)
    report = workspace.load(path, progress=False)
    assert (report.loaded, report.rejected_count) == (1, 10_001) and report.reconciles
    last = workspace.sql(
        "SELECT source_position, reason FROM rejected WHERE reason LIKE 'and %'"
    ).values.tolist()
    assert last == [
        ["line 10002 column 1", "and 50 more bad records from here on, not listed one by one"]
    ]


@pytest.mark.parametrize("shape", ["ndjson", "export.json", "s3-log"])
def test_integers_past_64_bits_keep_every_digit(workspace, tmp_path, shape):
    big = (
        '{"n": 123456789012345678901234567890, "m": -9223372036854775809, '
        '"k": 18446744073709551615}'
    )
    text = json.dumps(make_record())[:-1] + f', "requestParameters": {big}}}'
    if shape == "ndjson":
        path = tmp_path / "e.ndjson"
        path.write_text(text + "\n" + json.dumps(make_record()) + "\n")
    elif shape == "export.json":
        path = tmp_path / "export.json"
        path.write_text('{"Records": [' + text + "]}")
    else:
        path = _trail(tmp_path, ".json.gz")
        path.write_bytes(gzip.compress(('{"Records": [' + text + "]}").encode()))
    report = workspace.load(path, progress=False)
    assert report.rejected_count == 0 and report.reconciles
    row = workspace.sql(
        "SELECT request_parameters, event_id FROM events WHERE request_parameters LIKE '%\"n\"%'"
    ).iloc[0]
    expected = {
        "n": 123456789012345678901234567890,
        "m": -9223372036854775809,
        "k": 18446744073709551615,
    }
    assert json.loads(row.request_parameters) == expected
    assert workspace.raw(row.event_id)["requestParameters"] == expected
