"""A layer that applies but is not known never yields a guessed "allow" (Decision.unknown)."""

from __future__ import annotations

import json

import pytest

from iamlab.errors import InputError
from iamlab.policy import Policy, PolicySet, evaluate

ACCT = "111122223333"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
READ = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
}
REQUEST = {
    "principal": ALICE,
    "action": "s3:GetObject",
    "resource": "arn:aws:s3:::b/k",
    "resource_account": ACCT,
}


def test_an_unknown_scp_turns_an_allow_into_unknown_with_the_reason():
    ps = PolicySet(identity=(Policy(READ, id="read"),), unknown={"scp": "SCPs not collected"})
    d = evaluate(REQUEST, ps)
    assert d.decision == "unknown" and not d.allowed and not d.denied
    assert d.unknown == {"scp": "SCPs not collected"}
    assert d.possible == ("allow", "implicit_deny", "explicit_deny")
    assert d.denied_by == () and d.policy_type is None
    assert [(lr.layer, lr.outcome, lr.note) for lr in d.layers] == [
        ("identity", "allow", ""),
        ("scp", "unknown", "SCPs not collected"),
    ]
    assert [s.ref() for s in d.deciding] == ["read#[0]"]  # no stand-in statement shows


def test_a_known_explicit_deny_stays_final_beside_unknown_layers():
    deny = {"Statement": {"Sid": "NoS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}}
    d = evaluate(REQUEST, {"identity": [READ, deny], "scp": "unknown", "resource": "unknown"})
    assert d.decision == "explicit_deny" and d.denied
    assert d.denied_by == ("identity",) and d.possible == ("explicit_deny",)
    assert [s.sid for s in d.deciding] == ["NoS3"]


def test_unknown_renders_in_text_json_and_repr():
    d = evaluate(REQUEST, {"identity": [READ], "rcp": {"unknown": "owner's RCPs not collected"}})
    text = str(d)
    assert text.startswith("UNKNOWN: ")
    assert "unknown layers: rcp (owner's RCPs not collected)" in text
    assert "AWS could decide: allow, implicit deny, explicit deny" in text
    out = json.loads(json.dumps(d.to_dict()))
    assert out["decision"] == "unknown"
    assert out["unknown"] == {"rcp": "owner's RCPs not collected"}
    assert out["possible"] == ["allow", "implicit_deny", "explicit_deny"]
    assert "decision='unknown'" in repr(d) and "possible=(" in repr(d)


def test_an_unknown_layer_that_cannot_apply_leaves_the_decision_final():
    d = evaluate(REQUEST, {"identity": [READ], "session": "unknown"})  # an IAM user: no session
    assert d.decision == "allow" and d.possible == ("allow",)
    assert d.unknown == {"session": "given as unknown"}


def test_a_deny_that_no_unknown_layer_could_turn_is_reported_with_its_layer():
    d = evaluate(REQUEST, {"identity": [READ], "scp": [[]], "resource": "unknown"})
    assert (d.decision, d.denied_by) == ("implicit_deny", ("scp",))
    assert d.denied and d.possible == ("implicit_deny", "explicit_deny")
    assert any("could also hold a Deny" in n for n in d.notes)


def test_unknown_given_as_a_mapping_or_in_the_case_format_agree():
    by_field = evaluate(
        REQUEST, PolicySet.from_dict({"identity": [READ], "unknown": {"scp": "not collected"}})
    )
    by_value = evaluate(REQUEST, {"identity": [READ], "scp": {"unknown": "not collected"}})
    assert by_field == by_value


def test_unknown_names_only_layers():
    with pytest.raises(InputError, match=r"\['boundary'\], which is not a layer"):
        PolicySet(unknown={"boundary": "x"})


def test_an_unknown_boundary_may_also_be_no_boundary_at_all():
    # a Deny with NotPrincipal spares the user it names only when it has no boundary
    bucket = {
        "Statement": [
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": [ALICE, f"arn:aws:iam::{ACCT}:root"]},
                "Action": "s3:*",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": ALICE},
                "Action": "s3:GetObject",
                "Resource": "*",
            },
        ]
    }
    d = evaluate(
        REQUEST, {"identity": [READ], "permissions_boundary": "unknown", "resource": bucket}
    )
    assert d.decision == "unknown" and d.possible == ("allow", "explicit_deny")


def test_a_special_case_refusal_stays_a_deny_beside_unknown_layers():
    admin = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
    d = evaluate(
        {
            "principal": ALICE,
            "action": "iam:DeletePolicy",
            "resource": "arn:aws:iam::aws:policy/ReadOnlyAccess",
        },
        {"identity": [admin], "scp": "unknown"},
    )
    assert (d.decision, d.special, d.denied) == ("implicit_deny", "aws-managed-policy", True)
    assert d.possible == ("implicit_deny", "explicit_deny")


# -- soundness: whatever an unknown layer really holds, the real decision was foreseen ---------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PRINCIPALS = [
    ALICE,
    f"arn:aws:sts::{ACCT}:assumed-role/Dev/s1",
    f"arn:aws:iam::{ACCT}:root",
    "arn:aws:iam::444455556666:user/bob",
    f"arn:aws:sts::{ACCT}:federated-user/f",
]
ACTIONS = ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "sts:AssumeRole", "iam:DeletePolicy"]
RESOURCES = [
    "arn:aws:s3:::b/k",
    f"arn:aws:kms:us-east-1:{ACCT}:key/k",
    f"arn:aws:iam::{ACCT}:role/R",
    "arn:aws:iam::aws:policy/X",
]


def _statement(effect, action, resource, principal, cond):
    out = {"Effect": effect, "Action": action, "Resource": resource}
    if principal is not None:
        out["Principal"] = principal
    if cond:
        out["Condition"] = {"StringEquals": {"aws:SourceVpce": "vpce-1"}}
    return out


def _doc(with_principal: bool):
    stmt = st.builds(
        _statement,
        st.sampled_from(["Allow", "Deny"]),
        st.sampled_from(["*", "s3:*", "s3:GetObject", "kms:*", "sts:AssumeRole", "iam:*"]),
        st.sampled_from(["*", "arn:aws:s3:::b/*"]),
        st.sampled_from(["*", {"AWS": ACCT}, {"AWS": ALICE}, {"AWS": "444455556666"}])
        if with_principal
        else st.none(),
        st.booleans(),
    )
    return st.lists(stmt, max_size=3).map(lambda s: {"Version": "2012-10-17", "Statement": s})


LAYER_VALUES = {
    "identity": st.lists(_doc(False), max_size=2),
    "permissions_boundary": st.lists(_doc(False), max_size=1),
    "session": st.none() | _doc(False),
    "scp": st.none() | st.lists(st.lists(_doc(False), max_size=2), min_size=1, max_size=2),
    "rcp": st.none() | st.lists(st.lists(_doc(True), max_size=2), min_size=1, max_size=2),
    "resource": st.none() | _doc(True),
    "vpc_endpoint": st.lists(_doc(True), max_size=1),
}


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    principal=st.sampled_from(PRINCIPALS),
    action=st.sampled_from(ACTIONS),
    resource=st.sampled_from(RESOURCES),
    vpce=st.booleans(),
    hidden=st.sets(st.sampled_from(sorted(LAYER_VALUES)), min_size=1, max_size=3),
)
def test_the_real_decision_is_always_one_the_unknown_answer_foresaw(
    data, principal, action, resource, vpce, hidden
):
    real = {name: data.draw(values, label=name) for name, values in LAYER_VALUES.items()}
    request = {
        "principal": principal,
        "action": action,
        "resource": resource,
        "resource_account": ACCT,
        "context": {"aws:SourceVpce": "vpce-1"} if vpce else {},
    }
    truth = evaluate(request, real)
    guess = evaluate(request, {**real, **{name: "unknown" for name in hidden}})
    assert truth.decision in guess.possible or guess.possible == ()
    if guess.decision != "unknown":
        assert truth.allowed == guess.allowed  # never a wrong allow, never a wrong deny
    if guess.decision == "implicit_deny" and truth.decision == "implicit_deny" and guess.denied_by:
        assert truth.denied_by == guess.denied_by  # and the layer AWS would name is right
