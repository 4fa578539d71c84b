"""Rows from S3 log files point at their record instead of copying it; raw() finds it again."""

from __future__ import annotations

import gzip
import json

import duckdb
import pytest
from conftest import make_record, trail_path, utc, write_trail_file

from iamlab.errors import InputError
from iamlab.workspace import DB_NAME, Workspace


def test_raw_returns_the_exact_record_with_keys_the_schema_does_not_name(workspace, tmp_path):
    odd = make_record(futureKey={"nested": [1, 2]}, eventVersion="9.99")
    odd["requestParameters"] = {"bucketName": "b", "deep": {"x": None}}
    plain = make_record()
    path = write_trail_file(
        trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)), [plain, odd]
    )
    report = workspace.load(tmp_path, progress=False)
    assert (report.loaded, report.rejected_count) == (2, 0)
    row = workspace.sql(
        "SELECT raw, source, source_position, request_parameters, user_identity, principal_arn "
        "FROM events WHERE event_id = $id",
        {"id": odd["eventID"]},
    ).iloc[0]
    assert row.raw is None and row.source == str(path) and row.source_position == "Records[1]"
    assert json.loads(row.request_parameters) == odd["requestParameters"]
    assert json.loads(row.user_identity) == odd["userIdentity"]
    assert row.principal_arn == odd["userIdentity"]["arn"]
    assert workspace.raw(odd["eventID"]) == odd  # futureKey and all
    assert workspace.raw(plain["eventID"]) == plain


def test_raw_names_the_problem_for_an_unknown_id_or_a_vanished_file(workspace, tmp_path):
    rec = make_record()
    path = write_trail_file(
        trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)), [rec]
    )
    workspace.load(tmp_path, progress=False)
    with pytest.raises(InputError, match="No event 'nope'"):
        workspace.raw("nope")
    path.write_bytes(gzip.compress(json.dumps({"Records": [make_record()]}).encode()))
    with pytest.raises(InputError, match="no longer holds event"):
        workspace.raw(rec["eventID"])
    path.unlink()
    with pytest.raises(InputError, match="is gone"):
        workspace.raw(rec["eventID"])


def test_a_record_that_is_not_an_object_sends_its_file_to_the_careful_path(workspace, tmp_path):
    good = [make_record(), make_record()]
    other = write_trail_file(
        trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)), [make_record()]
    )
    bad = trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 35))
    bad.write_bytes(gzip.compress(json.dumps({"Records": [good[0], "hello", 5, good[1]]}).encode()))
    report = workspace.load(tmp_path, progress=False)
    assert (report.seen, report.loaded, report.rejected_count) == (5, 3, 2) and report.reconciles
    rej = workspace.sql("SELECT source_position, reason FROM rejected ORDER BY 1")
    assert list(rej.itertuples(index=False, name=None)) == [
        ("Records[1]", "record is not a JSON object"),
        ("Records[2]", "record is not a JSON object"),
    ]
    pos = dict(workspace.sql("SELECT event_id, source_position FROM events").values)
    assert pos[good[1]["eventID"]] == "Records[3]"
    # the careful path keeps the raw JSON; raw() returns it either way
    assert workspace.raw(good[1]["eventID"]) == good[1]
    assert {str(other), str(bad)} == set(workspace.sql("SELECT DISTINCT source FROM events").source)


def test_a_workspace_from_before_the_nested_columns_is_upgraded_on_open(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    rec = make_record(requestParameters={"bucketName": "reports"})
    con = duckdb.connect(str(folder / DB_NAME))
    con.execute(
        "CREATE TABLE event_records (event_id VARCHAR NOT NULL, event_time TIMESTAMPTZ NOT NULL, "
        "raw JSON NOT NULL, source VARCHAR NOT NULL, source_position VARCHAR NOT NULL, "
        "load_id INTEGER NOT NULL)"
    )
    con.execute(
        "INSERT INTO event_records VALUES ($id, TIMESTAMPTZ '2026-03-02 10:00:00+00', $raw, "
        "'f.json', 'Records[0]', 1)",
        {"id": rec["eventID"], "raw": json.dumps(rec)},
    )
    con.close()
    with Workspace(folder) as ws:
        row = ws.sql("SELECT request_parameters, user_identity, raw FROM events").iloc[0]
        assert json.loads(row.request_parameters) == {"bucketName": "reports"}
        assert json.loads(row.user_identity) == rec["userIdentity"]
        assert ws.raw(rec["eventID"]) == rec
