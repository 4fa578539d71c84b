"""Live evidence is saved in a workspace's evidence folder with provenance, then loads as events."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from botocore.stub import Stubber

from iamlab.aws.lake import lake_query
from iamlab.aws.lookup import MAX_RESULTS, RateLimiter, lookup_events
from iamlab.aws.readonly import client
from iamlab.workspace import Workspace

CALLER = {"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/analyst"}
RECORD = {
    "eventVersion": "1.09",
    "eventID": "4b1c-lake-denied",
    "eventTime": "2024-05-01T10:00:00Z",
    "eventSource": "kms.amazonaws.com",
    "eventName": "Decrypt",
    "awsRegion": "eu-west-1",
    "errorCode": "AccessDeniedException",
    "errorMessage": "User: arn:aws:iam::111122223333:user/ana is not authorized to perform: "
    "kms:Decrypt on this resource because no resource-based policy allows "
    "the kms:Decrypt action",
    "userIdentity": {
        "type": "IAMUser",
        "arn": "arn:aws:iam::111122223333:user/ana",
        "accountId": "111122223333",
    },
    "recipientAccountId": "111122223333",
}


@pytest.fixture
def workspace(tmp_path):
    with Workspace(tmp_path / "ws") as ws:
        yield ws


def _client(service):
    return client(
        service,
        region="eu-west-1",
        aws_access_key_id="AKIAFAKEFAKEFAKE0007",
        aws_secret_access_key="fake",
    )


def test_lake_rows_are_loaded_into_events(workspace):
    ct = _client("cloudtrail")
    qid = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
    sql = "SELECT eventjson FROM store-id WHERE errorcode IS NOT NULL"
    stub = Stubber(ct)
    stub.add_response("start_query", {"QueryId": qid}, {"QueryStatement": sql})
    stub.add_response(
        "describe_query", {"QueryId": qid, "QueryStatus": "FINISHED"}, {"QueryId": qid}
    )
    stub.add_response(
        "get_query_results",
        {"QueryStatus": "FINISHED", "QueryResultRows": [[{"eventjson": json.dumps(RECORD)}]]},
        {"QueryId": qid, "MaxQueryResults": 1000},
    )
    with stub:
        result = lake_query(
            sql, evidence_dir=workspace.evidence_dir, client=ct, sleep=lambda s: None, caller=CALLER
        )
    assert result.evidence.path.parent == workspace.path / "evidence" / "lake"
    assert workspace.load(result.evidence.path, progress=False).loaded == 1
    rows = workspace.sql("SELECT event_id, error_code, principal_arn FROM events")
    assert rows.values.tolist() == [
        ["4b1c-lake-denied", "AccessDeniedException", "arn:aws:iam::111122223333:user/ana"]
    ]


def test_lookup_denials_are_loaded_and_the_rest_is_not(workspace):
    ct = _client("cloudtrail")
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    end = datetime(2024, 5, 2, tzinfo=timezone.utc)
    ok = {**RECORD, "eventID": "fine", "errorCode": None, "errorMessage": None}
    events = [
        {
            "EventId": r["eventID"],
            "EventName": "Decrypt",
            "EventTime": start,
            "EventSource": "kms.amazonaws.com",
            "CloudTrailEvent": json.dumps(r),
        }
        for r in (RECORD, ok)
    ]
    stub = Stubber(ct)
    stub.add_response(
        "lookup_events",
        {"Events": events},
        {"StartTime": start, "EndTime": end, "MaxResults": MAX_RESULTS},
    )
    clock = [0.0]
    with stub:
        result = lookup_events(
            start,
            end,
            "eu-west-1",
            evidence_dir=workspace.evidence_dir,
            client=ct,
            caller=CALLER,
            limiter=RateLimiter(2.0, lambda: clock[0], lambda s: None),
        )
    assert [e["EventId"] for e in result.events] == ["4b1c-lake-denied", "fine"]
    assert workspace.load(result.evidence.path, progress=False).loaded == 1
    rows = workspace.sql("SELECT event_id FROM events")
    assert rows["event_id"].tolist() == ["4b1c-lake-denied"]
    meta = json.loads(result.evidence.meta_path.read_text())
    assert meta["filter"] == "denials" and meta["caller"] == CALLER
