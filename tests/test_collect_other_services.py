"""DynamoDB and ECR resource policies: the collector reads them (read-only) and says so in the
manifest, and a snapshot that does not say it read a service's policies leaves that layer
unknown, so a table policy that could deny never turns into a wrong "allow". moto, in-process.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
from aws_env import (
    collect_moto,
    no_machine_aws,  # noqa: F401  (autouse: nothing of this machine's AWS)
)
from conftest import SAMPLE_DATA, make_record

from iamlab.aws.collect_resources import SERVICES
from iamlab.aws.readonly import ALLOWED_OPERATIONS, client
from iamlab.cli import main
from iamlab.denials import parse
from iamlab.diagnose import SessionIndex, diagnose_record
from iamlab.errors import ReadOnlyViolation
from iamlab.sample.write.snapshot import snapshot_files
from iamlab.snapshot import load, simulate

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"
REPO = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository"


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALICE_POLICY = _doc(
    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:DeleteItem"], "Resource": "*"},
    {"Sid": "NoDeletes", "Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"},
    {"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*"},
)
LOCKED_POLICY = _doc(
    {
        "Sid": "NobodyReads",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "dynamodb:GetItem",
        "Resource": f"{TABLE}/locked",
    }
)
REPO_POLICY = _doc(
    {
        "Sid": "PullFromPartner",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": "ecr:BatchGetImage",
    }
)


def _world() -> None:
    sess = boto3.Session(region_name=REGION)
    iam = sess.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="data", PolicyDocument=ALICE_POLICY)
    ddb = sess.client("dynamodb")
    for name in ("locked", "plain"):
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": "team", "Value": name}],
        )
    ddb.put_resource_policy(ResourceArn=f"{TABLE}/locked", Policy=LOCKED_POLICY)
    ecr = sess.client("ecr")
    ecr.create_repository(repositoryName="app/web", tags=[{"Key": "team", "Value": "web"}])
    ecr.create_repository(repositoryName="bare")
    ecr.set_repository_policy(repositoryName="app/web", policyText=REPO_POLICY)


@pytest.fixture
def snapshot(tmp_path, monkeypatch) -> Path:
    root = collect_moto(_world, tmp_path / "snap", monkeypatch, REGION)
    _edit_manifest(root, organization=False)  # no organization in moto's world: no SCP layer
    return root


def _edit_manifest(root: Path, **changes) -> None:
    path = root / "manifest.json"
    data = {**json.loads(path.read_text()), **changes}
    path.write_text(json.dumps({k: v for k, v in data.items() if v is not None}))


def _policies(root: Path, service: str) -> Path:
    return root / "accounts" / ACCOUNT / "resource-policies" / service


def _simulate_cli(capsys, root: Path, action: str, resource: str) -> tuple[int, str]:
    status = main(
        ["simulate", "--snapshot", str(root), "--principal", ALICE, "--action", action]
        + ["--resource", resource]
    )
    return status, capsys.readouterr().out


def test_table_and_repository_policies_are_written_one_file_each_with_their_tags(snapshot):
    table = json.loads((_policies(snapshot, "dynamodb") / "locked.json").read_text())
    assert table["Arn"] == f"{TABLE}/locked"
    assert table["Source"] == "dynamodb:GetResourcePolicy"
    assert table["Policy"]["Statement"][0]["Sid"] == "NobodyReads"
    assert table["Tags"] == {"Tags": [{"Key": "team", "Value": "locked"}]}
    assert table["TagsSource"] == "dynamodb:ListTagsOfResource"
    repo = json.loads((_policies(snapshot, "ecr") / "app_web.json").read_text())
    assert repo["Arn"] == f"{REPO}/app/web"
    assert repo["Source"] == "ecr:GetRepositoryPolicy"
    assert repo["Policy"]["Statement"][0]["Sid"] == "PullFromPartner"
    assert repo["Tags"] == {"tags": [{"Key": "team", "Value": "web"}]}
    index = load(snapshot).resources()
    assert index.lookup(f"{TABLE}/locked").tags == {"team": "locked"}
    assert index.lookup(f"{REPO}/app/web").tags == {"team": "web"}


def test_a_resource_without_a_policy_gets_no_file(snapshot):
    assert sorted(p.name for p in _policies(snapshot, "dynamodb").iterdir()) == ["locked.json"]
    assert sorted(p.name for p in _policies(snapshot, "ecr").iterdir()) == ["app_web.json"]


def test_the_manifest_lists_every_service_whose_policies_were_read(snapshot):
    listed = json.loads((snapshot / "manifest.json").read_text())["resource_policy_services"]
    assert listed == sorted(SERVICES)
    assert {"dynamodb", "ecr", "s3", "kms", "lambda", "sqs", "sns", "secretsmanager"} <= set(listed)
    # the bundled sample's snapshot says what a collection would say
    assert snapshot_files()["manifest.json"]["resource_policy_services"] == listed


def test_a_same_account_table_request_is_allowed_when_the_snapshot_read_dynamodb(snapshot, capsys):
    sim = simulate(load(snapshot), ALICE, "dynamodb:GetItem", f"{TABLE}/plain")
    assert sim.decision.decision == "allow" and sim.policies.unknown == {}
    assert _simulate_cli(capsys, snapshot, "dynamodb:GetItem", f"{TABLE}/plain")[0] == 0


def test_without_the_manifest_key_or_folder_a_table_request_identity_allows_is_unknown(
    snapshot, capsys
):
    _edit_manifest(snapshot, resource_policy_services=None)
    shutil.rmtree(_policies(snapshot, "dynamodb"))
    sim = simulate(load(snapshot), ALICE, "dynamodb:GetItem", f"{TABLE}/plain")
    reason = sim.policies.unknown["resource"]
    assert reason.startswith(
        f"the snapshot holds no dynamodb resource policies of account {ACCOUNT}: a policy on "
        f"{TABLE}/plain could allow or deny"
    )
    assert "`iamlab collect`" in reason and '"resource_policy_services"' in reason
    assert sim.decision.decision == "unknown"
    assert sim.decision.possible == ("allow", "explicit_deny")
    status, out = _simulate_cli(capsys, snapshot, "dynamodb:GetItem", f"{TABLE}/plain")
    assert status == 3 and out.startswith("UNKNOWN: ") and "ALLOW" not in out
    assert "the snapshot holds no dynamodb resource policies" in " ".join(out.split())
    # ECR was read (the manifest key is gone, but its folder is there): known, allowed
    ecr = simulate(load(snapshot), ALICE, "ecr:BatchGetImage", f"{REPO}/bare")
    assert ecr.decision.decision == "allow"


def test_an_empty_service_folder_says_the_service_was_read(snapshot):
    _edit_manifest(snapshot, resource_policy_services=None)
    shutil.rmtree(_policies(snapshot, "dynamodb"))
    _policies(snapshot, "dynamodb").mkdir()
    sim = simulate(load(snapshot), ALICE, "dynamodb:GetItem", f"{TABLE}/plain")
    assert sim.decision.decision == "allow"


def test_an_identity_deny_stays_a_deny_whatever_the_unknown_table_policy_holds(snapshot, capsys):
    _edit_manifest(snapshot, resource_policy_services=None)
    shutil.rmtree(_policies(snapshot, "dynamodb"))
    sim = simulate(load(snapshot), ALICE, "dynamodb:DeleteItem", f"{TABLE}/plain")
    assert "resource" in sim.policies.unknown
    assert sim.decision.decision == "explicit_deny"
    assert sim.decision.denied_by == ("identity",)
    assert _simulate_cli(capsys, snapshot, "dynamodb:DeleteItem", f"{TABLE}/plain")[0] == 1


def test_a_deny_in_a_collected_table_policy_denies(snapshot, capsys):
    sim = simulate(load(snapshot), ALICE, "dynamodb:GetItem", f"{TABLE}/locked")
    assert sim.decision.decision == "explicit_deny"
    assert sim.decision.denied_by == ("resource",)
    assert [s.sid for s in sim.decision.deciding] == ["NobodyReads"]
    status, out = _simulate_cli(capsys, snapshot, "dynamodb:GetItem", f"{TABLE}/locked")
    assert status == 1 and "NobodyReads" in out


def test_a_failed_dynamodb_call_makes_its_tables_unknown(snapshot):
    failed = {
        "service": "dynamodb",
        "operation": "GetResourcePolicy",
        "account": ACCOUNT,
        "region": REGION,
        "error_code": "AccessDeniedException",
        "permission": "dynamodb:GetResourcePolicy",
        "message": "denied",
    }
    _edit_manifest(snapshot, failed_calls=[failed])
    sim = simulate(load(snapshot), ALICE, "dynamodb:GetItem", f"{TABLE}/plain")
    assert sim.policies.unknown == {
        "resource": f"collecting dynamodb policies of account {ACCOUNT} failed "
        "(GetResourcePolicy: AccessDeniedException, manifest.json)"
    }
    assert sim.decision.decision == "unknown"


def test_a_resource_in_a_region_the_collection_did_not_read_is_unknown(snapshot):
    assert json.loads((snapshot / "manifest.json").read_text())["regions"] == [REGION]
    elsewhere = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/plain"
    sim = simulate(load(snapshot), ALICE, "dynamodb:GetItem", elsewhere)
    assert sim.policies.unknown == {
        "resource": f'the collection read Regions {REGION} only (manifest.json "regions"): '
        f"a policy on {elsewhere} was not collected; collect again with --region us-east-1"
    }
    assert sim.decision.decision == "unknown"
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"  # the snapshot format's own services too
    assert "resource" in load(snapshot).policies_for(ALICE, "sqs:SendMessage", queue).unknown
    # S3 ARNs carry no Region: the bucket list is global
    bucket = load(snapshot).policies_for(ALICE, "s3:GetObject", "arn:aws:s3:::b/k", ACCOUNT)
    assert bucket.unknown == {}


def test_an_index_takes_its_tables_policy_and_a_stream_does_not(snapshot):
    index = load(snapshot).resources()
    assert index.lookup(f"{TABLE}/locked/index/by-owner").arn == f"{TABLE}/locked"
    assert index.lookup(f"{TABLE}/locked/stream/2026-01-01T00:00:00.000") is None


def test_the_read_only_guard_allows_exactly_the_new_dynamodb_and_ecr_reads():
    assert ALLOWED_OPERATIONS["dynamodb"] == {
        "ListTables",
        "DescribeTable",
        "GetResourcePolicy",
        "ListTagsOfResource",
    }
    assert ALLOWED_OPERATIONS["ecr"] == {
        "DescribeRepositories",
        "GetRepositoryPolicy",
        "ListTagsForResource",
    }
    ddb = client("dynamodb", region=REGION, aws_access_key_id="AKIAX", aws_secret_access_key="x")
    with pytest.raises(ReadOnlyViolation, match="refused dynamodb:GetItem"):
        ddb.get_item(TableName="plain", Key={"id": {"S": "1"}})
    with pytest.raises(ReadOnlyViolation, match="refused dynamodb:PutResourcePolicy"):
        ddb.put_resource_policy(ResourceArn=f"{TABLE}/plain", Policy=LOCKED_POLICY)
    ecr = client("ecr", region=REGION, aws_access_key_id="AKIAX", aws_secret_access_key="x")
    with pytest.raises(ReadOnlyViolation, match="refused ecr:GetAuthorizationToken"):
        ecr.get_authorization_token()


def _sample_index_query() -> dict:
    """The sample's orders-api Query on a table index its role grants only on the table."""
    prod = "731926485017"
    role = f"arn:aws:iam::{prod}:role/service-role/orders-api-lambda-role"
    session = f"arn:aws:sts::{prod}:assumed-role/orders-api-lambda-role/orders-api"
    index = f"arn:aws:dynamodb:eu-west-1:{prod}:table/orders/index/by-customer"
    return make_record(
        "2026-03-11T13:08:19Z",
        prod,
        "eu-west-1",
        userIdentity={
            "type": "AssumedRole",
            "principalId": "AROAKO4NVDWDRLDOWRDI2:orders-api",
            "arn": session,
            "accountId": prod,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role, "accountId": prod}},
        },
        eventSource="dynamodb.amazonaws.com",
        eventName="Query",
        errorCode="AccessDeniedException",
        errorMessage=f"User: {session} is not authorized to perform: dynamodb:Query on resource: "
        f"{index} because no identity-based policy allows the dynamodb:Query action",
        requestParameters={"tableName": "orders", "indexName": "by-customer"},
        tlsDetails={"tlsVersion": "TLSv1.3"},
    )


def _diagnose(record: dict, snapshot: Path):
    parsed = parse(record["errorCode"], record["errorMessage"], record["eventSource"])
    return diagnose_record(record, parsed, load(snapshot), SessionIndex([]))


def test_the_samples_table_index_denial_stays_confirmed_and_needs_the_manifest_key(tmp_path):
    record = _sample_index_query()
    confirmed = _diagnose(record, SAMPLE_DATA / "snapshot")
    assert (confirmed.verdict, confirmed.cause) == ("confirmed", "resource-arn")
    copy = tmp_path / "snapshot"
    shutil.copytree(SAMPLE_DATA / "snapshot", copy)
    _edit_manifest(copy, resource_policy_services=None)
    unknown = _diagnose(record, copy)
    assert unknown.verdict == "unknown" and unknown.cause is None
    assert any(
        "the snapshot holds no dynamodb resource policies of account 731926485017" in reason
        for reason in unknown.reasons
    )
