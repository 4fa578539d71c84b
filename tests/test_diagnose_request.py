"""From a CloudTrail record to the request AWS evaluated: one test per identity type, per
API-to-action mismatch relied on, session policies from AssumeRole events, and records that
lack what a replay needs (a diagnosis that says so, never an exception, never confirmed)."""

from __future__ import annotations

import json
from functools import lru_cache

import pytest
from conftest import SAMPLE_DATA, make_record

from iamlab.denials import parse
from iamlab.diagnose import SessionIndex, diagnose_record, rebuild
from iamlab.snapshot import load

DEV, PROD, PARTNER = "264830159726", "731926485017", "418295736104"
TOM = f"arn:aws:iam::{DEV}:user/people/tom.reyes"
ORDERS_ROLE = f"arn:aws:iam::{PROD}:role/service-role/orders-api-lambda-role"


@lru_cache(maxsize=1)
def snap():
    return load(SAMPLE_DATA / "snapshot")


def record(**fields) -> dict:
    base = make_record(
        account=DEV,
        region="eu-west-1",
        errorCode="AccessDenied",
        errorMessage="Access Denied",
        tlsDetails={"tlsVersion": "TLSv1.3"},
    )
    base.update(fields)
    return base


def replay(rec: dict, sessions: SessionIndex | None = None):
    parsed = parse(rec.get("errorCode"), rec.get("errorMessage"), rec.get("eventSource"))
    return rebuild(rec, parsed, snap(), sessions)


def iam_user(name="tom.reyes", path="people", account=DEV) -> dict:
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE",
        "accountId": account,
        "arn": f"arn:aws:iam::{account}:user/{path}/{name}",
        "userName": name,
        "accessKeyId": "AKIAEXAMPLE",
    }


def orders_session() -> dict:
    return {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:orders-api",
        "accountId": PROD,
        "arn": f"arn:aws:sts::{PROD}:assumed-role/orders-api-lambda-role/orders-api",
        "accessKeyId": "ASIASESSION1",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "arn": ORDERS_ROLE, "accountId": PROD},
            "attributes": {"creationDate": "2026-03-02T09:00:00Z", "mfaAuthenticated": "false"},
        },
    }


# -- identity types ------------------------------------------------------------------------------


def test_iam_user_is_its_arn_with_username_and_principal_arn():
    r = replay(record(userIdentity=iam_user()))
    assert r.principal == TOM
    assert r.context["aws:username"] == "tom.reyes"
    assert r.context["aws:PrincipalArn"] == TOM
    assert "aws:multifactorauthpresent" in r.known_absent  # long-term key: absent, not missing


def test_assumed_role_principal_arn_is_the_issuer_role_with_its_path():
    r = replay(record(userIdentity=orders_session()))
    assert r.principal.endswith(":assumed-role/orders-api-lambda-role/orders-api")
    assert r.issuer_arn == ORDERS_ROLE
    assert r.context["aws:PrincipalArn"] == ORDERS_ROLE
    assert r.context["aws:MultiFactorAuthPresent"] == "false"
    assert r.context["aws:TokenIssueTime"] == "2026-03-02T09:00:00Z"


def test_role_session_known_only_by_unique_id_is_resolved_through_the_snapshot():
    role_id = snap().iam(PROD).roles["orders-api-lambda-role"]["RoleId"]
    ui = {"type": "AWSAccount", "principalId": f"{role_id}:orders-api", "accountId": PROD}
    r = replay(record(userIdentity=ui))
    assert r.principal == f"arn:aws:sts::{PROD}:assumed-role/orders-api-lambda-role/orders-api"
    assert r.gaps == ()


def test_cross_account_caller_outside_the_snapshot_is_unknown_with_the_reason():
    ui = {"type": "AWSAccount", "principalId": "AROAPARTNER:sync", "accountId": PARTNER}
    r = replay(record(userIdentity=ui))
    assert r.principal is None
    assert any(PARTNER in gap and "unique id" in gap for gap in r.gaps)


def test_root_caller_is_the_account_root():
    ui = {"type": "Root", "principalId": DEV, "accountId": DEV}
    r = replay(record(userIdentity=ui))
    assert r.principal == f"arn:aws:iam::{DEV}:root"


def test_aws_service_caller_is_its_service_principal():
    ui = {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"}
    r = replay(record(userIdentity=ui, sourceIPAddress="lambda.amazonaws.com"))
    assert r.principal == "lambda.amazonaws.com"
    assert r.context["aws:PrincipalIsAWSService"] == "true"
    assert "aws:SourceIp" not in r.context


def test_federated_user_without_its_issuer_is_unknown_with_the_reason():
    ui = {
        "type": "FederatedUser",
        "principalId": f"{DEV}:bob",
        "accountId": DEV,
        "arn": f"arn:aws:sts::{DEV}:federated-user/bob",
    }
    r = replay(record(userIdentity=ui))
    assert r.principal is None
    assert any("federated user" in gap for gap in r.gaps)


def test_federated_user_with_its_issuer_replays_as_that_user():
    ui = {
        "type": "FederatedUser",
        "principalId": f"{DEV}:bob",
        "accountId": DEV,
        "arn": f"arn:aws:sts::{DEV}:federated-user/bob",
        "sessionContext": {"sessionIssuer": {"type": "IAMUser", "arn": TOM}},
    }
    r = replay(record(userIdentity=ui))
    assert r.principal == f"arn:aws:sts::{DEV}:federated-user/bob"
    assert r.issuer_arn == TOM


def test_principal_missing_from_a_collected_account_is_unknown():
    r = replay(record(userIdentity=iam_user(name="nobody", path="people")))
    assert r.principal is None
    assert any("not in the snapshot" in gap for gap in r.gaps)


# -- API name versus IAM action ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "name", "params", "action", "resource"),
    [
        (
            "s3.amazonaws.com",
            "ListObjectsV2",
            {"bucketName": "reports", "prefix": "q1/"},
            "s3:ListBucket",
            "arn:aws:s3:::reports",
        ),
        (
            "s3.amazonaws.com",
            "HeadObject",
            {"bucketName": "reports", "key": "q1.csv"},
            "s3:GetObject",
            "arn:aws:s3:::reports/q1.csv",
        ),
        (
            "lambda.amazonaws.com",
            "Invoke",
            {"functionName": "invoice-render"},
            "lambda:InvokeFunction",
            f"arn:aws:lambda:eu-west-1:{DEV}:function:invoice-render",
        ),
        (
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "invoice-render"},
            "lambda:UpdateFunctionConfiguration",
            f"arn:aws:lambda:eu-west-1:{DEV}:function:invoice-render",
        ),
        (
            "dynamodb.amazonaws.com",
            "Query",
            {"tableName": "orders", "indexName": "by-customer"},
            "dynamodb:Query",
            f"arn:aws:dynamodb:eu-west-1:{DEV}:table/orders/index/by-customer",
        ),
        (
            "sqs.amazonaws.com",
            "SendMessage",
            {"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{DEV}/orders-events"},
            "sqs:SendMessage",
            f"arn:aws:sqs:eu-west-1:{DEV}:orders-events",
        ),
        (
            "kms.amazonaws.com",
            "Decrypt",
            {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"},
            "kms:Decrypt",
            f"arn:aws:kms:eu-west-1:{DEV}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        (
            "iam.amazonaws.com",
            "GetRole",
            {"roleName": "deployer"},
            "iam:GetRole",
            f"arn:aws:iam::{DEV}:role/deployer",
        ),
    ],
)
def test_event_name_maps_to_the_iam_action_and_resource(source, name, params, action, resource):
    rec = record(
        userIdentity=iam_user(),
        eventSource=source,
        eventName=name,
        requestParameters=params,
        resources=None,
        recipientAccountId=DEV,
    )
    r = replay(rec)
    assert (r.action, r.resource) == (action, resource)


def test_list_objects_prefix_becomes_the_s3_prefix_key():
    rec = record(
        userIdentity=iam_user(),
        eventName="ListObjectsV2",
        requestParameters={"bucketName": "reports", "prefix": "q1/", "delimiter": "/"},
    )
    assert replay(rec).context["s3:prefix"] == "q1/"
    assert replay(rec).context["s3:delimiter"] == "/"


def test_message_action_and_resource_win_over_the_event_name():
    message = (
        f"User: {TOM} is not authorized to perform: s3:GetObjectVersion on resource: "
        '"arn:aws:s3:::reports/q1.csv" because no identity-based policy allows the '
        "s3:GetObjectVersion action"
    )
    r = replay(record(userIdentity=iam_user(), errorMessage=message))
    assert (r.action, r.resource) == ("s3:GetObjectVersion", "arn:aws:s3:::reports/q1.csv")


# -- context -------------------------------------------------------------------------------------


def test_record_keys_become_condition_keys():
    r = replay(record(userIdentity=iam_user(), eventTime="2026-03-02T10:00:00Z"))
    assert r.context["aws:RequestedRegion"] == "eu-west-1"
    assert r.context["aws:SourceIp"] == "203.0.113.7"
    assert r.context["aws:SecureTransport"] == "true"
    assert r.context["aws:CurrentTime"] == "2026-03-02T10:00:00Z"
    assert r.context["aws:EpochTime"] == "1772445600"


def test_vpc_endpoint_call_has_source_vpce_and_no_source_ip():
    r = replay(
        record(userIdentity=iam_user(), vpcEndpointId="vpce-0abc", sourceIPAddress="10.0.0.5")
    )
    assert r.context["aws:SourceVpce"] == "vpce-0abc"
    assert r.context["aws:VpcSourceIp"] == "10.0.0.5"
    assert "aws:SourceIp" not in r.context
    assert "aws:SourceVpc" in r.missing_keys


def test_source_vpc_comes_from_the_endpoint_in_the_snapshot():
    r = replay(
        record(
            userIdentity=iam_user(),
            vpcEndpointId="vpce-0a8d3c6f91e2b4d57",
            sourceIPAddress="10.40.12.88",
        )
    )
    assert r.context["aws:SourceVpc"] == "vpc-0c41f2e7a9d3b5810"
    assert "aws:SourceVpc" not in r.missing_keys


def test_record_without_tls_details_lists_secure_transport_as_unknown():
    rec = record(userIdentity=iam_user())
    del rec["tlsDetails"]
    r = replay(rec)
    assert "aws:SecureTransport" not in r.context
    assert "aws:SecureTransport" in r.missing_keys


# -- session policies ----------------------------------------------------------------------------


def assume_role(policy=None, arns=(), key="ASIASESSION1", when="2026-03-02T09:00:00Z") -> dict:
    params = {"roleArn": ORDERS_ROLE, "roleSessionName": "orders-api"}
    if policy is not None:
        params["policy"] = json.dumps(policy)
    if arns:
        params["policyArns"] = [{"arn": a} for a in arns]
    return make_record(
        when,
        PROD,
        "eu-west-1",
        eventSource="sts.amazonaws.com",
        eventName="AssumeRole",
        requestParameters=params,
        responseElements={
            "credentials": {"accessKeyId": key},
            "assumedRoleUser": {
                "arn": f"arn:aws:sts::{PROD}:assumed-role/orders-api-lambda-role/orders-api"
            },
        },
    )


DENY_QUERY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "NoQuery", "Effect": "Deny", "Action": "dynamodb:Query", "Resource": "*"},
        {"Sid": "Rest", "Effect": "Allow", "Action": "*", "Resource": "*"},
    ],
}


def test_inline_session_policy_is_rebuilt_from_the_assume_role_event_by_access_key():
    issued = assume_role(DENY_QUERY)
    r = replay(record(userIdentity=orders_session()), SessionIndex([issued]))
    assert r.session.event_id == issued["eventID"]
    assert [s["Sid"] for s in r.session.document["Statement"]] == ["NoQuery", "Rest"]


def test_managed_session_policy_arns_are_read_from_the_snapshot():
    arn = f"arn:aws:iam::{DEV}:policy/DeveloperGuardrails"
    r = replay(record(userIdentity=orders_session()), SessionIndex([assume_role(arns=[arn])]))
    expected = snap().policy(arn)[1].document["Statement"]
    assert r.session.document["Statement"] == expected
    assert r.session.arns == (arn,)


def test_session_tags_from_the_assume_role_event_become_principal_tags():
    issued = assume_role()
    issued["requestParameters"]["tags"] = [{"key": "team", "value": "payments"}]
    r = replay(record(userIdentity=orders_session()), SessionIndex([issued]))
    assert r.context["aws:PrincipalTag/team"] == "payments"
    assert r.session.document is None  # tags alone pass no session policy


def test_session_is_matched_by_name_and_time_when_the_access_key_differs():
    issued = assume_role(DENY_QUERY, key="ASIAOTHER")
    r = replay(record(userIdentity=orders_session()), SessionIndex([issued]))
    assert r.session.event_id == issued["eventID"]


def test_session_policy_denial_is_diagnosed_at_the_session_layer():
    message = (
        f"User: arn:aws:sts::{PROD}:assumed-role/orders-api-lambda-role/orders-api is not "
        "authorized to perform: dynamodb:Query on resource: "
        f"arn:aws:dynamodb:eu-west-1:{PROD}:table/orders with an explicit deny in a "
        "session policy"
    )
    rec = record(
        userIdentity=orders_session(),
        eventSource="dynamodb.amazonaws.com",
        eventName="Query",
        errorCode="AccessDeniedException",
        errorMessage=message,
    )
    parsed = parse(rec["errorCode"], message, rec["eventSource"])
    d = diagnose_record(rec, parsed, snap(), SessionIndex([assume_role(DENY_QUERY)]))
    assert (d.verdict, d.cause, d.layer) == ("confirmed", "session-or-trust", "session")
    assert d.deciding == {"policy": "session", "sid": "NoQuery"}


def test_session_without_its_issuing_event_is_flagged_not_assumed_empty():
    r = replay(record(userIdentity=orders_session()), SessionIndex([]))
    assert r.session.problem and "not in the workspace" in r.session.problem


# -- what is missing: said, never an exception, never confirmed ----------------------------------


def diagnose(rec: dict):
    parsed = parse(rec.get("errorCode"), rec.get("errorMessage"), rec.get("eventSource"))
    return diagnose_record(rec, parsed, snap(), SessionIndex([]))


@pytest.mark.parametrize(
    "case",
    [
        {"userIdentity": None},
        {"userIdentity": {"type": "IAMUser"}},
        {"eventSource": None, "eventName": None},
        {"eventSource": "nosuchservice.amazonaws.com", "eventName": "DoThing"},
        {
            "requestParameters": None,
            "resources": None,
            "eventSource": "ec2.amazonaws.com",
            "eventName": "DescribeThings",
        },
        {"userIdentity": {"type": "AWSAccount", "principalId": "AROAX:y", "accountId": PARTNER}},
        {
            "userIdentity": {
                "type": "IAMUser",
                "arn": f"arn:aws:iam::{DEV}:user/people/ghost",
                "accountId": DEV,
            }
        },
        {"eventTime": "not a time", "awsRegion": None, "sourceIPAddress": None},
        {"resources": "not a list", "requestParameters": ["not", "a", "dict"]},
    ],
    ids=[
        "no-identity",
        "identity-without-arn",
        "no-event-name",
        "unknown-service",
        "no-resource",
        "caller-outside-snapshot",
        "principal-not-in-snapshot",
        "bad-fields",
        "malformed-nested",
    ],
)
def test_record_lacking_what_a_replay_needs_is_unknown_with_reasons(case):
    rec = record(userIdentity=iam_user(), eventSource="s3.amazonaws.com", eventName="GetObject")
    rec.update(case)
    d = diagnose(rec)
    assert d.verdict != "confirmed"
    assert d.reasons


def test_resource_in_an_uncollected_account_is_not_confirmed():
    message = (
        f"User: {TOM} is not authorized to perform: sqs:SendMessage on resource: "
        f"arn:aws:sqs:eu-west-1:{PARTNER}:their-queue because no resource-based policy "
        "allows the sqs:SendMessage action"
    )
    rec = record(
        userIdentity=iam_user(),
        eventSource="sqs.amazonaws.com",
        eventName="SendMessage",
        errorMessage=message,
    )
    d = diagnose(rec)
    assert d.verdict != "confirmed"
    assert any(PARTNER in reason for reason in d.reasons)
