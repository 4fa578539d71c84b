"""Missing eventIDs are derived, shared eventIDs with other content are conflicts, and the
counts still reconcile (issue 11 item 6), in NDJSON and in the S3 layout."""

from __future__ import annotations

import json

import pytest
from conftest import make_record, trail_path, utc, write_trail_file


def _write(tmp_path, fmt: str, records: list[dict], n: int = 0):
    if fmt == "s3":
        path = trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30 + n))
        return write_trail_file(path, records)
    path = tmp_path / f"events-{n}.ndjson"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def _no_id(**fields) -> dict:
    rec = make_record(**fields)
    del rec["eventID"]
    return rec


@pytest.mark.parametrize("fmt", ["s3", "ndjson"])
def test_records_without_an_event_id_load_under_a_derived_flagged_id(workspace, tmp_path, fmt):
    a, b = _no_id(), _no_id(eventName="PutObject")
    blank = make_record(eventID="")
    _write(tmp_path, fmt, [a, b, blank, dict(a)])
    report = workspace.load(tmp_path, progress=False)
    # four records in: three loaded, the repeat of a is a duplicate
    assert (report.seen, report.loaded, report.duplicates, report.rejected_count) == (4, 3, 1, 0)
    assert report.reconciles
    rows = workspace.sql("SELECT event_id, event_id_derived, raw FROM events")
    assert all(rows.event_id_derived) and all(e.startswith("derived-") for e in rows.event_id)
    assert len(set(rows.event_id)) == 3
    # the same record gives the same id in another load and another format
    other = tmp_path / "again"
    other.mkdir()
    _write(other, "ndjson" if fmt == "s3" else "s3", [a])
    again = workspace.load(other, progress=False)
    assert (again.loaded, again.duplicates) == (0, 1)


def test_a_real_event_id_is_not_flagged(workspace, tmp_path):
    _write(tmp_path, "ndjson", [make_record()])
    workspace.load(tmp_path, progress=False)
    assert list(workspace.sql("SELECT event_id_derived FROM events").event_id_derived) == [False]


@pytest.mark.parametrize("fmt", ["s3", "ndjson"])
@pytest.mark.parametrize(
    "change",
    [
        {"eventTime": "2026-03-02T11:00:00Z"},
        {"eventName": "DeleteObject"},
        {"eventSource": "ec2.amazonaws.com"},
        {"recipientAccountId": "444455556666"},
    ],
    ids=["time", "name", "source", "account"],
)
def test_one_event_id_with_other_content_is_a_conflict_and_both_are_kept(
    workspace, tmp_path, fmt, change
):
    first = make_record()
    second = {**first, **change}
    path = _write(tmp_path, fmt, [first, second, dict(first)])
    report = workspace.load(tmp_path, progress=False)
    assert (report.seen, report.loaded, report.duplicates) == (3, 2, 1) and report.reconciles
    kept = workspace.sql(
        "SELECT count(*) AS n FROM events WHERE event_id = $id", {"id": first["eventID"]}
    )
    assert kept.n[0] == 2
    conflicts = workspace.sql("SELECT event_id, source, source_position FROM conflicts ORDER BY 3")
    line = "line" if fmt == "ndjson" else "Records["
    assert list(conflicts.event_id) == [first["eventID"]] * 2
    assert set(conflicts.source) == {str(path)}
    assert all(p.startswith(line) for p in conflicts.source_position)


def test_a_conflict_with_an_earlier_load_is_listed_for_the_new_load(workspace, tmp_path):
    first = make_record()
    _write(tmp_path / "one", "s3", [first])
    _write(tmp_path / "two", "ndjson", [{**first, "eventName": "DeleteObject"}])
    workspace.load(tmp_path / "one", progress=False)
    second = workspace.load(tmp_path / "two", progress=False)
    assert (second.loaded, second.duplicates) == (1, 0)
    rows = workspace.sql("SELECT load_id, event_id FROM conflicts")
    assert rows.values.tolist() == [[second.load_id, first["eventID"]]]


def test_the_load_report_counts_conflicts_per_source_and_lists_them(workspace, tmp_path):
    first = make_record()
    a = _write(tmp_path, "ndjson", [first], 0)
    b = _write(tmp_path, "ndjson", [{**first, "eventName": "DeleteObject"}, make_record()], 1)
    report = workspace.load(str(a), str(b), progress=False)
    assert [s.conflicts for s in report.sources] == [1, 1]
    assert report.conflicts_count == 2 and report.loaded == 3 and report.reconciles
    assert sorted(report.conflicts) == [
        (first["eventID"], str(a), "record"),  # a file of one line is one record
        (first["eventID"], str(b), "line 1"),
    ]
    assert report.to_dict()["totals"]["conflicts"] == 2
    assert "conflicting ids: 2 records" in str(report)
