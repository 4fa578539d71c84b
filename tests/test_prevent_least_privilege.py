"""Least privilege from evidence: used and unused actions, a narrower policy that allows every
replayed call, and calls that cannot be rebuilt listed rather than guessed."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE_DATA, make_record, trail_path, utc, write_trail_file

from iamlab.cli import main
from iamlab.errors import IamlabError, InputError
from iamlab.prevent.least_privilege import least_privilege, proposed_policy
from iamlab.snapshot import load

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::reports/*",
        },
        {"Effect": "Allow", "Action": ["ec2:DescribeInstances", "glue:GetTable"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders",
        },
    ],
}


def user(name):
    return {
        "Path": "/",
        "UserName": name,
        "UserId": f"AIDA{name.upper()}",
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "GroupList": [],
        "AttachedManagedPolicies": [],
        "UserPolicyList": [{"PolicyName": "work", "PolicyDocument": POLICY}],
    }


@pytest.fixture
def snap(tmp_path):
    folder = tmp_path / "snap" / "accounts" / ACCOUNT
    folder.mkdir(parents=True)
    (folder / "authorization-details.json").write_text(
        json.dumps(
            {
                "UserDetailList": [user("alice"), user("bob")],
                "GroupDetailList": [],
                "RoleDetailList": [],
                "Policies": [],
            }
        )
    )
    (tmp_path / "snap" / "manifest.json").write_text(json.dumps({"organization": False}))
    bucket = folder / "resource-policies" / "s3"
    bucket.mkdir(parents=True)
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::reports/*",
    }
    (bucket / "reports.json").write_text(
        json.dumps({"Arn": "arn:aws:s3:::reports", "Policy": json.dumps({"Statement": [grant]})})
    )
    return load(tmp_path / "snap")


def call(name, source, params, **fields):
    identity = {
        "type": "IAMUser",
        "principalId": "AIDAALICE",
        "arn": ALICE,
        "accountId": ACCOUNT,
        "userName": "alice",
    }
    return make_record(
        utc(2026, 3, 2, 10),
        ACCOUNT,
        "eu-west-1",
        userIdentity=identity,
        eventSource=source,
        eventName=name,
        requestParameters=params,
        **fields,
    )


@pytest.fixture
def workspace_with_calls(tmp_path, workspace):
    records = [
        call("GetObject", "s3.amazonaws.com", {"bucketName": "reports", "key": k})
        for k in ("2026/q1.csv", "2026/q2.csv")
    ]
    records += [
        call("DescribeInstances", "ec2.amazonaws.com", {}),
        call("GetTable", "glue.amazonaws.com", {"name": "orders"}),
        call("PutObject", "s3.amazonaws.com", {"bucketName": "exports", "key": "x"}),
    ]
    write_trail_file(
        trail_path(tmp_path / "logs", ACCOUNT, "eu-west-1", utc(2026, 3, 2, 11)), records
    )
    workspace.load(tmp_path / "logs", progress=False)
    return workspace


def test_the_narrower_policy_allows_every_replayed_call_and_names_fewer_actions(
    snap, workspace_with_calls
):
    with workspace_with_calls.connect() as con:
        result = least_privilege(con, snap, ALICE)
    assert result.verified
    assert result.policy["Statement"][:2] == [
        {"Sid": "Used1", "Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
        {
            "Sid": "Used2",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::reports/2026/q*",
        },
    ]
    assert all(c.proposed == "allow" for c in result.calls if c.problem is None)
    assert result.unused == ["dynamodb:GetItem"]  # PutObject was used, though not replayed
    assert len(result.allowed) < len(result.granted)


def test_an_action_with_calls_not_replayed_keeps_todays_grant_narrowed_to_it(
    snap, workspace_with_calls
):
    with workspace_with_calls.connect() as con:
        result = least_privilege(con, snap, ALICE)
    assert result.kept == {"glue:GetTable", "s3:PutObject"}
    assert result.policy["Statement"][2:] == [
        {
            "Sid": "Kept1",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::reports/*",
        },
        {"Sid": "Kept2", "Effect": "Allow", "Action": "glue:GetTable", "Resource": "*"},
    ]
    assert result.allowed == {
        "ec2:DescribeInstances",
        "s3:GetObject",
        "s3:PutObject",
        "glue:GetTable",
    }
    assert result.uncovered == []


def test_a_deny_of_todays_policies_is_kept_with_the_grant_it_limits(tmp_path, workspace):
    deny = {
        "Effect": "Deny",
        "Action": "glue:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    policy = {"Version": "2012-10-17", "Statement": [*POLICY["Statement"], deny]}
    folder = tmp_path / "snap" / "accounts" / ACCOUNT
    folder.mkdir(parents=True)
    alice = {**user("alice"), "UserPolicyList": [{"PolicyName": "work", "PolicyDocument": policy}]}
    (folder / "authorization-details.json").write_text(
        json.dumps(
            {"UserDetailList": [alice], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
        )
    )
    (tmp_path / "snap" / "manifest.json").write_text(json.dumps({"organization": False}))
    records = [call("GetTable", "glue.amazonaws.com", {"name": "orders"})]
    write_trail_file(
        trail_path(tmp_path / "logs", ACCOUNT, "eu-west-1", utc(2026, 3, 2, 11)), records
    )
    workspace.load(tmp_path / "logs", progress=False)
    with workspace.connect() as con:
        result = least_privilege(con, load(tmp_path / "snap"), ALICE)
    assert result.policy["Statement"] == [
        {"Sid": "Kept1", "Effect": "Allow", "Action": "glue:GetTable", "Resource": "*"},
        {"Sid": "Kept2", **deny},
    ]
    assert result.verified and result.allowed == {"glue:GetTable"}


def test_a_call_of_an_unmapped_api_is_neither_replayed_nor_kept_so_nothing_is_verified(
    snap, tmp_path, workspace, capsys
):
    records = [
        call("DescribeInstances", "ec2.amazonaws.com", {}),
        call("FrobnicateWidgets", "widgets.amazonaws.com", {}),
    ]
    write_trail_file(
        trail_path(tmp_path / "logs", ACCOUNT, "eu-west-1", utc(2026, 3, 2, 11)), records
    )
    workspace.load(tmp_path / "logs", progress=False)
    with workspace.connect() as con:
        result = least_privilege(con, snap, ALICE)
    assert not result.verified
    assert [c.action for c in result.uncovered] == [None]
    assert "FrobnicateWidgets" in (result.uncovered[0].problem or "")
    workspace.close()
    args = ["privilege", "--workspace", str(workspace.path), "--snapshot", str(snap.root)]
    assert main([*args, "--principal", ALICE]) == 1
    out = capsys.readouterr().out
    assert "(NOT verified)" in out
    assert "not shown to be allowed: 1 calls" in out


def test_calls_that_cannot_be_rebuilt_or_are_not_allowed_now_are_listed_not_guessed(
    snap, workspace_with_calls
):
    with workspace_with_calls.connect() as con:
        result = least_privilege(con, snap, ALICE)
    skipped = {c.action: c.problem for c in result.skipped}
    assert skipped["glue:GetTable"].startswith(
        "glue:GetTable authorizes several resources at once (database, rootcatalog, table)"
    )
    assert skipped["s3:PutObject"].startswith(
        "the current snapshot answers unknown (resource: the account owning arn:aws:s3:::exports"
    )
    assert {"glue:GetTable", "s3:PutObject"} <= result.used
    assert "glue:GetTable" not in result.unused


def test_a_principal_without_calls_or_absent_from_the_snapshot_is_an_error(
    snap, workspace_with_calls
):
    with workspace_with_calls.connect() as con:
        with pytest.raises(InputError, match="no successful call by .*user/bob"):
            least_privilege(con, snap, BOB)
        with pytest.raises(IamlabError, match="carol"):
            least_privilege(con, snap, f"arn:aws:iam::{ACCOUNT}:user/carol")


def test_objects_of_one_bucket_share_their_common_prefix_and_a_lone_object_stays_exact():
    from iamlab.diagnose.request import Replay

    def replay(action, resource):
        return Replay(
            "e",
            ALICE,
            None,
            "IAMUser",
            ACCOUNT,
            None,
            action,
            resource,
            {},
            (),
            frozenset(),
            None,
            None,
        )

    policy = proposed_policy(
        [
            replay("s3:GetObject", "arn:aws:s3:::a/x/1"),
            replay("s3:GetObject", "arn:aws:s3:::a/x/2"),
            replay("s3:GetObject", "arn:aws:s3:::b/only"),
            replay("s3:PutObject", "arn:aws:s3:::b/only"),
        ]
    )
    assert policy["Statement"] == [
        {
            "Sid": "Used1",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": ["arn:aws:s3:::a/x/*", "arn:aws:s3:::b/only"],
        },
        {
            "Sid": "Used2",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::b/only",
        },
    ]


def test_privilege_cli_prints_the_policy_and_exits_0_when_verified(
    snap, workspace_with_calls, capsys
):
    workspace_with_calls.close()
    args = [
        "privilege",
        "--workspace",
        str(workspace_with_calls.path),
        "--snapshot",
        str(snap.root),
        "--principal",
        ALICE,
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "never used: 1 (first: dynamodb:GetItem)" in out
    assert "arn:aws:s3:::reports/2026/q*" in out
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["policy_actions"] == [
        "ec2:DescribeInstances",
        "glue:GetTable",
        "s3:GetObject",
        "s3:PutObject",
    ]
    assert data["kept_actions"] == ["glue:GetTable", "s3:PutObject"]
    assert (data["calls"], data["replayed"], data["uncovered"]) == (5, 3, [])


SSO = "role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_"
# Sample principals with no successful call in the window: nothing to narrow (InputError).
WITHOUT_CALLS = {
    f"arn:aws:iam::264830159726:{SSO}ReadOnly_b83e0c5a7d2f1964",
    "arn:aws:iam::264830159726:role/OrganizationAccountAccessRole",
    "arn:aws:iam::480152067923:role/ci/release-pipeline",
    "arn:aws:iam::583016249871:role/OrganizationAccountAccessRole",
    "arn:aws:iam::731926485017:role/OrganizationAccountAccessRole",
    "arn:aws:iam::731926485017:role/app/data-retention-admin",
    "arn:aws:iam::905173628441:role/OrganizationAccountAccessRole",
}
# Actions whose calls cannot all be replayed, so today's identity grant is kept, and why:
# Glue, CloudWatch Logs and CloudTrail resource policies are not in the snapshot (unknown
# resource layer); a CloudFormation stack named by name lacks its ARN's stack id (UpdateStack's
# returned id names account 000000000000, outside the snapshot); DescribeAlarms requires an
# alarm the request does not name; Organizations ARNs need the organization id; a secret
# named by name lacks its ARN's suffix; the sample's Athena query ids match no start; one
# CreateTags/RunInstances names several resources; signin has no IAM reference entry.
KEPT = {
    "264830159726:user/people/dana.kim": {"logs:FilterLogEvents", "signin:ConsoleLogin"},
    "264830159726:user/people/tom.reyes": {"logs:FilterLogEvents"},
    "264830159726:user/automation/ci-deploy": {"secretsmanager:DescribeSecret"},
    f"264830159726:{SSO}AdministratorAccess_6d1c4b8e2f7a9035": {
        "cloudformation:DescribeStacks",
        "ec2:CreateTags",
    },
    "264830159726:role/service-role/invoice-render-lambda-role": {"logs:CreateLogStream"},
    f"480152067923:{SSO}AdministratorAccess_6d1c4b8e2f7a9035": {
        "cloudtrail:GetTrailStatus",
        "organizations:DescribePolicy",
        "organizations:ListPoliciesForTarget",
    },
    f"731926485017:{SSO}AdministratorAccess_6d1c4b8e2f7a9035": {
        "cloudformation:DescribeStackEvents"
    },
    f"731926485017:{SSO}DataEngineer_4f2a9c1e7b3d8a60": {
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "logs:StartQuery",
    },
    f"731926485017:{SSO}ReadOnly_b83e0c5a7d2f1964": {
        "cloudformation:DescribeStacks",
        "cloudwatch:DescribeAlarms",
        "logs:FilterLogEvents",
        "signin:ConsoleLogin",
    },
    "731926485017:role/service-role/orders-api-lambda-role": {"logs:CreateLogStream"},
    "731926485017:role/app/analytics-etl": {
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "glue:GetDatabase",
        "glue:GetPartitions",
        "glue:GetTable",
    },
    "731926485017:role/IncidentResponder": {"ec2:CreateTags"},
    "731926485017:role/deploy/ProdDeployer": {
        "cloudformation:DescribeStackEvents",
        "cloudformation:DescribeStacks",
        "cloudformation:GetTemplate",
        "cloudformation:UpdateStack",
    },
    "731926485017:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling": {
        "ec2:RunInstances"
    },
}


def test_every_sample_principal_gets_a_narrower_policy_that_allows_every_call_it_made(tmp_path):
    from iamlab.workspace import Workspace

    snapshot = load(SAMPLE_DATA / "snapshot")
    without_calls, kept, calls, replayed = set(), {}, 0, 0
    with Workspace(tmp_path / "ws") as ws:
        ws.load(str(SAMPLE_DATA / "cloudtrail"), progress=False)
        with ws.connect() as con:
            for arn in snapshot.principal_arns():
                try:
                    result = least_privilege(con, snapshot, arn)
                except InputError:
                    without_calls.add(arn)
                    continue
                assert result.verified and not result.uncovered, arn
                assert len(result.allowed) < len(result.granted), arn
                assert {c.action for c in result.skipped} == result.kept, arn
                if result.kept:
                    kept[arn.removeprefix("arn:aws:iam::")] = result.kept
                calls += len(result.calls)
                replayed += len(result.calls) - len(result.skipped)
    assert without_calls == WITHOUT_CALLS
    assert kept == KEPT
    assert (calls, replayed) == (12850, 10765)  # 9,012 replayed before owners and reference ARNs
