"""Loading is idempotent on event_id, across loads and across formats, and counts duplicates."""

from __future__ import annotations

import json

from conftest import make_record, trail_path, utc, write_trail_file


def test_second_load_adds_nothing_and_reports_duplicates(workspace, tmp_path):
    recs = [make_record() for _ in range(5)]
    write_trail_file(
        trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)), recs
    )
    first = workspace.load(tmp_path, progress=False)
    second = workspace.load(tmp_path, progress=False)
    assert (first.loaded, first.duplicates) == (5, 0)
    assert (second.loaded, second.duplicates, second.seen) == (0, 5, 5)
    assert workspace.sql("SELECT count(*) AS n FROM events").n[0] == 5
    assert set(workspace.sql("SELECT load_id FROM events").load_id) == {first.load_id}


def test_same_event_in_s3_export_lookup_events_and_lake_is_loaded_once(workspace, tmp_path):
    shared = make_record(errorCode="AccessDenied")
    only_s3 = make_record()
    s3 = write_trail_file(
        trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)),
        [shared, only_s3],
    )
    (tmp_path / "lookup.json").write_text(
        json.dumps({"Events": [{"CloudTrailEvent": json.dumps(shared)}]})
    )
    (tmp_path / "lake.json").write_text(
        json.dumps({"QueryResultRows": [[{"eventjson": json.dumps(shared)}]]})
    )
    report = workspace.load(tmp_path, progress=False)
    assert (report.seen, report.loaded, report.duplicates) == (4, 2, 2)
    row = workspace.sql("SELECT source FROM events WHERE event_id = $id", {"id": shared["eventID"]})
    assert list(row.source) == [str(s3)]  # the S3 copy is read first and kept


def test_repeated_id_within_one_file_keeps_the_first(workspace, tmp_path):
    a = make_record()
    write_trail_file(tmp_path / "dup.json", [a, dict(a)])
    report = workspace.load(tmp_path / "dup.json", progress=False)
    assert (report.loaded, report.duplicates) == (1, 1)
    assert workspace.sql("SELECT source_position FROM events").source_position[0] == "Records[0]"
