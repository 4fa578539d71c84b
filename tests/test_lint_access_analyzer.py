"""``iamlab lint --aws``: Access Analyzer's ValidatePolicy findings beside iamlab's own, each
marked with its tool (botocore's Stubber checks the parameters sent); without credentials,
iamlab's lint alone and one line saying so."""

from __future__ import annotations

import json

import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: nothing of this machine's AWS)
from botocore.stub import Stubber

from iamlab.aws.readonly import client, is_allowed
from iamlab.aws.validate import validate_policies
from iamlab.cli import main
from iamlab.diagnose.lint import documents, lint_policy
from iamlab.diagnose.lint_validator import merge_validator
from iamlab.errors import AwsError, ReadOnlyViolation

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::reports",
        },
        {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
    ],
}
LINK = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
)
PASS_ROLE = {
    "findingDetails": "Using the iam:PassRole action with wildcards (*) in the resource "
    "can be overly permissive.",
    "findingType": "SECURITY_WARNING",
    "issueCode": "PASS_ROLE_WITH_STAR_IN_RESOURCE",
    "learnMoreLink": LINK,
    "locations": [
        {
            "path": [{"value": "Statement"}, {"index": 1}, {"value": "Resource"}],
            "span": {
                "start": {"line": 1, "column": 1, "offset": 1},
                "end": {"line": 1, "column": 2, "offset": 2},
            },
        }
    ],
}
SUGGESTION = {
    **PASS_ROLE,
    "findingType": "SUGGESTION",
    "issueCode": "EMPTY_ARRAY_ACTION",
    "findingDetails": "empty",
    "locations": [],
}


@pytest.fixture
def analyzer(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE12")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    return client("accessanalyzer", region="eu-west-1")


def test_validate_policy_is_the_only_access_analyzer_operation_allowed(analyzer):
    assert is_allowed("accessanalyzer", "ValidatePolicy")
    assert not is_allowed("accessanalyzer", "CreateAnalyzer")
    with pytest.raises(ReadOnlyViolation):
        analyzer.create_analyzer(analyzerName="x", type="ACCOUNT")


def test_findings_of_every_page_come_back_with_the_policy_name(analyzer):
    stub = Stubber(analyzer)
    stub.add_response(
        "validate_policy",
        {"findings": [PASS_ROLE], "nextToken": "t2"},
        {"policyDocument": json.dumps(POLICY), "policyType": "IDENTITY_POLICY"},
    )
    stub.add_response(
        "validate_policy",
        {"findings": [SUGGESTION]},
        {"policyDocument": json.dumps(POLICY), "policyType": "IDENTITY_POLICY", "nextToken": "t2"},
    )
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "lambda.amazonaws.com"},
            }
        ]
    }
    stub.add_response(
        "validate_policy",
        {"findings": []},
        {
            "policyDocument": json.dumps(trust),
            "policyType": "RESOURCE_POLICY",
            "validatePolicyResourceType": "AWS::IAM::AssumeRolePolicyDocument",
        },
    )
    with stub:
        found = validate_policies(
            [("p", "identity", POLICY), ("r:trust", "trust", trust)], client=analyzer
        )
    stub.assert_no_pending_responses()
    assert [(f["policy"], f["issueCode"]) for f in found] == [
        ("p", "PASS_ROLE_WITH_STAR_IN_RESOURCE"),
        ("p", "EMPTY_ARRAY_ACTION"),
    ]


def test_an_access_denied_reply_becomes_one_aws_error(analyzer):
    stub = Stubber(analyzer)
    stub.add_client_error("validate_policy", "AccessDeniedException", "not authorized", 403)
    with stub, pytest.raises(AwsError, match="access denied to ValidatePolicy"):
        validate_policies([("p", "identity", POLICY)], client=analyzer)


def test_merged_findings_mark_the_tool_the_statement_and_the_link():
    ours = lint_policy(POLICY, "p")
    merged = merge_validator(
        ours,
        [{"policy": "p", **PASS_ROLE}, {"policy": "p", **SUGGESTION}],
        [("p", "identity", POLICY)],
    )
    assert [(f.tool, f.statement, f.check, f.kind) for f in merged] == [
        ("iamlab", "Read", "s3-object-action-on-bucket", "finding"),
        ("access-analyzer", "Pass", "PASS_ROLE_WITH_STAR_IN_RESOURCE", "finding"),
        ("access-analyzer", "(policy)", "EMPTY_ARRAY_ACTION", "suggestion"),
    ]
    assert merged[1].link == LINK and merged[1].why.startswith("SECURITY_WARNING: Using")


def test_a_file_with_a_principal_is_validated_as_a_resource_policy(tmp_path):
    path = tmp_path / "bucket.json"
    path.write_text(json.dumps({"Statement": [{**POLICY["Statement"][0], "Principal": "*"}]}))
    assert documents(path)[0][1] == "resource"


def test_lint_aws_without_credentials_lints_alone_and_says_so_in_one_line(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(POLICY))
    assert main(["lint", str(path), "--aws", "--region", "eu-west-1", "--json"]) == 1
    captured = capsys.readouterr()
    assert [f["tool"] for f in json.loads(captured.out)] == ["iamlab"]
    [line] = captured.err.splitlines()
    assert line.startswith("iamlab lint: Access Analyzer not consulted (no usable AWS credentials")
    assert line.endswith("; iamlab's lint alone")
