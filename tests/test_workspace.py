"""A workspace is a folder with iamlab.duckdb: opened without config, reopened with its data."""

from __future__ import annotations

import duckdb
import pytest
from conftest import utc, write_day

from iamlab.errors import InputError
from iamlab.workspace import Workspace


def test_open_creates_the_folder_and_schema_and_reopen_keeps_data(tmp_path):
    path = tmp_path / "new" / "ws"
    with Workspace(path) as ws:
        assert (path / "iamlab.duckdb").is_file()
        tables = set(ws.sql("SELECT table_name FROM information_schema.tables").table_name)
        assert {
            "events",
            "event_records",
            "rejected",
            "loads",
            "files_skipped",
            "s3_objects",
        } <= tables
        write_day(tmp_path / "logs", "111122223333", "us-east-1", utc(2026, 3, 3))
        ws.load(tmp_path / "logs", progress=False)
    with Workspace(path) as ws:
        assert ws.sql("SELECT count(*) AS n FROM events").n[0] == 3
        loads = ws.sql(
            "SELECT load_id, finished_at, report->>'$.totals.loaded' AS loaded FROM loads"
        )
        assert list(loads.load_id) == [1] and loads.loaded[0] == "3"
    with Workspace(path, read_only=True) as ws:
        assert ws.sql("SELECT count(*) AS n FROM events").n[0] == 3


def test_events_has_the_contract_columns_with_their_types(workspace):
    cols = dict(
        workspace.sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'events'"
        ).values.tolist()
    )
    expected = {
        "event_id": "VARCHAR",
        "event_time": "TIMESTAMP WITH TIME ZONE",
        "read_only": "BOOLEAN",
        "management_event": "BOOLEAN",
        "user_identity": "JSON",
        "request_parameters": "JSON",
        "response_elements": "JSON",
        "additional_event_data": "JSON",
        "resources": "JSON",
        "tls_details": "JSON",
        "raw": "JSON",
        "source": "VARCHAR",
        "source_position": "VARCHAR",
        "load_id": "INTEGER",
    }
    for name in (
        "event_version",
        "event_source",
        "event_name",
        "aws_region",
        "event_type",
        "event_category",
        "error_code",
        "error_message",
        "principal_arn",
        "principal_type",
        "principal_id",
        "account_id",
        "user_name",
        "access_key_id",
        "session_issuer_arn",
        "invoked_by",
        "recipient_account_id",
        "source_ip",
        "user_agent",
        "request_id",
        "shared_event_id",
        "vpc_endpoint_id",
        "vpc_endpoint_account_id",
    ):
        expected[name] = "VARCHAR"
    assert {k: cols.get(k) for k in expected} == expected


def test_sql_binds_parameters(workspace, tmp_path):
    write_day(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 3))
    workspace.load(tmp_path, progress=False)
    hostile = "x' OR '1'='1"
    assert len(workspace.sql("SELECT * FROM events WHERE event_name = $n", {"n": hostile})) == 0
    assert len(workspace.sql("SELECT * FROM events WHERE event_name = ?", ["GetObject"])) == 3


def test_a_file_where_the_folder_should_be_is_an_input_error(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        Workspace(tmp_path / "f")
    with pytest.raises(InputError, match="No workspace"):
        Workspace(tmp_path / "missing", read_only=True)


def test_missing_source_is_an_input_error_naming_it(workspace, tmp_path):
    with pytest.raises(InputError, match="nope.json"):
        workspace.load(tmp_path / "nope.json", progress=False)
    with pytest.raises(InputError, match="No files match"):
        workspace.load(str(tmp_path / "*.json.gz"), progress=False)
    with pytest.raises(InputError, match="at least one source"):
        workspace.load(progress=False)


def test_close_twice_is_harmless_and_the_workspace_still_answers(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.close()
    ws.close()
    assert ws.sql("SELECT count(*) AS n FROM events").n[0] == 0


def test_a_workspace_from_an_older_iamlab_gets_this_versions_views(tmp_path):
    Workspace(tmp_path / "ws").close()
    with duckdb.connect(str(tmp_path / "ws" / "iamlab.duckdb")) as con:
        con.execute("CREATE OR REPLACE VIEW denials AS SELECT 'stale' AS cause")
        con.execute("DELETE FROM workspace_meta")  # what an older iamlab left: no fingerprint
    with Workspace(tmp_path / "ws") as ws:
        assert "cause" in ws.denials().columns
        assert ws.sql("SELECT count(*) AS n FROM denials WHERE cause = 'stale'").n[0] == 0


def test_a_query_that_cannot_run_is_an_input_error_with_duckdbs_words(workspace):
    with pytest.raises(InputError, match="The query failed: .*no_such_table"):
        workspace.sql("SELECT * FROM no_such_table")
    with pytest.raises(InputError, match="read-only"):
        workspace.sql("DELETE FROM event_records")
