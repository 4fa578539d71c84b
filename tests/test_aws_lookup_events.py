"""lookup_events with botocore's Stubber: pacing, pagination, throttling, denials, evidence."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from botocore.stub import Stubber

from iamlab.aws.lookup import MAX_RESULTS, RateLimiter, lookup_events
from iamlab.aws.readonly import client
from iamlab.errors import AwsError, InputError

START = datetime(2024, 5, 1, tzinfo=timezone.utc)
END = datetime(2024, 5, 2, tzinfo=timezone.utc)
CALLER = {"Account": "111122223333", "Arn": "arn:aws:sts::111122223333:assumed-role/Audit/ana"}
SECRET = "lookupSecretKeyNeverWritten000000000000"


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _event(
    event_id: str, code: str | None = None, message: str | None = None, raw: str | None = None
) -> dict:
    record = {
        "eventVersion": "1.09",
        "eventID": event_id,
        "eventName": "GetObject",
        "eventSource": "s3.amazonaws.com",
        "eventTime": "2024-05-01T10:00:00Z",
        "awsRegion": "us-east-1",
    }
    if code:
        record.update(errorCode=code, errorMessage=message)
    return {
        "EventId": event_id,
        "EventName": "GetObject",
        "ReadOnly": "true",
        "EventTime": START,
        "EventSource": "s3.amazonaws.com",
        "Username": "alice",
        "Resources": [],
        "CloudTrailEvent": raw if raw is not None else json.dumps(record),
    }


@pytest.fixture
def cloudtrail():
    c = client(
        "cloudtrail",
        region="us-east-1",
        aws_access_key_id="AKIAFAKEFAKEFAKE0001",
        aws_secret_access_key=SECRET,
    )
    return c


def _params(token=None, attrs=None):
    p = {"StartTime": START, "EndTime": END, "MaxResults": MAX_RESULTS}
    if attrs:
        p["LookupAttributes"] = attrs
    if token:
        p["NextToken"] = token
    return p


def test_pages_with_identical_parameters_at_two_requests_per_second(cloudtrail):
    clock = FakeClock()
    sent_at: list[float] = []
    cloudtrail.meta.events.register_first(
        "provide-client-params.cloudtrail.LookupEvents", lambda **_: sent_at.append(clock())
    )
    attrs = [{"AttributeKey": "Username", "AttributeValue": "alice"}]
    stub = Stubber(cloudtrail)
    stub.add_response(
        "lookup_events", {"Events": [_event("e1")], "NextToken": "t1"}, _params(attrs=attrs)
    )
    stub.add_response(
        "lookup_events", {"Events": [_event("e2")], "NextToken": "t2"}, _params("t1", attrs)
    )
    stub.add_response("lookup_events", {"Events": [_event("e3")]}, _params("t2", attrs))
    with stub:
        result = lookup_events(
            START,
            END,
            "us-east-1",
            ("Username", "alice"),
            client=cloudtrail,
            limiter=RateLimiter(2.0, clock, clock.sleep),
            sleep=clock.sleep,
        )
    stub.assert_no_pending_responses()
    assert result.pages == 3
    assert [e["EventId"] for e in result.events] == ["e1", "e2", "e3"]
    assert [b - a for a, b in zip(sent_at, sent_at[1:], strict=False)] == [0.5, 0.5]
    assert clock.sleeps == [0.5, 0.5]


def test_limiter_does_not_wait_when_time_has_passed():
    clock = FakeClock()
    limiter = RateLimiter(2.0, clock, clock.sleep)
    limiter.wait()
    clock.now += 3
    limiter.wait()
    clock.now += 0.2
    limiter.wait()
    assert clock.sleeps == [pytest.approx(0.3)]


def test_throttling_is_retried_with_backoff(cloudtrail):
    clock = FakeClock()
    stub = Stubber(cloudtrail)
    stub.add_client_error("lookup_events", "ThrottlingException", "Rate exceeded", 400)
    stub.add_client_error("lookup_events", "ThrottlingException", "Rate exceeded", 400)
    stub.add_response("lookup_events", {"Events": [_event("e1")]}, _params())
    with stub:
        result = lookup_events(
            START,
            END,
            "us-east-1",
            client=cloudtrail,
            limiter=RateLimiter(2.0, clock, clock.sleep),
            sleep=clock.sleep,
        )
    assert [e["EventId"] for e in result.events] == ["e1"]
    assert clock.sleeps == [1.0, 2.0]


def test_other_errors_are_clear(cloudtrail):
    stub = Stubber(cloudtrail)
    stub.add_client_error(
        "lookup_events",
        "AccessDeniedException",
        "not authorized to perform: cloudtrail:LookupEvents",
        400,
    )
    clock = FakeClock()
    with (
        stub,
        pytest.raises(
            AwsError,
            match="access denied to LookupEvents while looking up "
            "events in us-east-1: not authorized to perform: "
            "cloudtrail:LookupEvents",
        ),
    ):
        lookup_events(
            START,
            END,
            "us-east-1",
            client=cloudtrail,
            limiter=RateLimiter(2.0, clock, clock.sleep),
            sleep=clock.sleep,
        )


def test_denials_are_filtered_client_side_and_saved_with_provenance(cloudtrail, tmp_path):
    events = [
        _event("ok"),
        _event(
            "denied",
            "AccessDenied",
            "User: arn:aws:iam::111122223333:user/alice is not "
            'authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" because '
            "no identity-based policy allows the s3:GetObject action",
        ),
        _event(
            "ec2",
            "Client.UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        _event(
            "dry", "Client.DryRunOperation", "Request would have succeeded, but DryRun flag is set."
        ),
        _event("bad", raw="{not json"),
    ]
    stub = Stubber(cloudtrail)
    stub.add_response("lookup_events", {"Events": events}, _params())
    clock = FakeClock()
    with stub:
        result = lookup_events(
            START,
            END,
            "us-east-1",
            evidence_dir=tmp_path,
            client=cloudtrail,
            limiter=RateLimiter(2.0, clock, clock.sleep),
            caller=CALLER,
        )
    assert [e["EventId"] for e in result.denials] == ["denied", "ec2"]
    assert result.malformed == 1
    saved = json.loads(result.evidence.path.read_text())
    assert [e["EventId"] for e in saved["Events"]] == ["denied", "ec2"]
    assert json.loads(saved["Events"][0]["CloudTrailEvent"])["errorCode"] == "AccessDenied"
    assert result.evidence.path.parent == tmp_path / "lookup-events"
    assert result.evidence.path.name == (
        "111122223333-us-east-1-20240501T000000Z-20240502T000000Z.json"
    )
    meta = json.loads(result.evidence.meta_path.read_text())
    assert meta["api"] == "cloudtrail:LookupEvents"
    assert meta["request"] == {
        "StartTime": START.isoformat(),
        "EndTime": END.isoformat(),
        "MaxResults": 50,
        "LookupAttributes": [],
    }
    assert meta["caller"] == CALLER and meta["region"] == "us-east-1"
    assert (meta["events_seen"], meta["events_saved"], meta["malformed"]) == (5, 2, 1)
    assert datetime.fromisoformat(meta["requested_at"]).tzinfo is not None
    text = result.evidence.path.read_text() + result.evidence.meta_path.read_text()
    assert SECRET not in text and "AKIAFAKEFAKEFAKE0001" not in text


def test_malformed_response_without_events(cloudtrail):
    stub = Stubber(cloudtrail)
    stub.add_response("lookup_events", {"NextToken": "x"}, _params())
    clock = FakeClock()
    with stub, pytest.raises(AwsError, match="malformed LookupEvents response"):
        lookup_events(
            START, END, "us-east-1", client=cloudtrail, limiter=RateLimiter(2.0, clock, clock.sleep)
        )


def test_bad_inputs():
    with pytest.raises(InputError, match="not after start"):
        lookup_events(END, START, "us-east-1", client=object())
    with pytest.raises(InputError, match="ErrorCode"):
        lookup_events(START, END, "us-east-1", "ErrorCode=AccessDenied", client=object())
    with pytest.raises(InputError, match="ISO 8601"):
        lookup_events("yesterday", END, "us-east-1", client=object())


def test_until_is_exclusive_as_in_every_command(cloudtrail):
    """AWS's EndTime is inclusive; an event at exactly ``until`` is not kept."""
    at_end = {**_event("at-end", "AccessDenied", "denied"), "EventTime": END}
    inside = _event("inside", "AccessDenied", "denied")
    stub = Stubber(cloudtrail)
    stub.add_response("lookup_events", {"Events": [inside, at_end]}, _params())
    with stub:
        result = lookup_events(
            START,
            END,
            "us-east-1",
            client=cloudtrail,
            limiter=RateLimiter(1000.0),
            sleep=lambda s: None,
        )
    assert [e["EventId"] for e in result.events] == ["inside"]
    assert [e["EventId"] for e in result.denials] == ["inside"]
