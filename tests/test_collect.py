"""The snapshot collector against moto's server on 127.0.0.1.

One moto world holds an organization (OU, member account, SCP and RCP), IAM
users, groups and roles with paths and boundaries, and one resource of each
kind with a policy. Collections run read-only against it; one runs as a
restricted user with moto's IAM authorization switched on, so some calls are
really denied.
"""

from __future__ import annotations

import io
import json
import logging
import os
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

import iamlab.aws.readonly as readonly
from iamlab.aws._calls import Recorder
from iamlab.aws.collector import _merge_authorization_details, collect
from iamlab.cli import main
from iamlab.errors import InputError

SECRET = "collectorSecretKeyThatMustNeverBeWritten0"
REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_ALL_S3 = _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
BOUNDARY = _doc({"Effect": "Allow", "Action": ["s3:*", "sqs:*"], "Resource": "*"})
TRUST = _doc(
    {
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
)


def _populate(sess: boto3.Session) -> dict:
    """Create the world with plain (unguarded) boto3 clients, as an admin would."""
    ids: dict = {"account": "123456789012"}
    org = sess.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    for kind in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        org.enable_policy_type(RootId=root, PolicyType=kind)
    ou = org.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    member = org.create_account(Email="prod@example.com", AccountName="prod")
    ids["member"] = member["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=ids["member"], SourceParentId=root, DestinationParentId=ou)
    scp = org.create_policy(
        Content=_doc({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}),
        Description="no deletes",
        Name="deny-delete",
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=ou)
    rcp = org.create_policy(
        Content=_doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
        Description="tls only",
        Name="tls-only",
        Type="RESOURCE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=rcp, TargetId=root)
    ids.update(root=root, ou=ou, scp=scp, rcp=rcp)

    iam = sess.client("iam")
    boundary = iam.create_policy(
        PolicyName="dev-boundary", Path="/boundaries/", PolicyDocument=BOUNDARY
    )["Policy"]["Arn"]
    managed = iam.create_policy(PolicyName="s3-all", PolicyDocument=ALLOW_ALL_S3)["Policy"]["Arn"]
    iam.create_group(GroupName="analysts", Path="/team/")
    iam.attach_group_policy(GroupName="analysts", PolicyArn=managed)
    iam.put_group_policy(
        GroupName="analysts",
        PolicyName="read-queues",
        PolicyDocument=_doc({"Effect": "Allow", "Action": "sqs:Get*", "Resource": "*"}),
    )
    iam.create_user(UserName="alice", Path="/team/", PermissionsBoundary=boundary)
    iam.add_user_to_group(GroupName="analysts", UserName="alice")
    iam.create_role(
        RoleName="worker",
        Path="/service/",
        AssumeRolePolicyDocument=TRUST,
        PermissionsBoundary=boundary,
    )
    ids.update(boundary=boundary, managed=managed)

    s3 = sess.client("s3")
    s3.create_bucket(Bucket="reports")
    s3.put_bucket_policy(
        Bucket="reports",
        Policy=_doc(
            {
                "Sid": "ReadFromPartner",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::reports/*",
            }
        ),
    )
    s3.create_bucket(Bucket="scratch")  # no policy: written with "Policy": null

    kms = sess.client("kms")
    key = kms.create_key(
        Policy=_doc(
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        )
    )["KeyMetadata"]
    kms.create_alias(AliasName="alias/reports", TargetKeyId=key["KeyId"])
    ids.update(key_id=key["KeyId"], key_arn=key["Arn"])

    iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=TRUST)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return 1\n")
    lam = sess.client("lambda")
    lam.create_function(
        FunctionName="thumbnailer",
        Runtime="python3.11",
        Handler="index.handler",
        Role="arn:aws:iam::123456789012:role/fn-role",
        Code={"ZipFile": buf.getvalue()},
    )
    lam.add_permission(
        FunctionName="thumbnailer",
        StatementId="FromS3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
    )

    sqs = sess.client("sqs")
    queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=queue,
        Attributes={
            "Policy": _doc(
                {
                    "Sid": "FromTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": "*",
                }
            )
        },
    )
    sns = sess.client("sns")
    ids["topic"] = sns.create_topic(Name="alerts")["TopicArn"]
    sm = sess.client("secretsmanager")
    ids["secret"] = sm.create_secret(Name="prod/db", SecretString="hunter2-do-not-collect")["ARN"]
    sm.put_resource_policy(
        SecretId="prod/db",
        ResourcePolicy=_doc(
            {
                "Sid": "AppOnly",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:role/service/worker"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ),
    )

    sess.client("dynamodb").create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    # something to collect in the member account, reached by assuming the role
    creds = sess.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{ids['member']}:role/{ROLE}", RoleSessionName="setup"
    )
    member_sess = boto3.Session(
        aws_access_key_id=creds["Credentials"]["AccessKeyId"],
        aws_secret_access_key=creds["Credentials"]["SecretAccessKey"],
        aws_session_token=creds["Credentials"]["SessionToken"],
        region_name=REGION,
    )
    member_sess.client("iam").create_user(UserName="prod-deployer")
    member_sess.client("s3").create_bucket(Bucket="prod-artifacts")
    return ids


@pytest.fixture(scope="module")
def world():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                mp.delenv(name)
        mp.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        mp.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        mp.setenv("AWS_ENDPOINT_URL", url)
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("AWS_CONFIG_FILE", os.devnull)
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        ids = _populate(boto3.Session(region_name=REGION))
        yield {"url": url, **ids}
    server.stop()


def _read(path: Path):
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def org_snapshot(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("snap")
    manifest = collect(out, org=True, role_name=ROLE, progress=True)  # bars go to stderr
    return out, manifest


def test_manifest_lists_accounts_caller_and_no_failures(world, org_snapshot):
    out, manifest = org_snapshot
    data = _read(out / "manifest.json")
    assert data["failed_calls"] == [] and manifest.failed_calls == []
    assert data["caller"]["Account"] == "123456789012"
    assert data["organization"]["id"].startswith("o-")
    by_id = {a["account_id"]: a for a in data["accounts"]}
    assert set(by_id) == {"123456789012", world["member"]}
    assert by_id[world["member"]]["role_arn"] == f"arn:aws:iam::{world['member']}:role/{ROLE}"
    assert all(a["status"] == "collected" for a in data["accounts"])


def test_authorization_details_keep_paths_boundaries_groups_and_documents(world, org_snapshot):
    out, _ = org_snapshot
    details = _read(out / "accounts/123456789012/authorization-details.json")
    assert set(details) == {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}
    alice = next(u for u in details["UserDetailList"] if u["UserName"] == "alice")
    assert alice["Path"] == "/team/"
    assert alice["GroupList"] == ["analysts"]
    # moto 5.2 leaves user boundaries out of this call (real IAM includes them); roles keep theirs
    assert isinstance(alice["CreateDate"], str) and alice["CreateDate"].startswith("20")
    worker = next(r for r in details["RoleDetailList"] if r["RoleName"] == "worker")
    assert worker["Arn"] == "arn:aws:iam::123456789012:role/service/worker"
    assert worker["PermissionsBoundary"]["PermissionsBoundaryArn"] == world["boundary"]
    assert worker["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    group = next(g for g in details["GroupDetailList"] if g["GroupName"] == "analysts")
    assert group["GroupPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "sqs:Get*"
    s3_all = next(p for p in details["Policies"] if p["Arn"] == world["managed"])
    assert s3_all["PolicyVersionList"][0]["Document"] == json.loads(ALLOW_ALL_S3)
    member = _read(out / f"accounts/{world['member']}/authorization-details.json")
    assert [u["UserName"] for u in member["UserDetailList"]] == ["prod-deployer"]


def test_resource_policies_one_file_each(world, org_snapshot):
    base = org_snapshot[0] / "accounts/123456789012/resource-policies"
    reports = _read(base / "s3/reports.json")
    assert reports["Arn"] == "arn:aws:s3:::reports"
    assert reports["Source"] == "s3:GetBucketPolicy"
    assert reports["Policy"]["Statement"][0]["Sid"] == "ReadFromPartner"
    assert _read(base / "s3/scratch.json")["Policy"] is None
    key = _read(base / f"kms/{world['key_id']}.json")
    assert key["Arn"] == world["key_arn"]
    assert key["Policy"]["Statement"][0]["Sid"] == "Root"
    assert key["Aliases"] == [f"arn:aws:kms:{REGION}:123456789012:alias/reports"]
    fn = _read(base / "lambda/thumbnailer.json")
    assert fn["Arn"] == f"arn:aws:lambda:{REGION}:123456789012:function:thumbnailer"
    assert fn["Policy"]["Statement"][0]["Sid"] == "FromS3"
    queue = _read(base / "sqs/jobs.json")
    assert queue["Arn"] == f"arn:aws:sqs:{REGION}:123456789012:jobs"
    assert queue["Policy"]["Statement"][0]["Sid"] == "FromTopic"
    topic = _read(base / "sns/alerts.json")
    assert topic["Arn"] == world["topic"] and "Statement" in topic["Policy"]
    secret = _read(base / "secretsmanager/prod_db.json")
    assert secret["Arn"] == world["secret"]
    assert secret["Policy"]["Statement"][0]["Sid"] == "AppOnly"
    member = org_snapshot[0] / f"accounts/{world['member']}/resource-policies"
    assert _read(member / "s3/prod-artifacts.json")["Arn"] == "arn:aws:s3:::prod-artifacts"


def test_organization_tree_and_policies_with_targets(world, org_snapshot):
    org_dir = org_snapshot[0] / "organization"
    assert _read(org_dir / "organization.json")["Organization"]["FeatureSet"] == "ALL"
    tree = _read(org_dir / "tree.json")
    (root,) = tree["Roots"]
    assert root["Id"] == world["root"]
    (ou,) = root["OrganizationalUnits"]
    assert (ou["Id"], ou["ParentId"]) == (world["ou"], world["root"])
    assert [(a["Id"], a["ParentId"]) for a in ou["Accounts"]] == [(world["member"], world["ou"])]
    scp = _read(org_dir / f"policies/{world['scp']}.json")
    assert scp["Policy"]["PolicySummary"]["Type"] == "SERVICE_CONTROL_POLICY"
    assert json.loads(scp["Policy"]["Content"])["Statement"][0]["Action"] == "s3:DeleteBucket"
    assert [t["TargetId"] for t in scp["Targets"]] == [world["ou"]]
    rcp = _read(org_dir / f"policies/{world['rcp']}.json")
    assert rcp["Policy"]["PolicySummary"]["Type"] == "RESOURCE_CONTROL_POLICY"
    assert [t["TargetId"] for t in rcp["Targets"]] == [world["root"]]


def test_snapshot_has_no_secrets(world, org_snapshot):
    text = "".join(p.read_text() for p in org_snapshot[0].rglob("*.json"))
    assert SECRET not in text
    assert "AKIAIOSFODNN7EXAMPLE" not in text  # the access key id appears shortened only
    assert "SecretAccessKey" not in text and "SessionToken" not in text
    assert "hunter2-do-not-collect" not in text  # secret values are never read


def test_loader_reads_what_the_collector_wrote(world, org_snapshot):
    from iamlab.snapshot import load

    snap = load(org_snapshot[0])
    role = snap.policies_for(
        "arn:aws:sts::123456789012:assumed-role/worker/job-1",
        "s3:GetObject",
        "arn:aws:s3:::reports/q1.csv",
    )
    assert [p.id for p in role.permissions_boundary] == [world["boundary"]]
    assert role.resource.document["Statement"][0]["Sid"] == "ReadFromPartner"
    member = snap.policies_for(
        f"arn:aws:iam::{world['member']}:user/prod-deployer",
        "s3:GetObject",
        "arn:aws:s3:::prod-artifacts/a",
    )
    scp_ids = [[p.id for p in level] for level in member.scp]
    assert len(scp_ids) == 3 and world["scp"] in scp_ids[1]  # root, OU prod, account
    assert any(world["rcp"] in [p.id for p in level] for level in member.rcp)


def test_other_accounts_need_a_role_name(world, tmp_path):
    with pytest.raises(InputError, match="--role-name"):
        collect(tmp_path, accounts=[world["member"]], progress=False)
    with pytest.raises(InputError, match="12 digits"):
        collect(tmp_path, accounts=["12345"], progress=False)


def test_cli_collect_one_account_two_regions(world, tmp_path, capsys):
    status = main(
        ["collect", "--out", str(tmp_path), "--region", REGION, "--region", "eu-west-1", "--quiet"]
    )
    assert status == 0
    data = _read(tmp_path / "manifest.json")
    assert data["regions"] == [REGION, "eu-west-1"]
    assert [a["account_id"] for a in data["accounts"]] == ["123456789012"]
    assert data["organization"] is None and not (tmp_path / "organization").exists()
    assert "1 account" in capsys.readouterr().out


def test_org_without_role_name_reads_the_org_and_own_account(world, tmp_path, capsys):
    assert main(["collect", "--out", str(tmp_path), "--org", "--quiet"]) == 0
    data = _read(tmp_path / "manifest.json")
    assert [a["account_id"] for a in data["accounts"]] == ["123456789012"]
    assert data["skipped_accounts"] == [world["member"]]
    assert data["organization"]["complete"] is True
    assert (tmp_path / "organization" / "tree.json").exists()
    assert "pass --role-name NAME to read them" in capsys.readouterr().out


def _reset_auth(url: str, count: str) -> None:
    req = urllib.request.Request(
        f"{url}/moto-api/reset-auth",
        data=count.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    urllib.request.urlopen(req).read()  # 127.0.0.1 only


def _collect_as(world, monkeypatch, out, user, actions, **options):
    """Collect with moto's IAM authorization on, as a user allowed only ``actions``."""
    iam = boto3.client("iam")
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="partial-read",
        PolicyDocument=_doc({"Effect": "Allow", "Resource": "*", "Action": actions}),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    _reset_auth(world["url"], "0")
    try:
        return collect(out, progress=False, **options), key
    finally:
        _reset_auth(world["url"], "inf")


def test_denied_calls_are_recorded_and_collection_carries_on(world, tmp_path, monkeypatch):
    manifest, key = _collect_as(
        world,
        monkeypatch,
        tmp_path,
        "auditor",
        [
            "sts:GetCallerIdentity",
            "iam:GetAccountAuthorizationDetails",
            "s3:ListAllMyBuckets",
            "kms:ListKeys",
            "kms:ListAliases",
            "lambda:ListFunctions",
            "lambda:GetPolicy",
            "sqs:ListQueues",
            "sqs:GetQueueAttributes",
            "sns:ListTopics",
            "sns:GetTopicAttributes",
            "secretsmanager:ListSecrets",
        ],
        org=True,
    )
    failed = {(f.service, f.operation, f.permission) for f in manifest.failed_calls}
    assert ("organizations", "DescribeOrganization", "organizations:DescribeOrganization") in failed
    assert ("s3", "GetBucketPolicy", "s3:GetBucketPolicy") in failed
    assert ("kms", "GetKeyPolicy", "kms:GetKeyPolicy") in failed
    assert ("secretsmanager", "GetResourcePolicy", "secretsmanager:GetResourcePolicy") in failed
    for item in manifest.failed_calls:
        assert item.account == "123456789012"
        if item.service == "lambda":  # moto 5.2 cannot check Lambda's signatures with auth on
            assert item.error_code == "SignatureDoesNotMatch"
            continue
        assert item.error_code in ("AccessDenied", "AccessDeniedException")
        assert item.message and "<" not in item.message
    data = _read(tmp_path / "manifest.json")
    assert len(data["failed_calls"]) == len(manifest.failed_calls)
    assert data["failed_calls"][0].keys() >= {
        "service",
        "operation",
        "account",
        "region",
        "error_code",
        "permission",
    }
    assert data["accounts"][0]["status"] == "partial"
    # what was allowed is written; what was denied is not guessed
    base = tmp_path / "accounts/123456789012"
    assert (base / "authorization-details.json").exists()
    assert (base / "resource-policies/sqs/jobs.json").exists()
    assert (base / "resource-policies/sns/alerts.json").exists()
    assert not (base / "resource-policies/s3/reports.json").exists()
    assert not (tmp_path / "organization").exists()
    text = "".join(p.read_text() for p in tmp_path.rglob("*.json"))
    assert key["SecretAccessKey"] not in text


def test_a_denied_table_policy_read_is_recorded_and_leaves_the_table_unknown(
    world, tmp_path, monkeypatch
):
    from iamlab.snapshot import load

    manifest, _ = _collect_as(
        world,
        monkeypatch,
        tmp_path,
        "table-lister",
        [
            "sts:GetCallerIdentity",
            "iam:GetAccountAuthorizationDetails",
            "dynamodb:ListTables",
            "dynamodb:DescribeTable",
        ],
    )
    denied = [f for f in manifest.failed_calls if f.service == "dynamodb"]
    assert [(f.operation, f.permission) for f in denied] == [
        ("GetResourcePolicy", "dynamodb:GetResourcePolicy")
    ]
    code = denied[0].error_code  # moto 5.2 says AccessDenied where DynamoDB says ...Exception
    assert code in ("AccessDenied", "AccessDeniedException")
    assert "dynamodb" in _read(tmp_path / "manifest.json")["resource_policy_services"]
    assert not (tmp_path / "accounts/123456789012/resource-policies/dynamodb").exists()
    table = f"arn:aws:dynamodb:{REGION}:123456789012:table/ledger"
    gaps = (
        load(tmp_path)
        .policies_for("arn:aws:iam::123456789012:user/alice", "dynamodb:GetItem", table)
        .unknown
    )
    assert gaps["resource"] == (
        "collecting dynamodb policies of account 123456789012 failed "
        f"(GetResourcePolicy: {code}, manifest.json)"
    )


def test_organization_with_holes_is_not_written(world, tmp_path, monkeypatch):
    manifest, _ = _collect_as(
        world,
        monkeypatch,
        tmp_path,
        "org-reader",
        [
            "sts:GetCallerIdentity",
            "iam:GetAccountAuthorizationDetails",
            "organizations:DescribeOrganization",
            "organizations:ListRoots",
            "organizations:ListOrganizationalUnitsForParent",
            "organizations:ListAccountsForParent",
            "organizations:ListPolicies",
            "organizations:DescribePolicy",
        ],
        org=True,
        accounts=["123456789012"],
    )
    failed = {(f.operation, f.permission) for f in manifest.failed_calls}
    assert ("ListTargetsForPolicy", "organizations:ListTargetsForPolicy") in failed
    data = _read(tmp_path / "manifest.json")
    assert data["organization"]["complete"] is False
    assert not (tmp_path / "organization").exists()  # SCPs with unknown targets would mislead
    assert (tmp_path / "accounts/123456789012/authorization-details.json").exists()


def test_role_that_cannot_be_assumed_fails_that_account_only(world, tmp_path, monkeypatch):
    manifest, _ = _collect_as(
        world,
        monkeypatch,
        tmp_path,
        "no-assume",
        ["sts:GetCallerIdentity", "iam:GetAccountAuthorizationDetails", "s3:ListAllMyBuckets"],
        accounts=["123456789012", world["member"]],
        role_name=ROLE,
    )
    by_id = {a["account_id"]: a for a in _read(tmp_path / "manifest.json")["accounts"]}
    assert by_id[world["member"]]["status"] == "failed"
    assert by_id[world["member"]]["role_arn"] == f"arn:aws:iam::{world['member']}:role/{ROLE}"
    assume = [f for f in manifest.failed_calls if f.operation == "AssumeRole"]
    assert [(f.account, f.permission) for f in assume] == [(world["member"], "sts:AssumeRole")]
    assert by_id["123456789012"]["authorization_details"] is True
    assert not (tmp_path / "accounts" / world["member"]).exists()


def test_authorization_detail_pages_are_merged():
    iam = readonly.client(
        "iam", region=REGION, aws_access_key_id="AKIAFAKE", aws_secret_access_key=SECRET
    )
    stub = Stubber(iam)
    stub.add_response(
        "get_account_authorization_details",
        {
            "UserDetailList": [
                {
                    "UserName": "a",
                    "Path": "/",
                    "UserId": "AIDAAAAAAAAAAAAAAAAAA",
                    "Arn": "arn:aws:iam::123456789012:user/a",
                }
            ],
            "IsTruncated": True,
            "Marker": "page-2",
        },
        {},
    )
    stub.add_response(
        "get_account_authorization_details",
        {
            "UserDetailList": [
                {
                    "UserName": "b",
                    "Path": "/",
                    "UserId": "AIDABBBBBBBBBBBBBBBBB",
                    "Arn": "arn:aws:iam::123456789012:user/b",
                }
            ],
            "RoleDetailList": [],
            "IsTruncated": False,
        },
        {"Marker": "page-2"},
    )
    with stub:
        pages = list(Recorder().pages(iam, "GetAccountAuthorizationDetails", "123456789012"))
    merged = _merge_authorization_details(pages)
    assert [u["UserName"] for u in merged["UserDetailList"]] == ["a", "b"]
    assert "Marker" not in merged and "IsTruncated" not in merged
    stub.assert_no_pending_responses()
