"""AWS's documented special cases come from one table (iamlab.policy.special), each with its
source, and a Decision says which one decided."""

from __future__ import annotations

import pytest

from iamlab.policy import evaluate
from iamlab.policy.special import NONE, OVERRIDES, TRUST_ACTIONS, quirks

A = "111122223333"
ADMIN = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}


@pytest.mark.parametrize(
    ("action", "resource", "rule", "layer", "must_allow", "rcp_exempt"),
    [
        ("s3:getobject", "arn:aws:s3:::b/k", None, "resource", False, False),
        ("sts:assumerole", f"arn:aws:iam::{A}:role/x", None, "trust", True, False),
        ("sts:assumerole", "*", None, "resource", False, False),
        ("sts:getcalleridentity", "*", "get-caller-identity", "resource", False, False),
        (
            "iam:deletepolicy",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "aws-managed-policy",
            "resource",
            False,
            False,
        ),
        ("iam:deletepolicy", f"arn:aws:iam::{A}:policy/mine", None, "resource", False, False),
        (
            "iam:tagrole",
            f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/R",
            "aws-reserved-role",
            "resource",
            False,
            False,
        ),
        (
            "iam:passrole",
            f"arn:aws:iam::{A}:role/aws-service-role/x.amazonaws.com/R",
            None,
            "resource",
            False,
            False,
        ),
        (
            "iam:deleterole",
            f"arn:aws:iam::{A}:role/aws-service-role/x.amazonaws.com/R",
            "service-linked-role",
            "resource",
            False,
            False,
        ),
        (
            "iam:updateroledescription",
            f"arn:aws:iam::{A}:role/aws-service-role/x.amazonaws.com/R",
            None,
            "resource",
            False,
            False,
        ),
        (
            "kms:deletealias",
            f"arn:aws:kms:us-east-1:{A}:alias/aws/s3",
            "aws-kms-alias",
            "resource",
            False,
            False,
        ),
        ("kms:decrypt", f"arn:aws:kms:us-east-1:{A}:key/k", None, "resource", True, False),
        ("kms:retiregrant", f"arn:aws:kms:us-east-1:{A}:key/k", None, "resource", True, True),
    ],
)
def test_quirks_table(action, resource, rule, layer, must_allow, rcp_exempt):
    q = quirks(action, resource)
    assert (q.rule.id if q.rule else None) == rule
    assert (q.resource_layer, q.resource_must_allow, bool(q.rcp_exempt)) == (
        layer,
        must_allow,
        rcp_exempt,
    )


def test_every_fixed_answer_cites_its_aws_page():
    assert {r.id for r in OVERRIDES} == {
        "get-caller-identity",
        "aws-managed-policy",
        "service-linked-role",
        "aws-reserved-role",
        "aws-kms-alias",
    }
    for rule in OVERRIDES:
        assert rule.outcome in ("allow", "deny") and rule.why
        assert any(
            w in rule.source for w in ("User Guide", "API Reference", "Developer Guide", "re:Post")
        ), rule.id
    assert "sts:assumerole" in TRUST_ACTIONS and quirks("ec2:runinstances", "*") is NONE


def test_a_decision_names_the_special_case_that_decided_it():
    d = evaluate(
        {
            "principal": f"arn:aws:iam::{A}:user/a",
            "action": "kms:CreateAlias",
            "resource": f"arn:aws:kms:us-east-1:{A}:alias/aws/x",
        },
        {"identity": [ADMIN]},
    )
    assert (d.decision, d.special, d.denied_by, d.missing_context) == (
        "implicit_deny",
        "aws-kms-alias",
        (),
        (),
    )
    assert "special case 'aws-kms-alias'" in str(d)
    assert d.to_dict()["special"] == "aws-kms-alias"
    plain = evaluate(
        {
            "principal": f"arn:aws:iam::{A}:user/a",
            "action": "kms:CreateAlias",
            "resource": f"arn:aws:kms:us-east-1:{A}:alias/mine",
        },
        {"identity": [ADMIN]},
    )
    assert (plain.decision, plain.special) == ("allow", "")


def test_a_fixed_refusal_does_not_bind_a_service_principal():
    d = evaluate(
        {
            "principal": "iam.amazonaws.com",
            "action": "iam:DeleteRole",
            "resource": f"arn:aws:iam::{A}:role/aws-service-role/x.amazonaws.com/R",
            "resource_account": A,
        },
        {"identity": [ADMIN]},
    )
    assert d.special == ""


def test_get_caller_identity_is_not_granted_to_anonymous_callers():
    d = evaluate({"principal": "anonymous", "action": "sts:GetCallerIdentity"}, {})
    assert d.decision == "implicit_deny" and d.special == ""
