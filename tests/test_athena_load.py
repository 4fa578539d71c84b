"""Rows of a pushed-down query load in one transaction: all of them, or nothing."""

from __future__ import annotations

import duckdb
import pytest
from conftest import make_record

from iamlab.trail import athena, sql
from iamlab.trail.athena import load_rows


def test_rows_load_with_their_source_and_provenance(workspace):
    records = [make_record(errorCode="AccessDenied") for _ in range(3)]
    with workspace._db.write("test", True) as con:
        report = load_rows(con, [("athena://wg/q-1", records)], {"queries": [{"sql": "SELECT"}]})
    assert (report.loaded, report.reconciles) == (3, True)
    got = workspace.sql("SELECT DISTINCT source FROM events")
    assert list(got.source) == ["athena://wg/q-1"]
    assert workspace.raw(records[0]["eventID"])["eventID"] == records[0]["eventID"]


def test_a_failure_half_way_leaves_the_workspace_as_it_was(workspace, monkeypatch):
    records = [make_record(errorCode="AccessDenied") for _ in range(3)]
    monkeypatch.setattr(sql, "INSERT_CONFLICTS", "INSERT INTO no_such_table VALUES (1)")
    assert athena.sql is sql
    with workspace._db.write("test", True) as con, pytest.raises(duckdb.Error):
        load_rows(con, [("athena://wg/q-1", records)], {})
    counts = workspace.sql(
        "SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM loads) AS l"
    )
    assert (counts.e[0], counts.l[0]) == (0, 0)
