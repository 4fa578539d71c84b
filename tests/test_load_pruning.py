"""A narrow load reads only files that can hold matching records, and keeps only matching records.

Files the layout rules out are filled with garbage: had the loader opened one,
it would show up in ``rejected``. So these tests see which files were opened.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import make_record, trail_path, utc, write_day, write_trail_file

from iamlab.errors import InputError

A, B = "111122223333", "444455556666"


def _poison(path):
    path.write_bytes(b"\x1f\x8b this would be rejected if anyone opened it")
    return path


@pytest.fixture
def tree(tmp_path):
    """Days 1..9 of March for A in two regions, and B; days 1, 2, 8, 9 poisoned."""
    files = {}
    for acct in (A, B):
        for region in ("us-east-1", "eu-west-1"):
            for d in range(1, 10):
                path, records = write_day(tmp_path, acct, region, utc(2026, 3, d))
                files[(acct, region, d)] = (path, records)
    return tmp_path, files


def test_window_account_and_region_prune_files_and_filter_records(workspace, tree):
    root, files = tree
    for (acct, region, d), (path, _) in files.items():
        if acct == B or region == "eu-west-1" or d in (1, 2, 8, 9):
            _poison(path)
    report = workspace.load(
        root,
        since="2026-03-04T10:01:00Z",
        until="2026-03-06T10:00:30Z",
        accounts=[A],
        regions=["us-east-1"],
        progress=False,
    )
    assert report.rejected_count == 0  # no poisoned file was opened
    # the day before and after the window are read (a day of slack for late delivery)
    read = {p for p in report.files_read}
    assert read == {str(files[(A, "us-east-1", d)][0]) for d in (3, 4, 5, 6, 7)}
    loaded = set(workspace.sql("SELECT event_id FROM events").event_id)
    # day 4: 10:01 and 10:02 (since is inclusive); day 5: all; day 6: 10:00 only
    expected = (
        {r["eventID"] for r in files[(A, "us-east-1", 4)][1][1:]}
        | {r["eventID"] for r in files[(A, "us-east-1", 5)][1]}
        | {files[(A, "us-east-1", 6)][1][0]["eventID"]}
    )
    assert loaded == expected
    assert report.filtered == 15 - len(expected) and report.reconciles


def test_a_record_delivered_late_is_still_found(workspace, tmp_path):
    # a 23:58 event delivered after midnight lands in the next day's folder
    late = make_record(utc(2026, 3, 4, 23, 58))
    write_trail_file(trail_path(tmp_path, A, "us-east-1", utc(2026, 3, 5, 0, 4)), [late])
    report = workspace.load(
        tmp_path, since="2026-03-04T00:00:00Z", until="2026-03-04T23:59:59Z", progress=False
    )
    assert report.loaded == 1


def test_file_delivered_before_since_is_not_opened(workspace, tmp_path):
    old = trail_path(tmp_path, A, "us-east-1", utc(2026, 3, 1, 9, 0))
    _poison(old)
    write_day(tmp_path, A, "us-east-1", utc(2026, 3, 3))
    report = workspace.load(tmp_path, since="2026-03-03", progress=False)
    assert report.rejected_count == 0 and report.loaded == 3
    assert str(old) not in report.files_read
    assert report.sources[0].files_pruned >= 1


def test_records_outside_the_filter_in_files_without_layout_are_filtered(workspace, tmp_path):
    recs = [
        make_record(utc(2026, 3, 1, 12)),
        make_record(utc(2026, 3, 5, 12)),
        make_record(utc(2026, 3, 5, 12), account=B),
        make_record(utc(2026, 3, 5, 12), region="eu-west-1"),
    ]
    write_trail_file(tmp_path / "export.json", recs)
    report = workspace.load(
        tmp_path / "export.json",
        since="2026-03-02",
        accounts=[A],
        regions="us-east-1",
        progress=False,
    )
    assert set(workspace.sql("SELECT event_id FROM events").event_id) == {recs[1]["eventID"]}
    assert (report.seen, report.loaded, report.filtered) == (4, 1, 3)


def test_bad_filter_values_are_input_errors(workspace, tmp_path):
    write_day(tmp_path, A, "us-east-1", utc(2026, 3, 3))
    with pytest.raises(InputError, match="not an ISO-8601 time"):
        workspace.load(tmp_path, since="last tuesday", progress=False)
    with pytest.raises(InputError, match="12 digits"):
        workspace.load(tmp_path, accounts=["1234"], progress=False)
    with pytest.raises(InputError, match="after until"):
        workspace.load(tmp_path, since="2026-03-05", until="2026-03-01", progress=False)


def test_times_without_zone_are_utc(workspace, tmp_path):
    _, recs = write_day(tmp_path, A, "us-east-1", utc(2026, 3, 3))
    report = workspace.load(tmp_path, since="2026-03-03T10:01:00", progress=False)
    assert report.loaded == 2
    assert (
        utc(2026, 3, 3, 10, 1) - timedelta(0)
        == workspace.sql("SELECT min(event_time) AS t FROM events").t[0].to_pydatetime()
    )


def test_since_is_inclusive_and_until_exclusive_as_in_every_command(workspace, tmp_path):
    at = [make_record(f"2026-03-04T10:0{m}:00Z") for m in range(4)]
    (tmp_path / "in.ndjson").write_text("\n".join(json.dumps(r) for r in at) + "\n")
    workspace.load(
        tmp_path / "in.ndjson", since="2026-03-04T10:01:00Z", until="2026-03-04T10:03:00Z",
        progress=False,
    )  # fmt: skip
    loaded = set(workspace.sql("SELECT event_id FROM events").event_id)
    assert loaded == {at[1]["eventID"], at[2]["eventID"]}
    assert len(workspace.denials(since="2026-03-04T10:01:00Z", until="2026-03-04T10:03:00Z")) == 0
