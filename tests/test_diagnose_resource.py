"""The resource a call authorized, and its owner, rebuilt from real CloudTrail record shapes.

Records come from the shared corpus (panther's, written by others) and the bundled sample;
a placeholder that is missing or names several resources leaves the resource unresolved
with the reason, never guessed.
"""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import SAMPLE_DATA

from iamlab.denials import ParsedDenial
from iamlab.diagnose import rebuild
from iamlab.diagnose.resource import (
    owner_of,
    query_workgroups,
    resource_of,
    with_query_workgroup,
)
from iamlab.snapshot import load

NO_MESSAGE = ParsedDenial(is_denial=False)


def corpus_record(corpus, event_name, **match):
    """The first panther record of ``event_name`` whose requestParameters contain ``match``."""
    with open(corpus / "panther" / "panther_all_test_events.ndjson", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            params = rec.get("requestParameters") or {}
            if rec.get("eventName") == event_name and all(
                params.get(k) == v for k, v in match.items()
            ):
                return rec
    raise AssertionError(f"no {event_name} record with {match} in the corpus")


def sample_records(containing):
    """The bundled sample's CloudTrail records, from files that mention ``containing``."""
    for path in sorted((SAMPLE_DATA / "cloudtrail").rglob("*_CloudTrail_*.json.gz")):
        text = gzip.decompress(path.read_bytes()).decode()
        if containing in text:
            yield from json.loads(text)["Records"]


def test_a_log_stream_is_built_from_the_log_group_and_stream_names(corpus):
    rec = corpus_record(corpus, "CreateLogStream")
    assert resource_of(rec, None, "logs:CreateLogStream") == (
        "arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/panther-analysis-api"
        ":log-stream:2021/10/21/[$LATEST]1111",
        None,
        (),
    )


def test_a_trail_named_by_name_or_by_arn_is_that_trail(corpus):
    by_name = corpus_record(corpus, "DeleteTrail", name="example-trail")
    assert resource_of(by_name, None, "cloudtrail:DeleteTrail")[0] == (
        f"arn:aws:cloudtrail:{by_name['awsRegion']}:123456789012:trail/example-trail"
    )
    selectors = corpus_record(corpus, "GetEventSelectors")
    region = selectors["awsRegion"]
    assert resource_of(selectors, None, "cloudtrail:GetEventSelectors")[0] == (
        f"arn:aws:cloudtrail:{region}:111122223333:trail/sample-cloudtrail-name"
    )
    stop = corpus_record(corpus, "StopLogging")
    assert resource_of(stop, None, "cloudtrail:StopLogging")[0] == (
        "arn:aws:cloudtrail:us-west-2:123456789012:trail/example-trail"
    )


def test_one_instance_in_an_instances_set_is_that_instance(corpus):
    rec = corpus_record(corpus, "TerminateInstances")
    region = rec["awsRegion"]
    assert resource_of(rec, None, "ec2:TerminateInstances")[0] == (
        f"arn:aws:ec2:{region}:111222333444:instance/i-0d9853f67e40ab80b"
    )


def test_two_instances_in_one_call_leave_the_resource_unresolved(corpus):
    rec = corpus_record(corpus, "StartInstances")
    resource, why, several = resource_of(rec, None, "ec2:StartInstances")
    assert resource is None and several == ()
    assert why == (
        "the resource of ec2:StartInstances (instance) cannot be built "
        "from requestParameters: a part of its ARN is missing or names several resources"
    )


def test_an_athena_query_authorizes_on_the_workgroup_it_names(corpus):
    rec = corpus_record(corpus, "StartQueryExecution", workGroup="Panther")
    assert resource_of(rec, None, "athena:StartQueryExecution")[0] == (
        "arn:aws:athena:us-west-2:123456789012:workgroup/Panther"
    )


def test_an_athena_query_without_a_workgroup_is_unresolved_not_the_default_one(corpus):
    rec = corpus_record(corpus, "StartQueryExecution", workGroup="Panther")
    params = {k: v for k, v in rec["requestParameters"].items() if k != "workGroup"}
    resource, why, _ = resource_of(
        {**rec, "requestParameters": params}, None, "athena:StartQueryExecution"
    )
    assert resource is None
    assert why.startswith("the resource of athena:StartQueryExecution (workgroup) cannot be")


def test_resources_listed_by_the_record_win_over_the_parameters(corpus):
    rec = corpus_record(corpus, "PutImage", registryId="123456789000")
    rec = {**rec, "resources": [{**r, "ARN": r["ARN"]} for r in rec["resources"]]}
    assert resource_of(rec, None, "ecr:PutImage")[0] == (
        "arn:aws:ecr:us-east-2:123456789000:repository/testrepo"
    )
    assert owner_of(rec, "arn:aws:ecr:us-east-2:123456789000:repository/testrepo") == (
        "123456789000"
    )


def test_an_ssm_parameter_drops_its_leading_slash_and_several_names_stay_unresolved(corpus):
    rec = corpus_record(corpus, "GetParameter")
    rec = {k: v for k, v in rec.items() if k != "resources"}
    assert resource_of(rec, None, "ssm:GetParameter")[0] == (
        f"arn:aws:ssm:{rec['awsRegion']}:111122223333:"
        "parameter/credentials/stratus-red-team/credentials-25"
    )
    many = next(
        r
        for r in [corpus_record(corpus, "GetParameters")]
        if len(r["requestParameters"]["names"]) > 1
    )
    many = {k: v for k, v in many.items() if k != "resources"}
    resource, why, _ = resource_of(many, None, "ssm:GetParameters")
    assert resource is None and "names several resources" in why


def test_a_call_in_another_accounts_copy_builds_no_arn_from_a_name(corpus):
    rec = corpus_record(corpus, "CreateLogStream")
    other = {**rec, "recipientAccountId": "999988887777"}  # the copy is not the caller's
    resource, why, _ = resource_of(other, None, "logs:CreateLogStream")
    assert resource is None and "cannot be built from requestParameters" in why
    ecr = {**rec, "requestParameters": {**rec["requestParameters"], "registryId": "999988887777"}}
    assert resource_of(ecr, None, "logs:CreateLogStream")[0] is None


@pytest.mark.parametrize(
    ("action", "params", "expected"),
    [
        ("ce:GetCostAndUsage", {"granularity": "DAILY"}, "*"),  # billingview only by ARN
        ("cloudwatch:DescribeAlarms", {"maxRecords": 100}, None),  # alarm* is required
        ("cloudformation:DescribeStacks", {"stackName": "orders-api"}, None),  # ${Id} unknown
        (
            "cloudformation:DescribeStacks",
            {"stackName": "arn:aws:cloudformation:eu-west-1:111122223333:stack/orders-api/1a"},
            "arn:aws:cloudformation:eu-west-1:111122223333:stack/orders-api/1a",
        ),
        ("secretsmanager:DescribeSecret", {"secretId": "dev/api-key"}, None),  # no suffix
        (
            "ecr:BatchCheckLayerAvailability",
            {"repositoryName": "orders-api"},
            "arn:aws:ecr:eu-west-1:111122223333:repository/orders-api",
        ),
        (
            "logs:FilterLogEvents",
            {"logGroupName": "/aws/lambda/x"},
            "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/x:*",
        ),
        (
            "logs:ListTagsForResource",
            {"resourceArn": "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/x"},
            "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/x",
        ),
        (
            "ssm:UpdateInstanceInformation",
            {"instanceId": "i-0b7d2e9f4a1c6d385"},
            "arn:aws:ec2:eu-west-1:111122223333:instance/i-0b7d2e9f4a1c6d385",
        ),
        (
            "ssm:UpdateInstanceInformation",
            {"instanceId": "mi-0b7d2e9f4a1c6d385"},
            "arn:aws:ssm:eu-west-1:111122223333:managed-instance/mi-0b7d2e9f4a1c6d385",
        ),
        ("organizations:DescribePolicy", {"policyId": "p-3rgn8x2k"}, None),  # org id unknown
    ],
)
def test_the_iam_reference_arn_format_is_filled_only_when_every_part_is_known(
    action, params, expected
):
    rec = {
        "awsRegion": "eu-west-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "accountId": "111122223333"},
        "requestParameters": params,
    }
    assert resource_of(rec, None, action)[0] == expected


def test_glue_get_table_authorizes_its_catalog_database_and_table():
    rec = {
        "awsRegion": "eu-west-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "AssumedRole", "accountId": "111122223333"},
        "requestParameters": {"databaseName": "curated", "name": "orders_daily"},
    }
    resource, why, several = resource_of(rec, None, "glue:GetTable")
    assert resource is None
    assert why == (
        "glue:GetTable authorizes several resources at once (database, rootcatalog, table): "
        "each is replayed"
    )
    assert several == (
        "arn:aws:glue:eu-west-1:111122223333:database/curated",
        "arn:aws:glue:eu-west-1:111122223333:catalog",
        "arn:aws:glue:eu-west-1:111122223333:table/curated/orders_daily",
    )
    no_db = {**rec, "requestParameters": {"name": "orders_daily"}}
    assert resource_of(no_db, None, "glue:GetTable")[2] == ()


def test_the_owner_is_the_accountid_resources_lists_for_the_resource_or_its_bucket():
    rec = {
        "resources": [
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/k.csv"},
            {"accountId": "264830159726", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"},
        ],
        "recipientAccountId": "731926485017",
    }
    assert owner_of(rec, "arn:aws:s3:::b/k.csv") == "264830159726"
    assert owner_of(rec, "arn:aws:s3:::b") == "264830159726"
    assert owner_of(rec, "arn:aws:s3:::other/k.csv") is None  # never the recipient
    unstated = {"resources": [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"}]}
    assert owner_of(unstated, "arn:aws:s3:::b") is None


def test_a_sample_s3_call_replays_with_its_owner_from_resources():
    snap = load(SAMPLE_DATA / "snapshot")
    rec = next(
        r
        for r in sample_records("larkspur-dev-artifacts")
        if r.get("eventName") == "GetObject"
        and not r.get("errorCode")
        and "larkspur-dev-artifacts" in json.dumps(r.get("resources"))
    )
    replay = rebuild(rec, NO_MESSAGE, snap)
    assert replay.resource.startswith("arn:aws:s3:::larkspur-dev-artifacts/")
    assert replay.resource_account == "264830159726"


def test_an_athena_query_call_authorizes_on_the_workgroup_its_start_named(corpus):
    start = corpus_record(corpus, "StartQueryExecution", workGroup="Panther")
    start = {**start, "responseElements": {"queryExecutionId": "q-1"}}
    unnamed = {
        **start,
        "requestParameters": {"queryString": "SELECT 1"},
        "responseElements": {"queryExecutionId": "q-2"},
    }
    workgroups = query_workgroups([start, unnamed])
    assert workgroups == {"q-1": "Panther"}  # a start without workGroup: no default assumed
    get = {
        **start,
        "eventName": "GetQueryExecution",
        "requestParameters": {"queryExecutionId": "q-1"},
        "responseElements": None,
    }
    assert resource_of(with_query_workgroup(get, workgroups), None, "athena:GetQueryExecution")[
        0
    ] == ("arn:aws:athena:us-west-2:123456789012:workgroup/Panther")
    other = {**get, "requestParameters": {"queryExecutionId": "q-2"}}
    assert with_query_workgroup(other, workgroups) is other
    assert resource_of(other, None, "athena:GetQueryExecution")[0] is None


def test_a_full_arn_parameter_is_the_resource_even_in_another_accounts_copy():
    rec = {
        "awsRegion": "eu-west-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "AssumedRole", "accountId": "999988887777"},
        "requestParameters": {"keyId": "arn:aws:kms:eu-west-1:111122223333:key/k-1"},
    }
    assert resource_of(rec, None, "kms:Decrypt")[0] == "arn:aws:kms:eu-west-1:111122223333:key/k-1"
    by_id = {**rec, "requestParameters": {"keyId": "k-1"}}
    assert resource_of(by_id, None, "kms:Decrypt")[0] is None  # whose key k-1 is: unknown
    attach = {
        **rec,
        "userIdentity": {"type": "IAMUser", "accountId": "111122223333"},
        "requestParameters": {
            "roleName": "app",
            "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
        },
    }
    assert resource_of(attach, None, "iam:AttachRolePolicy")[0] == (
        "arn:aws:iam::111122223333:role/app"
    )


def test_a_write_that_names_none_of_its_optional_resources_is_unresolved_not_star(corpus):
    rec = corpus_record(corpus, "UpdateInstanceInformation")
    assert not rec.get("requestParameters")
    resource, why, _ = resource_of(rec, None, "ssm:UpdateInstanceInformation")
    assert resource is None
    assert why.startswith(
        "the resource of ssm:UpdateInstanceInformation (instance, managed-instance) cannot be"
    )
    describe = {**rec, "eventName": "DescribeInstances", "eventSource": "ec2.amazonaws.com"}
    assert resource_of(describe, None, "ec2:DescribeInstances")[0] == "*"  # no resource type
