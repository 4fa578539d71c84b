"""Background actors of the development account: developers, CI, the invoice-render
workload and its Lambda service, Sam's admin session.

One function per actor (or per group of alike actors); ``dev_actors()`` lists them
in the order the background draws from.
"""

from __future__ import annotations

from iamlab.sample.traffic.actors import (
    ALL,
    BOTO3_LAMBDA,
    BOTO3_LAPTOP,
    CLI_MAC,
    CONSOLE_FF,
    EU,
    TERRAFORM,
    Actor,
    role_identity,
    sam_admin,
    service_actor,
    user_identity,
)
from iamlab.sample.traffic.api_applications import (
    cloudformation_call,
    dynamodb_call,
    lambda_call,
    logs_call,
)
from iamlab.sample.traffic.api_infrastructure import (
    ec2_create_tags,
    ec2_instance_state,
    iam_call,
    s3_bucket,
    secrets_call,
    ssm_call,
    sts_get_caller_identity,
)
from iamlab.sample.traffic.call_mix import (
    ec2_describes,
    s3_object_call,
    weighted,
    weighted_call,
    weighted_iam,
    weighted_timed,
)
from iamlab.sample.traffic.records import new_id, token
from iamlab.sample.world.accounts import (
    DEV,
    DEV_ARTIFACTS,
    DEV_NAT_IP,
    DEV_SCRATCH,
    GITHUB_RUNNER_IPS,
    HOME_IPS,
    OFFICE_IPS,
)
from iamlab.sample.world.iam import role, user


def dev_actors() -> list[Actor]:
    """Actors whose events land in larkspur-dev, in drawing order."""
    return [
        *developers(),
        ci_deploy(),
        invoice_render(),
        lambda_service_dev(),
        sso_sam_dev(),
    ]


def developers() -> list[Actor]:
    actors: list[Actor] = []
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
            weighted_call(
                1, dynamodb_call, "Scan", f"arn:aws:dynamodb:eu-west-1:{DEV}:table/invoices"
            ),
            weighted_call(
                1,
                ssm_call,
                "GetParameter",
                name="/dev/invoice-render/base-url",
                withDecryption=False,
            ),
            *ec2_describes("DescribeInstances", "DescribeSecurityGroups"),
            weighted_call(0.5, sts_get_caller_identity),
            weighted(
                0.3, lambda rng, region, when, n=name: iam_call(rng, "GetUser", userName=n), True
            ),
        ]
        if not console:
            calls.append(
                weighted_call(1, ec2_instance_state, "StartInstances", "i-03c9e1f7a2b4d6085")
            )
        actors.append(
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
    return actors


def ci_deploy() -> Actor:
    ci = user(DEV, "ci-deploy")
    return Actor(
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


def invoice_render() -> Actor:
    invoice = role(DEV, "invoice-render-lambda-role")
    return Actor(
        "invoice-render",
        DEV,
        5,
        EU,
        role_identity(invoice, "invoice-render"),
        [
            weighted(
                3,
                s3_object_call(
                    DEV_ARTIFACTS, DEV, "GetObject", lambda rng, w: "templates/invoice.html"
                ),
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


def lambda_service_dev() -> Actor:
    invoice = role(DEV, "invoice-render-lambda-role")
    return service_actor(
        "lambda-service-dev",
        DEV,
        1,
        "lambda.amazonaws.com",
        invoice,
        "invoice-render",
        "lambda-dev",
    )


def sso_sam_dev() -> Actor:
    return sam_admin(
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
