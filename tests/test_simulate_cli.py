"""`iamlab simulate` replays one request against a snapshot with the engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamlab.cli import main
from iamlab.cli.simulate import parse_context
from iamlab.errors import InputError
from iamlab.snapshot import load
from iamlab.snapshot.simulate import build_request

SNAP = str(Path(__file__).parent / "data" / "snapshots" / "org")
PROD, MGMT = "222222222222", "111111111111"
ALICE = f"arn:aws:iam::{PROD}:user/engineering/alice"
SAFE = ["--context", "aws:SecureTransport=true", "--context", "aws:RequestedRegion=us-east-1"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["simulate", "--snapshot", SNAP, *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_context_pairs_and_repeated_keys():
    assert parse_context(
        ["aws:SourceIp=203.0.113.9", "aws:TagKeys=team", "aws:TagKeys=env", "s3:prefix=a=b"]
    ) == {"aws:SourceIp": "203.0.113.9", "aws:TagKeys": ["team", "env"], "s3:prefix": "a=b"}
    with pytest.raises(InputError, match="not KEY=VALUE"):
        parse_context(["aws:SourceIp"])


def test_given_context_wins_over_snapshot_keys_case_insensitively():
    snap = load(SNAP)
    request = build_request(
        snap, ALICE, "s3:GetObject", "arn:aws:s3:::data-lake/x", {"aws:principaltag/team": "other"}
    )
    assert request.context["aws:principaltag/team"] == "other"
    assert "aws:PrincipalTag/team" not in request.context
    assert request.context["aws:PrincipalArn"] == ALICE
    assert request.resource_account == "333333333333"
    bare = build_request(snap, ALICE, "s3:GetObject", "*", {}, derive_context=False)
    assert bare.context == {} and bare.resource_account is None


def test_caveats_name_what_the_snapshot_lacks_and_gaps_are_unknown_layers():
    snap = load(SNAP)
    session = f"arn:aws:sts::{PROD}:assumed-role/Deployer/build-1"
    notes = snap.caveats(session, "s3:GetObject", "arn:aws:s3:::somebody-elses/x")
    assert any("session policies" in n for n in notes)
    gaps = snap.policies_for(session, "s3:GetObject", "arn:aws:s3:::somebody-elses/x").unknown
    assert set(gaps) == {"resource", "rcp"}
    assert "the account owning arn:aws:s3:::somebody-elses/x is unknown" in gaps["resource"]
    queue = "arn:aws:sqs:us-east-1:444444444444:q"
    assert snap.caveats(ALICE, "sqs:SendMessage", queue) == []
    assert snap.policies_for(ALICE, "sqs:SendMessage", queue).unknown == {
        "resource": f"account 444444444444 (owner of {queue}) is not in the snapshot: its "
        "resource policy is unknown",
        "rcp": "account 444444444444 is not in the snapshot's organization o-exampleorg1: its "
        "RCPs (from another organization, if any) are unknown",
    }


def test_allowed_request_exits_zero(capsys):
    status, out, _ = run(
        capsys,
        "--principal",
        ALICE,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::prod-reports/q1.csv",
        *SAFE,
        "--json",
    )
    result = json.loads(out)
    assert status == 0
    assert result["decision"] == "allow"
    assert result["context"]["aws:PrincipalArn"] == ALICE


def test_bucket_policy_deny_exits_one_and_names_statement(capsys):
    status, out, _ = run(
        capsys,
        "--principal",
        ALICE,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::prod-reports/q1.csv",
        "--context",
        "aws:SecureTransport=false",
        "--context",
        "aws:RequestedRegion=us-east-1",
        "--json",
    )
    result = json.loads(out)
    assert status == 1
    assert result["decision"] == "explicit_deny"
    assert "resource" in result["denied_by"]
    assert [(s["policy_id"], s["sid"]) for s in result["deciding"]] == [
        ("arn:aws:s3:::prod-reports", "DenyInsecure")
    ]


def test_scp_deny_for_member_account_but_not_management_account(capsys):
    status, out, _ = run(
        capsys,
        "--principal",
        ALICE,
        "--action",
        "iam:CreateUser",
        "--resource",
        f"arn:aws:iam::{PROD}:user/new",
        *SAFE,
        "--json",
    )
    result = json.loads(out)
    assert status == 1 and result["decision"] == "explicit_deny"
    assert ("p-noiamuser1", "DenyCreateUser") in [
        (s["policy_id"], s["sid"]) for s in result["deciding"]
    ]
    status, out, _ = run(
        capsys,
        "--principal",
        f"arn:aws:iam::{MGMT}:user/auditor",
        "--action",
        "iam:CreateUser",
        "--resource",
        f"arn:aws:iam::{MGMT}:user/new",
        "--json",
    )
    result = json.loads(out)
    assert status == 1
    assert result["decision"] == "implicit_deny"
    assert result["denied_by"] == ["identity"]  # no SCP layer for the management account


def test_text_output_names_the_decision_and_caveats(capsys):
    session = f"arn:aws:sts::{PROD}:assumed-role/Deployer/build-1"
    status, out, _ = run(
        capsys,
        "--principal",
        session,
        "--action",
        "sts:AssumeRole",
        "--resource",
        "arn:aws:iam::333333333333:role/DataReader",
        *SAFE,
    )
    assert status == 1  # Deployer's identity policies do not allow sts:AssumeRole
    assert "implicit_deny" in out or "implicit deny" in out.lower()
    assert "Snapshot caveats:" in out and "session policies" in out
    assert "  aws:PrincipalArn = arn:aws:iam::222222222222:role/ci/Deployer" in out


def test_a_principal_missing_from_the_snapshot_is_unknown_exit_three(capsys):
    status, out, err = run(
        capsys,
        "--principal",
        f"arn:aws:iam::{PROD}:user/alicia",
        "--action",
        "s3:GetObject",
        *SAFE,
    )
    assert status == 3 and err == ""
    assert out.startswith("UNKNOWN: ")
    assert "user/alicia is not in the snapshot" in out and "user/engineering/alice" in out
    assert "ALLOW" not in out


def test_a_caller_from_an_account_the_snapshot_lacks_is_never_allowed(capsys):
    typo = "arn:aws:iam::222222222223:user/engineering/alice"  # one digit off PROD
    args = ["--principal", typo, "--action", "s3:ListAllMyBuckets", *SAFE]
    status, out, _ = run(capsys, *args, "--json")
    result = json.loads(out)
    assert status == 3 and result["decision"] == "unknown"
    assert result["unknown"]["identity"] == f"account 222222222223 of {typo} is not in the snapshot"
    assert result["possible"] == ["allow", "implicit_deny", "explicit_deny"]
    status, text, _ = run(capsys, *args)
    assert status == 3 and text.startswith("UNKNOWN: ") and "ALLOW" not in text
    # its request to a bucket whose policy grants that account nothing is denied all the same;
    # still unknown: its account's unknown SCPs could be the layer AWS names
    status, out, _ = run(
        capsys,
        "--principal",
        typo,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::prod-reports/q1.csv",
        *SAFE,
        "--json",
    )
    result = json.loads(out)
    assert status == 3 and result["decision"] == "unknown" and result["denied_by"] == []
    assert result["possible"] == ["implicit_deny", "explicit_deny"]
    assert result["lacking_allow"] == ["resource"]


def test_help_documents_the_exit_statuses(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    out = capsys.readouterr().out
    assert "0 the request is allowed, 1 it is denied" in out and "\n3 unknown" in out


def test_request_through_a_vpc_endpoint_is_limited_by_its_policy(capsys):
    args = ["--principal", ALICE, "--action", "sqs:SendMessage", *SAFE, "--json"]
    queue = f"arn:aws:sqs:us-east-1:{PROD}:jobs"
    status, out, _ = run(
        capsys, *args, "--resource", queue, "--context", "aws:SourceVpce=vpce-0a1b2c3d4e5f60718"
    )
    assert status == 0, out
    status, out, _ = run(
        capsys,
        "--principal",
        ALICE,
        "--action",
        "sqs:SendMessage",
        "--resource",
        f"arn:aws:sqs:us-east-1:{PROD}:other",
        *SAFE,
        "--json",
        "--vpc-endpoint",
        "vpce-0a1b2c3d4e5f60718",
    )
    result = json.loads(out)
    assert status == 1
    assert "vpc_endpoint" in result["denied_by"]
    assert result["context"]["aws:SourceVpce"] == "vpce-0a1b2c3d4e5f60718"


def test_session_policy_limits_a_role_session(capsys, tmp_path):
    session = f"arn:aws:sts::{PROD}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice"
    args = ["--principal", session, "--action", "ec2:DescribeInstances", *SAFE, "--json"]
    status, out, _ = run(capsys, *args)
    assert status == 0, out
    assert any("session policies" in c for c in json.loads(out)["caveats"])
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "OnlyS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    (tmp_path / "session.json").write_text(json.dumps(doc))
    status, out, _ = run(capsys, *args, "--session-policy", str(tmp_path / "session.json"))
    result = json.loads(out)
    assert status == 1 and result["denied_by"] == ["session"]
    assert not any("session policies" in c for c in result["caveats"])
    status, out, err = run(capsys, *args, "--session-policy", "{not json")
    assert status == 2 and "--session-policy" in err and "is not JSON" in err


def test_replay_saved_as_a_case_runs_with_the_same_decision(capsys, tmp_path):
    status, out, _ = run(
        capsys,
        "--principal",
        ALICE,
        "--action",
        "iam:CreateUser",
        "--resource",
        f"arn:aws:iam::{PROD}:user/new",
        *SAFE,
        "--as-case",
        "alice may not create users (SCP)",
    )
    case = json.loads(out)
    assert status == 1
    assert case["expect"] == {"decision": "explicit_deny", "denied_by": ["scp"]}
    assert len(case["policies"]["scp"]) == 4 and len(case["policies"]["rcp"]) == 4
    assert case["request"]["context"]["aws:PrincipalArn"] == ALICE
    path = tmp_path / "case.json"
    path.write_text(out)
    assert main(["cases", "run", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["total"], report["passed"], report["failed"]) == (1, 1, 0)


def test_user_arn_without_its_path_is_evaluated_as_the_real_user():
    snap = load(SNAP)
    request = build_request(snap, f"arn:aws:iam::{PROD}:user/alice", "s3:GetObject")
    assert request.principal == ALICE
    session = f"arn:aws:sts::{PROD}:assumed-role/Deployer/x"
    assert build_request(snap, session, "s3:GetObject").principal == session


def test_requested_region_comes_from_a_regional_resource_arn_and_is_a_caveat():
    from iamlab.snapshot import simulate

    queue = f"arn:aws:sqs:eu-west-1:{PROD}:orders"
    sim = simulate(SNAP, ALICE, "sqs:SendMessage", queue)
    assert sim.request.context["aws:RequestedRegion"] == "eu-west-1"
    assert any("aws:RequestedRegion is taken from the resource ARN" in c for c in sim.caveats)
    given = simulate(
        SNAP, ALICE, "sqs:SendMessage", queue, context={"aws:requestedregion": "us-east-1"}
    )
    assert given.request.context["aws:requestedregion"] == "us-east-1"
    assert "aws:RequestedRegion" not in given.request.context
    assert not any("RequestedRegion" in c for c in given.caveats)
    # Global (IAM) and S3 ARNs carry no Region: nothing is derived.
    s3 = simulate(SNAP, ALICE, "s3:GetObject", "arn:aws:s3:::data-lake/x")
    assert "aws:RequestedRegion" not in s3.request.context


def test_a_denial_names_its_cause_in_the_words_of_denials_and_diagnose(capsys):
    from iamlab.cli import main

    snapshot = Path(__file__).resolve().parents[1] / "sample_data" / "snapshot"
    status = main([
        "simulate", "--snapshot", str(snapshot),
        "--principal", "arn:aws:iam::264830159726:user/people/dana.kim",
        "--action", "secretsmanager:GetSecretValue",
        "--resource",
        "arn:aws:secretsmanager:eu-west-1:264830159726:secret:dev/invoice-render/api-key-Xy12Ab",
    ])  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert lines[1].startswith("denied by: permissions_boundary")
    assert lines[2] == "cause: permissions-boundary"
