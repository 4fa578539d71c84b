"""Layered evaluation (aws-facts 4.1-4.5): who may grant, who limits, and the explanation."""

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


def test_default_is_implicit_deny_and_identity_allow_allows() -> None:
    d = run()
    assert (d.decision, d.denied_by) == ("implicit_deny", ("identity",))
    assert run(identity=[doc(allow())]).allowed


def test_explicit_deny_in_every_layer_wins() -> None:
    star_deny = doc(deny("*", Principal="*"))
    plain_deny = doc(deny("*"))
    layers = {
        "identity": [plain_deny],
        "permissions_boundary": [plain_deny],
        "session": plain_deny,
        "scp": [[plain_deny]],
        "rcp": [[star_deny]],
        "resource": star_deny,
        "vpc_endpoint": [star_deny],
    }
    for layer, value in layers.items():
        policies = {
            "identity": [FULL],
            "permissions_boundary": [FULL],
            "session": FULL,
            "scp": [[FULL]],
            "rcp": [[doc(allow("*", Principal="*"))]],
            "resource": doc(allow("*", Principal="*")),
            "vpc_endpoint": [doc(allow("*", Principal="*"))],
        }
        if layer == "identity":
            policies["identity"] = [FULL, plain_deny]
        else:
            policies[layer] = value
        d = run(SESSION, **policies)
        assert d.decision == "explicit_deny", layer
        assert d.denied_by == (layer,), layer


def test_scp_every_level_must_allow_and_empty_level_allows_nothing() -> None:
    assert run(identity=[FULL], scp=[[FULL], [FULL], [FULL]]).allowed
    d = run(identity=[FULL], scp=[[FULL], [doc(allow("ec2:*"))], [FULL]])
    assert d.denied_by == ("scp",)
    assert [lr.outcome for lr in d.layer("scp")] == ["allow", "implicit_deny", "allow"]
    assert run(identity=[FULL], scp=[[FULL], []]).denied_by == ("scp",)


def test_scp_does_not_apply_to_service_linked_roles_but_to_member_root() -> None:
    slr = f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForSupport/s"
    ctx = {
        "aws:PrincipalArn": f"arn:aws:iam::{A}:role/aws-service-role/support.amazonaws.com/"
        "AWSServiceRoleForSupport"
    }
    d = run(slr, context=ctx, identity=[FULL], scp=[[doc(deny("*"))]])
    assert d.allowed and d.layer("scp")[0].outcome == "not_applicable"
    assert run(ROOT, scp=[[doc(allow("ec2:*"))]]).denied_by == ("scp",)
    assert run(ROOT, scp=[[FULL]]).allowed
    assert run(ROOT).allowed  # root: full access, no identity policy needed


def test_root_is_still_subject_to_resource_policy_explicit_deny() -> None:
    d = run(ROOT, resource=doc(deny("*", Principal="*")))
    assert d.decision == "explicit_deny" and d.denied_by == ("resource",)


def test_same_account_resource_policy_grants_by_principal_kind() -> None:
    boundary = [doc(allow("ec2:*"))]
    # user ARN: not limited by identity or boundary
    assert run(
        ALICE, permissions_boundary=boundary, resource=doc(allow(Principal={"AWS": ALICE}))
    ).allowed
    # session ARN: not limited by identity, boundary or session policy
    assert run(
        SESSION,
        permissions_boundary=boundary,
        session=doc(allow("ec2:*")),
        resource=doc(allow(Principal={"AWS": SESSION})),
    ).allowed
    # role ARN: limited by boundary and session policy, not by identity
    role_grant = doc(allow(Principal={"AWS": f"arn:aws:iam::{A}:role/Dev"}))
    assert run(SESSION, resource=role_grant).allowed
    d = run(SESSION, permissions_boundary=boundary, resource=role_grant)
    assert d.denied_by == ("permissions_boundary",)
    assert run(SESSION, session=doc(allow("ec2:*")), resource=role_grant).denied_by == ("session",)
    # Principal "*" + aws:PrincipalArn: boundary and session do not limit
    star = doc(
        allow(
            Principal="*",
            Condition={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/Dev"}},
        )
    )
    assert run(
        SESSION, permissions_boundary=boundary, session=doc(allow("ec2:*")), resource=star
    ).allowed
    # account principal: delegation, identity must allow
    acct = doc(allow(Principal={"AWS": A}))
    assert run(ALICE, resource=acct).denied_by == ("identity",)
    assert run(ALICE, identity=[FULL], resource=acct).allowed


def test_federated_user_without_session_policy_is_denied_unless_granted_directly() -> None:
    d = run(FED, identity=[FULL])
    assert d.denied_by == ("session",)
    assert run(FED, identity=[FULL], session=FULL).allowed
    assert run(FED, resource=doc(allow(Principal={"AWS": FED}))).allowed


def test_role_session_without_session_policy_passes_the_session_step() -> None:
    assert run(SESSION, identity=[FULL]).allowed
    assert run(SESSION, identity=[FULL], session=doc(allow("ec2:*"))).denied_by == ("session",)
    d = run(ALICE, identity=[FULL], session=doc(allow("ec2:*")))
    assert d.allowed and d.layer("session")[0].outcome == "not_applicable"


def test_kms_key_policy_must_allow_by_itself() -> None:
    key = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    d = run(action="kms:Decrypt", arn=key, identity=[FULL])
    assert d.denied_by == ("resource",)
    d = run(
        action="kms:Decrypt",
        arn=key,
        identity=[FULL],
        resource=doc(allow("kms:*", Principal={"AWS": "arn:aws:iam::444455556666:root"})),
    )
    assert d.denied_by == ("resource",)
    root_grant = doc(allow("kms:*", Principal={"AWS": f"arn:aws:iam::{A}:root"}))
    assert run(action="kms:Decrypt", arn=key, identity=[FULL], resource=root_grant).allowed
    assert run(action="kms:Decrypt", arn=key, resource=root_grant).denied_by == ("identity",)
    assert run(
        action="kms:Decrypt", arn=key, resource=doc(allow("kms:*", Principal={"AWS": ALICE}))
    ).allowed


def test_role_trust_policy_must_allow_and_is_reported_as_trust() -> None:
    role = f"arn:aws:iam::{A}:role/Admin"
    d = run(action="sts:AssumeRole", arn=role, identity=[FULL])
    assert d.denied_by == ("trust",) and d.policy_type == "role trust policy"
    trust = doc({"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"})
    assert run(action="sts:AssumeRole", arn=role, resource=trust).allowed
    d = run(
        action="sts:AssumeRole",
        arn=role,
        identity=[FULL],
        resource=doc({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}),
    )
    assert d.decision == "explicit_deny" and d.denied_by == ("trust",)
    assert d.policy_type == "role trust policy"


def test_cross_account_needs_both_sides() -> None:
    bucket = doc(allow(Principal={"AWS": f"arn:aws:iam::{A}:root"}))
    assert run(account=B, identity=[FULL], resource=bucket).allowed
    assert run(account=B, identity=[FULL]).denied_by == ("resource",)
    assert run(account=B, resource=bucket).denied_by == ("identity",)
    assert run(
        account=B, identity=[FULL], permissions_boundary=[doc(allow("ec2:*"))], resource=bucket
    ).denied_by == ("permissions_boundary",)
    assert run(
        account=B, identity=[FULL], resource=bucket, scp=[[doc(allow("ec2:*"))]]
    ).denied_by == ("scp",)
    rcp = [[doc(allow("*", Principal="*")), deny("s3:*", Principal="*")]]
    rcp = [[doc(allow("*", Principal="*"), deny("s3:*", Principal="*"))]]
    assert run(account=B, identity=[FULL], resource=bucket, rcp=rcp).decision == "explicit_deny"
    # even a direct grant to the user ARN needs the caller's identity side across accounts
    assert run(account=B, resource=doc(allow(Principal={"AWS": ALICE}))).denied_by == ("identity",)


def test_rcp_levels_and_exemptions() -> None:
    full = doc(allow("*", Principal="*"))
    assert run(identity=[FULL], rcp=[[full], [full]]).allowed
    assert run(identity=[FULL], rcp=[[full], []]).denied_by == ("rcp",)
    deny_kms = [[full, doc(deny("kms:*", Principal="*"))]]
    key = f"arn:aws:kms:us-east-1:{A}:key/k1"
    grant = doc(allow("kms:*", Principal={"AWS": ALICE}))
    assert (
        run(action="kms:Decrypt", arn=key, resource=grant, rcp=deny_kms).decision == "explicit_deny"
    )
    d = run(action="kms:RetireGrant", arn=key, resource=grant, rcp=deny_kms)
    assert d.allowed and d.layer("rcp")[0].outcome == "not_applicable"
    slr = f"arn:aws:iam::{A}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"
    assert run(slr, identity=[FULL], rcp=[[doc(deny("*", Principal="*"))]]).allowed


def test_vpc_endpoint_policy_must_allow() -> None:
    assert run(identity=[FULL], vpc_endpoint=[doc(allow("s3:GetObject", Principal="*"))]).allowed
    d = run(identity=[FULL], vpc_endpoint=[doc(allow("s3:PutObject", Principal="*"))])
    assert d.denied_by == ("vpc_endpoint",) and d.policy_type == "VPC endpoint policy"


def test_anonymous_and_service_principals_only_through_resource_policies() -> None:
    public = doc(allow(Principal="*"))
    assert run("anonymous", account=A, identity=[FULL], resource=public).allowed
    assert run("anonymous", resource=doc(allow(Principal={"AWS": A}))).denied_by == ("resource",)
    assert run("anonymous").denied_by == ("resource",)
    svc = doc(allow("s3:PutObject", Principal={"Service": "cloudtrail.amazonaws.com"}))
    assert run("cloudtrail.amazonaws.com", action="s3:PutObject", resource=svc).allowed
    assert run("config.amazonaws.com", action="s3:PutObject", resource=svc).denied_by == (
        "resource",
    )


def test_not_principal_deny_needs_every_identity_listed() -> None:
    role = f"arn:aws:iam::{A}:role/Dev"
    base = {"identity": [FULL]}
    only_role = doc(
        allow(Principal="*"), deny(NotPrincipal={"AWS": [role, f"arn:aws:iam::{A}:root"]})
    )
    assert run(SESSION, **base, resource=only_role).decision == "explicit_deny"
    all_ids = doc(
        allow(Principal="*"), deny(NotPrincipal={"AWS": [role, SESSION, f"arn:aws:iam::{A}:root"]})
    )
    assert run(SESSION, **base, resource=all_ids).allowed
    assert run(ALICE, **base, resource=all_ids).decision == "explicit_deny"


def test_missing_context_is_reported_and_marks_the_decision_not_final() -> None:
    d = run(identity=[doc(allow(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))])
    assert d.decision == "implicit_deny"
    assert d.missing_context == ("aws:MultiFactorAuthPresent",)
    assert "NOT FINAL" in str(d)
    firm = run(
        identity=[
            FULL,
            doc(deny("*"), deny("*", Condition={"Bool": {"aws:ViaAWSService": "true"}})),
        ]
    )
    assert firm.decision == "explicit_deny" and firm.missing_context == ()
    # a Deny that does not apply only because its key is absent: allow, but not final
    d = run(identity=[FULL, doc(deny(Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}}))])
    assert d.allowed and d.missing_context == ("aws:SourceVpc",)


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


def test_missing_key_does_not_matter_when_another_condition_already_fails() -> None:
    cond = {
        "StringEquals": {"aws:PrincipalTag/team": "blue"},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
    }
    d = run(identity=[doc(allow(Condition=cond))], context={"aws:PrincipalTag/team": "red"})
    assert d.decision == "implicit_deny" and d.missing_context == ()
    d = run(identity=[doc(allow(Condition=cond))], context={"aws:PrincipalTag/team": "blue"})
    assert d.decision == "implicit_deny" and d.missing_context == ("aws:MultiFactorAuthPresent",)


def test_allow_that_needs_no_absent_key_makes_the_allow_final() -> None:
    maybe = allow(Condition={"StringEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}})
    d = run(identity=[doc(maybe)])
    assert d.allowed and d.missing_context == ("aws:RequestedRegion",)
    d = run(identity=[doc(maybe, allow())])
    assert d.allowed and d.missing_context == ()


def test_implicit_deny_names_the_step_where_aws_stops_and_keeps_every_lacking_layer() -> None:
    d = run(permissions_boundary=[doc(allow("ec2:*"))], scp=[[doc(allow("ec2:*"))]])
    assert d.decision == "implicit_deny"
    assert d.denied_by == ("scp",) and d.policy_type == "service control policy"
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


def test_cross_account_assume_role_needs_identity_and_trust() -> None:
    role = f"arn:aws:iam::{B}:role/Deploy"
    trust_a = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    assume = doc(allow("sts:AssumeRole", role))
    # resource_account left out: it is read from the role ARN
    ok = run(action="sts:AssumeRole", arn=role, account=None, identity=[assume], resource=trust_a)
    assert ok.allowed and ok.resource_account == B
    alone = run(action="sts:AssumeRole", arn=role, account=None, resource=trust_a)
    assert alone.denied_by == ("identity",)  # cross-account: the trust policy alone is not enough
    d = run(action="sts:AssumeRole", arn=role, account=None, identity=[assume])
    assert d.denied_by == ("trust",)


def test_service_assumes_role_through_the_trust_policy_only() -> None:
    role = f"arn:aws:iam::{A}:role/LambdaExec"
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )
    assert run(
        "lambda.amazonaws.com",
        action="sts:AssumeRole",
        arn=role,
        resource=trust,
        scp=[[doc(deny("*"))]],
    ).allowed  # SCPs do not apply to service principals
    assert run(
        "ec2.amazonaws.com", action="sts:AssumeRole", arn=role, resource=trust
    ).denied_by == ("trust",)


def test_rcp_applies_to_anonymous_callers() -> None:
    public = doc(allow(Principal="*"))
    full = doc(allow("*", Principal="*"))
    assert run("anonymous", resource=public, rcp=[[full]]).allowed
    d = run("anonymous", resource=public, rcp=[[full, doc(deny("s3:*", Principal="*"))]])
    assert d.decision == "explicit_deny" and d.denied_by == ("rcp",)
