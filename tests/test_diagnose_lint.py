"""Lint: each check finds its mistake in a positive policy and stays quiet on the corrected one."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE_DATA

from iamlab.cli import main
from iamlab.diagnose.lint import lint, lint_policy
from iamlab.errors import InputError


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource, **extra) -> dict:
    return {"Sid": "S", "Effect": "Allow", "Action": action, "Resource": resource, **extra}


FN = "arn:aws:lambda:eu-west-1:111122223333:function:render"
TRUST = {
    "Effect": "Allow",
    "Action": "sts:AssumeRole",
    "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
}

CASES = {
    "s3-bucket-action-on-object": (
        allow("s3:ListBucket", "arn:aws:s3:::reports/*"),
        allow("s3:ListBucket", "arn:aws:s3:::reports"),
    ),
    "s3-object-action-on-bucket": (
        allow("s3:GetObject", "arn:aws:s3:::reports"),
        allow("s3:GetObject", ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]),
    ),
    "s3-arn-region-account": (
        allow("s3:GetObject", "arn:aws:s3:eu-west-1:111122223333:reports/*"),
        allow("s3:GetObject", "arn:aws:s3:::reports/*"),
    ),
    "dynamodb-arn-without-table": (
        allow("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:111122223333:orders"),
        allow("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"),
    ),
    "dynamodb-query-without-index": (
        allow("dynamodb:Query", "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"),
        allow(
            "dynamodb:Query",
            [
                "arn:aws:dynamodb:eu-west-1:111122223333:table/orders",
                "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/index/*",
            ],
        ),
    ),
    "lambda-unqualified-only": (
        allow("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:render"),
        allow(
            "lambda:InvokeFunction",
            [
                "arn:aws:lambda:eu-west-1:111122223333:function:render",
                "arn:aws:lambda:eu-west-1:111122223333:function:render:*",
            ],
        ),
    ),
    "lambda-qualified-only": (
        allow("lambda:InvokeFunction", f"{FN}:prod"),
        allow(
            "lambda:InvokeFunction",
            [
                "arn:aws:lambda:eu-west-1:111122223333:function:render",
                "arn:aws:lambda:eu-west-1:111122223333:function:render:*",
            ],
        ),
    ),
    "notprincipal-with-allow": (
        {
            "Effect": "Allow",
            "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::reports/*",
        },
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::reports/*",
        },
    ),
    "trust-without-external-id": (
        TRUST,
        {**TRUST, "Condition": {"StringEquals": {"sts:ExternalId": "x-42"}}},
    ),
}


@pytest.mark.parametrize("check", sorted(CASES))
def test_check_finds_the_mistake(check):
    found = lint_policy(policy(CASES[check][0]), "p")
    assert check in {f.check for f in found}
    finding = next(f for f in found if f.check == check)
    assert finding.policy == "p" and finding.why and finding.fix


@pytest.mark.parametrize("check", sorted(CASES))
def test_check_is_quiet_on_the_corrected_policy(check):
    assert check not in {f.check for f in lint_policy(policy(CASES[check][1]), "p")}


def test_trust_of_an_own_account_needs_no_external_id():
    found = lint_policy(policy(TRUST), "p", is_home=lambda account: account == "999988887777")
    assert not found


def test_snapshot_lint_names_the_index_the_orders_role_lacks():
    found = lint(SAMPLE_DATA / "snapshot")
    index = [f for f in found if f.check == "dynamodb-query-without-index"]
    assert [f.statement for f in index] == ["OrdersTableReadWrite"]
    assert index[0].policy.endswith("orders-api-lambda-role:inline/orders-api-access")


def test_lint_cli_prints_findings_and_exits_1(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(policy(CASES["s3-object-action-on-bucket"][0])))
    assert main(["lint", str(path), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["check"] == "s3-object-action-on-bucket"
    path.write_text(json.dumps(policy(CASES["s3-object-action-on-bucket"][1])))
    assert main(["lint", str(path)]) == 0
    assert "No findings." in capsys.readouterr().out


def test_lint_of_a_file_that_is_not_json_names_it(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="bad.json"):
        lint(path)
