"""Resource policies of the sample: bucket, key, function, queue, topic, secret and
VPC endpoint policies (the layer a resource owner writes). Labels name Sids from them.
"""

from __future__ import annotations

from iamlab.sample.world.accounts import (
    DATA_LAKE,
    EXPORTS,
    FINDINGS,
    MGMT,
    ORDERS_QUEUE,
    ORDERS_TOPIC,
    PARTNER,
    PROD,
    sso_role_name,
    sso_role_path,
)
from iamlab.sample.world.policies import VERSION, doc


def _bucket_tls(bucket: str) -> dict:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


EXPORTS_BUCKET_POLICY = doc(
    _bucket_tls(EXPORTS),
    {
        "Sid": "AllowManagementReporting",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{MGMT}:role/org-reporting-reader"},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{EXPORTS}", f"arn:aws:s3:::{EXPORTS}/reports/*"],
    },
    {
        "Sid": "AllowBrightlineRead",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:role/brightline-sync"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{EXPORTS}/partner/brightline/*",
    },
)

DATA_LAKE_BUCKET_POLICY = doc(
    _bucket_tls(DATA_LAKE),
    {
        "Sid": "DenyDeletesExceptRetentionAdmin",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
        "Resource": f"arn:aws:s3:::{DATA_LAKE}/*",
        "Condition": {
            "ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{PROD}:role/app/data-retention-admin"}
        },
    },
)

KMS_KEY_POLICY = {
    "Version": VERSION,
    "Id": "prod-data-lake-key-policy",
    "Statement": [
        {
            "Sid": "AllowKeyAdministration",
            "Effect": "Allow",
            "Principal": {
                "AWS": [
                    f"arn:aws:iam::{PROD}:role{sso_role_path()}{sso_role_name('AdministratorAccess')}",
                    f"arn:aws:iam::{PROD}:role/OrganizationAccountAccessRole",
                ]
            },
            "Action": [
                "kms:Create*",
                "kms:Describe*",
                "kms:Enable*",
                "kms:List*",
                "kms:Put*",
                "kms:Update*",
                "kms:Revoke*",
                "kms:Disable*",
                "kms:Get*",
                "kms:Delete*",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:ScheduleKeyDeletion",
                "kms:CancelKeyDeletion",
                "kms:RotateKeyOnDemand",
            ],
            "Resource": "*",
        },
        {
            "Sid": "AllowUseByDataPipelines",
            "Effect": "Allow",
            "Principal": {
                "AWS": [
                    f"arn:aws:iam::{PROD}:role/app/analytics-etl",
                    f"arn:aws:iam::{PROD}:role/service-role/orders-api-lambda-role",
                ]
            },
            "Action": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ],
            "Resource": "*",
        },
    ],
}

ORDERS_FUNCTION_POLICY = {
    "Version": VERSION,
    "Id": "default",
    "Statement": [
        {
            "Sid": "apigateway-invoke-orders",
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": f"arn:aws:lambda:eu-west-1:{PROD}:function:orders-api",
            "Condition": {
                "ArnLike": {
                    "AWS:SourceArn": f"arn:aws:execute-api:eu-west-1:{PROD}:k3v9q2x7ab/*/*/orders"
                }
            },
        }
    ],
}

ORDERS_QUEUE_POLICY = {
    "Version": VERSION,
    "Id": "orders-events-policy",
    "Statement": [
        {
            "Sid": "AllowOrdersTopic",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": ORDERS_QUEUE,
            "Condition": {"ArnEquals": {"aws:SourceArn": ORDERS_TOPIC}},
        }
    ],
}

ORDERS_TOPIC_POLICY = {
    "Version": "2008-10-17",
    "Id": "__default_policy_ID",
    "Statement": [
        {
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes",
                "SNS:SetTopicAttributes",
                "SNS:AddPermission",
                "SNS:RemovePermission",
                "SNS:DeleteTopic",
                "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic",
                "SNS:Publish",
            ],
            "Resource": ORDERS_TOPIC,
            "Condition": {"StringEquals": {"AWS:SourceOwner": PROD}},
        },
        {
            "Sid": "AllowCloudWatchAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": ORDERS_TOPIC,
        },
    ],
}

WAREHOUSE_SECRET_POLICY = doc(
    {
        "Sid": "AllowEtlRead",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{PROD}:role/app/analytics-etl"},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }
)

SECRETS_ENDPOINT_POLICY = doc(
    {
        "Sid": "AllowProdSecretsOnly",
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        "Resource": f"arn:aws:secretsmanager:eu-west-1:{PROD}:secret:*",
    },
    {
        "Sid": "AllowListSecrets",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "secretsmanager:ListSecrets",
        "Resource": "*",
    },
)

FINDINGS_BUCKET_POLICY = doc(_bucket_tls(FINDINGS))
