"""Identity policies of the production account (permission sets, workloads, integrations)."""

from __future__ import annotations

from iamlab.sample.world.accounts import (
    ATHENA_RESULTS,
    DATA_LAKE,
    DEV,
    EXPORTS,
    KMS_KEY_ARN,
    ORDERS_QUEUE,
    ORDERS_TABLE,
    ORDERS_TOPIC,
    PROD,
)
from iamlab.sample.world.policies import doc

# ---- production account ------------------------------------------------------------
DATA_ENGINEER_INLINE = doc(
    {
        "Sid": "ListDataBuckets",
        "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListAllMyBuckets"],
        "Resource": "*",
    },
    {
        "Sid": "ReadCuratedAndRaw",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": [f"arn:aws:s3:::{DATA_LAKE}/curated/*", f"arn:aws:s3:::{DATA_LAKE}/raw/*"],
    },
    {
        "Sid": "WriteCurated",
        "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:DeleteObject"],
        "Resource": f"arn:aws:s3:::{DATA_LAKE}/curated/*",
    },
    {
        "Sid": "AthenaAndGlue",
        "Effect": "Allow",
        "Action": [
            "athena:StartQueryExecution",
            "athena:GetQueryExecution",
            "athena:GetQueryResults",
            "athena:ListWorkGroups",
            "athena:GetWorkGroup",
            "glue:GetDatabase",
            "glue:GetDatabases",
            "glue:GetTable",
            "glue:GetTables",
            "glue:GetPartitions",
        ],
        "Resource": "*",
    },
    {
        "Sid": "AthenaResults",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": f"arn:aws:s3:::{ATHENA_RESULTS}/*",
    },
    {
        "Sid": "UseDataLakeKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:DescribeKey"],
        "Resource": KMS_KEY_ARN,
    },
    {
        "Sid": "ReadWarehouseSecret",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        "Resource": f"arn:aws:secretsmanager:eu-west-1:{PROD}:secret:prod/warehouse/*",
    },
    {
        "Sid": "Observability",
        "Effect": "Allow",
        "Action": [
            "cloudwatch:GetMetricData",
            "cloudwatch:ListMetrics",
            "cloudwatch:GetDashboard",
            "cloudwatch:DescribeAlarms",
            "logs:StartQuery",
            "logs:GetQueryResults",
            "logs:DescribeLogGroups",
            "logs:FilterLogEvents",
        ],
        "Resource": "*",
    },
)

READ_ONLY_INLINE = doc(
    {
        "Sid": "DescribeEverything",
        "Effect": "Allow",
        "Action": [
            "ec2:Describe*",
            "s3:ListAllMyBuckets",
            "s3:GetBucket*",
            "cloudwatch:Describe*",
            "cloudwatch:Get*",
            "cloudwatch:List*",
            "logs:Describe*",
            "logs:FilterLogEvents",
            "lambda:List*",
            "lambda:GetFunction*",
            "dynamodb:Describe*",
            "dynamodb:List*",
            "sqs:GetQueueAttributes",
            "sqs:ListQueues",
            "sns:ListTopics",
            "sns:GetTopicAttributes",
            "cloudformation:Describe*",
            "cloudformation:List*",
            "iam:Get*",
            "iam:List*",
            "kms:Describe*",
            "kms:List*",
            "ssm:Describe*",
            "ecr:Describe*",
            "ecr:List*",
            "secretsmanager:ListSecrets",
            "secretsmanager:DescribeSecret",
        ],
        "Resource": "*",
    }
)

SECURITY_AUDIT_INLINE = doc(
    {
        "Sid": "InvestigateEvents",
        "Effect": "Allow",
        "Action": [
            "cloudtrail:LookupEvents",
            "cloudtrail:Describe*",
            "cloudtrail:Get*",
            "cloudtrail:List*",
            "guardduty:Get*",
            "guardduty:List*",
            "access-analyzer:List*",
            "access-analyzer:Get*",
            "iam:Get*",
            "iam:List*",
            "iam:GenerateCredentialReport",
            "s3:GetObject",
            "s3:ListBucket",
        ],
        "Resource": "*",
    },
    {
        "Sid": "AssumeIncidentResponder",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "arn:aws:iam::*:role/IncidentResponder",
    },
)

ORDERS_API_POLICY = doc(
    {
        "Sid": "OrdersTableReadWrite",
        "Effect": "Allow",
        "Action": [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:Query",
            "dynamodb:BatchGetItem",
        ],
        "Resource": ORDERS_TABLE,
    },
    {
        "Sid": "PublishOrderEvents",
        "Effect": "Allow",
        "Action": "sqs:SendMessage",
        "Resource": ORDERS_QUEUE,
    },
    {"Sid": "NotifyOps", "Effect": "Allow", "Action": "sns:Publish", "Resource": ORDERS_TOPIC},
    {
        "Sid": "ReadOrdersSecret",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": f"arn:aws:secretsmanager:eu-west-1:{PROD}:secret:prod/orders-api/*",
    },
    {
        "Sid": "UseDataLakeKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": KMS_KEY_ARN,
    },
)

ANALYTICS_ETL_POLICY = doc(
    {
        "Sid": "DataLakeReadWrite",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        "Resource": [
            f"arn:aws:s3:::{DATA_LAKE}",
            f"arn:aws:s3:::{DATA_LAKE}/*",
            f"arn:aws:s3:::{ATHENA_RESULTS}",
            f"arn:aws:s3:::{ATHENA_RESULTS}/*",
        ],
    },
    {
        "Sid": "QueryWithAthena",
        "Effect": "Allow",
        "Action": [
            "athena:StartQueryExecution",
            "athena:GetQueryExecution",
            "athena:GetQueryResults",
            "glue:GetTable",
            "glue:GetPartitions",
            "glue:GetDatabase",
            "glue:BatchCreatePartition",
        ],
        "Resource": "*",
    },
    {
        "Sid": "UseDataLakeKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": KMS_KEY_ARN,
    },
    {
        "Sid": "ReadWarehouseSecret",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": f"arn:aws:secretsmanager:eu-west-1:{PROD}:secret:prod/warehouse/*",
    },
)

APP_ROLE_BOUNDARY = doc(
    {
        "Sid": "AllowApplicationServices",
        "Effect": "Allow",
        "Action": [
            "s3:*",
            "athena:*",
            "glue:*",
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "secretsmanager:GetSecretValue",
            "logs:*",
            "cloudwatch:PutMetricData",
            "ssm:UpdateInstanceInformation",
            "ssm:ListAssociations",
            "ec2messages:*",
            "ssmmessages:*",
        ],
        "Resource": "*",
    },
)

REPORTING_BATCH_POLICY = doc(
    {
        "Sid": "WriteReports",
        "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:GetObject"],
        "Resource": f"arn:aws:s3:::{EXPORTS}/reports/*",
    },
    {
        "Sid": "ReadReportingSecrets",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": [
            f"arn:aws:secretsmanager:eu-west-1:{PROD}:secret:prod/reporting/*",
            f"arn:aws:secretsmanager:eu-west-1:{DEV}:secret:dev/reporting/*",
        ],
    },
    {
        "Sid": "SessionManager",
        "Effect": "Allow",
        "Action": [
            "ssm:UpdateInstanceInformation",
            "ssm:ListAssociations",
            "ec2messages:*",
            "ssmmessages:*",
        ],
        "Resource": "*",
    },
)

LEGACY_REPORTING_ACCESS = doc(
    {
        "Sid": "ReadReports",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{EXPORTS}", f"arn:aws:s3:::{EXPORTS}/reports/*"],
    },
    {
        "Sid": "InventoryVolumes",
        "Effect": "Allow",
        "Action": ["ec2:DescribeVolumes", "ec2:DescribeSnapshots", "ec2:DescribeInstances"],
        "Resource": "*",
    },
    {
        "Sid": "FederateReportViewers",
        "Effect": "Allow",
        "Action": "sts:GetFederationToken",
        "Resource": f"arn:aws:sts::{PROD}:federated-user/report-*",
    },
    {
        "Sid": "DenyRawCustomerData",
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": f"arn:aws:s3:::{DATA_LAKE}/raw/customers/*",
    },
)

INCIDENT_RESPONSE_POLICY = doc(
    {
        "Sid": "InvestigateAndContain",
        "Effect": "Allow",
        "Action": [
            "ec2:*",
            "s3:Get*",
            "s3:List*",
            "logs:*",
            "cloudtrail:LookupEvents",
            "iam:Get*",
            "iam:List*",
            "ssm:Describe*",
            "ssm:StartSession",
        ],
        "Resource": "*",
    }
)

PROD_DEPLOYER_POLICY = doc(
    {
        "Sid": "DeployStacks",
        "Effect": "Allow",
        "Action": [
            "cloudformation:*",
            "lambda:UpdateFunctionCode",
            "lambda:PublishVersion",
            "lambda:GetFunction",
            "s3:GetObject",
            "s3:PutObject",
            "ecr:*",
            "iam:PassRole",
        ],
        "Resource": "*",
    }
)

GITHUB_ORDERS_POLICY = doc(
    {
        "Sid": "PushImages",
        "Effect": "Allow",
        "Action": [
            "ecr:GetAuthorizationToken",
            "ecr:BatchCheckLayerAvailability",
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:PutImage",
            "ecr:BatchGetImage",
            "ecr:DescribeImages",
        ],
        "Resource": "*",
    },
    {
        "Sid": "UpdateOrdersFunction",
        "Effect": "Allow",
        "Action": ["lambda:UpdateFunctionCode", "lambda:GetFunction", "lambda:PublishVersion"],
        "Resource": f"arn:aws:lambda:eu-west-1:{PROD}:function:orders-api",
    },
)
