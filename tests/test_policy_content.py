"""Decisions follow policy content: editing a document in place and evaluating again gives the
answer for the edited document, never a cached answer for the old one."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from iamlab.policy import Policy, PolicySet, evaluate

ACCT = "111122223333"
REQUESTS = [
    {
        "principal": f"arn:aws:iam::{ACCT}:user/alice",
        "action": a,
        "resource": r,
        "resource_account": ACCT,
        "context": {"aws:SourceIp": "203.0.113.9", "aws:RequestedRegion": "eu-west-1"},
    }
    for a in ("s3:GetObject", "s3:PutObject", "ec2:RunInstances")
    for r in ("arn:aws:s3:::b/k", "arn:aws:ec2:eu-west-1:111122223333:instance/i-1")
]
ACTIONS = ["*", "s3:*", "s3:GetObject", "s3:Put*", "ec2:*", "iam:PassRole"]
RESOURCES = ["*", "arn:aws:s3:::b/*", "arn:aws:s3:::other/*", "arn:aws:ec2:*:*:instance/*"]
CONDITIONS = [
    None,
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
]


def _statement(effect, actions, resources, cond):
    out = {"Effect": effect, "Action": actions, "Resource": resources}
    if cond:
        out["Condition"] = cond
    return out


statement = st.builds(
    _statement,
    st.sampled_from(["Allow", "Deny"]),
    st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True),
    st.sampled_from(CONDITIONS),
)
edit = st.tuples(
    st.sampled_from(["Effect", "Action", "Resource", "Condition", "add", "remove"]),
    st.integers(min_value=0, max_value=9),
    statement,
)


def _apply(doc: dict, what: str, n: int, new: dict) -> None:
    """Edit ``doc`` in place, the way a notebook cell would."""
    stmts = doc["Statement"]
    if what == "add" or not stmts:
        stmts.append(new)
        return
    target = stmts[n % len(stmts)]
    if what == "remove":
        stmts.remove(target)
    elif what == "Condition":
        if new.get("Condition"):
            target["Condition"] = new["Condition"]
        else:
            target.pop("Condition", None)
    else:
        target[what] = new[what]


@settings(max_examples=150, deadline=None)
@given(
    stmts=st.lists(statement, min_size=1, max_size=4), edits=st.lists(edit, min_size=1, max_size=3)
)
def test_mutate_then_evaluate_equals_evaluating_a_fresh_copy(stmts, edits):
    doc = {"Version": "2012-10-17", "Statement": stmts}
    policies = {"identity": [doc], "scp": [[doc]]}
    held = PolicySet.from_dict(policies)
    before = [evaluate(r, policies) for r in REQUESTS]
    assert [evaluate(r, held) for r in REQUESTS] == before
    for what, n, new in edits:
        _apply(doc, what, n, new)
    fresh = copy.deepcopy(policies)
    for r in REQUESTS:
        expected = evaluate(r, fresh)
        assert evaluate(r, policies) == expected  # the dict form, edited in place
        assert evaluate(r, PolicySet.from_dict(policies)) == expected
        assert evaluate(r, PolicySet(identity=(Policy(doc),), scp=((Policy(doc),),))) == expected
    # a PolicySet built before the edit holds the content it was built with
    assert [evaluate(r, held) for r in REQUESTS] == before


def test_a_policy_keeps_its_own_copy_of_the_document():
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    policy = Policy(doc, id="p")
    doc["Statement"][0]["Effect"] = "Deny"
    assert policy.document["Statement"][0]["Effect"] == "Allow"
    assert Policy(doc, id="p").content != policy.content


def test_editing_a_document_flips_the_decision_with_a_warm_cache():
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    for _ in range(3):  # warm every cache on the first content
        assert evaluate(REQUESTS[0], {"identity": [doc]}).decision == "allow"
    doc["Statement"][0]["Action"] = "s3:PutObject"
    assert evaluate(REQUESTS[0], {"identity": [doc]}).decision == "implicit_deny"
