"""The collector records resource tags (in each tag call's own output shape, beside the
policy) and the trails with their status; the snapshot supplies the tags to replays, so a
tag-based statement evaluates instead of needing context. moto, in-process."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from aws_env import (
    collect_moto,
    no_machine_aws,  # noqa: F401  (autouse: nothing of this machine's AWS)
)

from iamlab.aws.readonly import is_allowed
from iamlab.prevent.coverage import trail_problems
from iamlab.snapshot import load, simulate

REGION = "eu-west-1"
ACCOUNT = "123456789012"
TEAM_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "data"}},
        }
    ],
}


def _world() -> None:
    sess = boto3.Session(region_name=REGION)
    s3 = sess.client("s3")
    for name in ("tagged", "plain"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="tagged", Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
    kms = sess.client("kms")
    kms.create_key(Tags=[{"TagKey": "team", "TagValue": "keys"}])
    sqs = sess.client("sqs")
    sqs.create_queue(QueueName="jobs", tags={"team": "queues"})
    sess.client("sns").create_topic(Name="alerts", Tags=[{"Key": "team", "Value": "topics"}])
    sess.client("secretsmanager").create_secret(
        Name="db", SecretString="never-collected", Tags=[{"Key": "team", "Value": "secrets"}]
    )
    iam = sess.client("iam")
    trust = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                }
            ]
        }
    )
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="team", PolicyDocument=json.dumps(TEAM_ONLY))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(e, c):\n    return 1\n")
    sess.client("lambda").create_function(
        FunctionName="render",
        Runtime="python3.11",
        Handler="index.handler",
        Role=role,
        Code={"ZipFile": buf.getvalue()},
        Tags={"team": "functions"},
    )
    s3.create_bucket(Bucket="trail-logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    ct = sess.client("cloudtrail")
    ct.create_trail(Name="org", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="org")
    ct.create_trail(Name="local", S3BucketName="trail-logs")  # single-Region, never started


@pytest.fixture
def snapshot(tmp_path, monkeypatch):
    return collect_moto(_world, tmp_path / "snap", monkeypatch, REGION)


def _file(snap, service, name):
    folder = snap / "accounts" / ACCOUNT / "resource-policies" / service
    return json.loads(next(folder.glob(f"{name}*.json")).read_text())


def test_tags_are_written_beside_each_policy_in_the_tag_call_output_shape(snapshot):
    assert _file(snapshot, "s3", "tagged")["Tags"] == {"TagSet": [{"Key": "team", "Value": "data"}]}
    assert _file(snapshot, "s3", "tagged")["TagsSource"] == "s3:GetBucketTagging"
    assert _file(snapshot, "s3", "plain")["Tags"] == {"TagSet": []}  # NoSuchTagSet: no tags
    assert _file(snapshot, "sqs", "jobs")["Tags"] == {"Tags": {"team": "queues"}}
    assert _file(snapshot, "lambda", "render")["Tags"] == {"Tags": {"team": "functions"}}
    assert _file(snapshot, "sns", "alerts")["Tags"]["Tags"] == [{"Key": "team", "Value": "topics"}]
    assert _file(snapshot, "secretsmanager", "db")["Tags"] == {
        "Tags": [{"Key": "team", "Value": "secrets"}]
    }
    [key] = list((snapshot / "accounts" / ACCOUNT / "resource-policies" / "kms").glob("*.json"))
    assert json.loads(key.read_text())["Tags"]["Tags"] == [{"TagKey": "team", "TagValue": "keys"}]


def test_the_snapshot_reads_every_shape_into_the_resource_tags(snapshot):
    index = load(snapshot).resources()
    tags = {r.arn.split(":")[-1].split("/")[-1]: r.tags for r in index.records()}
    assert tags["tagged"] == {"team": "data"} and tags["plain"] == {}
    assert tags["jobs"] == {"team": "queues"} and tags["render"] == {"team": "functions"}
    assert tags["alerts"] == {"team": "topics"}


def test_a_tag_based_statement_evaluates_with_the_collected_tags(snapshot):
    manifest = snapshot / "manifest.json"  # the account is in no organization: no SCP layer
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "organization": False}))
    snap = load(snapshot)
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    tagged = simulate(snap, alice, "s3:ListBucket", "arn:aws:s3:::tagged")
    plain = simulate(snap, alice, "s3:ListBucket", "arn:aws:s3:::plain")
    assert tagged.request.context["aws:ResourceTag/team"] == "data"
    assert tagged.decision.decision == "allow" and tagged.decision.missing_context == ()
    assert "aws:ResourceTag/team" not in plain.request.context
    assert "allow" not in plain.decision.possible


def test_an_object_does_not_take_its_buckets_tags(snapshot):
    context = load(snapshot).context_for(
        f"arn:aws:iam::{ACCOUNT}:user/alice", "arn:aws:s3:::tagged/report.csv"
    )
    assert "aws:ResourceTag/team" not in context


def test_trails_and_their_status_are_collected_and_checked(snapshot):
    home = snapshot / "accounts" / ACCOUNT
    names = {t["Name"] for t in json.loads((home / "trails.json").read_text())["trailList"]}
    assert names == {"org", "local"}
    assert json.loads((home / "trail-status" / "org.json").read_text())["IsLogging"] is True
    problems, notes = trail_problems(load(snapshot))
    assert sorted((t, p.split(" ")[0]) for _a, t, p in problems) == [
        ("local", "not"),
        ("local", "single-Region"),
    ]
    assert notes == []


def test_the_read_only_guard_allows_exactly_the_new_tag_and_trail_reads():
    for service, op in [
        ("s3", "GetBucketTagging"),
        ("kms", "ListResourceTags"),
        ("lambda", "ListTags"),
        ("sqs", "ListQueueTags"),
        ("sns", "ListTagsForResource"),
        ("cloudtrail", "DescribeTrails"),
        ("cloudtrail", "GetTrailStatus"),
    ]:
        assert is_allowed(service, op), (service, op)
    for service, op in [
        ("s3", "PutBucketTagging"),
        ("kms", "TagResource"),
        ("lambda", "TagResource"),
        ("sqs", "TagQueue"),
        ("cloudtrail", "StopLogging"),
        ("cloudtrail", "PutEventSelectors"),
    ]:
        assert not is_allowed(service, op), (service, op)


def test_tags_of_an_unknown_shape_are_an_error_naming_the_file(tmp_path):
    from iamlab.errors import SnapshotError

    folder = tmp_path / "accounts" / ACCOUNT
    (folder / "resource-policies" / "s3").mkdir(parents=True)
    (folder / "authorization-details.json").write_text(
        json.dumps(
            {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
        )
    )
    (folder / "resource-policies" / "s3" / "b.json").write_text(
        json.dumps({"Arn": "arn:aws:s3:::b", "Policy": None, "Tags": {"TagSet": [{"Key": "team"}]}})
    )
    with pytest.raises(SnapshotError, match=r"b\.json: \"Tags\" is not a tag call's output"):
        load(tmp_path).resources()
