"""Properties every correct evaluator has, checked on generated policies (hypothesis).

- Allow *:* plus any matching Deny is an explicit deny;
- adding an Allow never turns allow into deny; adding a Deny never turns deny into allow;
- decisions do not depend on statement order or on the case of action names.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from iamlab.policy import evaluate

ACCT = "111122223333"
PRINCIPALS = [
    f"arn:aws:iam::{ACCT}:user/alice",
    f"arn:aws:sts::{ACCT}:assumed-role/Dev/s1",
    f"arn:aws:iam::{ACCT}:root",
]
ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "ec2:RunInstances", "iam:PassRole"]
RESOURCES = ["arn:aws:s3:::b/k", "arn:aws:s3:::b", "arn:aws:s3:::other/x", "*"]
ACTION_PATTERNS = [
    "*",
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "ec2:*",
    "iam:Pass?ole",
    "s3:*Object",
    "S3:GETOBJECT",
]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::*",
    "arn:aws:s3:::other/*",
    "arn:aws:ec2:*:*:*",
]
CONTEXT = {
    "aws:SourceIp": "203.0.113.9",
    "aws:PrincipalTag/team": "red",
    "aws:TagKeys": ["team", "env"],
}
CONDITIONS = [
    None,
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"StringEquals": {"aws:PrincipalTag/team": "red"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "red"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env", "cost"]}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost"]}},
    {"Null": {"aws:SourceVpc": "true"}},
]

statement = st.builds(
    lambda effect, not_action, actions, not_resource, resources, cond: {
        "Effect": effect,
        ("NotAction" if not_action else "Action"): actions,
        ("NotResource" if not_resource else "Resource"): resources,
        **({"Condition": cond} if cond else {}),
    },
    st.sampled_from(["Allow", "Deny"]),
    st.booleans(),
    st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3, unique=True),
    st.booleans(),
    st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2, unique=True),
    st.sampled_from(CONDITIONS),
)
statements = st.lists(statement, min_size=0, max_size=6)
request = st.builds(
    lambda p, a, r: {
        "principal": p,
        "action": a,
        "resource": r,
        "resource_account": ACCT,
        "context": CONTEXT,
    },
    st.sampled_from(PRINCIPALS),
    st.sampled_from(ACTIONS),
    st.sampled_from(RESOURCES),
)


def _policies(identity: list, boundary: list | None, scp: list | None) -> dict:
    out: dict = {"identity": [{"Version": "2012-10-17", "Statement": identity}] if identity else []}
    if boundary is not None:
        out["permissions_boundary"] = (
            [{"Version": "2012-10-17", "Statement": boundary}] if boundary else []
        )
    if scp is not None:
        out["scp"] = [[{"Version": "2012-10-17", "Statement": scp}] if scp else []]
    return out


def _matching_deny(req: dict, data) -> dict:
    action = req["action"]
    service = action.split(":")[0]
    act = data.draw(
        st.sampled_from(["*", f"{service}:*", action, action.upper(), action[:-1] + "*"])
    )
    res = data.draw(
        st.sampled_from(
            ["*", req["resource"]]
            + (["arn:aws:s3:::*"] if req["resource"].startswith("arn:aws:s3") else [])
        )
    )
    cond = data.draw(
        st.sampled_from(
            [
                None,
                {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
                {"StringEquals": {"aws:PrincipalTag/team": "red"}},
                {"Null": {"aws:SourceVpc": "true"}},
            ]
        )
    )
    return {
        "Effect": "Deny",
        "Action": act,
        "Resource": res,
        **({"Condition": cond} if cond else {}),
    }


@settings(max_examples=150, deadline=None)
@given(
    req=request,
    others=statements,
    data=st.data(),
    layer=st.sampled_from(["identity", "permissions_boundary", "scp"]),
)
def test_allow_all_plus_matching_deny_is_explicit_deny(req, others, data, layer) -> None:
    full = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    deny = _matching_deny(req, data)
    ident = [full] + others + ([deny] if layer == "identity" else [])
    boundary = [full, deny] if layer == "permissions_boundary" else None
    scp = [full, deny] if layer == "scp" else None
    d = evaluate(req, _policies(ident, boundary, scp))
    if req["principal"].endswith(":root") and layer in ("identity", "permissions_boundary"):
        return  # the root user has no identity policies and no boundary
    assert d.decision == "explicit_deny"
    assert layer in d.denied_by


@settings(max_examples=200, deadline=None)
@given(
    req=request,
    ident=statements,
    boundary=st.none() | statements,
    scp=st.none() | statements,
    extra=statement,
    where=st.sampled_from(["identity", "permissions_boundary", "scp"]),
)
def test_adding_an_allow_never_denies_and_adding_a_deny_never_allows(
    req, ident, boundary, scp, extra, where
) -> None:
    before = evaluate(req, _policies(ident, boundary, scp)).decision
    layers = {
        "identity": list(ident),
        "permissions_boundary": None if boundary is None else list(boundary),
        "scp": None if scp is None else list(scp),
    }
    if layers[where] is None or (where == "permissions_boundary" and not layers[where]):
        # an absent boundary/SCP layer (an empty boundary list is "no boundary"): adding
        # there would create a new limit, not add a statement
        where = "identity"
    layers[where].append(extra)
    after = evaluate(
        req, _policies(layers["identity"], layers["permissions_boundary"], layers["scp"])
    ).decision
    if extra["Effect"] == "Allow" and before == "allow":
        assert after == "allow"
    if extra["Effect"] == "Deny" and before != "allow":
        assert after != "allow"
    if extra["Effect"] == "Allow" and before == "explicit_deny":
        assert after == "explicit_deny"


@settings(max_examples=150, deadline=None)
@given(
    req=request,
    ident=statements,
    boundary=st.none() | statements,
    perm=st.randoms(use_true_random=False),
    upper=st.booleans(),
)
def test_order_and_action_case_do_not_matter(req, ident, boundary, perm, upper) -> None:
    d1 = evaluate(req, _policies(ident, boundary, None))
    shuffled = list(ident)
    perm.shuffle(shuffled)
    b2 = None if boundary is None else list(reversed(boundary))
    req2 = {**req, "action": req["action"].upper() if upper else req["action"].lower()}
    d2 = evaluate(req2, _policies(shuffled, b2, None))
    assert (d1.decision, set(d1.denied_by)) == (d2.decision, set(d2.denied_by))
