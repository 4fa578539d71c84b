"""Call shapes for storage, compute, identity and secrets: S3, EC2, IAM, STS,
Organizations, KMS, Secrets Manager, SSM (requestParameters, responseElements,
resources and additionalEventData as CloudTrail records them).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from iamlab.sample.traffic.calls import api_call, hexs, instance_id
from iamlab.sample.traffic.records import amz_id_2, new_id, s3_request_id, token


def s3_object(
    rng: random.Random,
    region: str,
    bucket: str,
    key: str,
    op: str,
    owner: str,
    size: int | None = None,
) -> dict:
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
    return api_call(
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


def s3_list_objects(rng: random.Random, region: str, bucket: str, prefix: str, owner: str) -> dict:
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
    return api_call(
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


def s3_bucket(rng: random.Random, region: str, bucket: str, op: str, owner: str) -> dict:
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
    return api_call(
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


def s3_list_buckets(rng: random.Random, region: str) -> dict:
    host = f"s3.{region}.amazonaws.com"
    add = {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": 0,
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": amz_id_2(rng),
        "bytesTransferredOut": 1421,
    }
    return api_call(
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


def _filters(name: str, *values: str) -> dict:
    return {"items": [{"name": name, "valueSet": {"items": [{"value": v} for v in values]}}]}


def ec2_describe(
    rng: random.Random, region: str, op: str, vpc: str = "vpc-0c41f2e7a9d3b5810"
) -> dict:
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
    return api_call(
        "ec2.amazonaws.com", op, True, shapes[op], None, tls_host=f"ec2.{region}.amazonaws.com"
    )


def ec2_run_instances(
    rng: random.Random,
    region: str,
    account: str,
    subnet: str,
    sg: str,
    profile: str | None = None,
    dry_run: bool = False,
    ami: str | None = None,
    itype: str = "t3.medium",
) -> dict:
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
        return api_call(
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
                    "privateDnsName": f"ip-10-40-{rng.randint(0, 63)}-{rng.randint(4, 250)}"
                    f".{region}.compute.internal",
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
    return api_call(
        "ec2.amazonaws.com",
        "RunInstances",
        False,
        params,
        response,
        tls_host=f"ec2.{region}.amazonaws.com",
    )


def ec2_instance_state(rng: random.Random, region: str, op: str, iid: str) -> dict:
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
    return api_call(
        "ec2.amazonaws.com",
        op,
        False,
        {"instancesSet": {"items": [{"instanceId": iid}]}},
        response,
        tls_host=f"ec2.{region}.amazonaws.com",
    )


def ec2_create_tags(rng: random.Random, region: str, iid: str, key: str, value: str) -> dict:
    return api_call(
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


def iam_call(rng: random.Random, op: str, **params: object) -> dict:
    read_only = op.startswith(("Get", "List")) or op == "GenerateCredentialReport"
    return api_call(
        "iam.amazonaws.com", op, read_only, params or None, None, tls_host="iam.amazonaws.com"
    )


def _expiration(when: datetime, seconds: int) -> str:
    return (when + timedelta(seconds=seconds)).strftime("%b %-d, %Y, %-I:%M:%S %p")


def sts_credentials(rng: random.Random, key: str, when: datetime, seconds: int) -> dict:
    """The `credentials` block of an STS response (draws the session token from rng)."""
    return {
        "accessKeyId": key,
        "sessionToken": "IQoJb3JpZ2luX2VjE" + token(rng, 60),
        "expiration": _expiration(when, seconds),
    }


def sts_assume_role(
    rng: random.Random,
    region: str,
    when: datetime,
    role_arn: str,
    role_id: str,
    session: str,
    key: str,
    duration: int = 3600,
    policy: str | None = None,
    source_identity: str | None = None,
    external_id: str | None = None,
) -> dict:
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
        "credentials": sts_credentials(rng, key, when, duration),
        "assumedRoleUser": {
            "assumedRoleId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
        },
    }
    if policy is not None:
        response["packedPolicySize"] = 11
    host = "sts.amazonaws.com" if region == "us-east-1" else f"sts.{region}.amazonaws.com"
    return api_call(
        "sts.amazonaws.com",
        "AssumeRole",
        True,
        params,
        response,
        tls_host=host,
        resources=[{"accountId": account, "type": "AWS::IAM::Role", "ARN": role_arn}],
    )


def sts_get_caller_identity(rng: random.Random, region: str) -> dict:
    host = "sts.amazonaws.com" if region == "us-east-1" else f"sts.{region}.amazonaws.com"
    return api_call("sts.amazonaws.com", "GetCallerIdentity", True, None, None, tls_host=host)


def organizations_call(rng: random.Random, op: str, **params: object) -> dict:
    return api_call(
        "organizations.amazonaws.com",
        op,
        True,
        params or None,
        None,
        tls_host="organizations.us-east-1.amazonaws.com",
    )


# ---- KMS, Secrets Manager, SSM -------------------------------------------------------


def kms_call(
    rng: random.Random,
    region: str,
    op: str,
    key_arn: str,
    context: dict | None = None,
    invoked_by: str | None = None,
) -> dict:
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
    return api_call(
        "kms.amazonaws.com",
        op,
        True,
        params,
        None,
        tls_host=None if invoked_by else f"kms.{region}.amazonaws.com",
        resources=[{"accountId": account, "type": "AWS::KMS::Key", "ARN": key_arn}],
    )


def secrets_call(rng: random.Random, region: str, op: str, secret_id: str) -> dict:
    params = {"secretId": secret_id} if op != "ListSecrets" else {"maxResults": 100}
    return api_call(
        "secretsmanager.amazonaws.com",
        op,
        True,
        params,
        None,
        tls_host=f"secretsmanager.{region}.amazonaws.com",
    )


def ssm_call(rng: random.Random, region: str, op: str, **params: object) -> dict:
    read_only = op.startswith(("Get", "Describe", "List"))
    return api_call(
        "ssm.amazonaws.com",
        op,
        read_only,
        params or None,
        None,
        tls_host=f"ssm.{region}.amazonaws.com",
    )


# ---- Lambda, DynamoDB, SQS, SNS --------------------------------------------------------
