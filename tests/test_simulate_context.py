"""Context comes from the request, not from guesses: the Region a request went to, keys whose
absence could change the decision or the layer AWS names, and principals given by unique id."""

from __future__ import annotations

import json
from pathlib import Path

from iamlab.cli import main
from iamlab.cli.simulate import EXIT
from iamlab.policy import evaluate
from iamlab.snapshot import simulate

SNAP = Path(__file__).parent / "data" / "snapshots" / "org"
PROD = "222222222222"
ALICE = f"arn:aws:iam::{PROD}:user/engineering/alice"
OBJECT = "arn:aws:s3:::prod-reports/q1.csv"
TLS = {"aws:SecureTransport": "true"}


def test_the_region_of_the_request_reaches_the_region_guard_for_s3():
    # S3 ARNs carry no Region: the region-guard SCP must see the Region the call went to
    sim = simulate(SNAP, ALICE, "s3:GetObject", OBJECT, TLS, region="us-east-1")
    assert sim.request.context["aws:RequestedRegion"] == "us-east-1"
    assert sim.decision.decision == "allow" and sim.decision.missing_context == ()
    away = simulate(SNAP, ALICE, "s3:GetObject", OBJECT, TLS, region="eu-west-1")
    assert (away.decision.decision, away.decision.denied_by) == ("explicit_deny", ("scp",))
    assert [s.sid for s in away.decision.deciding] == ["DenyOutsideUsEast1"]


def test_without_a_region_an_s3_replay_is_not_final_instead_of_blaming_the_scp():
    sim = simulate(SNAP, ALICE, "s3:GetObject", OBJECT, TLS)
    assert "aws:RequestedRegion" not in sim.request.context
    d = sim.decision
    assert d.missing_context == ("aws:RequestedRegion",)
    assert "NOT FINAL" in str(d)


def test_the_callers_region_wins_over_the_resource_arns_and_context_over_both():
    queue = f"arn:aws:sqs:us-east-1:{PROD}:jobs"
    sim = simulate(SNAP, ALICE, "sqs:SendMessage", queue, TLS, region="eu-west-1")
    assert sim.request.context["aws:RequestedRegion"] == "eu-west-1"
    assert not any("taken from the resource ARN" in c for c in sim.caveats)
    given = simulate(
        SNAP,
        ALICE,
        "sqs:SendMessage",
        queue,
        {**TLS, "aws:requestedregion": "ap-south-1"},
        region="eu-west-1",
    )
    assert given.request.context["aws:requestedregion"] == "ap-south-1"
    assert "aws:RequestedRegion" not in given.request.context


def test_region_flag_of_simulate(capsys):
    status = main(
        [
            "simulate",
            "--snapshot",
            str(SNAP),
            "--principal",
            ALICE,
            "--action",
            "s3:GetObject",
            "--resource",
            OBJECT,
            "--context",
            "aws:SecureTransport=true",
            "--region",
            "us-east-1",
            "--json",
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert status == 0 and result["context"]["aws:RequestedRegion"] == "us-east-1"


def test_a_missing_key_that_changes_only_the_named_layer_is_not_final():
    # identity grants nothing (implicit deny by identity); an SCP Deny hangs on a key the
    # request lacks: with it, the answer would be an explicit deny by the SCP
    deny = {
        "Statement": {
            "Sid": "OnlyFromVpce",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-bad"}},
        }
    }
    full = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
    d = evaluate(
        {
            "principal": ALICE,
            "action": "s3:GetObject",
            "resource": OBJECT,
            "resource_account": PROD,
        },
        {"identity": [], "scp": [[full, deny]]},
    )
    assert (d.decision, d.denied_by) == ("implicit_deny", ("identity",))
    assert d.missing_context == ("aws:SourceVpce",)
    assert "NOT FINAL" in str(d)


def test_an_explicit_deny_is_not_final_when_an_earlier_layer_could_be_named():
    scp_deny = {
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
        }
    }
    full = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
    id_deny = {
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
        ]
    }
    req = {
        "principal": ALICE,
        "action": "s3:GetObject",
        "resource": OBJECT,
        "resource_account": PROD,
    }
    d = evaluate(req, {"identity": [id_deny], "scp": [[full, scp_deny]]})
    assert (d.decision, d.denied_by) == ("explicit_deny", ("identity",))
    assert d.missing_context == ("aws:MultiFactorAuthPresent",)  # the SCP would be named
    firm = evaluate(
        {**req, "context": {"aws:MultiFactorAuthPresent": "true"}},
        {"identity": [id_deny], "scp": [[full, scp_deny]]},
    )
    assert firm.missing_context == () and firm.denied_by == ("identity",)


def test_a_role_session_given_by_unique_id_and_session_name_resolves_like_its_arn(capsys):
    by_arn = simulate(
        SNAP,
        f"arn:aws:sts::{PROD}:assumed-role/Deployer/build-1",
        "s3:GetObject",
        OBJECT,
        TLS,
        region="us-east-1",
    )
    by_id = simulate(
        SNAP, "AROADEPLOYER000000004:build-1", "s3:GetObject", OBJECT, TLS, region="us-east-1"
    )
    assert by_id.request.principal == f"arn:aws:sts::{PROD}:assumed-role/Deployer/build-1"
    assert by_id.request.context["aws:userid"] == "AROADEPLOYER000000004:build-1"
    assert by_id.decision == by_arn.decision
    bare = simulate(SNAP, "AROADEPLOYER000000004", "s3:GetObject", OBJECT, TLS)
    assert bare.request.principal == f"arn:aws:iam::{PROD}:role/ci/Deployer"
    status = main(
        [
            "simulate",
            "--snapshot",
            str(SNAP),
            "--principal",
            "AROADEPLOYER000000004:build-1",
            "--action",
            "s3:GetObject",
            "--resource",
            OBJECT,
            "--region",
            "us-east-1",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert status == EXIT[by_arn.decision.decision] and out["decision"] == by_arn.decision.decision
    assert out["principal"] == f"arn:aws:sts::{PROD}:assumed-role/Deployer/build-1"


# -- missing_context: an answer without it does not move when the absent keys arrive ----------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KEYS = {
    "aws:RequestedRegion": ["us-east-1", "eu-west-1"],
    "aws:SourceVpce": ["vpce-1", "vpce-2"],
    "aws:MultiFactorAuthPresent": ["true", "false"],
}
OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringEquals",
]


def _stmt(effect, action, key, op, value):
    out = {"Effect": effect, "Action": action, "Resource": "*"}
    if key:
        out["Condition"] = {op: {key: value}}
    return out


statement = st.builds(
    _stmt,
    st.sampled_from(["Allow", "Deny"]),
    st.sampled_from(["*", "s3:*", "s3:GetObject"]),
    st.none() | st.sampled_from(sorted(KEYS)),
    st.sampled_from(OPERATORS),
    st.sampled_from(["us-east-1", "vpce-1", "true"]),
)
document = st.lists(statement, max_size=3).map(lambda s: {"Version": "2012-10-17", "Statement": s})


@settings(max_examples=300, deadline=None)
@given(
    identity=st.lists(document, min_size=1, max_size=2),
    scp=st.none() | st.lists(st.lists(document, min_size=1, max_size=2), min_size=1, max_size=2),
    boundary=st.lists(document, max_size=1),
    arriving=st.data(),
)
def test_an_answer_without_missing_context_holds_whatever_the_absent_keys_are(
    identity, scp, boundary, arriving
):
    request = {
        "principal": ALICE,
        "action": "s3:GetObject",
        "resource": OBJECT,
        "resource_account": PROD,
    }
    policies = {"identity": identity, "scp": scp, "permissions_boundary": boundary}
    d = evaluate(request, policies)
    if d.missing_context:
        return
    context = {k: arriving.draw(st.sampled_from(v), label=k) for k, v in KEYS.items()}
    later = evaluate({**request, "context": context}, policies)
    assert (later.decision, later.denied_by[:1]) == (d.decision, d.denied_by[:1])
