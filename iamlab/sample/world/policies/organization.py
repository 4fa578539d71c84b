"""Organization policies of the sample: the SCPs and RCPs that bound every account
of the organization. Labels name Sids from them (see ``world/labels.py``).
"""

from __future__ import annotations

from iamlab.sample.world.accounts import APPROVED_REGIONS, OFFICE_CIDR, PROD_VPC
from iamlab.sample.world.policies import doc

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
