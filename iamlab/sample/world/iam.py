"""Who exists in each account: users, groups, roles and customer managed policies.

Plain tables so the snapshot writer, the event actors and the labels all read
the same names. Unique ids (AIDA/AROA/AGPA/ANPA) are derived from the ARN so
they never change with the seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from iamlab.sample.world.accounts import (
    DEV,
    MGMT,
    PROD,
    SANDBOX,
    SEC,
    sso_role_name,
    sso_role_path,
)
from iamlab.sample.world.policies.aws_managed import aws_managed_arn
from iamlab.sample.world.policies.identity import (
    CI_TERRAFORM_IAM_READ,
    DEVELOPER_ACCESS,
    DEVELOPER_BOUNDARY,
    DEVELOPER_GUARDRAILS,
    DEVELOPERS_SELF_SERVICE,
    INVOICE_RENDER_POLICY,
    ORG_REPORTING_READER_POLICY,
    REDTEAM_PROBE_POLICY,
    RELEASE_PIPELINE_POLICY,
)
from iamlab.sample.world.policies.identity_prod import (
    ANALYTICS_ETL_POLICY,
    APP_ROLE_BOUNDARY,
    DATA_ENGINEER_INLINE,
    GITHUB_ORDERS_POLICY,
    INCIDENT_RESPONSE_POLICY,
    LEGACY_REPORTING_ACCESS,
    ORDERS_API_POLICY,
    PROD_DEPLOYER_POLICY,
    READ_ONLY_INLINE,
    REPORTING_BATCH_POLICY,
    SECURITY_AUDIT_INLINE,
)
from iamlab.sample.world.policies.trust import (
    GITHUB_OIDC_TRUST,
    INCIDENT_RESPONDER_TRUST,
    ORG_REPORTING_READER_TRUST,
    PROD_DEPLOYER_TRUST,
    REDTEAM_PROBE_TRUST,
    RELEASE_PIPELINE_TRUST,
    trust_org_access,
    trust_service,
    trust_sso,
)

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def unique_id(prefix: str, arn: str) -> str:
    """AWS-style unique id (prefix + 17 base32 characters) derived from an ARN."""
    digest = hashlib.sha256(arn.encode()).digest()
    return prefix + "".join(_B32[b % 32] for b in digest[:17])


@dataclass(frozen=True)
class ManagedPolicy:
    account: str
    path: str
    name: str
    document: dict
    description: str
    previous: dict | None = None  # an older, non-default version

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:policy{self.path}{self.name}"


@dataclass(frozen=True)
class User:
    account: str
    path: str
    name: str
    groups: tuple[str, ...] = ()
    inline: dict = field(default_factory=dict)
    attached: tuple[str, ...] = ()
    boundary: str | None = None
    tags: dict = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:user{self.path}{self.name}"

    @property
    def id(self) -> str:
        return unique_id("AIDA", self.arn)


@dataclass(frozen=True)
class Group:
    account: str
    path: str
    name: str
    inline: dict = field(default_factory=dict)
    attached: tuple[str, ...] = ()

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:group{self.path}{self.name}"


@dataclass(frozen=True)
class Role:
    account: str
    path: str
    name: str
    trust: dict
    inline: dict = field(default_factory=dict)
    attached: tuple[str, ...] = ()
    boundary: str | None = None
    tags: dict = field(default_factory=dict)
    description: str = ""
    instance_profile: bool = False

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role{self.path}{self.name}"

    @property
    def id(self) -> str:
        return unique_id("AROA", self.arn)


def _cm(account: str, path: str, name: str, document: dict, description: str) -> ManagedPolicy:
    previous = (
        dict(document, Statement=document["Statement"][:-1])
        if len(document["Statement"]) > 1
        else None
    )
    return ManagedPolicy(account, path, name, document, description, previous)


CUSTOMER_MANAGED = [
    _cm(
        DEV,
        "/",
        "DeveloperAccess",
        DEVELOPER_ACCESS,
        "Day-to-day developer access in larkspur-dev",
    ),
    _cm(
        DEV,
        "/",
        "DeveloperGuardrails",
        DEVELOPER_GUARDRAILS,
        "Identity and network changes go through the platform team",
    ),
    _cm(
        DEV,
        "/boundaries/",
        "DeveloperBoundary",
        DEVELOPER_BOUNDARY,
        "Permissions boundary for developer IAM users",
    ),
    _cm(
        PROD,
        "/",
        "LegacyReportingAccess",
        LEGACY_REPORTING_ACCESS,
        "On-premises reporting integration",
    ),
    _cm(
        PROD,
        "/boundaries/",
        "AppRoleBoundary",
        APP_ROLE_BOUNDARY,
        "Boundary for application roles",
    ),
]
MANAGED_BY_ARN = {p.arn: p for p in CUSTOMER_MANAGED}


def cm_arn(account: str, name: str) -> str:
    """ARN of a customer managed policy by account and name."""
    for policy in CUSTOMER_MANAGED:
        if policy.account == account and policy.name == name:
            return policy.arn
    raise KeyError(name)


ADMIN = aws_managed_arn("AdministratorAccess")
LAMBDA_BASIC = aws_managed_arn("AWSLambdaBasicExecutionRole")
LAMBDA_VPC = aws_managed_arn("AWSLambdaVPCAccessExecutionRole")
CONFIG_SLR = aws_managed_arn("AWSConfigServiceRolePolicy")
AUTOSCALING_SLR = aws_managed_arn("AutoScalingServiceRolePolicy")
POWER_USER = aws_managed_arn("PowerUserAccess")

USERS = [
    User(
        DEV,
        "/people/",
        "dana.kim",
        ("developers",),
        boundary=cm_arn(DEV, "DeveloperBoundary"),
        tags={"team": "billing", "email": "dana.kim@larkspur.io"},
    ),
    User(
        DEV,
        "/people/",
        "tom.reyes",
        ("developers",),
        tags={"team": "billing", "email": "tom.reyes@larkspur.io"},
    ),
    User(
        DEV,
        "/automation/",
        "ci-deploy",
        inline={"TerraformIamRead": CI_TERRAFORM_IAM_READ},
        attached=(POWER_USER,),
        tags={"owner": "platform", "used-by": "terraform"},
    ),
    User(
        PROD,
        "/integrations/",
        "svc-legacy-reporting",
        ("integrations",),
        tags={"owner": "finance-it", "host": "rpt01.corp.larkspur.io"},
    ),
]

GROUPS = [
    Group(
        DEV,
        "/",
        "developers",
        inline={"developers-self-service": DEVELOPERS_SELF_SERVICE},
        attached=(cm_arn(DEV, "DeveloperAccess"), cm_arn(DEV, "DeveloperGuardrails")),
    ),
    Group(PROD, "/", "integrations", attached=(cm_arn(PROD, "LegacyReportingAccess"),)),
]


def _sso(
    account: str, permission_set: str, inline: dict | None = None, attached: tuple = ()
) -> Role:
    return Role(
        account,
        sso_role_path(),
        sso_role_name(permission_set),
        trust_sso(account),
        inline={"AwsSSOInlinePolicy": inline} if inline else {},
        attached=attached,
        description="",
    )


def _org_access(account: str) -> Role:
    return Role(
        account,
        "/",
        "OrganizationAccountAccessRole",
        trust_org_access(account),
        attached=(ADMIN,),
    )


def _config_slr(account: str) -> Role:
    return Role(
        account,
        "/aws-service-role/config.amazonaws.com/",
        "AWSServiceRoleForConfig",
        trust_service("config.amazonaws.com"),
        attached=(CONFIG_SLR,),
        description="",
    )


ROLES = [
    # management
    _sso(MGMT, "AdministratorAccess", attached=(ADMIN,)),
    Role(
        MGMT,
        "/",
        "org-reporting-reader",
        ORG_REPORTING_READER_TRUST,
        inline={"read-prod-reports": ORG_REPORTING_READER_POLICY},
        attached=(LAMBDA_BASIC,),
        description="Finance reporting Lambda reads the prod exports",
    ),
    Role(
        MGMT,
        "/ci/",
        "release-pipeline",
        RELEASE_PIPELINE_TRUST,
        inline={"release": RELEASE_PIPELINE_POLICY},
        description="CodeBuild release pipeline",
    ),
    _config_slr(MGMT),
    # production
    _sso(PROD, "AdministratorAccess", attached=(ADMIN,)),
    _sso(PROD, "DataEngineer", inline=DATA_ENGINEER_INLINE),
    _sso(PROD, "ReadOnly", inline=READ_ONLY_INLINE),
    _org_access(PROD),
    Role(
        PROD,
        "/service-role/",
        "orders-api-lambda-role",
        trust_service("lambda.amazonaws.com"),
        inline={"orders-api-access": ORDERS_API_POLICY},
        attached=(LAMBDA_BASIC, LAMBDA_VPC),
        tags={"app": "orders-api"},
    ),
    Role(
        PROD,
        "/app/",
        "analytics-etl",
        trust_service("ecs-tasks.amazonaws.com"),
        inline={"etl-access": ANALYTICS_ETL_POLICY},
        boundary=cm_arn(PROD, "AppRoleBoundary"),
        tags={"app": "analytics"},
        description="Nightly ETL (ECS Fargate)",
    ),
    Role(
        PROD,
        "/app/",
        "reporting-batch-role",
        trust_service("ec2.amazonaws.com"),
        inline={"reporting-batch": REPORTING_BATCH_POLICY},
        boundary=cm_arn(PROD, "AppRoleBoundary"),
        tags={"app": "reporting"},
        instance_profile=True,
    ),
    Role(
        PROD,
        "/app/",
        "data-retention-admin",
        trust_service("lambda.amazonaws.com"),
        attached=(LAMBDA_BASIC,),
        description="Only role allowed to delete data-lake objects",
    ),
    Role(
        PROD,
        "/",
        "IncidentResponder",
        INCIDENT_RESPONDER_TRUST,
        inline={"incident-response": INCIDENT_RESPONSE_POLICY},
        description="Assumed by the security team",
    ),
    Role(
        PROD,
        "/deploy/",
        "ProdDeployer",
        PROD_DEPLOYER_TRUST,
        inline={"deploy": PROD_DEPLOYER_POLICY},
        description="CloudFormation deployments from CI",
    ),
    Role(
        PROD,
        "/",
        "github-actions-orders",
        GITHUB_OIDC_TRUST,
        inline={"build-and-push": GITHUB_ORDERS_POLICY},
    ),
    Role(
        PROD,
        "/aws-service-role/autoscaling.amazonaws.com/",
        "AWSServiceRoleForAutoScaling",
        trust_service("autoscaling.amazonaws.com"),
        attached=(AUTOSCALING_SLR,),
        description="Default Service-Linked Role enables access to AWS Services and Resources "
        "used or managed by Auto Scaling",
    ),
    _config_slr(PROD),
    # development
    _sso(DEV, "AdministratorAccess", attached=(ADMIN,)),
    _sso(DEV, "ReadOnly", inline=READ_ONLY_INLINE),
    _org_access(DEV),
    Role(
        DEV,
        "/service-role/",
        "invoice-render-lambda-role",
        trust_service("lambda.amazonaws.com"),
        inline={"invoice-render": INVOICE_RENDER_POLICY},
        attached=(LAMBDA_BASIC,),
    ),
    _config_slr(DEV),
    # security
    _sso(SEC, "AdministratorAccess", attached=(ADMIN,)),
    _sso(SEC, "SecurityAudit", inline=SECURITY_AUDIT_INLINE),
    _org_access(SEC),
    Role(
        SEC,
        "/",
        "redteam-probe",
        REDTEAM_PROBE_TRUST,
        inline={"probe": REDTEAM_PROBE_POLICY},
        description="Red-team canaries for the SOC tooling",
    ),
    _config_slr(SEC),
    # sandbox: invited, so its team created the access role by hand before accepting
    _org_access(SANDBOX),
]


def role(account: str, name: str) -> Role:
    """The role with this name in this account."""
    for r in ROLES:
        if r.account == account and r.name == name:
            return r
    raise KeyError(f"{account}:{name}")


def user(account: str, name: str) -> User:
    """The IAM user with this name in this account."""
    for u in USERS:
        if u.account == account and u.name == name:
            return u
    raise KeyError(f"{account}:{name}")
