"""Layers a snapshot does not hold are unknown layers with their reason, so no replay over them
is ever answered "allow" on a guess; what a snapshot knows to be absent is not a gap."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from iamlab.snapshot import load, simulate

DATA = Path(__file__).parent / "data" / "snapshots"
MGMT, PROD, DATA_ACCT = "111111111111", "222222222222", "333333333333"
ALICE = f"arn:aws:iam::{PROD}:user/engineering/alice"
CAROL = "arn:aws:iam::555555555555:user/carol"
SAFE = {"aws:SecureTransport": "true", "aws:RequestedRegion": "us-east-1"}


@pytest.fixture
def org_copy(tmp_path: Path) -> Path:
    target = tmp_path / "snap"
    shutil.copytree(DATA / "org", target)
    return target


def _manifest(root: Path, **changes) -> None:
    path = root / "manifest.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update(changes)
    path.write_text(json.dumps(data))


def test_without_organization_the_scps_and_rcps_are_unknown(tmp_path):
    shutil.copytree(DATA / "single-account", tmp_path / "snap")
    snap = load(tmp_path / "snap")
    ps = snap.policies_for(CAROL, "s3:GetObject", "arn:aws:s3:::carol-bucket/a.txt")
    assert ps.scp is None and ps.rcp is None
    assert set(ps.unknown) == {"scp", "rcp"}
    assert ps.unknown["scp"].startswith(
        "the snapshot has no organization/: the SCPs of account 555555555555 were not collected"
    )
    sim = simulate(snap, CAROL, "s3:GetObject", "arn:aws:s3:::carol-bucket/a.txt")
    assert sim.decision.decision == "unknown"


def test_a_manifest_saying_no_organization_makes_them_known_absent(tmp_path):
    shutil.copytree(DATA / "single-account", tmp_path / "snap")
    _manifest(tmp_path / "snap", organization=False)
    ps = load(tmp_path / "snap").policies_for(CAROL, "s3:GetObject", "arn:aws:s3:::carol-bucket/a")
    assert ps.unknown == {}


def test_an_account_the_collector_could_not_read_is_unknown(org_copy):
    _manifest(org_copy, accounts=[{"account_id": DATA_ACCT, "status": "failed"}])
    snap = load(org_copy)
    reader = f"arn:aws:sts::{DATA_ACCT}:assumed-role/DataReader/s1"
    ps = snap.policies_for(reader, "s3:GetObject", f"arn:aws:s3:::{PROD}-x/y", PROD)
    assert ps.unknown["identity"].startswith(
        f"the authorization details of account {DATA_ACCT} were not collected"
    )
    queue = f"arn:aws:sqs:us-east-1:{DATA_ACCT}:q"
    assert snap.policies_for(ALICE, "sqs:SendMessage", queue).unknown == {
        "resource": f"account {DATA_ACCT} (owner of {queue}) was not collected "
        "(manifest status 'failed', manifest.json)"
    }


def test_a_failed_policy_call_makes_that_service_unknown(org_copy):
    _manifest(
        org_copy,
        failed_calls=[
            {
                "service": "sqs",
                "operation": "GetQueueAttributes",
                "account": PROD,
                "region": "us-east-1",
                "error_code": "AccessDenied",
                "permission": "sqs:GetQueueAttributes",
                "message": "denied",
            }
        ],
    )
    snap = load(org_copy)
    queue = f"arn:aws:sqs:us-east-1:{PROD}:jobs"
    assert snap.policies_for(ALICE, "sqs:SendMessage", queue).unknown == {
        "resource": f"collecting sqs policies of account {PROD} failed (GetQueueAttributes: "
        "AccessDenied, manifest.json)"
    }
    assert snap.policies_for(ALICE, "s3:GetObject", "arn:aws:s3:::prod-reports/x").unknown == {}


def test_a_trust_policy_of_a_role_the_snapshot_lacks_is_unknown(org_copy):
    snap = load(org_copy)
    role = f"arn:aws:iam::{DATA_ACCT}:role/NoSuchRole"
    ps = snap.policies_for(ALICE, "sts:AssumeRole", role)
    assert ps.resource is None
    assert ps.unknown["resource"].startswith(f"role {role} is not in the snapshot")
    sim = simulate(snap, ALICE, "sts:AssumeRole", role, SAFE)
    assert sim.decision.decision in ("unknown", "implicit_deny", "explicit_deny")
    assert not sim.allowed


def test_the_management_account_and_a_member_in_the_tree_have_no_gap(org_copy):
    snap = load(org_copy)
    auditor = f"arn:aws:iam::{MGMT}:user/auditor"
    assert "scp" not in snap.policies_for(auditor, "s3:GetObject").unknown
    member = snap.policies_for(ALICE, "s3:GetObject", "arn:aws:s3:::prod-reports/q1.csv")
    assert member.unknown == {}


def test_a_session_policy_given_as_unknown_makes_a_session_unknown():
    session = f"arn:aws:sts::{PROD}:assumed-role/Deployer/build-1"
    sim = simulate(
        DATA / "org",
        session,
        "s3:GetObject",
        "arn:aws:s3:::prod-reports/q1.csv",
        SAFE,
        session_policy="unknown",
    )
    assert "session" in sim.policies.unknown
    assert sim.decision.decision != "allow"
    assert not any(c.startswith("session policies") for c in sim.caveats)


def test_a_replay_with_unknown_layers_saved_as_a_case_runs_to_the_same_decision():
    from iamlab.policy.cases import run_case

    partner = "arn:aws:sts::444444444444:assumed-role/sync/job-1"
    sim = simulate(DATA / "org", partner, "s3:ListAllMyBuckets", "*", SAFE)
    case = sim.to_case("partner lists buckets")
    assert case["policies"]["identity"] == {"unknown": sim.policies.unknown["identity"]}
    assert case["expect"]["decision"] == "unknown"
    result = run_case(json.loads(json.dumps(case)), "saved")
    assert result.passed, result.problems
