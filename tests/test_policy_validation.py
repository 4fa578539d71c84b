"""Malformed policies give a clear PolicyError naming the place; never a silent allow."""

from __future__ import annotations

import pytest

from iamlab.errors import PolicyError
from iamlab.policy import evaluate, parse_policy, validate

ALLOW = {"Effect": "Allow", "Action": "*", "Resource": "*"}


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ('{"Version": "2012-10-17", "Statement": [', "is not JSON (line 1 column"),
        ([ALLOW], "is a list, expected a JSON object"),
        ({"Version": "2012-10-17"}, "missing Statement"),
        ({"Version": "2012-10-18", "Statement": [ALLOW]}, "field Version"),
        ({"Statement": "Allow"}, "field Statement"),
        (
            {"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]},
            "statement 0 field Effect",
        ),
        (
            {"Statement": [ALLOW, {"Sid": "S2", "Effect": "Deny", "Resource": "*"}]},
            "statement 1 (Sid 'S2') field Action",
        ),
        (
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}
                ]
            },
            "exactly one of Action",
        ),
        ({"Statement": [{"Effect": "Allow", "Action": 5, "Resource": "*"}]}, "field Action"),
        ({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}, "non-empty list"),
        (
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "x"}
                ]
            },
            "both Resource and NotResource",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Conditions": {}}]},
            "field Conditions",
        ),
        (
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": ["x"]}
                ]
            },
            "field Condition",
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"StringEquals": "x"},
                    }
                ]
            },
            "must map to an object",
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"k": {"a": 1}}},
                    }
                ]
            },
            "must be a string",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"Bogus": "x"}, "Action": "*"}]},
            "unknown principal type",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Principal": ["*"], "Action": "*"}]},
            "field Principal",
        ),
        ({"Statement": [{"Sid": 3, "Effect": "Allow", "Action": "*"}]}, "field Sid"),
    ],
)
def test_malformed_documents_raise_policy_error_naming_the_place(doc, fragment: str) -> None:
    with pytest.raises(PolicyError) as exc:
        parse_policy(doc, id="arn:aws:iam::111122223333:policy/p")
    assert fragment in str(exc.value)
    assert "arn:aws:iam::111122223333:policy/p" in str(exc.value)
    problems = validate(doc, id="p")
    assert problems and problems[0].severity == "error"


def test_validate_reports_every_bad_statement() -> None:
    doc = {
        "Statement": [
            {"Effect": "Permit", "Action": "*"},
            ALLOW,
            {"Effect": "Allow", "Resource": "*"},
        ]
    }
    problems = validate(doc)
    assert [p.statement for p in problems] == [0, 2]


def test_validate_warnings_for_suspicious_but_valid_documents() -> None:
    doc = {
        "Version": "2008-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3GetObject",
                "Resource": "arn:aws:s3:::home/${aws:username}/*",
            },
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:role/x"}, "Action": "s3:*"},
        ],
    }
    messages = [p.message for p in validate(doc)]
    assert all(p.severity == "warning" for p in validate(doc))
    assert any("service prefix" in m for m in messages)
    assert any("Version 2012-10-17" in m for m in messages)
    assert any("wildcard" in m for m in messages)
    assert validate({"Version": "2012-10-17", "Statement": ALLOW}) == []


def test_a_malformed_policy_in_any_layer_stops_evaluation() -> None:
    bad = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEqualsTypo": {"aws:SourceIp": "x"}},
            }
        ],
    }
    req = {
        "principal": "arn:aws:iam::111122223333:user/a",
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::b/k",
        "resource_account": "111122223333",
    }
    for layer in ("identity", "permissions_boundary"):
        with pytest.raises(PolicyError, match="unknown condition operator 'StringEqualsTypo'"):
            evaluate(
                req, {"identity": [{"Version": "2012-10-17", "Statement": ALLOW}], layer: [bad]}
            )


def test_principal_is_rejected_in_identity_policies_and_required_in_resource_policies() -> None:
    req = {
        "principal": "arn:aws:iam::111122223333:user/a",
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::b/k",
        "resource_account": "111122223333",
    }
    with_principal = {"Version": "2012-10-17", "Statement": [{**ALLOW, "Principal": "*"}]}
    with pytest.raises(
        PolicyError, match="field Principal: not allowed in policies of the identity layer"
    ):
        evaluate(req, {"identity": [with_principal]})
    with pytest.raises(PolicyError, match="must have Principal or NotPrincipal"):
        evaluate(req, {"resource": {"Version": "2012-10-17", "Statement": [ALLOW]}})


def test_json_text_documents_are_accepted() -> None:
    cp = parse_policy(
        '{"Version": "2012-10-17", "Statement": '
        '{"Effect": "Allow", "Action": "*", "Resource": "*"}}',
        id="t",
    )
    assert len(cp.statements) == 1 and cp.id == "t"


def test_not_principal_is_rejected_in_role_trust_policies() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    req = {
        "principal": "arn:aws:iam::111122223333:user/a",
        "action": "sts:AssumeRole",
        "resource": "arn:aws:iam::111122223333:role/R",
    }
    with pytest.raises(PolicyError, match="NotPrincipal: not allowed in a role trust policy"):
        evaluate(req, {"resource": trust})


def test_problems_name_statement_sid_and_field() -> None:
    doc = {
        "Version": "2012-10-18",
        "Statement": [
            {"Sid": "A", "Effect": "allow", "Action": "*"},
            {"Effect": "Allow", "Action": 5},
        ],
    }
    problems = validate(doc, id="p1")
    assert [(p.statement, p.sid, p.field) for p in problems] == [
        (None, None, "Version"),
        (0, "A", "Effect"),
        (1, None, "Action"),
    ]
    assert all(p.policy_id == "p1" and p.severity == "error" for p in problems)


def test_identity_statement_without_resource_is_rejected_not_allowed() -> None:
    req = {
        "principal": "arn:aws:iam::111122223333:user/a",
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::b/k",
        "resource_account": "111122223333",
    }
    no_resource = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}
    with pytest.raises(PolicyError, match="field Resource: .* needs Resource or NotResource"):
        evaluate(req, {"identity": [no_resource]})
