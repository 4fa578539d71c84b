"""The loader's fast path: bundles, one-line checks, reasons, interrupted loads."""

from __future__ import annotations

import gzip
import json

import duckdb
import pytest
from conftest import make_record, trail_path, utc, write_trail_file

from iamlab.trail import sql
from iamlab.trail.discover import FileItem
from iamlab.trail.engine import inspect, write_bundles
from iamlab.workspace import Workspace


def _gz(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode()))
    return path


def _item(path) -> FileItem:
    return FileItem(str(path), str(path), path.stat().st_size, True, 0)


@pytest.mark.parametrize(
    ("text", "layout"),
    [
        ('{"Records":[{"eventID":"a"}]}', sql.COMPACT),  # as CloudTrail writes it
        ('{"Records": [{"eventID": "a"}]}', sql.COMPACT),  # json.dumps spacing
        ('{\n  "Records": [\n    {"eventID": "a"}\n  ]\n}', sql.ANY_LAYOUT),  # pretty-printed
        ('{"Records": [\n{"eventID": "a"}]}', sql.ANY_LAYOUT),  # a line break early on
        ('{"eventID": "a"}', sql.ANY_LAYOUT),  # one record, not a log file
    ],
)
def test_inspect_reads_the_layout_from_the_first_bytes(tmp_path, text, layout):
    path = _gz(tmp_path / "f.json.gz", text)
    size, found = inspect(_item(path))
    assert (size, found) == (len(text.encode()), layout)


def test_inspect_sends_a_file_with_an_impossible_gzip_trailer_to_the_careful_path(tmp_path):
    path = tmp_path / "f.json.gz"
    data = gzip.compress(b'{"Records":[]}')
    path.write_bytes(data[:-4] + (2**32 - 1).to_bytes(4, "little"))  # ISIZE 4 GiB from 34 bytes
    assert inspect(_item(path)) == (None, sql.ANY_LAYOUT)


def test_bundle_lines_are_the_files_with_their_source(tmp_path):
    items = []
    for n in range(3):
        path = _gz(tmp_path / f"{n}.json.gz", json.dumps({"Records": [{"eventID": str(n)}]}))
        item = _item(path)
        item.expanded, item.fmt = inspect(item)
        items.append(item)
    items[1].source = 's3://bucket/key "with" quotes'
    out = tmp_path / "out"
    out.mkdir()
    bundles, rest = write_bundles(items, out)
    assert rest == [] and len(bundles) == 1 and bundles[0].members == items
    lines = gzip.decompress(open(bundles[0].path, "rb").read()).decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"f": item.source, "r": {"Records": [{"eventID": str(n)}]}} for n, item in enumerate(items)
    ]


def test_files_that_break_a_bundle_are_read_one_by_one_and_nothing_is_lost(workspace, tmp_path):
    """A trailing newline or a line break inside ends a bundle's line early: DuckDB fails on
    the bundle, and its files are read again on their own, the broken ones by the general
    reader."""
    day = utc(2026, 3, 2, 10, 30)
    good = [make_record() for _ in range(3)]
    trailing = [make_record() for _ in range(2)]
    inside = [make_record() for _ in range(2)]
    write_trail_file(trail_path(tmp_path, "111122223333", "us-east-1", day), good)
    _gz(
        trail_path(tmp_path, "111122223333", "us-east-1", day),
        json.dumps({"Records": trailing}) + "\n",
    )
    head, rest = json.dumps({"Records": inside}).split("}, {", 1)
    _gz(trail_path(tmp_path, "111122223333", "us-east-1", day), head + "},\n{" + rest)
    report = workspace.load(tmp_path, progress=False)
    assert (report.seen, report.loaded, report.rejected_count) == (7, 7, 0)
    assert report.reconciles
    ids = set(workspace.sql("SELECT event_id FROM events").event_id)
    assert ids == {r["eventID"] for r in good + trailing + inside}


def test_a_folder_name_duckdb_would_expand_as_a_glob_is_read_as_named(workspace, tmp_path):
    recs = [make_record() for _ in range(2)]
    write_trail_file(
        trail_path(tmp_path / "case [1]", "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)),
        recs,
    )
    report = workspace.load(tmp_path / "case [1]", progress=False)
    assert (report.loaded, report.reconciles) == (2, True)
    assert all("case [1]" in s for s in workspace.sql("SELECT source FROM events").source)


def test_events_hide_the_loader_reason_and_no_row_keeps_one(workspace, tmp_path):
    recs = [make_record(), make_record(eventID=""), make_record(eventTime="yesterday")]
    write_trail_file(
        trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)), recs
    )
    report = workspace.load(tmp_path, progress=False)
    assert (report.loaded, report.rejected_count) == (2, 1)
    assert "reason" not in workspace.sql("SELECT * FROM events LIMIT 0").columns
    assert (
        workspace.sql("SELECT count(*) AS n FROM event_records WHERE reason IS NOT NULL").n[0] == 0
    )
    reasons = sorted(workspace.sql("SELECT reason FROM rejected").reason)
    assert reasons == ["eventTime is not an ISO-8601 time: yesterday"]


def test_a_load_cut_short_has_its_duplicates_removed_when_the_workspace_opens(tmp_path):
    recs = [make_record() for _ in range(4)]
    write_trail_file(
        trail_path(tmp_path / "logs", "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)), recs
    )
    ws = Workspace(tmp_path / "ws")
    first = ws.load(tmp_path / "logs", progress=False)
    ws.close()
    # What an interrupted second load leaves: its rows committed, no dedupe, no finish time.
    with duckdb.connect(str(tmp_path / "ws" / "iamlab.duckdb")) as con:
        con.execute("INSERT INTO loads (load_id, started_at) VALUES (nextval('load_ids'), now())")
        con.execute(
            "INSERT INTO event_records SELECT * REPLACE (currval('load_ids') AS load_id) "
            "FROM event_records WHERE load_id = $id",
            {"id": first.load_id},
        )
    ws = Workspace(tmp_path / "ws")
    try:
        rows = ws.sql("SELECT load_id, count(*) AS n FROM events GROUP BY 1")
        assert rows.to_dict("records") == [{"load_id": first.load_id, "n": 4}]
        report = json.loads(
            ws.sql("SELECT report FROM loads WHERE load_id <> $id", {"id": first.load_id}).report[0]
        )
        assert report == {"interrupted": True, "duplicates_removed": 4}
    finally:
        ws.close()


def test_progress_ends_at_every_file_and_byte(tmp_path, capsys):
    for hour in range(3):
        write_trail_file(
            trail_path(tmp_path / "logs", "111122223333", "us-east-1", utc(2026, 3, 2, hour, 30)),
            [make_record()],
        )
    with Workspace(tmp_path / "ws") as ws:
        ws.load(tmp_path / "logs", progress=True)
    err = capsys.readouterr().err
    assert "files=3/3" in err.rsplit("\r", 1)[-1]
