"""Call shapes for application and operations services: Lambda, DynamoDB, SQS,
SNS, CloudWatch, Logs, ECR, CloudFormation, Athena, Glue, CloudTrail,
GuardDuty, Cost Explorer and the Identity Center portal.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from iamlab.sample.traffic.calls import HIDDEN, api_call, hexs
from iamlab.sample.traffic.records import new_id


def lambda_call(
    rng: random.Random, region: str, op: str, function: str | None = None, **extra: object
) -> dict:
    api = {
        "ListFunctions": "ListFunctions20150331",
        "GetFunction": "GetFunction20150331v2",
        "GetFunctionConfiguration": "GetFunctionConfiguration20150331v2",
        "UpdateFunctionCode": "UpdateFunctionCode20150331v2",
        "UpdateFunctionConfiguration": "UpdateFunctionConfiguration20150331v2",
        "GetPolicy": "GetPolicy20150331v2",
        "PublishVersion": "PublishVersion20150331",
        "ListVersionsByFunction": "ListVersionsByFunction20150331",
    }[op]
    params = {"functionName": function, **extra} if function else None
    read_only = op.startswith(("Get", "List"))
    return api_call(
        "lambda.amazonaws.com",
        api,
        read_only,
        params,
        None,
        tls_host=f"lambda.{region}.amazonaws.com",
    )


def lambda_invoke(rng: random.Random, region: str, function_arn: str) -> dict:
    account = function_arn.split(":")[4]
    return api_call(
        "lambda.amazonaws.com",
        "Invoke",
        False,
        {"functionName": function_arn, "invocationType": "RequestResponse"},
        None,
        category="Data",
        additional={"functionVersion": function_arn + ":$LATEST"},
        resources=[{"accountId": account, "type": "AWS::Lambda::Function", "ARN": function_arn}],
    )


def dynamodb_call(
    rng: random.Random, region: str, op: str, table_arn: str, index: str | None = None
) -> dict:
    table = table_arn.rsplit("/", 1)[1]
    data = op in ("GetItem", "PutItem", "UpdateItem", "Query", "BatchGetItem", "DeleteItem", "Scan")
    shapes = {
        "GetItem": {"tableName": table, "key": {"orderId": HIDDEN}, "consistentRead": False},
        "PutItem": {
            "tableName": table,
            "key": {"orderId": HIDDEN},
            "conditionExpression": "attribute_not_exists(orderId)",
        },
        "UpdateItem": {
            "tableName": table,
            "key": {"orderId": HIDDEN},
            "updateExpression": "SET #st = :st, updatedAt = :now",
            "expressionAttributeNames": {"#st": "status"},
        },
        "Query": {
            "tableName": table,
            "keyConditionExpression": "customerId = :c",
            "limit": 50,
            "scanIndexForward": False,
        },
        "Scan": {"tableName": table, "limit": 100},
        "DescribeTable": {"tableName": table},
        "ListTables": None,
        "DescribeTimeToLive": {"tableName": table},
    }
    params = shapes[op]
    if index and params is not None:
        params = dict(params, indexName=index)
    resources = (
        None
        if op == "ListTables"
        else [
            {"accountId": table_arn.split(":")[4], "type": "AWS::DynamoDB::Table", "ARN": table_arn}
        ]
    )
    return api_call(
        "dynamodb.amazonaws.com",
        op,
        op not in ("PutItem", "UpdateItem", "DeleteItem"),
        params,
        None,
        category="Data" if data else "Management",
        resources=resources,
        tls_host=f"dynamodb.{region}.amazonaws.com",
    )


def sqs_call(rng: random.Random, region: str, op: str, queue_url: str, queue_arn: str) -> dict:
    shapes = {
        "SendMessage": (
            {"queueUrl": queue_url, "messageBody": HIDDEN},
            {"mD5OfMessageBody": hexs(rng, 32), "messageId": new_id(rng)},
        ),
        "ReceiveMessage": (
            {
                "queueUrl": queue_url,
                "maxNumberOfMessages": 10,
                "waitTimeSeconds": 20,
                "messageSystemAttributeNames": ["All"],
            },
            None,
        ),
        "DeleteMessage": ({"queueUrl": queue_url, "receiptHandle": HIDDEN}, None),
        "GetQueueAttributes": ({"queueUrl": queue_url, "attributeNames": ["All"]}, None),
    }
    params, response = shapes[op]
    data = op in ("SendMessage", "ReceiveMessage", "DeleteMessage")
    return api_call(
        "sqs.amazonaws.com",
        op,
        op in ("ReceiveMessage", "GetQueueAttributes"),
        params,
        response,
        category="Data" if data else "Management",
        tls_host=f"sqs.{region}.amazonaws.com",
        resources=[
            {"accountId": queue_arn.split(":")[4], "type": "AWS::SQS::Queue", "ARN": queue_arn}
        ],
    )


def sns_call(rng: random.Random, region: str, op: str, topic_arn: str) -> dict:
    if op == "Publish":
        return api_call(
            "sns.amazonaws.com",
            "Publish",
            False,
            {"topicArn": topic_arn, "message": HIDDEN, "subject": "Order state changed"},
            {"messageId": new_id(rng)},
            category="Data",
            tls_host=f"sns.{region}.amazonaws.com",
            resources=[
                {"accountId": topic_arn.split(":")[4], "type": "AWS::SNS::Topic", "ARN": topic_arn}
            ],
        )
    params = None if op == "ListTopics" else {"topicArn": topic_arn}
    return api_call(
        "sns.amazonaws.com", op, True, params, None, tls_host=f"sns.{region}.amazonaws.com"
    )


# ---- observability, build, analytics -------------------------------------------------


def monitoring_call(rng: random.Random, region: str, op: str, when: datetime) -> dict:
    shapes = {
        "GetMetricData": {
            "metricDataQueries": [
                {
                    "id": "m1",
                    "metricStat": {
                        "metric": {
                            "namespace": "AWS/Lambda",
                            "metricName": rng.choice(["Errors", "Duration", "Invocations"]),
                            "dimensions": [{"name": "FunctionName", "value": "orders-api"}],
                        },
                        "period": 300,
                        "stat": "Sum",
                    },
                    "returnData": True,
                }
            ],
            "startTime": (when - timedelta(hours=3)).strftime("%b %-d, %Y, %-I:%M:%S %p"),
            "endTime": when.strftime("%b %-d, %Y, %-I:%M:%S %p"),
        },
        "DescribeAlarms": {"maxRecords": 100, "alarmTypes": ["CompositeAlarm", "MetricAlarm"]},
        "ListMetrics": {"namespace": rng.choice(["AWS/EC2", "AWS/Lambda", "AWS/DynamoDB"])},
        "GetDashboard": {"dashboardName": "orders-overview"},
    }
    return api_call(
        "monitoring.amazonaws.com",
        op,
        True,
        shapes[op],
        None,
        tls_host=f"monitoring.{region}.amazonaws.com",
    )


def logs_call(
    rng: random.Random, region: str, op: str, when: datetime, group: str = "/aws/lambda/orders-api"
) -> dict:
    ms = int(when.timestamp() * 1000)
    shapes = {
        "CreateLogStream": (
            {
                "logGroupName": group,
                "logStreamName": when.strftime("%Y/%m/%d/") + "[$LATEST]" + hexs(rng, 32),
            },
            None,
        ),
        "DescribeLogGroups": ({"limit": 50, "logGroupNamePrefix": "/aws/"}, None),
        "FilterLogEvents": (
            {
                "logGroupName": group,
                "startTime": ms - 3_600_000,
                "endTime": ms,
                "filterPattern": rng.choice(["ERROR", "?Exception ?Timeout", '"AccessDenied"']),
                "interleaved": True,
            },
            None,
        ),
        "StartQuery": (
            {
                "logGroupNames": [group],
                "startTime": ms // 1000 - 86400,
                "endTime": ms // 1000,
                "queryString": "fields @timestamp, @message\n| filter @message like /Exception/\n"
                "| sort @timestamp desc\n| limit 100",
            },
            {"queryId": new_id(rng)},
        ),
        "GetQueryResults": ({"queryId": new_id(rng)}, None),
    }
    params, response = shapes[op]
    return api_call(
        "logs.amazonaws.com",
        op,
        op != "CreateLogStream" and op != "StartQuery",
        params,
        response,
        tls_host=f"logs.{region}.amazonaws.com",
    )


def ecr_call(rng: random.Random, region: str, op: str, repo: str = "orders-api") -> dict:
    digest = "sha256:" + hexs(rng, 64)
    shapes = {
        "GetAuthorizationToken": None,
        "BatchCheckLayerAvailability": {"repositoryName": repo, "layerDigests": [digest]},
        "InitiateLayerUpload": {"repositoryName": repo},
        "CompleteLayerUpload": {
            "repositoryName": repo,
            "uploadId": new_id(rng),
            "layerDigests": [digest],
        },
        "PutImage": {
            "repositoryName": repo,
            "imageTag": "main-" + hexs(rng, 7),
            "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
        },
        "BatchGetImage": {
            "repositoryName": repo,
            "imageIds": [{"imageTag": "latest"}],
            "acceptedMediaTypes": [
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.oci.image.manifest.v1+json",
            ],
        },
        "GetDownloadUrlForLayer": {"repositoryName": repo, "layerDigest": digest},
        "DescribeImages": {"repositoryName": repo, "maxResults": 100},
    }
    read_only = op.startswith(("Get", "Batch", "Describe"))
    return api_call(
        "ecr.amazonaws.com",
        op,
        read_only,
        shapes[op],
        None,
        tls_host=f"api.ecr.{region}.amazonaws.com",
    )


def cloudformation_call(rng: random.Random, region: str, op: str, stack: str) -> dict:
    shapes = {
        "DescribeStacks": {"stackName": stack},
        "DescribeStackEvents": {"stackName": stack},
        "ListStacks": {
            "stackStatusFilter": ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"]
        },
        "GetTemplate": {"stackName": stack, "templateStage": "Original"},
        "DescribeStackResources": {"stackName": stack},
        "UpdateStack": {
            "stackName": stack,
            "templateURL": "https://larkspur-release-artifacts.s3.amazonaws.com/"
            f"{stack}/{hexs(rng, 12)}.yaml",
            "parameters": [{"parameterKey": "ImageTag", "parameterValue": "main-" + hexs(rng, 7)}],
            "capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        },
    }
    response = None
    if op == "UpdateStack":
        response = {
            "stackId": f"arn:aws:cloudformation:{region}:000000000000:stack/{stack}/{new_id(rng)}"
        }
    return api_call(
        "cloudformation.amazonaws.com",
        op,
        op != "UpdateStack",
        shapes[op],
        response,
        tls_host=f"cloudformation.{region}.amazonaws.com",
    )


def athena_call(rng: random.Random, region: str, op: str, database: str = "curated") -> dict:
    shapes = {
        "StartQueryExecution": (
            {
                "queryString": rng.choice(
                    [
                        "SELECT order_date, count(*) AS orders FROM orders_daily "
                        "WHERE order_date >= date '2026-03-01' GROUP BY 1 ORDER BY 1",
                        "SELECT customer_id, sum(total) FROM orders WHERE dt = '2026-03-09' "
                        "GROUP BY customer_id LIMIT 100",
                        "MSCK REPAIR TABLE clickstream_raw",
                        "SELECT * FROM shipments WHERE status = 'DELAYED' LIMIT 50",
                    ]
                ),
                "queryExecutionContext": {"database": database, "catalog": "AwsDataCatalog"},
                "resultConfiguration": {"outputLocation": "s3://larkspur-prod-athena-results/"},
                "workGroup": "primary",
            },
            {"queryExecutionId": new_id(rng)},
        ),
        "GetQueryExecution": ({"queryExecutionId": new_id(rng)}, None),
        "GetQueryResults": ({"queryExecutionId": new_id(rng), "maxResults": 1000}, None),
        "ListWorkGroups": ({"maxResults": 50}, None),
    }
    params, response = shapes[op]
    return api_call(
        "athena.amazonaws.com",
        op,
        op != "StartQueryExecution",
        params,
        response,
        tls_host=f"athena.{region}.amazonaws.com",
    )


def glue_call(rng: random.Random, region: str, op: str, table: str = "orders_daily") -> dict:
    shapes = {
        "GetTable": {"databaseName": "curated", "name": table},
        "GetDatabase": {"name": "curated"},
        "GetPartitions": {
            "databaseName": "curated",
            "tableName": table,
            "expression": "dt >= '2026-03-01'",
        },
    }
    return api_call("glue.amazonaws.com", op, True, shapes[op], None)


def cloudtrail_call(rng: random.Random, region: str, op: str, when: datetime) -> dict:
    shapes = {
        "LookupEvents": {
            "lookupAttributes": [
                {
                    "attributeKey": "EventName",
                    "attributeValue": rng.choice(
                        ["ConsoleLogin", "AssumeRole", "CreateAccessKey", "PutBucketPolicy"]
                    ),
                }
            ],
            "startTime": (when - timedelta(days=1)).strftime("%b %-d, %Y, %-I:%M:%S %p"),
            "maxResults": 50,
        },
        "DescribeTrails": {"includeShadowTrails": True},
        "GetTrailStatus": {
            "name": "arn:aws:cloudtrail:us-east-1:480152067923:trail/larkspur-org-trail"
        },
    }
    return api_call(
        "cloudtrail.amazonaws.com",
        op,
        True,
        shapes[op],
        None,
        tls_host=f"cloudtrail.{region}.amazonaws.com",
    )


def guardduty_call(rng: random.Random, region: str, op: str) -> dict:
    detector = "5ec8f9b1a7d24c0e9b3f6a2d81c47e90"
    shapes = {
        "ListDetectors": None,
        "ListFindings": {
            "detectorId": detector,
            "maxResults": 50,
            "findingCriteria": {"criterion": {"severity": {"gte": 4}}},
        },
        "GetFindings": {"detectorId": detector, "findingIds": [hexs(rng, 32)]},
    }
    return api_call(
        "guardduty.amazonaws.com",
        op,
        True,
        shapes[op],
        None,
        tls_host=f"guardduty.{region}.amazonaws.com",
    )


def ce_call(rng: random.Random, when: datetime) -> dict:
    return api_call(
        "ce.amazonaws.com",
        "GetCostAndUsage",
        True,
        {
            "timePeriod": {"start": "2026-03-01", "end": when.strftime("%Y-%m-%d")},
            "granularity": "DAILY",
            "metrics": ["UnblendedCost"],
            "groupBy": [{"type": "DIMENSION", "key": "SERVICE"}],
        },
        None,
        tls_host="ce.us-east-1.amazonaws.com",
    )


def sso_portal(
    rng: random.Random, op: str, account: str | None = None, role_name: str | None = None
) -> dict:
    params = {"accountId": account, "roleName": role_name} if op == "GetRoleCredentials" else None
    if op == "ListAccountRoles":
        params = {"accountId": account}
    return api_call("sso.amazonaws.com", op, op != "Federate", params, None)
