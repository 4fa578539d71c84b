"""iamlab lake denials: the search through Lake's queries (Stubber), loaded whole or not at all."""

from __future__ import annotations

import json

import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from botocore.stub import ANY, Stubber
from conftest import SAMPLE_DATA

from iamlab.aws.readonly import client
from iamlab.errors import AwsError
from iamlab.workspace import Workspace

STORE = "EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE"
QID = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("lake-sample") / "ws")
    ws.load(SAMPLE_DATA / "cloudtrail", progress=False)
    yield ws
    ws.close()


def _cloudtrail():
    return client(
        "cloudtrail",
        region="eu-west-1",
        aws_access_key_id="AKIAFAKEFAKEFAKE0002",
        aws_secret_access_key="fake",
    )


def _rows(sample, n):
    denials = sample.denials(since="2026-03-10", until="2026-03-11").head(n)
    return [
        [{"eventjson": json.dumps(sample.raw(e))}, {"cause": c}]
        for e, c in zip(denials["event_id"], denials["cause"], strict=True)
    ], denials


def test_lake_denials_loads_the_rows_with_the_query_and_its_bytes(sample, tmp_path):
    rows, denials = _rows(sample, 6)
    ct = _cloudtrail()
    stub = Stubber(ct)
    stub.add_response("start_query", {"QueryId": QID}, {"QueryStatement": ANY})
    stub.add_response("describe_query", {"QueryId": QID, "QueryStatus": "FINISHED"})
    stub.add_response(
        "get_query_results",
        {
            "QueryStatus": "FINISHED",
            "QueryResultRows": rows,
            "QueryStatistics": {"ResultsCount": 6, "TotalResultsCount": 6, "BytesScanned": 4096},
        },
    )
    ws = Workspace(tmp_path / "ws")
    with stub:
        search, report = ws.load_from_lake(
            STORE, "2026-03-10", "2026-03-11", client=ct, sleep=lambda s: None
        )
    assert sorted(ws.denials()["event_id"]) == sorted(denials["event_id"])
    assert report.loaded == 6 and search.bytes_scanned == 4096
    assert sum(search.causes.values()) == 6
    options = json.loads(ws.sql("SELECT options FROM loads").iloc[0, 0])
    assert options["engine"] == "lake" and options["queries"][0]["query_id"] == QID
    assert f"FROM {STORE}" in options["queries"][0]["sql"]
    ws.close()


def test_a_failed_lake_query_loads_nothing(tmp_path):
    ct = _cloudtrail()
    stub = Stubber(ct)
    stub.add_response("start_query", {"QueryId": QID}, {"QueryStatement": ANY})
    stub.add_response(
        "describe_query",
        {
            "QueryId": QID,
            "QueryStatus": "FAILED",
            "ErrorMessage": "column eventjsonx does not exist",
        },
    )
    ws = Workspace(tmp_path / "ws")
    with stub, pytest.raises(AwsError, match=f"Lake query {QID} FAILED: column eventjsonx"):
        ws.load_from_lake(STORE, "2026-03-10", "2026-03-11", client=ct, sleep=lambda s: None)
    assert ws.sql("SELECT count(*) AS n FROM loads").n[0] == 0
    ws.close()


def test_a_lake_row_that_is_not_json_is_rejected_with_its_row_and_the_rest_load(sample, tmp_path):
    rows, denials = _rows(sample, 2)
    rows.insert(1, [{"eventjson": '{"eventID": broken'}, {"cause": "undetailed"}])
    ct = _cloudtrail()
    stub = Stubber(ct)
    stub.add_response("start_query", {"QueryId": QID}, {"QueryStatement": ANY})
    stub.add_response("describe_query", {"QueryId": QID, "QueryStatus": "FINISHED"})
    stub.add_response("get_query_results", {"QueryStatus": "FINISHED", "QueryResultRows": rows})
    ws = Workspace(tmp_path / "ws")
    with stub:
        search, report = ws.load_from_lake(
            STORE, "2026-03-10", "2026-03-11", client=ct, sleep=lambda s: None
        )
    assert (report.loaded, report.rejected_count, report.reconciles) == (2, 1, True)
    assert search.causes["unreadable"] == 1
    rejected = ws.sql("SELECT source, source_position, reason FROM rejected")
    assert list(rejected.source_position) == ["row 2"]
    assert rejected.source[0] == f"lake://{STORE}/{QID}"
    assert rejected.reason[0] == "record is not a JSON object"
    ws.close()
