"""API call shapes per service: what each call puts in requestParameters,
responseElements, resources and additionalEventData.

Each builder returns a ``call`` dict of keyword arguments for
``_records.record`` (source, name, read_only, params, ...); the actor adds who,
when, from where. Shapes follow published CloudTrail examples (from memory
where no example was at hand; values are invented).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from iamlab.sample._records import amz_id_2, new_id, s3_request_id, token

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_HEX = "0123456789abcdef"

# eventVersion by event source (aws-facts 2.1: 1.05 .. 1.11 all occur in real trails)
VERSIONS = {
    "s3.amazonaws.com": "1.10",
    "ec2.amazonaws.com": "1.10",
    "iam.amazonaws.com": "1.11",
    "sts.amazonaws.com": "1.08",
    "kms.amazonaws.com": "1.11",
    "lambda.amazonaws.com": "1.09",
    "dynamodb.amazonaws.com": "1.09",
    "sqs.amazonaws.com": "1.09",
    "sns.amazonaws.com": "1.10",
    "secretsmanager.amazonaws.com": "1.11",
    "monitoring.amazonaws.com": "1.09",
    "logs.amazonaws.com": "1.08",
    "ssm.amazonaws.com": "1.08",
    "ecr.amazonaws.com": "1.08",
    "cloudformation.amazonaws.com": "1.09",
    "signin.amazonaws.com": "1.05",
    "organizations.amazonaws.com": "1.11",
    "athena.amazonaws.com": "1.09",
    "glue.amazonaws.com": "1.07",
    "cloudtrail.amazonaws.com": "1.09",
    "guardduty.amazonaws.com": "1.11",
    "sso.amazonaws.com": "1.10",
    "ce.amazonaws.com": "1.06",
}


def hexs(rng: random.Random, n: int) -> str:
    return token(rng, n, _HEX)


def instance_id(rng: random.Random) -> str:
    return "i-0" + hexs(rng, 16)


def _c(source: str, name: str, read_only: bool | None, params=None, response=None, **kw) -> dict:
    return {
        "source": source,
        "name": name,
        "read_only": read_only,
        "params": params,
        "response": response,
        **kw,
    }


# ---- S3 -----------------------------------------------------------------------------


def s3_object(rng, region, bucket, key, op, owner, size=None):
    """S3 data event on one object (GetObject, PutObject, HeadObject, DeleteObject)."""
    size = size if size is not None else rng.randint(2_000, 9_000_000)
    params = {"bucketName": bucket, "Host": f"{bucket}.s3.{region}.amazonaws.com", "key": key}
    response = None
    if op == "PutObject":
        params["x-amz-server-side-encryption"] = "AES256"
        response = {"x-amz-server-side-encryption": "AES256", "x-amz-version-id": token(rng, 32)}
    if op == "GetObject" and rng.random() < 0.3:
        params["x-id"] = "GetObject"
    add = {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": size if op == "PutObject" else 0,
        "SSEApplied": "Default_SSE_S3",
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": amz_id_2(rng),
        "bytesTransferredOut": size if op == "GetObject" else 0,
    }
    return _c(
        "s3.amazonaws.com",
        op,
        op in ("GetObject", "HeadObject"),
        params,
        response,
        category="Data",
        additional=add,
        request_id=s3_request_id(rng),
        tls_host=params["Host"],
        resources=[
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": owner, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ],
    )


def s3_list_objects(rng, region, bucket, prefix, owner):
    params = {
        "list-type": "2",
        "bucketName": bucket,
        "encoding-type": "url",
        "prefix": prefix,
        "Host": f"{bucket}.s3.{region}.amazonaws.com",
    }
    add = {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": 0,
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": amz_id_2(rng),
        "bytesTransferredOut": rng.randint(400, 40_000),
    }
    return _c(
        "s3.amazonaws.com",
        "ListObjects",
        True,
        params,
        None,
        category="Data",
        additional=add,
        request_id=s3_request_id(rng),
        tls_host=params["Host"],
        resources=[
            {"accountId": owner, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
        ],
    )


_BUCKET_SUB = {
    "GetBucketLocation": "location",
    "GetBucketPolicy": "policy",
    "GetBucketAcl": "acl",
    "GetBucketVersioning": "versioning",
    "GetBucketEncryption": "encryption",
    "GetBucketPublicAccessBlock": "publicAccessBlock",
    "GetBucketTagging": "tagging",
}


def s3_bucket(rng, region, bucket, op, owner):
    params = {
        "bucketName": bucket,
        "Host": f"{bucket}.s3.{region}.amazonaws.com",
        _BUCKET_SUB[op]: "",
    }
    add = {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": 0,
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": amz_id_2(rng),
        "bytesTransferredOut": rng.randint(100, 900),
    }
    return _c(
        "s3.amazonaws.com",
        op,
        True,
        params,
        None,
        additional=add,
        request_id=s3_request_id(rng),
        tls_host=params["Host"],
        resources=[
            {"accountId": owner, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
        ],
    )


def s3_list_buckets(rng, region):
    host = f"s3.{region}.amazonaws.com"
    add = {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": 0,
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": amz_id_2(rng),
        "bytesTransferredOut": 1421,
    }
    return _c(
        "s3.amazonaws.com",
        "ListBuckets",
        True,
        {"Host": host},
        None,
        additional=add,
        request_id=s3_request_id(rng),
        tls_host=host,
    )


# ---- EC2 -----------------------------------------------------------------------------


def _filters(name, *values):
    return {"items": [{"name": name, "valueSet": {"items": [{"value": v} for v in values]}}]}


def ec2_describe(rng, region, op, vpc="vpc-0c41f2e7a9d3b5810"):
    shapes = {
        "DescribeInstances": {
            "instancesSet": {},
            "filterSet": _filters("instance-state-name", "running", "stopped"),
        },
        "DescribeSecurityGroups": {
            "securityGroupSet": {},
            "securityGroupIdSet": {},
            "filterSet": _filters("vpc-id", vpc),
        },
        "DescribeVolumes": {"volumeSet": {}, "filterSet": {}, "maxResults": 500},
        "DescribeSnapshots": {
            "snapshotSet": {},
            "ownersSet": {"items": [{"owner": "self"}]},
            "restorableBySet": {},
            "filterSet": {},
        },
        "DescribeRegions": {"regionSet": {}},
        "DescribeVpcs": {"vpcSet": {}, "filterSet": {}},
        "DescribeSubnets": {"subnetSet": {}, "filterSet": _filters("vpc-id", vpc)},
        "DescribeNetworkInterfaces": {
            "networkInterfaceIdSet": {},
            "filterSet": _filters("vpc-id", vpc),
        },
        "DescribeImages": {
            "executableBySet": {},
            "imagesSet": {"items": [{"imageId": "ami-0" + hexs(rng, 16)}]},
            "ownersSet": {},
            "includeDeprecated": False,
            "filterSet": {},
        },
        "DescribeInstanceStatus": {
            "instancesSet": {},
            "filterSet": {},
            "includeAllInstances": True,
        },
        "DescribeLaunchTemplates": {
            "DescribeLaunchTemplatesRequest": {"LaunchTemplateName": "orders-workers"}
        },
    }
    return _c(
        "ec2.amazonaws.com", op, True, shapes[op], None, tls_host=f"ec2.{region}.amazonaws.com"
    )


def ec2_run_instances(
    rng, region, account, subnet, sg, profile=None, dry_run=False, ami=None, itype="t3.medium"
):
    ami = ami or "ami-0" + hexs(rng, 16)
    params = {
        "instancesSet": {"items": [{"imageId": ami, "minCount": 1, "maxCount": 1}]},
        "instanceType": itype,
        "blockDeviceMapping": {},
        "monitoring": {"enabled": False},
        "subnetId": subnet,
        "disableApiTermination": False,
        "disableApiStop": False,
        "clientToken": new_id(rng),
        "groupSet": {"items": [{"groupId": sg}]},
        "tagSpecificationSet": {
            "items": [{"resourceType": "instance", "tags": [{"key": "Name", "value": "worker"}]}]
        },
    }
    if profile:
        params["iamInstanceProfile"] = {"arn": profile}
    if dry_run:
        params["dryRun"] = True
        return _c(
            "ec2.amazonaws.com",
            "RunInstances",
            False,
            params,
            None,
            tls_host=f"ec2.{region}.amazonaws.com",
        )
    iid = instance_id(rng)
    response = {
        "requestId": new_id(rng),
        "reservationId": "r-0" + hexs(rng, 16),
        "ownerId": account,
        "groupSet": {},
        "instancesSet": {
            "items": [
                {
                    "instanceId": iid,
                    "imageId": ami,
                    "instanceState": {"code": 0, "name": "pending"},
                    "privateDnsName": f"ip-10-40-{rng.randint(0, 63)}-{rng.randint(4, 250)}.{region}.compute.internal",
                    "amiLaunchIndex": 0,
                    "productCodes": {},
                    "instanceType": itype,
                    "launchTime": 0,
                    "placement": {"availabilityZone": region + "b", "tenancy": "default"},
                    "subnetId": subnet,
                    "vpcId": "vpc-0c41f2e7a9d3b5810",
                }
            ]
        },
    }
    return _c(
        "ec2.amazonaws.com",
        "RunInstances",
        False,
        params,
        response,
        tls_host=f"ec2.{region}.amazonaws.com",
    )


def ec2_instance_state(rng, region, op, iid):
    states = {
        "StartInstances": ((0, "pending"), (80, "stopped")),
        "StopInstances": ((64, "stopping"), (16, "running")),
        "TerminateInstances": ((32, "shutting-down"), (16, "running")),
    }
    cur, prev = states[op]
    response = {
        "requestId": new_id(rng),
        "instancesSet": {
            "items": [
                {
                    "instanceId": iid,
                    "currentState": {"code": cur[0], "name": cur[1]},
                    "previousState": {"code": prev[0], "name": prev[1]},
                }
            ]
        },
    }
    return _c(
        "ec2.amazonaws.com",
        op,
        False,
        {"instancesSet": {"items": [{"instanceId": iid}]}},
        response,
        tls_host=f"ec2.{region}.amazonaws.com",
    )


def ec2_create_tags(rng, region, iid, key, value):
    return _c(
        "ec2.amazonaws.com",
        "CreateTags",
        False,
        {
            "resourcesSet": {"items": [{"resourceId": iid}]},
            "tagSet": {"items": [{"key": key, "value": value}]},
        },
        {"requestId": new_id(rng), "_return": True},
        tls_host=f"ec2.{region}.amazonaws.com",
    )


# ---- IAM, STS, Organizations ----------------------------------------------------------


def iam_call(rng, op, **params):
    read_only = op.startswith(("Get", "List")) or op == "GenerateCredentialReport"
    return _c(
        "iam.amazonaws.com", op, read_only, params or None, None, tls_host="iam.amazonaws.com"
    )


def _expiration(when: datetime, seconds: int) -> str:
    return (when + timedelta(seconds=seconds)).strftime("%b %-d, %Y, %-I:%M:%S %p")


def sts_assume_role(
    rng,
    region,
    when,
    role_arn,
    role_id,
    session,
    key,
    duration=3600,
    policy: str | None = None,
    source_identity=None,
    external_id=None,
):
    role_name = role_arn.rsplit("/", 1)[1]
    account = role_arn.split(":")[4]
    params = {"roleArn": role_arn, "roleSessionName": session}
    if duration != 3600:
        params["durationSeconds"] = duration
    if policy is not None:
        params["policy"] = policy
    if external_id:
        params["externalId"] = external_id
    if source_identity:
        params["sourceIdentity"] = source_identity
    response = {
        "credentials": {
            "accessKeyId": key,
            "sessionToken": "IQoJb3JpZ2luX2VjE" + token(rng, 60),
            "expiration": _expiration(when, duration),
        },
        "assumedRoleUser": {
            "assumedRoleId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
        },
    }
    if policy is not None:
        response["packedPolicySize"] = 11
    host = "sts.amazonaws.com" if region == "us-east-1" else f"sts.{region}.amazonaws.com"
    return _c(
        "sts.amazonaws.com",
        "AssumeRole",
        True,
        params,
        response,
        tls_host=host,
        resources=[{"accountId": account, "type": "AWS::IAM::Role", "ARN": role_arn}],
    )


def sts_get_caller_identity(rng, region):
    host = "sts.amazonaws.com" if region == "us-east-1" else f"sts.{region}.amazonaws.com"
    return _c("sts.amazonaws.com", "GetCallerIdentity", True, None, None, tls_host=host)


def organizations_call(rng, op, **params):
    return _c(
        "organizations.amazonaws.com",
        op,
        True,
        params or None,
        None,
        tls_host="organizations.us-east-1.amazonaws.com",
    )


# ---- KMS, Secrets Manager, SSM -------------------------------------------------------


def kms_call(rng, region, op, key_arn, context=None, invoked_by=None):
    params: dict | None
    if op == "Decrypt":
        params = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        if context:
            params["encryptionContext"] = context
    elif op == "GenerateDataKey":
        params = {"keyId": key_arn, "keySpec": "AES_256"}
        if context:
            params["encryptionContext"] = context
    else:
        params = {"keyId": "alias/prod-data-lake"}
    account = key_arn.split(":")[4]
    return _c(
        "kms.amazonaws.com",
        op,
        True,
        params,
        None,
        tls_host=None if invoked_by else f"kms.{region}.amazonaws.com",
        resources=[{"accountId": account, "type": "AWS::KMS::Key", "ARN": key_arn}],
    )


def secrets_call(rng, region, op, secret_id):
    params = {"secretId": secret_id} if op != "ListSecrets" else {"maxResults": 100}
    return _c(
        "secretsmanager.amazonaws.com",
        op,
        True,
        params,
        None,
        tls_host=f"secretsmanager.{region}.amazonaws.com",
    )


def ssm_call(rng, region, op, **params):
    read_only = op.startswith(("Get", "Describe", "List"))
    return _c(
        "ssm.amazonaws.com",
        op,
        read_only,
        params or None,
        None,
        tls_host=f"ssm.{region}.amazonaws.com",
    )


# ---- Lambda, DynamoDB, SQS, SNS --------------------------------------------------------


def lambda_call(rng, region, op, function=None, **extra):
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
    return _c(
        "lambda.amazonaws.com",
        api,
        read_only,
        params,
        None,
        tls_host=f"lambda.{region}.amazonaws.com",
    )


def lambda_invoke(rng, region, function_arn):
    account = function_arn.split(":")[4]
    return _c(
        "lambda.amazonaws.com",
        "Invoke",
        False,
        {"functionName": function_arn, "invocationType": "RequestResponse"},
        None,
        category="Data",
        additional={"functionVersion": function_arn + ":$LATEST"},
        resources=[{"accountId": account, "type": "AWS::Lambda::Function", "ARN": function_arn}],
    )


def dynamodb_call(rng, region, op, table_arn, index=None):
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
    return _c(
        "dynamodb.amazonaws.com",
        op,
        op not in ("PutItem", "UpdateItem", "DeleteItem"),
        params,
        None,
        category="Data" if data else "Management",
        resources=resources,
        tls_host=f"dynamodb.{region}.amazonaws.com",
    )


def sqs_call(rng, region, op, queue_url, queue_arn):
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
    return _c(
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


def sns_call(rng, region, op, topic_arn):
    if op == "Publish":
        return _c(
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
    return _c("sns.amazonaws.com", op, True, params, None, tls_host=f"sns.{region}.amazonaws.com")


# ---- observability, build, analytics -------------------------------------------------


def monitoring_call(rng, region, op, when: datetime):
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
    return _c(
        "monitoring.amazonaws.com",
        op,
        True,
        shapes[op],
        None,
        tls_host=f"monitoring.{region}.amazonaws.com",
    )


def logs_call(rng, region, op, when: datetime, group="/aws/lambda/orders-api"):
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
                "queryString": "fields @timestamp, @message\n| filter @message like /Exception/\n| sort @timestamp desc\n| limit 100",
            },
            {"queryId": new_id(rng)},
        ),
        "GetQueryResults": ({"queryId": new_id(rng)}, None),
    }
    params, response = shapes[op]
    return _c(
        "logs.amazonaws.com",
        op,
        op != "CreateLogStream" and op != "StartQuery",
        params,
        response,
        tls_host=f"logs.{region}.amazonaws.com",
    )


def ecr_call(rng, region, op, repo="orders-api"):
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
    return _c(
        "ecr.amazonaws.com",
        op,
        read_only,
        shapes[op],
        None,
        tls_host=f"api.ecr.{region}.amazonaws.com",
    )


def cloudformation_call(rng, region, op, stack):
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
            "templateURL": f"https://larkspur-release-artifacts.s3.amazonaws.com/{stack}/{hexs(rng, 12)}.yaml",
            "parameters": [{"parameterKey": "ImageTag", "parameterValue": "main-" + hexs(rng, 7)}],
            "capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        },
    }
    response = None
    if op == "UpdateStack":
        response = {
            "stackId": f"arn:aws:cloudformation:{region}:000000000000:stack/{stack}/{new_id(rng)}"
        }
    return _c(
        "cloudformation.amazonaws.com",
        op,
        op != "UpdateStack",
        shapes[op],
        response,
        tls_host=f"cloudformation.{region}.amazonaws.com",
    )


def athena_call(rng, region, op, database="curated"):
    shapes = {
        "StartQueryExecution": (
            {
                "queryString": rng.choice(
                    [
                        "SELECT order_date, count(*) AS orders FROM orders_daily WHERE order_date >= date '2026-03-01' GROUP BY 1 ORDER BY 1",
                        "SELECT customer_id, sum(total) FROM orders WHERE dt = '2026-03-09' GROUP BY customer_id LIMIT 100",
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
    return _c(
        "athena.amazonaws.com",
        op,
        op != "StartQueryExecution",
        params,
        response,
        tls_host=f"athena.{region}.amazonaws.com",
    )


def glue_call(rng, region, op, table="orders_daily"):
    shapes = {
        "GetTable": {"databaseName": "curated", "name": table},
        "GetDatabase": {"name": "curated"},
        "GetPartitions": {
            "databaseName": "curated",
            "tableName": table,
            "expression": "dt >= '2026-03-01'",
        },
    }
    return _c("glue.amazonaws.com", op, True, shapes[op], None)


def cloudtrail_call(rng, region, op, when):
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
    return _c(
        "cloudtrail.amazonaws.com",
        op,
        True,
        shapes[op],
        None,
        tls_host=f"cloudtrail.{region}.amazonaws.com",
    )


def guardduty_call(rng, region, op):
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
    return _c(
        "guardduty.amazonaws.com",
        op,
        True,
        shapes[op],
        None,
        tls_host=f"guardduty.{region}.amazonaws.com",
    )


def ce_call(rng, when):
    return _c(
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


def sso_portal(rng, op, account=None, role_name=None):
    params = {"accountId": account, "roleName": role_name} if op == "GetRoleCredentials" else None
    if op == "ListAccountRoles":
        params = {"accountId": account}
    return _c("sso.amazonaws.com", op, op != "Federate", params, None)
