"""Customer identity policies of the development, management and security accounts.

The production account's are in ``identity_prod``.
"""

from __future__ import annotations

from iamlab.sample.world.accounts import DEV, DEV_ARTIFACTS, DEV_SCRATCH, EXPORTS, SEC
from iamlab.sample.world.policies import doc

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
