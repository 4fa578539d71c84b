"""Action and resource matching (aws-facts 4, 5): wildcards, case rules, ARN segments."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamlab.policy import evaluate
from iamlab.policy._patterns import FastMatcher, arn_regex, compile_alternatives, plain_regex

USER = "arn:aws:iam::111122223333:user/alice"


def _decide(
    action: str,
    resource: str,
    *,
    actions="*",
    resources="*",
    not_action=False,
    not_resource=False,
    principal: str = USER,
) -> str:
    st = {
        "Effect": "Allow",
        ("NotAction" if not_action else "Action"): actions,
        ("NotResource" if not_resource else "Resource"): resources,
    }
    return evaluate(
        {
            "principal": principal,
            "action": action,
            "resource": resource,
            "resource_account": "111122223333",
        },
        {"identity": [{"Version": "2012-10-17", "Statement": st}]},
    ).decision


@pytest.mark.parametrize(
    ("pattern", "action", "ok"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("s3:getobject", "S3:GETOBJECT", True),
        ("s3:Get*", "s3:GetObjectAcl", True),
        ("s3:Get*", "s3:PutObject", False),
        ("s3:*", "s3:ListBucket", True),
        ("s3:*", "s3express:CreateSession", False),
        ("s3:?etObject", "s3:GetObject", True),
        ("s3:?etObject", "s3:GetObjects", False),
        ("*", "kms:Decrypt", True),
        ("iam:*User*", "iam:ListUserPolicies", True),
    ],
)
def test_action_patterns(pattern: str, action: str, ok: bool) -> None:
    assert (_decide(action, "*", actions=pattern) == "allow") is ok


@pytest.mark.parametrize(
    ("pattern", "resource", "ok"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c.txt", True),
        (
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket",
            False,
        ),  # object pattern does not cover the bucket
        (
            "arn:aws:s3:::bucket",
            "arn:aws:s3:::bucket/key",
            False,
        ),  # bucket ARN does not cover objects
        ("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-other", True),  # the prefix trap
        ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", False),  # resources are case-sensitive
        ("arn:aws:s3:::bucket/?", "arn:aws:s3:::bucket/a", True),
        ("arn:aws:s3:::bucket/?", "arn:aws:s3:::bucket/ab", False),
        ("arn:aws-cn:s3:::bucket/*", "arn:aws:s3:::bucket/x", False),
        ("arn:*:s3:::bucket/*", "arn:aws-us-gov:s3:::bucket/x", True),
        ("arn:aws:iam::111122223333:user/*", "arn:aws:iam::111122223333:user/division/alice", True),
        (
            "arn:aws:iam:us-east-1:111122223333:user/*",
            "arn:aws:iam::111122223333:user/alice",
            False,
        ),
        ("arn:aws:iam::aws:policy/*", "arn:aws:iam::aws:policy/service-role/AWSLambdaRole", True),
        ("arn:aws:iam::111122223333:policy/*", "arn:aws:iam::aws:policy/ReadOnlyAccess", False),
        # a wildcard in the region segment never spans into the account segment
        (
            "arn:aws:dynamodb:*:111122223333:table/T",
            "arn:aws:dynamodb:us-east-1:111122223333:table/T",
            True,
        ),
        ("arn:aws:dynamodb:*:table/T", "arn:aws:dynamodb:us-east-1:111122223333:table/T", False),
        (
            "arn:aws:dynamodb:us-east-1:111122223333:table/T",
            "arn:aws:dynamodb:us-east-1:111122223333:table/T/index/I",
            False,
        ),
        (
            "arn:aws:dynamodb:us-east-1:111122223333:table/T/index/*",
            "arn:aws:dynamodb:us-east-1:111122223333:table/T/index/I",
            True,
        ),
        # Lambda qualifiers (aws-facts 5)
        (
            "arn:aws:lambda:us-east-1:111122223333:function:fn",
            "arn:aws:lambda:us-east-1:111122223333:function:fn",
            True,
        ),
        (
            "arn:aws:lambda:us-east-1:111122223333:function:fn",
            "arn:aws:lambda:us-east-1:111122223333:function:fn:1",
            False,
        ),
        (
            "arn:aws:lambda:us-east-1:111122223333:function:fn:*",
            "arn:aws:lambda:us-east-1:111122223333:function:fn:PROD",
            True,
        ),
        (
            "arn:aws:lambda:us-east-1:111122223333:function:fn:*",
            "arn:aws:lambda:us-east-1:111122223333:function:fn",
            False,
        ),
        (
            "arn:aws:lambda:us-east-1:111122223333:function:fn*",
            "arn:aws:lambda:us-east-1:111122223333:function:fn:2",
            True,
        ),
        (
            "arn:aws:lambda:us-east-1:111122223333:function:*",
            "arn:aws:lambda:us-east-1:111122223333:function:fn:2",
            True,
        ),
        (
            "arn:aws:s3:*",
            "arn:aws:s3:::bucket/x",
            True,
        ),  # fewer segments: the last one takes the rest
        ("*", "arn:aws:s3:::bucket/x", True),
        ("arn:aws:s3:::bucket/*", "*", False),
    ],
)
def test_resource_patterns(pattern: str, resource: str, ok: bool) -> None:
    assert (_decide("s3:GetObject", resource, resources=pattern) == "allow") is ok


def test_not_action_and_not_resource() -> None:
    assert _decide("s3:GetObject", "*", actions="iam:*", not_action=True) == "allow"
    assert _decide("iam:ListUsers", "*", actions="iam:*", not_action=True) == "implicit_deny"
    assert (
        _decide(
            "s3:GetObject",
            "arn:aws:s3:::public/x",
            resources="arn:aws:s3:::secret/*",
            not_resource=True,
        )
        == "allow"
    )
    assert (
        _decide(
            "s3:GetObject",
            "arn:aws:s3:::secret/x",
            resources="arn:aws:s3:::secret/*",
            not_resource=True,
        )
        == "implicit_deny"
    )


def test_statement_as_object_or_list_and_lists_of_actions() -> None:
    one = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"],
        },
    }
    d = evaluate(
        {
            "principal": USER,
            "action": "s3:PutObject",
            "resource": "arn:aws:s3:::b/k",
            "resource_account": "111122223333",
        },
        {"identity": [one]},
    )
    assert d.decision == "allow"


def test_explanation_says_why_a_statement_did_not_apply() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Other", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
            {
                "Sid": "WrongBucket",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::other/*",
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
    assert d.decision == "implicit_deny" and d.denied_by == ("identity",)
    stmts = {s.sid: s for s in d.layer("identity")[0].statements}
    assert stmts["Other"].failed_on == "action"
    assert stmts["WrongBucket"].failed_on == "resource"
    assert "arn:aws:s3:::other/*" in stmts["WrongBucket"].reason
    assert d.policy_type == "identity-based policy"


@settings(max_examples=1000, deadline=None)
@given(
    patterns=st.lists(st.text(alphabet="ab::/*?", min_size=1, max_size=14), min_size=1, max_size=3),
    text=st.text(alphabet="ab::/", max_size=16),
    arn=st.booleans(),
)
def test_fast_matcher_agrees_with_the_wildcard_regex(patterns, text, arn) -> None:
    """The set/prefix shortcuts give exactly what the per-segment wildcard regex gives."""
    build = arn_regex if arn else plain_regex
    rx = compile_alternatives(build((("g", p),)) for p in patterns)
    assert bool(FastMatcher(patterns, arn=arn).match(text)) == (rx.match(text) is not None)


def test_fast_matcher_gives_the_same_answers_after_it_compiles_itself() -> None:
    patterns = [
        "arn:aws:logs:*:111122223333:log-group:*",
        "arn:aws:s3:::b/*",
        "arn:aws:ec2:*:*:vpc/v?",
    ]
    texts = [
        "arn:aws:logs:us-east-1:111122223333:log-group:x:y",
        "arn:aws:logs:us-east-1:1:log-group:x",
        "arn:aws:s3:::b/k",
        "arn:aws:ec2:eu-west-1:1:vpc/v1",
        "arn:aws:ec2:eu-west-1:1:vpc/v12",
    ]
    rx = compile_alternatives(arn_regex((("g", p),)) for p in patterns)
    matcher = FastMatcher(patterns, arn=True)
    for _ in range(20):  # past the point where the segment matcher becomes a regex
        for t in texts:
            assert bool(matcher.match(t)) == (rx.match(t) is not None), t
    assert matcher.segments == ()
