"""AWS managed policies the sample attaches, and their ARNs.

Documents marked ``ABRIDGED`` keep only the statements this sample exercises
(the real ones are longer); AdministratorAccess and AWSLambdaBasicExecutionRole
are complete (from memory of the AWS console).
"""

from __future__ import annotations

from iamlab.sample.world.policies import doc

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
