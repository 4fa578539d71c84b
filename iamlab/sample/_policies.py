"""Policy documents of the sample organization, written out by hand.

The denial scenarios in ``_labels.py`` name Sids from these documents; change
one and the labels (and the tests that check them) must change with it.
AWS-managed documents marked ``ABRIDGED`` keep only the statements this
sample exercises (the real ones are longer); AdministratorAccess and
AWSLambdaBasicExecutionRole are complete (from memory of the AWS console).
"""

from __future__ import annotations

from iamlab.sample._world import (
    APPROVED_REGIONS,
    ATHENA_RESULTS,
    DATA_LAKE,
    DEV,
    DEV_ARTIFACTS,
    DEV_SCRATCH,
    EXPORTS,
    FINDINGS,
    KMS_KEY_ARN,
    MGMT,
    OFFICE_CIDR,
    ORDERS_QUEUE,
    ORDERS_TABLE,
    ORDERS_TOPIC,
    ORG_ID,
    PARTNER,
    PROD,
    PROD_VPC,
    SEC,
    sso_role_name,
    sso_role_path,
)

V = "2012-10-17"


def doc(*statements: dict) -> dict:
    """A policy document with the current language version."""
    return {"Version": V, "Statement": list(statements)}


# ---- AWS managed -------------------------------------------------------------
ADMINISTRATOR_ACCESS = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
LAMBDA_BASIC_EXECUTION = doc(
    {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "*",
    }
)
LAMBDA_VPC_EXECUTION = doc(  # ABRIDGED
    {
        "Sid": "AWSLambdaVPCAccessExecutionPermissions",
        "Effect": "Allow",
        "Action": [
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
        ],
        "Resource": "*",
    }
)
POWER_USER_ACCESS = doc(
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
    {
        "Effect": "Allow",
        "Action": [
            "account:GetAccountInformation",
            "account:ListRegions",
            "iam:CreateServiceLinkedRole",
            "iam:DeleteServiceLinkedRole",
            "iam:ListRoles",
            "organizations:DescribeOrganization",
        ],
        "Resource": "*",
    },
)
AUTOSCALING_SLR_POLICY = doc(  # ABRIDGED
    {
        "Sid": "EC2InstanceManagement",
        "Effect": "Allow",
        "Action": [
            "ec2:RunInstances",
            "ec2:TerminateInstances",
            "ec2:CreateTags",
            "ec2:Describe*",
            "ec2:AttachClassicLinkVpc",
        ],
        "Resource": "*",
    },
    {
        "Sid": "EC2InstanceProfileManagement",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": "*",
        "Condition": {"StringLike": {"iam:PassedToService": "ec2.amazonaws.com*"}},
    },
)
CONFIG_SLR_POLICY = doc(  # ABRIDGED
    {
        "Sid": "AWSConfigServiceRolePolicyStatementID",
        "Effect": "Allow",
        "Action": [
            "ec2:Describe*",
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "iam:ListUsers",
            "s3:GetBucketPolicy",
            "s3:GetBucketAcl",
            "s3:GetEncryptionConfiguration",
            "s3:GetBucketVersioning",
            "s3:ListAllMyBuckets",
            "kms:DescribeKey",
            "kms:GetKeyRotationStatus",
            "lambda:GetFunction",
            "lambda:GetPolicy",
            "lambda:ListFunctions",
            "dynamodb:DescribeTable",
            "sqs:GetQueueAttributes",
            "sns:GetTopicAttributes",
            "secretsmanager:DescribeSecret",
            "logs:DescribeLogGroups",
        ],
        "Resource": "*",
    }
)

AWS_MANAGED = {
    "AdministratorAccess": ("/", ADMINISTRATOR_ACCESS, "ANPAIWMBCKSKIEE64ZLYK"),
    "AWSLambdaBasicExecutionRole": (
        "/service-role/",
        LAMBDA_BASIC_EXECUTION,
        "ANPAJNCQGXC42545SKXIK",
    ),
    "AWSLambdaVPCAccessExecutionRole": (
        "/service-role/",
        LAMBDA_VPC_EXECUTION,
        "ANPAJVTME3YLVNL72YR2K",
    ),
    "PowerUserAccess": ("/", POWER_USER_ACCESS, "ANPAJYRXTHIB4FOVS3ZXS"),
    "AutoScalingServiceRolePolicy": (
        "/aws-service-role/",
        AUTOSCALING_SLR_POLICY,
        "ANPAIC5D2V7MRWBMJGWGO",
    ),
    "AWSConfigServiceRolePolicy": (
        "/aws-service-role/",
        CONFIG_SLR_POLICY,
        "ANPAIQRXRDRGJUA33ELIO",
    ),
}


def aws_managed_arn(name: str) -> str:
    """ARN of an AWS managed policy (account field ``aws``)."""
    return f"arn:aws:iam::aws:policy{AWS_MANAGED[name][0]}{name}"


# ---- development account --------------------------------------------------------
DEVELOPER_ACCESS = doc(
    {
        "Sid": "ReadAcrossDevAccount",
        "Effect": "Allow",
        "Action": [
            "ec2:Describe*",
            "s3:ListAllMyBuckets",
            "s3:GetBucketLocation",
            "cloudwatch:Get*",
            "cloudwatch:List*",
            "cloudwatch:Describe*",
            "logs:Describe*",
            "logs:Get*",
            "logs:FilterLogEvents",
            "logs:StartQuery",
            "lambda:Get*",
            "lambda:List*",
            "dynamodb:Describe*",
            "dynamodb:List*",
            "sqs:List*",
            "sqs:GetQueueAttributes",
            "sns:List*",
            "sns:Get*",
            "cloudformation:Describe*",
            "cloudformation:List*",
            "cloudformation:GetTemplate",
            "ssm:DescribeParameters",
            "ecr:Describe*",
            "ecr:List*",
            "ecr:GetAuthorizationToken",
            "kms:ListAliases",
            "kms:DescribeKey",
            "secretsmanager:ListSecrets",
            "iam:Get*",
            "iam:List*",
            "sts:GetCallerIdentity",
        ],
        "Resource": "*",
    },
    {
        "Sid": "DevBucketsReadWrite",
        "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        "Resource": ["arn:aws:s3:::larkspur-dev-*", "arn:aws:s3:::larkspur-dev-*/*"],
    },
    {
        "Sid": "DevFunctionsDeployCode",
        "Effect": "Allow",
        "Action": ["lambda:UpdateFunctionCode", "lambda:InvokeFunction", "lambda:PublishVersion"],
        "Resource": f"arn:aws:lambda:*:{DEV}:function:*",
    },
    {
        "Sid": "DevTablesReadWrite",
        "Effect": "Allow",
        "Action": [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:Query",
            "dynamodb:Scan",
        ],
        "Resource": f"arn:aws:dynamodb:*:{DEV}:table/*",
    },
    {
        "Sid": "DevSecretsRead",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        "Resource": f"arn:aws:secretsmanager:*:{DEV}:secret:dev/*",
    },
    {
        "Sid": "DevParametersRead",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
        "Resource": f"arn:aws:ssm:*:{DEV}:parameter/dev/*",
    },
    {
        "Sid": "DevInstancesLifecycle",
        "Effect": "Allow",
        "Action": ["ec2:StartInstances", "ec2:StopInstances", "ec2:RunInstances", "ec2:CreateTags"],
        "Resource": "*",
    },
    {
        "Sid": "AssumeDeployRoles",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "arn:aws:iam::*:role/deploy/*",
    },
)

DEVELOPER_GUARDRAILS = doc(
    {
        "Sid": "DenyIdentityChanges",
        "Effect": "Deny",
        "Action": [
            "iam:CreateUser",
            "iam:DeleteUser",
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:AttachUserPolicy",
            "iam:AttachRolePolicy",
            "iam:PutUserPolicy",
            "iam:PutRolePolicy",
            "iam:CreatePolicyVersion",
            "iam:DeleteUserPermissionsBoundary",
            "iam:DeleteRolePermissionsBoundary",
        ],
        "Resource": "*",
    },
    {
        "Sid": "DenyNetworkChanges",
        "Effect": "Deny",
        "Action": [
            "ec2:CreateVpc",
            "ec2:DeleteVpc",
            "ec2:CreateSubnet",
            "ec2:DeleteSubnet",
            "ec2:CreateInternetGateway",
            "ec2:AttachInternetGateway",
            "ec2:DeleteInternetGateway",
            "ec2:CreateVpcPeeringConnection",
            "ec2:AcceptVpcPeeringConnection",
            "ec2:ModifyVpcAttribute",
        ],
        "Resource": "*",
    },
)

DEVELOPER_BOUNDARY = doc(
    {
        "Sid": "AllowDeveloperServices",
        "Effect": "Allow",
        "Action": [
            "s3:*",
            "lambda:*",
            "dynamodb:*",
            "logs:*",
            "cloudwatch:*",
            "sqs:*",
            "sns:*",
            "ec2:Describe*",
            "ec2:StartInstances",
            "ec2:StopInstances",
            "ssm:Get*",
            "ssm:Describe*",
            "ecr:*",
            "cloudformation:Describe*",
            "cloudformation:List*",
            "cloudformation:GetTemplate",
            "iam:Get*",
            "iam:List*",
            "iam:ChangePassword",
            "iam:*MFADevice",
            "sts:GetCallerIdentity",
            "kms:DescribeKey",
            "kms:ListAliases",
        ],
        "Resource": "*",
    },
    {
        "Sid": "DenyBoundaryTampering",
        "Effect": "Deny",
        "Action": ["iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"],
        "Resource": "*",
    },
)

DEVELOPERS_SELF_SERVICE = doc(
    {
        "Sid": "ManageOwnCredentials",
        "Effect": "Allow",
        "Action": [
            "iam:ChangePassword",
            "iam:GetUser",
            "iam:ListAccessKeys",
            "iam:ListMFADevices",
            "iam:ResyncMFADevice",
        ],
        "Resource": "arn:aws:iam::*:user/${aws:username}",
    }
)

CI_TERRAFORM_IAM_READ = doc(
    {
        "Sid": "TerraformReadIam",
        "Effect": "Allow",
        "Action": ["iam:Get*", "iam:List*"],
        "Resource": "*",
    }
)

INVOICE_RENDER_POLICY = doc(
    {
        "Sid": "ReadTemplates",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": [
            f"arn:aws:s3:::{DEV_ARTIFACTS}/templates/*",
            f"arn:aws:s3:::{EXPORTS}/templates/*",
        ],
    },
    {
        "Sid": "WriteRenderedInvoices",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{DEV_SCRATCH}/invoices/*",
    },
    {
        "Sid": "InvoiceTable",
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
        "Resource": f"arn:aws:dynamodb:eu-west-1:{DEV}:table/invoices",
    },
)

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

# ---- management and security accounts ------------------------------------------------
ORG_REPORTING_READER_POLICY = doc(
    {
        "Sid": "ReadProdReports",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{EXPORTS}", f"arn:aws:s3:::{EXPORTS}/reports/*"],
    },
    {
        "Sid": "CostExplorer",
        "Effect": "Allow",
        "Action": ["ce:GetCostAndUsage", "ce:GetCostForecast"],
        "Resource": "*",
    },
)

RELEASE_PIPELINE_POLICY = doc(
    {
        "Sid": "AssumeDeployRoles",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "arn:aws:iam::*:role/deploy/*",
    },
    {
        "Sid": "Artifacts",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::larkspur-release-artifacts/*",
    },
)

REDTEAM_PROBE_POLICY = doc(
    {
        "Sid": "ProbeReadOnly",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket", "sts:GetCallerIdentity", "ssm:GetParameter"],
        "Resource": "*",
    },
    {
        "Sid": "ProbeParameters",
        "Effect": "Allow",
        "Action": "ssm:PutParameter",
        "Resource": f"arn:aws:ssm:eu-west-1:{SEC}:parameter/*",
    },
)

# ---- trust policies --------------------------------------------------------------


def trust_service(service: str) -> dict:
    """Trust policy letting one AWS service assume the role."""
    return doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def trust_sso(account: str) -> dict:
    """Trust policy Identity Center writes for a permission-set role."""
    return doc(
        {
            "Effect": "Allow",
            "Principal": {
                "Federated": f"arn:aws:iam::{account}:saml-provider/AWSSSO_8a1e4c2f7b9d3065_DO_NOT_DELETE"
            },
            "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
        }
    )


def trust_org_access(account: str) -> dict:
    """Trust of OrganizationAccountAccessRole: the management account."""
    return doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"},
            "Action": "sts:AssumeRole",
        }
    )


PROD_DEPLOYER_TRUST = doc(
    {
        "Sid": "AllowOrgCiRoles",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:PrincipalOrgID": ORG_ID},
            "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci/*"},
        },
    },
    {
        "Sid": "DenyNonProductionAccounts",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringNotEquals": {"aws:PrincipalAccount": [PROD, MGMT]}},
    },
)

INCIDENT_RESPONDER_TRUST = doc(
    {
        "Sid": "AllowSecurityAuditors",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{SEC}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "ArnLike": {
                "aws:PrincipalArn": f"arn:aws:iam::{SEC}:role{sso_role_path()}{sso_role_name('SecurityAudit')}"
            }
        },
    }
)

GITHUB_OIDC_TRUST = doc(
    {
        "Sid": "GitHubActionsOrdersRepo",
        "Effect": "Allow",
        "Principal": {
            "Federated": f"arn:aws:iam::{PROD}:oidc-provider/token.actions.githubusercontent.com"
        },
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {
                "token.actions.githubusercontent.com:sub": "repo:larkspur-io/orders-api:ref:refs/heads/main"
            },
        },
    }
)

ORG_REPORTING_READER_TRUST = trust_service("lambda.amazonaws.com")

RELEASE_PIPELINE_TRUST = trust_service("codebuild.amazonaws.com")

REDTEAM_PROBE_TRUST = doc(
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{SEC}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }
)

# ---- organization policies ----------------------------------------------------------
FULL_AWS_ACCESS = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
RCP_FULL_AWS_ACCESS = doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})

SCP_BASELINE_DOC = doc(
    {
        "Sid": "DenyLeavingOrganization",
        "Effect": "Deny",
        "Action": "organizations:LeaveOrganization",
        "Resource": "*",
    },
    {
        "Sid": "ProtectCloudTrail",
        "Effect": "Deny",
        "Action": [
            "cloudtrail:StopLogging",
            "cloudtrail:DeleteTrail",
            "cloudtrail:UpdateTrail",
            "cloudtrail:PutEventSelectors",
        ],
        "Resource": "*",
        "Condition": {
            "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}
        },
    },
    {
        "Sid": "DenyMemberRootUser",
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
    },
)

SCP_REGIONS_DOC = doc(
    {
        "Sid": "DenyOutsideApprovedRegions",
        "Effect": "Deny",
        "NotAction": [
            "a4b:*",
            "budgets:*",
            "ce:*",
            "cloudfront:*",
            "globalaccelerator:*",
            "health:*",
            "iam:*",
            "organizations:*",
            "route53:*",
            "route53domains:*",
            "shield:*",
            "sso:*",
            "sts:*",
            "support:*",
            "trustedadvisor:*",
            "waf:*",
            "wafv2:*",
        ],
        "Resource": "*",
        "Condition": {
            "StringNotEquals": {"aws:RequestedRegion": APPROVED_REGIONS},
            "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"},
        },
    }
)

RCP_SECRETS_PERIMETER_DOC = doc(
    {
        "Sid": "EnforceNetworkPerimeterOnSecrets",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "secretsmanager:*",
        "Resource": "*",
        "Condition": {
            "NotIpAddressIfExists": {"aws:SourceIp": [OFFICE_CIDR]},
            "StringNotEqualsIfExists": {"aws:SourceVpc": [PROD_VPC]},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
        },
    }
)

# ---- resource policies --------------------------------------------------------------


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
    "Version": V,
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
    "Version": V,
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
    "Version": V,
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

SCRATCH_UNUSED = DEV_SCRATCH  # referenced by INVOICE_RENDER_POLICY
