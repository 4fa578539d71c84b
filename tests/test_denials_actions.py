"""The operation -> IAM action mapping: documented mismatches, service names, and no guesses."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamlab.denials.actions import iam_action, service_prefix


@pytest.mark.parametrize(
    "service, operation, action",
    [
        # documented mismatches (aws-facts.md 1.4, 5, 6b)
        ("S3", "ListObjectsV2", "s3:ListBucket"),
        ("s3", "ListObjects", "s3:ListBucket"),
        ("s3.amazonaws.com", "HeadObject", "s3:GetObject"),
        ("S3", "HeadBucket", "s3:ListBucket"),
        ("S3", "ListBuckets", "s3:ListAllMyBuckets"),
        ("Lambda", "Invoke", "lambda:InvokeFunction"),
        ("lambda.amazonaws.com", "GetLayerVersionByArn", "lambda:GetLayerVersion"),
        # the default rule for known services, under every kind of name
        ("S3", "GetObject", "s3:GetObject"),
        ("DynamoDB", "PutItem", "dynamodb:PutItem"),
        ("AmazonDynamoDBv2", "Query", "dynamodb:Query"),
        ("Amazon S3", "PutObject", "s3:PutObject"),
        ("AWSKMS", "Decrypt", "kms:Decrypt"),
        ("AWSSecurityTokenService", "AssumeRole", "sts:AssumeRole"),
        ("STS", "GetCallerIdentity", "sts:GetCallerIdentity"),
        ("Secrets Manager", "GetSecretValue", "secretsmanager:GetSecretValue"),
        ("CloudWatch Logs", "PutLogEvents", "logs:PutLogEvents"),
        ("SFN", "StartExecution", "states:StartExecution"),
        (
            "Elastic Load Balancing v2",
            "DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroups",
        ),
        # eventSource hosts that are not the prefix
        ("monitoring.amazonaws.com", "PutMetricData", "cloudwatch:PutMetricData"),
        ("email.amazonaws.com", "SendEmail", "ses:SendEmail"),
        ("streams.dynamodb.amazonaws.com", "GetRecords", "dynamodb:GetRecords"),
        # CloudTrail's version suffixes on eventName
        (
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            "lambda:UpdateFunctionConfiguration",
        ),
        ("lambda.amazonaws.com", "CreateFunction20150331", "lambda:CreateFunction"),
        (
            "cloudfront.amazonaws.com",
            "UpdateDistribution2020_05_31",
            "cloudfront:UpdateDistribution",
        ),
    ],
)
def test_operation_maps_to_its_iam_action(service, operation, action):
    assert iam_action(service, operation) == action


@pytest.mark.parametrize(
    "service, operation",
    [
        ("unheard-of.amazonaws.com", "DoThing"),  # unknown prefix: no guess
        ("Frobnicator", "GetObject"),
        ("apigateway.amazonaws.com", "GetRestApis"),  # actions are HTTP verbs
        ("DynamoDB", "TransactWriteItems"),  # checked per item, no single action
        ("S3", ""),
        ("S3", "Get Object"),
        ("", "GetObject"),
        (None, "GetObject"),
        ("S3", None),
    ],
)
def test_unknown_or_ambiguous_operations_give_none(service, operation):
    assert iam_action(service, operation) is None


def test_service_prefix_reads_sdk_names_prefixes_and_event_sources():
    assert service_prefix("monitoring.amazonaws.com") == "cloudwatch"
    assert service_prefix("Cognito Identity Provider") == "cognito-idp"
    assert service_prefix("kms") == "kms"
    assert service_prefix("AWSLambda") == "lambda"
    assert service_prefix("nothing-like-it") is None


def test_every_mismatch_names_a_source_and_a_well_formed_action():
    text = resources.files("iamlab.denials").joinpath("actions.json").read_text("utf-8")
    data = json.loads(text)
    assert len(data["mismatches"]) >= 40
    for entry in data["mismatches"]:
        assert entry["source"].strip(), entry
        action = entry["action"]
        assert action is None or action.startswith(entry["service"] + ":"), entry
        assert iam_action(entry["service"], entry["operation"]) == action


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=40)), st.one_of(st.none(), st.text(max_size=40)))
def test_iam_action_never_raises(service, operation):
    result = iam_action(service, operation)
    assert result is None or (":" in result and " " not in result)
