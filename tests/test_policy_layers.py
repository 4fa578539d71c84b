"""Layered evaluation (aws-facts 4.1-4.5): what the case format cannot say.

The decisions themselves (who may grant, who limits) are data under
tests/cases/<topic>/layers.json; here remain the explanation (layer outcomes,
lacking_allow, text and dict renderings), derived fields, caching and input errors.
"""

from __future__ import annotations

import json

import pytest

from iamlab.policy import Decision, PolicySet, Request, evaluate

A, B = "111122223333", "444455556666"
ALICE = f"arn:aws:iam::{A}:user/alice"
SESSION = f"arn:aws:sts::{A}:assumed-role/Dev/s1"
FED = f"arn:aws:sts::{A}:federated-user/fred"
ROOT = f"arn:aws:iam::{A}:root"
OBJ = "arn:aws:s3:::bucket/k"
V = "2012-10-17"


def doc(*statements: dict) -> dict:
    return {"Version": V, "Statement": list(statements)}


def allow(action: str = "s3:GetObject", resource: str = "*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str = "s3:GetObject", resource: str = "*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def run(
    principal: str = ALICE,
    action: str = "s3:GetObject",
    arn: str = OBJ,
    account: str | None = A,
    context: dict | None = None,
    **policies,
) -> Decision:
    return evaluate(
        {
            "principal": principal,
            "action": action,
            "resource": arn,
            "resource_account": account,
            "context": context or {},
        },
        policies,
    )


FULL = doc(allow("*"))


def test_each_scp_level_reports_its_own_outcome() -> None:
    d = run(identity=[FULL], scp=[[FULL], [doc(allow("ec2:*"))], [FULL]])
    assert [lr.outcome for lr in d.layer("scp")] == ["allow", "implicit_deny", "allow"]


def test_layers_that_do_not_apply_are_shown_as_not_applicable() -> None:
    slr = f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForSupport/s"
    ctx = {
        "aws:PrincipalArn": f"arn:aws:iam::{A}:role/aws-service-role/support.amazonaws.com/"
        "AWSServiceRoleForSupport"
    }
    d = run(slr, context=ctx, identity=[FULL], scp=[[doc(deny("*"))]])
    assert d.layer("scp")[0].outcome == "not_applicable"
    d = run(ALICE, identity=[FULL], session=doc(allow("ec2:*")))
    assert d.layer("session")[0].outcome == "not_applicable"
    key = f"arn:aws:kms:us-east-1:{A}:key/k1"
    deny_kms = [[doc(allow("*", Principal="*")), doc(deny("kms:*", Principal="*"))]]
    grant = doc(allow("kms:*", Principal={"AWS": ALICE}))
    d = run(action="kms:RetireGrant", arn=key, resource=grant, rcp=deny_kms)
    assert d.layer("rcp")[0].outcome == "not_applicable"


def test_missing_context_marks_the_text_not_final() -> None:
    d = run(identity=[doc(allow(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))])
    assert "NOT FINAL" in str(d)


def test_decision_renders_as_text_and_json_safe_dict() -> None:
    d = run(
        identity=[doc({"Sid": "NoS3", **deny("s3:*")}, allow("*"))],
        context={"aws:SourceIp": "203.0.113.9"},
    )
    text = str(d)
    assert text.startswith("EXPLICIT DENY") and "#NoS3" in text and "identity-based policy" in text
    data = json.loads(json.dumps(d.to_dict()))
    assert data["decision"] == "explicit_deny" and data["denied_by"] == ["identity"]
    assert (
        data["deciding"][0]["sid"] == "NoS3" and data["deciding"][0]["policy_id"] == "identity[0]"
    )
    # the statement's position keeps its JSON name (the Python field is statement_index)
    assert data["deciding"][0]["index"] == 0 and "statement_index" not in data["deciding"][0]


def test_compiled_policies_are_reused_for_the_same_policy_set() -> None:
    ps = PolicySet.from_dict({"identity": [FULL]})
    reqs = [Request(ALICE, a, OBJ, A) for a in ("s3:GetObject", "s3:PutObject", "ec2:RunInstances")]
    assert all(evaluate(r, ps).allowed for r in reqs)
    from iamlab.policy._layers import compiled_set

    assert compiled_set(ps) is compiled_set(ps)


@pytest.mark.parametrize("bad", ["", "arn:aws:iam::1:group/g", "not/a:principal"])
def test_bad_principal_is_an_input_error(bad: str) -> None:
    from iamlab.errors import InputError

    with pytest.raises(InputError):
        run(bad)


def test_new_policy_wrappers_around_the_same_document_reuse_the_compiled_form() -> None:
    from iamlab.policy import Policy
    from iamlab.policy._layers import compile_policy

    document = doc(allow("*"))
    first = compile_policy(Policy(document, id="p"))
    assert compile_policy(Policy(document, id="p")) is first
    assert compile_policy(Policy(document, id="other")) is not first  # ids name the records


def test_implicit_deny_names_the_step_where_aws_stops_and_keeps_every_lacking_layer() -> None:
    d = run(permissions_boundary=[doc(allow("ec2:*"))], scp=[[doc(allow("ec2:*"))]])
    assert d.lacking_allow == ("scp", "identity", "permissions_boundary")
    assert "lacking an Allow: scp, identity, permissions_boundary" in str(d)
    assert d.to_dict()["lacking_allow"] == ["scp", "identity", "permissions_boundary"]
    assert run(identity=[FULL]).lacking_allow == ()


def test_request_without_principal_or_action_is_an_input_error() -> None:
    from iamlab.errors import InputError

    with pytest.raises(InputError, match="principal, action"):
        evaluate({"action": "s3:GetObject"}, {})
    with pytest.raises(InputError, match="service:Action"):
        evaluate({"principal": ALICE, "action": "GetObject"}, {})


@pytest.mark.parametrize(
    ("policies", "fragment"),
    [
        ({"identity": FULL}, "policies.identity must be a list"),
        ({"scp": [FULL]}, "policies.scp must be a list of levels"),
        ({"resource": [FULL]}, "policies.resource must be one policy document"),
    ],
)
def test_misshaped_policy_layers_are_named(policies: dict, fragment: str) -> None:
    from iamlab.errors import InputError

    with pytest.raises(InputError, match=fragment):
        run(**policies)


def test_resource_account_is_read_from_the_role_arn_when_left_out() -> None:
    role = f"arn:aws:iam::{B}:role/Deploy"
    trust_a = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    ok = run(
        action="sts:AssumeRole",
        arn=role,
        account=None,
        identity=[doc(allow("sts:AssumeRole", role))],
        resource=trust_a,
    )
    assert ok.allowed and ok.resource_account == B
