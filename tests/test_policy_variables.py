"""Keys the engine derives from the principal (aws-facts 4.7, 5): what the case format cannot say.

The substitution rules themselves (versions, defaults, escapes, missing keys)
are data under tests/cases/variables/; case files always pass derived keys
such as aws:PrincipalArn explicitly, so the derivation is tested here.
"""

from __future__ import annotations

from iamlab.policy import evaluate

ACCT = "111122223333"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/Dev/alice"


def _allow_if(operator: str, key: str, value: str) -> dict:
    statement = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {operator: {key: value}},
    }
    return {"identity": [{"Version": "2012-10-17", "Statement": [statement]}]}


def test_principal_arn_for_a_session_is_the_role_arn_and_explicit_context_wins() -> None:
    role = f"arn:aws:iam::{ACCT}:role/team/Dev"
    policies = _allow_if("ArnEquals", "aws:PrincipalArn", role)
    request = {
        "principal": SESSION,
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::home/alice/x",
        "resource_account": ACCT,
    }
    derived = evaluate(request, policies)
    assert derived.decision == "implicit_deny"  # the session ARN drops the path /team/
    assert any("path" in n for n in derived.notes)
    given = evaluate({**request, "context": {"aws:PrincipalArn": role}}, policies)
    assert given.decision == "allow"


def test_derived_keys_do_not_override_explicit_context() -> None:
    policies = _allow_if("StringEquals", "aws:PrincipalAccount", "999999999999")
    request = {
        "principal": ALICE,
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::home/alice/x",
        "resource_account": ACCT,
    }
    assert evaluate(request, policies).decision == "implicit_deny"
    request["context"] = {"aws:PrincipalAccount": "999999999999"}
    assert evaluate(request, policies).decision == "allow"
