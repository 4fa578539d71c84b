"""Role trust policies of the sample (services, Identity Center, cross-account, OIDC)."""

from __future__ import annotations

from iamlab.sample.world.accounts import MGMT, ORG_ID, PROD, SEC, sso_role_name, sso_role_path
from iamlab.sample.world.policies import doc

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
