"""Malformed requests and policies raise only iamlab's error family, naming what was wrong."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamlab.errors import IamlabError, InputError, PolicyError
from iamlab.policy import Policy, PolicySet, Request, evaluate, parse_policy, validate

ALICE = "arn:aws:iam::111122223333:user/alice"
GOOD = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


@pytest.mark.parametrize(
    ("request_", "policies", "error", "says"),
    [
        (
            {"principal": ALICE, "action": "s3:GetObject", "context": "aws:SourceIp=1.2.3.4"},
            {},
            InputError,
            "request context must be an object",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject", "context": [["a", "b"]]},
            {},
            InputError,
            "request context must be an object",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject", "resource": 7},
            {},
            InputError,
            "request resource must be a string",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject", "context": {1: "x"}},
            {},
            InputError,
            "context key 1 is not a string",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject", "context": {"k": {"nested": 1}}},
            {},
            InputError,
            "context value of 'k' must be a string",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject", "context": {"k": [None]}},
            {},
            InputError,
            "context value of 'k'",
        ),
        (
            {"principal": ALICE, "action": ["s3:GetObject"]},
            {},
            InputError,
            "request action must be a string",
        ),
        ({"principal": ALICE}, {}, InputError, "request lacks action"),
        ("s3:GetObject", {}, InputError, "request must be an object"),
        (
            {"principal": ALICE, "action": "s3:GetObject"},
            {"identity": 1.5},
            InputError,
            "policies.identity must be a list",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject"},
            {"identity": [1.5]},
            InputError,
            r"policies.identity\[0\] must be a policy document",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject"},
            {"scp": [GOOD]},
            InputError,
            "policies.scp must be a list of levels",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject"},
            {"session": [GOOD]},
            InputError,
            "policies.session must be one policy document",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject"},
            {"identity": [{"Statement": {1, 2}}]},
            PolicyError,
            "a policy document must be JSON",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject"},
            {"unknown": ["scp"]},
            InputError,
            "policies.unknown must map a layer",
        ),
        (
            {"principal": ALICE, "action": "s3:GetObject"},
            [GOOD],
            InputError,
            "policies must be an object",
        ),
    ],
)
def test_malformed_input_is_named(request_, policies, error, says):
    with pytest.raises(error, match=says):
        evaluate(request_, policies)


def test_the_types_themselves_check_their_fields():
    with pytest.raises(InputError, match="request context must be a mapping"):
        Request(ALICE, "s3:GetObject", context="x")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="policies.identity must be a list"):
        PolicySet.from_dict({"identity": 1.5})
    with pytest.raises(InputError, match="policies.identity must be a tuple of Policy"):
        PolicySet(identity=(GOOD,))  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match="policy 'p': a policy document must be JSON"):
        Policy({"Statement": float("nan")}, id="p")
    assert Request(ALICE, "s3:GetObject", resource_account=111122223333).resource_account == (
        "111122223333"
    )


json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=10)
            | st.sampled_from(
                [
                    "Statement",
                    "Effect",
                    "Action",
                    "Resource",
                    "Principal",
                    "Condition",
                    "Version",
                    "NotAction",
                    "NotPrincipal",
                    "Sid",
                    "StringEquals",
                    "AWS",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)
statements = st.fixed_dictionaries(
    {},
    optional={
        "Effect": st.sampled_from(["Allow", "Deny"]) | json_values,
        "Action": st.sampled_from(["*", "s3:*", ["s3:Get*"]]) | json_values,
        "Resource": st.sampled_from(["*", "arn:aws:s3:::b/*"]) | json_values,
        "Principal": st.sampled_from(["*", {"AWS": "111122223333"}]) | json_values,
        "NotPrincipal": json_values,
        "Condition": st.sampled_from([{"StringEquals": {"aws:SourceIp": "x"}}]) | json_values,
    },
)
documents = json_values | st.builds(
    lambda v, s: {"Version": v, "Statement": s},
    st.sampled_from(["2012-10-17", "2008-10-17", None]) | json_values,
    st.lists(statements, max_size=3) | statements | json_values,
)
requests = json_values | st.fixed_dictionaries(
    {
        "principal": st.sampled_from(
            [
                ALICE,
                "anonymous",
                "lambda.amazonaws.com",
                "arn:aws:sts::111122223333:assumed-role/R/s",
            ]
        )
        | json_values,
        "action": st.sampled_from(
            [
                "s3:GetObject",
                "sts:AssumeRole",
                "kms:Decrypt",
                "sts:GetCallerIdentity",
                "iam:DeletePolicy",
                "kms:DeleteAlias",
                "iam:TagRole",
            ]
        )
        | json_values,
    },
    optional={
        "resource": st.sampled_from(
            [
                "*",
                "arn:aws:s3:::b/k",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:kms:us-east-1:111122223333:alias/aws/s3",
                "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/R",
                "arn:aws:iam::111122223333:role/R",
            ]
        )
        | json_values,
        "resource_account": st.sampled_from(["111122223333", None]) | json_values,
        "context": st.dictionaries(st.text(max_size=8), json_values, max_size=3) | json_values,
    },
)
policy_sets = json_values | st.fixed_dictionaries(
    {},
    optional={
        "identity": st.lists(documents, max_size=2) | json_values | st.just("unknown"),
        "permissions_boundary": st.lists(documents, max_size=1) | json_values | st.just("unknown"),
        "session": documents | st.just("unknown"),
        "scp": st.lists(st.lists(documents, max_size=2), max_size=2)
        | json_values
        | st.just("unknown"),
        "rcp": st.lists(st.lists(documents, max_size=2), max_size=2) | st.just("unknown"),
        "resource": documents | st.just("unknown"),
        "vpc_endpoint": st.lists(documents, max_size=1) | json_values | st.just("unknown"),
        "unknown": json_values,
    },
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request_=requests, policies=policy_sets)
def test_evaluate_raises_nothing_but_iamlab_errors(request_, policies):
    try:
        d = evaluate(request_, policies)
    except IamlabError as exc:
        assert str(exc)
    else:
        assert d.decision in ("allow", "implicit_deny", "explicit_deny", "unknown")
        str(d)
        d.to_dict()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents | st.text(max_size=40))
def test_validate_and_parse_raise_nothing_but_iamlab_errors(doc):
    problems = validate(doc, id="fuzz")
    assert all(p.severity in ("error", "warning") for p in problems)
    try:
        parse_policy(doc, id="fuzz")
    except PolicyError as exc:
        assert str(exc)


def test_policy_text_in_a_decision_is_escaped_for_the_terminal():
    hostile = "x\x1b]0;pwned\x07\x1b[2J"
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": hostile,
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/" + hostile: hostile}},
            }
        ],
    }
    d = evaluate(
        {
            "principal": ALICE,
            "action": "s3:GetObject",
            "context": {"aws:PrincipalTag/" + hostile: hostile},
        },
        {"identity": [GOOD, doc], "scp": {"unknown": hostile}},
    )
    text = str(d)
    assert "\x1b" not in text and "\x07" not in text
    assert "x\\x1b]0;pwned\\x07" in text  # shown, as a visible escape
    assert d.deciding[0].sid == hostile  # the record keeps the value; only renderers escape
