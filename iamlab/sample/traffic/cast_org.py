"""Background actors of the management and security accounts, and the AWS Config
recorder of every account.

One function per actor (or per group of alike actors); ``org_actors()`` lists them
in the order the background draws from.
"""

from __future__ import annotations

from iamlab.sample.traffic.actors import (
    ALL,
    BOTO3_LAMBDA,
    BOTO3_LAPTOP,
    CLI_MAC,
    CONSOLE_UA,
    GLOBAL_EU,
    Actor,
    fixed_identity,
    identity_center_user,
    role_identity,
    sam_admin,
    sso_session,
)
from iamlab.sample.traffic.api_applications import (
    ce_call,
    cloudtrail_call,
    guardduty_call,
    sso_portal,
)
from iamlab.sample.traffic.api_infrastructure import organizations_call, s3_list_buckets
from iamlab.sample.traffic.call_mix import (
    ec2_describes,
    s3_object_call,
    weighted,
    weighted_call,
    weighted_global,
    weighted_iam,
    weighted_timed,
)
from iamlab.sample.traffic.records import new_id, root
from iamlab.sample.world.accounts import DEV, FINDINGS, MGMT, OFFICE_IPS, PROD, SEC, sso_role_name
from iamlab.sample.world.iam import role


def org_actors() -> list[Actor]:
    """Management, security and Config actors, in drawing order."""
    return [
        sso_sam_mgmt(),
        org_reporting_reader(),
        identity_center_portal(),
        root_mgmt(),
        sso_ana(),
        *config_recorders(),
    ]


def sso_sam_mgmt() -> Actor:
    return sam_admin(
        "sso-sam-mgmt",
        MGMT,
        {"us-east-1": 1.0},
        [
            weighted_global(2, organizations_call, "DescribeOrganization"),
            weighted_global(1, organizations_call, "ListAccounts"),
            weighted_global(
                1,
                organizations_call,
                "ListPoliciesForTarget",
                targetId=DEV,
                filter="SERVICE_CONTROL_POLICY",
            ),
            weighted_global(1, organizations_call, "DescribePolicy", policyId="p-3rgn8x2k"),
            weighted_timed(1, cloudtrail_call, "GetTrailStatus"),
        ],
    )


def org_reporting_reader() -> Actor:
    reader = role(MGMT, "org-reporting-reader")
    return Actor(
        "org-reporting-reader",
        MGMT,
        1,
        {"us-east-1": 1.0},
        role_identity(reader, "finance-reporting"),
        [weighted(1, lambda rng, region, when: ce_call(rng, when), True)],
        agents=(BOTO3_LAMBDA,),
        ips=("63.35.109.12",),
        hours=(6, 7),
    )


def identity_center_portal() -> Actor:
    return Actor(
        "identity-center-portal",
        MGMT,
        3,
        {"eu-west-1": 1.0},
        identity_center_user,
        [
            weighted(2, lambda rng, region, when: sso_portal(rng, "ListAccounts")),
            weighted(
                2,
                lambda rng, region, when: sso_portal(
                    rng, "ListAccountRoles", rng.choice([PROD, DEV, SEC])
                ),
            ),
            weighted(
                3,
                lambda rng, region, when: sso_portal(
                    rng,
                    "GetRoleCredentials",
                    rng.choice([PROD, DEV]),
                    rng.choice(["DataEngineer", "ReadOnly", "AdministratorAccess"]),
                ),
            ),
            weighted(1, lambda rng, region, when: sso_portal(rng, "Federate")),
        ],
        agents=(CONSOLE_UA, CLI_MAC.format(cmd="sso.login")),
        ips=OFFICE_IPS,
        hours=(7, 10),
    )


def root_mgmt() -> Actor:
    return Actor(
        "root-mgmt",
        MGMT,
        0.2,
        {"us-east-1": 1.0},
        fixed_identity(root(MGMT, "larkspur-mgmt")),
        [weighted(1, lambda rng, region, when: ce_call(rng, when), True)],
        agents=(CONSOLE_UA,),
        ips=(OFFICE_IPS[0],),
        hours=(9, 11),
        console=True,
    )


def sso_ana() -> Actor:
    audit = role(SEC, sso_role_name("SecurityAudit"))
    return Actor(
        "sso-ana",
        SEC,
        3,
        GLOBAL_EU,
        role_identity(audit, sso_session("ana.silva")),
        [
            weighted_call(3, guardduty_call, "ListFindings"),
            weighted_call(2, guardduty_call, "GetFindings"),
            weighted_call(1, guardduty_call, "ListDetectors"),
            weighted_timed(2, cloudtrail_call, "LookupEvents"),
            weighted_timed(1, cloudtrail_call, "DescribeTrails"),
            weighted(
                2,
                s3_object_call(
                    FINDINGS,
                    SEC,
                    "GetObject",
                    lambda rng, w: f"guardduty/{w:%Y/%m/%d}/{new_id(rng)}.jsonl.gz",
                ),
            ),
            weighted_iam(1, "GenerateCredentialReport"),
        ],
        agents=(CONSOLE_UA, BOTO3_LAPTOP),
        ips=OFFICE_IPS,
        hours=(8, 18),
        console=True,
    )


def config_recorders() -> list[Actor]:
    actors: list[Actor] = []
    for acct in (MGMT, PROD, DEV, SEC):
        cfg = role(acct, "AWSServiceRoleForConfig")
        actors.append(
            Actor(
                f"config-{acct}",
                acct,
                3,
                ALL,
                role_identity(cfg, "AWSConfig-Describe", invoked_by="config.amazonaws.com"),
                [
                    *ec2_describes(
                        "DescribeInstances",
                        "DescribeSecurityGroups",
                        "DescribeVolumes",
                        "DescribeSubnets",
                        "DescribeVpcs",
                        "DescribeNetworkInterfaces",
                    ),
                    weighted_iam(2, "GetRole", roleName="OrganizationAccountAccessRole"),
                    weighted_iam(1, "ListUsers"),
                    weighted_call(1, s3_list_buckets),
                ],
                agents=("config.amazonaws.com",),
                ips=("config.amazonaws.com",),
                service_agent=True,
            )
        )
    return actors
