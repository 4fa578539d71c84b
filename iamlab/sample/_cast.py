"""The background cast: every person, workload and AWS service that calls AWS
in the sample, with what it calls. Calls stay inside what the snapshot allows
the caller, so background traffic is ordinary successful work.
"""

from __future__ import annotations

from iamlab.sample._cast_prod import prod_actors
from iamlab.sample.traffic.actors import (
    ALL,
    BOTO3_LAMBDA,
    BOTO3_LAPTOP,
    CLI_MAC,
    CONSOLE_FF,
    CONSOLE_UA,
    EU,
    GLOBAL_EU,
    TERRAFORM,
    Actor,
    fixed_identity,
    identity_center_user,
    role_identity,
    sam_admin,
    service_actor,
    sso_session,
    user_identity,
)
from iamlab.sample.traffic.api_applications import (
    ce_call,
    cloudformation_call,
    cloudtrail_call,
    dynamodb_call,
    guardduty_call,
    lambda_call,
    logs_call,
    sso_portal,
)
from iamlab.sample.traffic.api_infrastructure import (
    ec2_create_tags,
    ec2_instance_state,
    iam_call,
    organizations_call,
    s3_bucket,
    s3_list_buckets,
    secrets_call,
    ssm_call,
    sts_get_caller_identity,
)
from iamlab.sample.traffic.call_mix import (
    ec2_describes,
    s3_object_call,
    weighted,
    weighted_call,
    weighted_global,
    weighted_iam,
    weighted_timed,
)
from iamlab.sample.traffic.records import new_id, root, token
from iamlab.sample.world.accounts import (
    DEV,
    DEV_ARTIFACTS,
    DEV_NAT_IP,
    DEV_SCRATCH,
    FINDINGS,
    GITHUB_RUNNER_IPS,
    HOME_IPS,
    MGMT,
    OFFICE_IPS,
    PROD,
    SEC,
    sso_role_name,
)
from iamlab.sample.world.iam import role, user


def build_cast() -> list[Actor]:
    """Every background actor."""
    cast: list[Actor] = prod_actors()
    reader = role(MGMT, "org-reporting-reader")

    # ---------------- development ---------------------------------------------------------
    for name, weight, console in (("dana.kim", 5, True), ("tom.reyes", 5, False)):
        u = user(DEV, name)
        calls = [
            weighted_call(2, lambda_call, "GetFunction", "invoice-render"),
            weighted_call(1, lambda_call, "ListFunctions"),
            weighted_call(
                1,
                lambda_call,
                "UpdateFunctionCode",
                "invoice-render",
                publish=False,
                dryRun=False,
            ),
            weighted(
                2,
                s3_object_call(
                    DEV_ARTIFACTS,
                    DEV,
                    "GetObject",
                    lambda rng, w: f"builds/invoice-render/{token(rng, 7).lower()}.zip",
                ),
            ),
            weighted(
                1,
                s3_object_call(
                    DEV_SCRATCH,
                    DEV,
                    "PutObject",
                    lambda rng, w, n=name: f"{n}/tmp/{token(rng, 10)}.json",
                ),
            ),
            weighted(
                2,
                lambda rng, region, when: logs_call(
                    rng, region, "FilterLogEvents", when, "/aws/lambda/invoice-render"
                ),
            ),
            weighted_call(1, dynamodb_call, "Scan", f"arn:aws:dynamodb:eu-west-1:{DEV}:table/invoices"),
            weighted_call(
                1,
                ssm_call,
                "GetParameter",
                name="/dev/invoice-render/base-url",
                withDecryption=False,
            ),
            *ec2_describes("DescribeInstances", "DescribeSecurityGroups"),
            weighted_call(0.5, sts_get_caller_identity),
            weighted(0.3, lambda rng, region, when, n=name: iam_call(rng, "GetUser", userName=n), True),
        ]
        if not console:
            calls.append(weighted_call(1, ec2_instance_state, "StartInstances", "i-03c9e1f7a2b4d6085"))
        cast.append(
            Actor(
                name,
                DEV,
                weight,
                {"eu-west-1": 0.9, "us-east-1": 0.1},
                user_identity(u, console=console),
                calls,
                agents=(CONSOLE_FF,)
                if console
                else (CLI_MAC.format(cmd="lambda.get-function"), BOTO3_LAPTOP),
                ips=(*OFFICE_IPS, HOME_IPS["dana"]) if console else OFFICE_IPS,
                hours=(8, 18),
                console=console,
            )
        )

    ci = user(DEV, "ci-deploy")
    cast.append(
        Actor(
            "ci-deploy",
            DEV,
            5,
            {"eu-west-1": 0.8, "us-east-1": 0.1, "us-west-2": 0.1},
            user_identity(ci),
            [
                *ec2_describes(
                    "DescribeVpcs",
                    "DescribeSubnets",
                    "DescribeSecurityGroups",
                    "DescribeLaunchTemplates",
                ),
                weighted_iam(2, "GetRole", roleName="invoice-render-lambda-role"),
                weighted_iam(1, "ListRolePolicies", roleName="invoice-render-lambda-role"),
                weighted_call(2, lambda_call, "GetFunction", "invoice-render"),
                weighted_call(1, lambda_call, "GetPolicy", "invoice-render"),
                weighted_call(1, s3_bucket, DEV_ARTIFACTS, "GetBucketPolicy", DEV),
                weighted_call(1, s3_bucket, DEV_ARTIFACTS, "GetBucketVersioning", DEV),
                weighted_call(
                    1,
                    dynamodb_call,
                    "DescribeTable",
                    f"arn:aws:dynamodb:eu-west-1:{DEV}:table/invoices",
                ),
                weighted_call(
                    1,
                    dynamodb_call,
                    "DescribeTimeToLive",
                    f"arn:aws:dynamodb:eu-west-1:{DEV}:table/invoices",
                ),
                weighted_timed(1, logs_call, "DescribeLogGroups"),
                weighted_call(
                    1,
                    ssm_call,
                    "GetParameters",
                    names=["/dev/invoice-render/base-url"],
                    withDecryption=True,
                ),
                weighted_call(1, secrets_call, "DescribeSecret", "dev/invoice-render/api-key"),
            ],
            agents=(
                TERRAFORM.format(api="ec2", minor=203),
                TERRAFORM.format(api="iam", minor=39),
                TERRAFORM.format(api="lambda", minor=69),
            ),
            ips=GITHUB_RUNNER_IPS,
            hours=(9, 18),
        )
    )

    invoice = role(DEV, "invoice-render-lambda-role")
    cast.append(
        Actor(
            "invoice-render",
            DEV,
            5,
            EU,
            role_identity(invoice, "invoice-render"),
            [
                weighted(
                    3,
                    s3_object_call(DEV_ARTIFACTS, DEV, "GetObject", lambda rng, w: "templates/invoice.html"),
                ),
                weighted(
                    3,
                    s3_object_call(
                        DEV_SCRATCH,
                        DEV,
                        "PutObject",
                        lambda rng, w: f"invoices/{w:%Y/%m/%d}/{new_id(rng)}.pdf",
                    ),
                ),
                weighted_call(
                    2,
                    dynamodb_call,
                    "GetItem",
                    f"arn:aws:dynamodb:eu-west-1:{DEV}:table/invoices",
                ),
                weighted(
                    1,
                    lambda rng, region, when: logs_call(
                        rng, region, "CreateLogStream", when, "/aws/lambda/invoice-render"
                    ),
                ),
            ],
            agents=(BOTO3_LAMBDA,),
            ips=(DEV_NAT_IP,),
        )
    )
    cast.append(
        service_actor(
            "lambda-service-dev",
            DEV,
            1,
            "lambda.amazonaws.com",
            invoice,
            "invoice-render",
            "lambda-dev",
        )
    )

    cast.append(
        sam_admin(
            "sso-sam-dev",
            DEV,
            ALL,
            [
                *ec2_describes("DescribeInstances", "DescribeVpcs", "DescribeRegions"),
                weighted_call(1, cloudformation_call, "DescribeStacks", "invoice-render"),
                weighted_iam(1, "ListUsers"),
                weighted_iam(1, "ListAccessKeys", userName="ci-deploy"),
                weighted_call(0.5, ec2_create_tags, "i-03c9e1f7a2b4d6085", "owner", "billing"),
            ],
        )
    )

    # ---------------- management and security -----------------------------------------
    cast.append(
        sam_admin(
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
    )
    cast.append(
        Actor(
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
    )
    cast.append(
        Actor(
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
    )
    cast.append(
        Actor(
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
    )

    audit = role(SEC, sso_role_name("SecurityAudit"))
    cast.append(
        Actor(
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
    )

    for acct in (MGMT, PROD, DEV, SEC):
        cfg = role(acct, "AWSServiceRoleForConfig")
        cast.append(
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
    return cast
