"""A layer that applies but is not known never yields a guessed "allow" (Decision.unknown)."""

from __future__ import annotations

import json

import pytest

from iamlab.errors import InputError
from iamlab.policy import Policy, PolicySet, evaluate

ACCT = "111122223333"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
READ = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:Get*",
                                               "Resource": "*"}}
REQUEST = {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
           "resource_account": ACCT}


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
    by_field = evaluate(REQUEST, PolicySet.from_dict({"identity": [READ],
                                                      "unknown": {"scp": "not collected"}}))
    by_value = evaluate(REQUEST, {"identity": [READ], "scp": {"unknown": "not collected"}})
    assert by_field == by_value


def test_unknown_names_only_layers():
    with pytest.raises(InputError, match=r"\['boundary'\], which is not a layer"):
        PolicySet(unknown={"boundary": "x"})
