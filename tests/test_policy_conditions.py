"""Condition operators, table-driven (aws-facts 4.6): each row is one documented behaviour.

Each row puts one condition on an Allow statement and checks whether it lets the
request through, so the operators are tested through the public ``evaluate``.
"""

from __future__ import annotations

import pytest

from iamlab.errors import PolicyError
from iamlab.policy import evaluate

USER = "arn:aws:iam::111122223333:user/alice"
ABSENT = object()


def _allowed(condition: dict, context: dict, version: str = "2012-10-17") -> bool:
    doc = {
        "Version": version,
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": condition}
        ],
    }
    d = evaluate(
        {
            "principal": USER,
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::b/k",
            "resource_account": "111122223333",
            "context": context,
        },
        {"identity": [doc]},
    )
    assert d.decision in ("allow", "implicit_deny")
    return d.decision == "allow"


ROWS = [
    # (operator, key, policy values, request value or ABSENT, expected)
    ("StringEquals", "aws:PrincipalTag/team", "red", "red", True),
    ("StringEquals", "aws:PrincipalTag/team", "red", "Red", False),
    ("StringEquals", "aws:PrincipalTag/team", ["blue", "red"], "red", True),
    ("StringEquals", "aws:PrincipalTag/team", "red", ABSENT, False),
    ("StringNotEquals", "aws:PrincipalTag/team", "red", "blue", True),
    ("StringNotEquals", "aws:PrincipalTag/team", ["red", "blue"], "blue", False),
    ("StringNotEquals", "aws:PrincipalTag/team", "red", ABSENT, True),
    ("StringEqualsIgnoreCase", "aws:PrincipalTag/team", "RED", "red", True),
    ("StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", "RED", "red", False),
    ("StringLike", "s3:prefix", "home/*", "home/alice/x", True),
    ("StringLike", "s3:prefix", "home/?", "home/ab", False),
    ("StringLike", "s3:prefix", "Home/*", "home/x", False),
    ("StringNotLike", "s3:prefix", "tmp/*", "home/x", True),
    ("StringNotLike", "s3:prefix", "tmp/*", ABSENT, True),
    ("StringEqualsIfExists", "aws:PrincipalTag/team", "red", ABSENT, True),
    ("StringEqualsIfExists", "aws:PrincipalTag/team", "red", "blue", False),
    ("NumericEquals", "s3:max-keys", "10", "10", True),
    ("NumericEquals", "s3:max-keys", "10", "10.0", True),
    ("NumericNotEquals", "s3:max-keys", "10", "11", True),
    ("NumericLessThan", "s3:max-keys", "10", "9", True),
    ("NumericLessThan", "s3:max-keys", "10", "10", False),
    ("NumericLessThanEquals", "s3:max-keys", "10", "10", True),
    ("NumericGreaterThan", "s3:max-keys", "10", "11", True),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", "9", False),
    ("NumericLessThan", "s3:max-keys", "10", "many", False),
    ("NumericLessThan", "s3:max-keys", "10", ABSENT, False),
    ("DateLessThan", "aws:CurrentTime", "2026-01-01T00:00:00Z", "2025-12-31T23:59:59Z", True),
    ("DateLessThan", "aws:CurrentTime", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", False),
    ("DateLessThanEquals", "aws:CurrentTime", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", True),
    ("DateGreaterThan", "aws:CurrentTime", "2026-01-01", "2026-01-01T00:00:01Z", True),
    ("DateEquals", "aws:CurrentTime", "2026-01-01T00:00:00Z", "1767225600", True),
    ("DateEquals", "aws:EpochTime", "1767225600", "2026-01-01T01:00:00+01:00", True),
    ("DateNotEquals", "aws:CurrentTime", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", True),
    ("DateGreaterThanEquals", "aws:TokenIssueTime", "2026-01-01T00:00:00Z", ABSENT, False),
    ("Bool", "aws:SecureTransport", "true", "true", True),
    ("Bool", "aws:SecureTransport", "true", "false", False),
    ("Bool", "aws:SecureTransport", True, "TRUE", True),
    ("Bool", "aws:MultiFactorAuthPresent", "true", ABSENT, False),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "false", ABSENT, True),
    ("BinaryEquals", "my:blob", "QmluYXJ5VmFsdWU=", "QmluYXJ5VmFsdWU=", True),
    ("BinaryEquals", "my:blob", "QmluYXJ5VmFsdWU=", "T3RoZXI=", False),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.9", True),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.1", False),
    ("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "2001:db8::/32"], "2001:db8:1::5", True),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", "203.0.113.9", False),
    ("IpAddress", "aws:SourceIp", "203.0.113.9", "203.0.113.9", True),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.1", True),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.1", False),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", ABSENT, True),
    (
        "ArnEquals",
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:topic",
        "arn:aws:sns:us-east-1:111122223333:topic",
        True,
    ),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:sns:*:111122223333:*",
        "arn:aws:sns:eu-west-1:111122223333:t",
        True,
    ),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:sns:*:111122223333:*",
        "arn:aws:sns:eu-west-1:444455556666:t",
        False,
    ),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", True),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:*:us-east-1:111122223333:x",
        "arn:aws:a:b:us-east-1:111122223333:x",
        False,
    ),
    ("ArnEquals", "aws:SourceArn", "arn:aws:sns:*:111122223333:*", "not-an-arn", False),
    (
        "ArnNotLike",
        "aws:SourceArn",
        "arn:aws:sns:*:111122223333:*",
        "arn:aws:sqs:us-east-1:111122223333:q",
        True,
    ),
    ("ArnNotEquals", "aws:SourceArn", "arn:aws:sns:*:111122223333:*", ABSENT, True),
    ("Null", "aws:TokenIssueTime", "true", ABSENT, True),
    ("Null", "aws:TokenIssueTime", "true", "2026-01-01T00:00:00Z", False),
    ("Null", "aws:TokenIssueTime", "false", "2026-01-01T00:00:00Z", True),
    ("Null", "aws:TokenIssueTime", False, ABSENT, False),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team", "env"], ["team"], True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team", "env"], ["team", "cost"], False),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team"], ABSENT, True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team"], [], True),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], ["cost", "team"], True),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], ["cost"], False),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], ABSENT, False),
    ("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", ["team"], ABSENT, True),
    ("ForAnyValue:StringLike", "aws:TagKeys", ["te*"], ["cost", "team"], True),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], ["a", "b"], True),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], ["a", "secret"], False),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["secret"], ["a", "secret"], True),
]


@pytest.mark.parametrize(
    ("op", "key", "policy", "request_value", "expected"),
    ROWS,
    ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)],
)
def test_operator(op: str, key: str, policy, request_value, expected: bool) -> None:
    context = {} if request_value is ABSENT else {key: request_value}
    assert _allowed({op: {key: policy}}, context) is expected


def test_separate_operators_and_keys_are_anded_values_ored() -> None:
    cond = {
        "StringEquals": {"aws:PrincipalTag/team": ["red", "blue"], "aws:PrincipalTag/env": "prod"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    ctx = {
        "aws:PrincipalTag/team": "blue",
        "aws:PrincipalTag/env": "prod",
        "aws:SecureTransport": "true",
    }
    assert _allowed(cond, ctx)
    assert not _allowed(cond, {**ctx, "aws:PrincipalTag/env": "dev"})
    assert not _allowed(cond, {**ctx, "aws:SecureTransport": "false"})


def test_key_names_are_case_insensitive_values_are_not() -> None:
    assert _allowed(
        {"StringEquals": {"AWS:principaltag/TEAM": "red"}}, {"aws:PrincipalTag/team": "red"}
    )
    assert not _allowed(
        {"StringEquals": {"aws:PrincipalTag/team": "red"}}, {"aws:principaltag/team": "RED"}
    )


def test_tag_keys_differing_in_case_both_match() -> None:
    # aws-facts 4.6: ec2=test1 and EC2=test2 both match aws:ResourceTag/EC2.
    ctx = {"aws:ResourceTag/ec2": "test1", "aws:ResourceTag/EC2": "test2"}
    assert _allowed({"StringEquals": {"aws:ResourceTag/EC2": "test1"}}, ctx)
    assert _allowed({"StringEquals": {"aws:ResourceTag/EC2": "test2"}}, ctx)


def test_multi_valued_key_under_plain_operator_matches_any_value() -> None:
    assert _allowed({"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["cost", "team"]})


@pytest.mark.parametrize(
    "op", ["StringEqualz", "NullIfExists", "ForSomeValues:StringEquals", "IpAddres"]
)
def test_unknown_operator_is_a_policy_error(op: str) -> None:
    with pytest.raises(PolicyError, match="unknown condition operator"):
        _allowed({op: {"aws:SourceIp": "1.2.3.4"}}, {})


@pytest.mark.parametrize(
    ("op", "value"),
    [
        ("IpAddress", "not-an-ip"),
        ("NumericLessThan", "ten"),
        ("DateLessThan", "yesterday"),
        ("Null", "maybe"),
    ],
)
def test_invalid_policy_values_are_policy_errors(op: str, value: str) -> None:
    with pytest.raises(PolicyError, match=op if op != "Null" else "Null"):
        _allowed({op: {"k:k": value}}, {})


def test_deny_with_negated_ifexists_still_denies_when_key_missing() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Sid": "RequireTeam",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:ResourceTag/team": "red"}},
            },
        ],
    }
    d = evaluate(
        {
            "principal": USER,
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::b/k",
            "resource_account": "111122223333",
        },
        {"identity": [doc]},
    )
    assert d.decision == "explicit_deny"
    assert [s.sid for s in d.deciding] == ["RequireTeam"]
    cond = d.deciding[0].conditions[0]
    assert cond.request_values is None and cond.matched and "IfExists" in cond.reason
