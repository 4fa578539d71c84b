"""simulate_principal / simulate_custom with botocore's Stubber: pagination, context, errors."""

from __future__ import annotations

import json

import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from botocore.stub import Stubber

from iamlab.aws.readonly import client
from iamlab.aws.simulate import context_entries, simulate_custom, simulate_principal
from iamlab.errors import AwsError, InputError

ROLE = "arn:aws:iam::111122223333:role/app/reader"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


@pytest.fixture
def iam():
    return client(
        "iam",
        region="us-east-1",
        aws_access_key_id="AKIAFAKEFAKEFAKE0004",
        aws_secret_access_key="fake",
    )


def _result(action, decision, resources=()):
    out = {
        "EvalActionName": action,
        "EvalResourceName": "*",
        "EvalDecision": decision,
        "MatchedStatements": [],
        "MissingContextValues": [],
    }
    if resources:
        out["ResourceSpecificResults"] = [
            {"EvalResourceName": r, "EvalResourceDecision": d} for r, d in resources
        ]
    return out


def test_principal_simulation_pages_and_per_resource_decisions(iam, tmp_path):
    params = {
        "PolicySourceArn": ROLE,
        "ActionNames": ["s3:GetObject", "s3:PutObject"],
        "ResourceArns": ["arn:aws:s3:::b/k", "arn:aws:s3:::c/k"],
        "ContextEntries": [
            {
                "ContextKeyName": "aws:SourceIp",
                "ContextKeyType": "ip",
                "ContextKeyValues": ["203.0.113.9"],
            }
        ],
    }
    stub = Stubber(iam)
    stub.add_response(
        "simulate_principal_policy",
        {
            "EvaluationResults": [
                _result(
                    "s3:GetObject",
                    "implicitDeny",
                    [("arn:aws:s3:::b/k", "allowed"), ("arn:aws:s3:::c/k", "implicitDeny")],
                )
            ],
            "IsTruncated": True,
            "Marker": "m1",
        },
        params,
    )
    stub.add_response(
        "simulate_principal_policy",
        {"EvaluationResults": [_result("s3:PutObject", "explicitDeny")], "IsTruncated": False},
        {**params, "Marker": "m1"},
    )
    with stub:
        sim = simulate_principal(
            ROLE,
            ["s3:GetObject", "s3:PutObject"],
            ["arn:aws:s3:::b/k", "arn:aws:s3:::c/k"],
            {"aws:SourceIp": ("203.0.113.9", "ip")},
            evidence_dir=tmp_path,
            client=iam,
            caller={"Account": "111122223333", "Arn": "a"},
        )
    stub.assert_no_pending_responses()
    assert sim.pages == 2
    assert sim.decisions() == {
        ("s3:GetObject", "arn:aws:s3:::b/k"): "allowed",
        ("s3:GetObject", "arn:aws:s3:::c/k"): "implicitDeny",
        ("s3:PutObject", "*"): "explicitDeny",
    }
    saved = json.loads(sim.evidence.path.read_text())
    assert [r["EvalActionName"] for r in saved["EvaluationResults"]] == [
        "s3:GetObject",
        "s3:PutObject",
    ]
    meta = json.loads(sim.evidence.meta_path.read_text())
    assert meta["api"] == "iam:simulate_principal_policy"
    assert meta["request"]["PolicySourceArn"] == ROLE


def test_custom_simulation_sends_documents_as_json_text(iam):
    stub = Stubber(iam)
    stub.add_response(
        "simulate_custom_policy",
        {"EvaluationResults": [_result("s3:GetObject", "allowed")], "IsTruncated": False},
        {
            "PolicyInputList": [json.dumps(POLICY)],
            "ActionNames": ["s3:GetObject"],
            "ResourcePolicy": json.dumps(POLICY),
            "ResourceOwner": "arn:aws:iam::444455556666:root",
            "CallerArn": "arn:aws:iam::111122223333:user/alice",
            "PermissionsBoundaryPolicyInputList": [json.dumps(POLICY)],
        },
    )
    with stub:
        sim = simulate_custom(
            [POLICY],
            ["s3:GetObject"],
            resource_policy=POLICY,
            resource_owner="arn:aws:iam::444455556666:root",
            caller_arn="arn:aws:iam::111122223333:user/alice",
            permissions_boundaries=[POLICY],
            client=iam,
        )
    assert sim.decisions() == {("s3:GetObject", "*"): "allowed"}


def test_context_entry_types():
    assert context_entries(
        {
            "aws:TagKeys": ["team", "env"],
            "aws:SecureTransport": False,
            "s3:max-keys": 10,
            "aws:username": "alice",
        }
    ) == [
        {
            "ContextKeyName": "aws:TagKeys",
            "ContextKeyType": "stringList",
            "ContextKeyValues": ["team", "env"],
        },
        {
            "ContextKeyName": "aws:SecureTransport",
            "ContextKeyType": "boolean",
            "ContextKeyValues": ["false"],
        },
        {"ContextKeyName": "s3:max-keys", "ContextKeyType": "numeric", "ContextKeyValues": ["10"]},
        {
            "ContextKeyName": "aws:username",
            "ContextKeyType": "string",
            "ContextKeyValues": ["alice"],
        },
    ]


def test_errors_and_malformed_responses(iam):
    stub = Stubber(iam)
    stub.add_client_error(
        "simulate_principal_policy",
        "NoSuchEntity",
        "The role with name reader cannot be found.",
        404,
    )
    with (
        stub,
        pytest.raises(
            AwsError,
            match="SimulatePrincipalPolicy failed with NoSuchEntity "
            "while asking the IAM policy simulator: The role "
            "with name reader cannot be found.$",
        ),
    ):
        simulate_principal(ROLE, ["s3:GetObject"], client=iam)
    stub = Stubber(iam)
    stub.add_response(
        "simulate_custom_policy",
        {"IsTruncated": False},
        {"PolicyInputList": [json.dumps(POLICY)], "ActionNames": ["s3:GetObject"]},
    )
    with stub, pytest.raises(AwsError, match="malformed simulate_custom_policy response"):
        simulate_custom([POLICY], ["s3:GetObject"], client=iam)
    with pytest.raises(InputError, match="at least one action"):
        simulate_principal(ROLE, [], client=iam)
    with pytest.raises(InputError, match="at least one identity policy"):
        simulate_custom([], ["s3:GetObject"], client=iam)
