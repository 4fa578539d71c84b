"""lake_query with botocore's Stubber: polling, paging, failures, saved shape."""

from __future__ import annotations

import json

import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from botocore.stub import Stubber

from iamlab.aws.lake import lake_query
from iamlab.aws.readonly import client
from iamlab.errors import AwsError, InputError

QID = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
SQL = "SELECT eventid, errorcode FROM abcd1234-store WHERE errorcode IS NOT NULL"
CALLER = {"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/analyst"}


class FakeClock:
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def cloudtrail():
    return client(
        "cloudtrail",
        region="eu-west-1",
        aws_access_key_id="AKIAFAKEFAKEFAKE0002",
        aws_secret_access_key="fake",
    )


def _row(event_id, code):
    return [{"eventid": event_id}, {"errorcode": code}]


def test_polls_until_finished_and_pages_through_rows(cloudtrail, tmp_path):
    clock = FakeClock()
    stub = Stubber(cloudtrail)
    stub.add_response("start_query", {"QueryId": QID}, {"QueryStatement": SQL})
    stub.add_response("describe_query", {"QueryId": QID, "QueryStatus": "QUEUED"}, {"QueryId": QID})
    stub.add_response(
        "describe_query", {"QueryId": QID, "QueryStatus": "RUNNING"}, {"QueryId": QID}
    )
    stub.add_response(
        "describe_query", {"QueryId": QID, "QueryStatus": "FINISHED"}, {"QueryId": QID}
    )
    stub.add_response(
        "get_query_results",
        {
            "QueryStatus": "FINISHED",
            "QueryResultRows": [_row("e1", "AccessDenied")],
            "NextToken": "page-two-token",
            "QueryStatistics": {"ResultsCount": 1, "TotalResultsCount": 2, "BytesScanned": 2048},
        },
        {"QueryId": QID, "MaxQueryResults": 1000},
    )
    stub.add_response(
        "get_query_results",
        {
            "QueryStatus": "FINISHED",
            "QueryResultRows": [_row("e2", "AccessDeniedException")],
            "QueryStatistics": {"ResultsCount": 1, "TotalResultsCount": 2, "BytesScanned": 2048},
        },
        {"QueryId": QID, "MaxQueryResults": 1000, "NextToken": "page-two-token"},
    )
    with stub:
        result = lake_query(
            SQL,
            evidence_dir=tmp_path,
            client=cloudtrail,
            clock=clock,
            sleep=clock.sleep,
            poll_interval=5,
            caller=CALLER,
        )
    stub.assert_no_pending_responses()
    assert (result.status, result.polls, result.pages) == ("FINISHED", 3, 2)
    assert clock.sleeps == [5, 5]
    assert result.records() == [
        {"eventid": "e1", "errorcode": "AccessDenied"},
        {"eventid": "e2", "errorcode": "AccessDeniedException"},
    ]
    saved = json.loads(result.evidence.path.read_text())
    assert saved["QueryStatus"] == "FINISHED"
    assert saved["QueryResultRows"] == [
        _row("e1", "AccessDenied"),
        _row("e2", "AccessDeniedException"),
    ]
    assert saved["QueryStatistics"]["TotalResultsCount"] == 2
    meta = json.loads(result.evidence.meta_path.read_text())
    assert meta["request"] == {"QueryStatement": SQL, "QueryId": QID}
    assert (meta["region"], meta["rows"], meta["partial"]) == ("eu-west-1", 2, False)
    assert result.evidence.path.parent == tmp_path / "lake"


def test_failed_query_raises_with_awss_message(cloudtrail):
    clock = FakeClock()
    stub = Stubber(cloudtrail)
    stub.add_response("start_query", {"QueryId": QID}, {"QueryStatement": SQL})
    stub.add_response(
        "describe_query",
        {
            "QueryId": QID,
            "QueryStatus": "FAILED",
            "ErrorMessage": "line 1:8: Column 'x' cannot be resolved",
        },
        {"QueryId": QID},
    )
    with stub, pytest.raises(AwsError, match="FAILED: line 1:8: Column 'x'"):
        lake_query(SQL, client=cloudtrail, clock=clock, sleep=clock.sleep)


def test_timed_out_query_keeps_partial_rows(cloudtrail, tmp_path):
    clock = FakeClock()
    stub = Stubber(cloudtrail)
    stub.add_response("start_query", {"QueryId": QID}, {"QueryStatement": SQL})
    stub.add_response(
        "describe_query", {"QueryId": QID, "QueryStatus": "TIMED_OUT"}, {"QueryId": QID}
    )
    stub.add_response(
        "get_query_results",
        {"QueryStatus": "TIMED_OUT", "QueryResultRows": [_row("e1", "AccessDenied")]},
        {"QueryId": QID, "MaxQueryResults": 1000},
    )
    with stub:
        result = lake_query(
            SQL,
            evidence_dir=tmp_path,
            client=cloudtrail,
            clock=clock,
            sleep=clock.sleep,
            caller=CALLER,
        )
    assert result.status == "TIMED_OUT" and len(result.rows) == 1
    assert json.loads(result.evidence.meta_path.read_text())["partial"] is True


def test_throttled_start_is_retried(cloudtrail):
    clock = FakeClock()
    stub = Stubber(cloudtrail)
    stub.add_client_error("start_query", "ThrottlingException", "slow down", 400)
    stub.add_response("start_query", {"QueryId": QID}, {"QueryStatement": SQL})
    stub.add_response(
        "describe_query", {"QueryId": QID, "QueryStatus": "FINISHED"}, {"QueryId": QID}
    )
    stub.add_response(
        "get_query_results",
        {"QueryStatus": "FINISHED", "QueryResultRows": []},
        {"QueryId": QID, "MaxQueryResults": 1000},
    )
    with stub:
        result = lake_query(SQL, client=cloudtrail, clock=clock, sleep=clock.sleep)
    assert result.rows == [] and clock.sleeps == [1.0]


def test_malformed_status_and_stuck_query(cloudtrail):
    clock = FakeClock()
    stub = Stubber(cloudtrail)
    stub.add_response("start_query", {"QueryId": QID}, {"QueryStatement": SQL})
    stub.add_response("describe_query", {"QueryId": QID}, {"QueryId": QID})
    with stub, pytest.raises(AwsError, match="malformed DescribeQuery response"):
        lake_query(SQL, client=cloudtrail, clock=clock, sleep=clock.sleep)
    stub = Stubber(cloudtrail)
    stub.add_response("start_query", {"QueryId": QID}, {"QueryStatement": SQL})
    for _ in range(3):
        stub.add_response(
            "describe_query", {"QueryId": QID, "QueryStatus": "RUNNING"}, {"QueryId": QID}
        )
    with stub, pytest.raises(AwsError, match=f"get-query-results --query-id {QID}"):
        lake_query(
            SQL, client=cloudtrail, clock=clock, sleep=clock.sleep, poll_interval=10, timeout=15
        )


def test_only_select_statements_are_sent(cloudtrail):
    with pytest.raises(InputError, match="SELECT statements only"):
        lake_query("DROP TABLE x", client=cloudtrail)
    with Stubber(cloudtrail) as stub:  # nothing queued: any call would fail the test
        with pytest.raises(InputError):
            lake_query("  delete from x", client=cloudtrail)
        stub.assert_no_pending_responses()
