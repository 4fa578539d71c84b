"""Verdicts other than confirmed: allowed-now (never a silent allow), needs-context naming the
keys, differs showing both sides, and unknown for a caller outside the snapshot."""

from __future__ import annotations

from functools import lru_cache

from conftest import SAMPLE_DATA, make_record

from iamlab.denials import parse
from iamlab.diagnose import SessionIndex, diagnose_record
from iamlab.snapshot import load

DEV, PROD = "264830159726", "731926485017"
TOM = f"arn:aws:iam::{DEV}:user/people/tom.reyes"
FUNCTION = f"arn:aws:lambda:eu-west-1:{DEV}:function:invoice-render"
PRIYA = (
    f"arn:aws:sts::{PROD}:assumed-role/AWSReservedSSO_DataEngineer_4f2a9c1e7b3d8a60/"
    "priya.nair@larkspur.io"
)
PRIYA_ROLE = (
    f"arn:aws:iam::{PROD}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
    "AWSReservedSSO_DataEngineer_4f2a9c1e7b3d8a60"
)


@lru_cache(maxsize=1)
def snap():
    return load(SAMPLE_DATA / "snapshot")


def tom(**fields) -> dict:
    ui = {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE",
        "accountId": DEV,
        "arn": TOM,
        "userName": "tom.reyes",
        "accessKeyId": "AKIAEXAMPLE",
    }
    rec = make_record(
        account=DEV,
        region="eu-west-1",
        userIdentity=ui,
        tlsDetails={"tlsVersion": "TLSv1.3"},
        errorCode="AccessDeniedException",
    )
    rec.update(fields)
    return rec


def priya(**fields) -> dict:
    ui = {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:priya.nair@larkspur.io",
        "accountId": PROD,
        "arn": PRIYA,
        "accessKeyId": "ASIAPRIYA",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "arn": PRIYA_ROLE},
            "attributes": {"mfaAuthenticated": "false"},
        },
    }
    rec = make_record(
        account=PROD,
        region="eu-west-1",
        userIdentity=ui,
        errorCode="AccessDenied",
        errorMessage="Access Denied",
        requestParameters={
            "bucketName": "larkspur-prod-data-lake",
            "key": "curated/orders/2026/03/10/part-0001.parquet",
        },
    )
    rec.update(fields)
    return rec


def diagnose(rec: dict):
    parsed = parse(rec.get("errorCode"), rec.get("errorMessage"), rec.get("eventSource"))
    return diagnose_record(rec, parsed, snap(), SessionIndex([]))


def message(action: str, resource: str, tail: str) -> str:
    return f"User: {TOM} is not authorized to perform: {action} on resource: {resource} {tail}"


def test_request_the_snapshot_allows_is_allowed_now_not_a_silent_allow():
    rec = tom(
        eventSource="lambda.amazonaws.com",
        eventName="GetFunction",
        errorMessage=message(
            "lambda:GetFunction",
            FUNCTION,
            "because no identity-based policy allows the lambda:GetFunction action",
        ),
    )
    d = diagnose(rec)
    assert d.verdict == "allowed-now"
    assert d.cause is None and d.layer is None
    assert any("configuration changed" in r for r in d.reasons)


def test_allow_that_depends_on_a_key_the_record_lacks_needs_context_naming_it():
    rec = priya()  # no tlsDetails: the bucket's DenyInsecureTransport may or may not apply
    d = diagnose(rec)
    assert d.verdict == "needs-context"
    assert "aws:SecureTransport" in d.missing_keys


def test_same_request_with_tls_is_allowed_now():
    assert diagnose(priya(tlsDetails={"tlsVersion": "TLSv1.3"})).verdict == "allowed-now"


def test_replay_denying_elsewhere_than_aws_said_differs_with_both_sides():
    rec = tom(
        eventSource="lambda.amazonaws.com",
        eventName="UpdateFunctionConfiguration",
        errorMessage=message(
            "lambda:UpdateFunctionConfiguration",
            FUNCTION,
            "with an explicit deny in a service control policy",
        ),
    )
    d = diagnose(rec)
    assert d.verdict == "differs"
    assert d.layer == "identity" and d.cause == "missing-action"
    assert d.reported["layer"] == "scp"
    assert any("AWS named the scp layer" in r for r in d.reasons)


def test_named_policy_arn_that_is_not_the_deciding_one_differs():
    arn = f"arn:aws:iam::{DEV}:policy/SomeOtherPolicy"
    rec = tom(
        eventSource="iam.amazonaws.com",
        eventName="CreateUser",
        errorCode="AccessDenied",
        errorMessage=message(
            "iam:CreateUser",
            f"arn:aws:iam::{DEV}:user/x",
            f"with an explicit deny in an identity-based policy: {arn}",
        ),
    )
    d = diagnose(rec)
    assert d.verdict == "differs"
    assert any(arn in r for r in d.reasons)


def test_named_policy_arn_that_decided_is_confirmed():
    arn = f"arn:aws:iam::{DEV}:policy/DeveloperGuardrails"
    rec = tom(
        eventSource="iam.amazonaws.com",
        eventName="CreateUser",
        errorCode="AccessDenied",
        errorMessage=message(
            "iam:CreateUser",
            f"arn:aws:iam::{DEV}:user/x",
            f"with an explicit deny in an identity-based policy: {arn}",
        ),
    )
    d = diagnose(rec)
    assert (d.verdict, d.deciding["policy"], d.deciding["sid"]) == (
        "confirmed",
        arn,
        "DenyIdentityChanges",
    )


def test_caller_outside_the_snapshot_on_a_grant_that_names_callers_is_unknown():
    """The exports bucket grants Brightline's role on partner/brightline/: who called matters."""
    ui = {"type": "AWSAccount", "principalId": "AROAUNKNOWN:x", "accountId": "418295736104"}
    rec = priya(
        userIdentity=ui,
        tlsDetails={"tlsVersion": "TLSv1.3"},
        requestParameters={
            "bucketName": "larkspur-prod-exports",
            "key": "partner/brightline/2026-03-10/a.csv",
        },
    )
    d = diagnose(rec)
    assert d.verdict == "unknown"
    assert any("418295736104" in r for r in d.reasons)


def test_real_corpus_denials_outside_the_snapshot_are_unknown_with_reasons(corpus, workspace):
    """Third-party records (accounts the sample snapshot lacks): said, never confirmed."""
    from iamlab.diagnose import diagnose_all

    workspace.load(str(corpus), progress=False)
    with workspace.connect() as con:
        diagnoses = diagnose_all(con, snap())
    assert len(diagnoses) == len(workspace.denials()) > 0
    for d in diagnoses:
        assert d.verdict in ("unknown", "needs-context"), (d.event_id, d.verdict)
        assert d.reasons, d.event_id
