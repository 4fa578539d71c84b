"""Background actors of the production account: workloads, people, partners, services.

One function per actor (or per group of alike people); ``prod_actors()`` lists
them in the order the background draws from.
"""

from __future__ import annotations

from iamlab.sample.traffic.actors import (
    ALL,
    BOTO3_LAMBDA,
    BOTO3_LAPTOP,
    CLI_LINUX,
    CLI_MAC,
    CONSOLE_UA,
    EU,
    GLOBAL_EU,
    GO_EC2,
    JAVA_FARGATE,
    JAVA_V1,
    SSM_AGENT,
    TERRAFORM,
    Actor,
    fixed_identity,
    role_identity,
    sam_admin,
    service_actor,
    sso_session,
    user_identity,
)
from iamlab.sample.traffic.api_applications import (
    athena_call,
    cloudformation_call,
    dynamodb_call,
    ecr_call,
    glue_call,
    lambda_call,
    lambda_invoke,
    logs_call,
    monitoring_call,
    sns_call,
    sqs_call,
)
from iamlab.sample.traffic.api_infrastructure import (
    ec2_describe,
    ec2_instance_state,
    ec2_run_instances,
    kms_call,
    s3_bucket,
    s3_list_buckets,
    s3_list_objects,
    secrets_call,
    ssm_call,
)
from iamlab.sample.traffic.call_mix import (
    curated_key,
    ec2_describes,
    partner_key,
    raw_key,
    report_key,
    s3_object_call,
    weighted,
    weighted_call,
    weighted_iam,
    weighted_timed,
)
from iamlab.sample.traffic.calls import instance_id
from iamlab.sample.traffic.records import aws_account, aws_service, new_id
from iamlab.sample.world.accounts import (
    ATHENA_RESULTS,
    DATA_LAKE,
    EXPORTS,
    GITHUB_RUNNER_IPS,
    KMS_KEY_ARN,
    MGMT,
    OFFICE_IPS,
    ONPREM_IP,
    ORDERS_FN,
    ORDERS_QUEUE,
    ORDERS_QUEUE_URL,
    ORDERS_SECRET,
    ORDERS_TABLE,
    ORDERS_TOPIC,
    PARTNER,
    PARTNER_IP,
    PROD,
    PROD_NAT_IPS,
    PROD_SECRETS_VPCE,
    WAREHOUSE_SECRET,
    sso_role_name,
)
from iamlab.sample.world.iam import role, user


def prod_actors() -> list[Actor]:
    """Actors whose events land in larkspur-prod, in drawing order."""
    return [
        orders_api(),
        lambda_service_prod(),
        apigateway_invoke(),
        analytics_etl(),
        athena_fas(),
        reporting_batch(),
        ec2_service_prod(),
        autoscaling_slr(),
        svc_legacy_reporting(),
        *prod_people(),
        sso_sam_prod(),
        github_actions(),
        prod_deployer(),
        brightline(),
        org_reporting_reader_s3(),
    ]


def orders_api() -> Actor:
    orders = role(PROD, "orders-api-lambda-role")
    return Actor(
        "orders-api",
        PROD,
        30,
        EU,
        role_identity(orders, "orders-api"),
        [
            weighted_call(6, dynamodb_call, "GetItem", ORDERS_TABLE),
            weighted_call(3, dynamodb_call, "PutItem", ORDERS_TABLE),
            weighted_call(2, dynamodb_call, "UpdateItem", ORDERS_TABLE),
            weighted_call(2, dynamodb_call, "Query", ORDERS_TABLE),
            weighted_call(3, sqs_call, "SendMessage", ORDERS_QUEUE_URL, ORDERS_QUEUE),
            weighted_call(1, sns_call, "Publish", ORDERS_TOPIC),
            weighted_call(1, secrets_call, "GetSecretValue", ORDERS_SECRET),
            weighted(
                1,
                lambda rng, region, when: kms_call(
                    rng, region, "GenerateDataKey", KMS_KEY_ARN, {"app": "orders-api"}
                ),
            ),  # a fresh context dict per record
            weighted_timed(0.6, logs_call, "CreateLogStream"),
        ],
        agents=(BOTO3_LAMBDA,),
        ips=PROD_NAT_IPS,
        vpce=(PROD_SECRETS_VPCE, PROD),
        ip_for_vpce=("10.40.12.57", "10.40.13.201"),
    )


def lambda_service_prod() -> Actor:
    orders = role(PROD, "orders-api-lambda-role")
    return service_actor(
        "lambda-service-prod", PROD, 2, "lambda.amazonaws.com", orders, "orders-api", "lambda"
    )


def apigateway_invoke() -> Actor:
    return Actor(
        "apigateway-invoke",
        PROD,
        6,
        EU,
        fixed_identity(aws_service("apigateway.amazonaws.com")),
        [weighted_call(1, lambda_invoke, ORDERS_FN)],
        agents=("apigateway.amazonaws.com",),
        ips=("apigateway.amazonaws.com",),
        service_agent=True,
    )


def analytics_etl() -> Actor:
    etl = role(PROD, "analytics-etl")
    return Actor(
        "analytics-etl",
        PROD,
        14,
        EU,
        role_identity(etl, lambda w: "etl-" + w.strftime("%Y%m%d")),
        [
            weighted(5, s3_object_call(DATA_LAKE, PROD, "GetObject", raw_key)),
            weighted(4, s3_object_call(DATA_LAKE, PROD, "PutObject", curated_key)),
            weighted(
                1,
                lambda rng, region, when: s3_list_objects(
                    rng, region, DATA_LAKE, f"raw/clickstream/{when:%Y/%m/%d}/", PROD
                ),
            ),
            weighted_call(1.5, athena_call, "StartQueryExecution"),
            weighted_call(3, athena_call, "GetQueryExecution"),
            weighted_call(1, athena_call, "GetQueryResults"),
            weighted(
                1,
                lambda rng, region, when: kms_call(
                    rng, region, "Decrypt", KMS_KEY_ARN, {"app": "analytics"}
                ),
            ),  # a fresh context dict per record
            weighted_call(0.5, secrets_call, "GetSecretValue", WAREHOUSE_SECRET),
        ],
        agents=(JAVA_FARGATE,),
        ips=PROD_NAT_IPS,
        hours=(0, 6),
        vpce=(PROD_SECRETS_VPCE, PROD),
        ip_for_vpce=("10.40.22.19",),
    )


def athena_fas() -> Actor:
    etl = role(PROD, "analytics-etl")
    return Actor(
        "athena-fas",
        PROD,
        4,
        EU,
        role_identity(
            etl, lambda w: "etl-" + w.strftime("%Y%m%d"), invoked_by="athena.amazonaws.com"
        ),
        [
            weighted_call(2, glue_call, "GetTable"),
            weighted_call(2, glue_call, "GetPartitions"),
            weighted_call(1, glue_call, "GetDatabase"),
        ],
        agents=("athena.amazonaws.com",),
        ips=("athena.amazonaws.com",),
        hours=(0, 6),
        service_agent=True,
    )


def reporting_batch() -> Actor:
    batch = role(PROD, "reporting-batch-role")
    return Actor(
        "reporting-batch",
        PROD,
        5,
        EU,
        role_identity(batch, "i-0b7d2e9f4a1c6d385", ec2=True),
        [
            weighted(3, s3_object_call(EXPORTS, PROD, "PutObject", report_key)),
            weighted_call(
                1,
                secrets_call,
                "GetSecretValue",
                f"arn:aws:secretsmanager:eu-west-1:{PROD}:secret:prod/reporting/warehouse-ro-Lk2P9q",
            ),
            weighted_call(
                4,
                ssm_call,
                "UpdateInstanceInformation",
                instanceId="i-0b7d2e9f4a1c6d385",
                agentVersion="3.3.1802.0",
                agentName="amazon-ssm-agent",
                platformType="Linux",
                platformName="Amazon Linux",
                platformVersion="2023",
                iPAddress="10.40.12.88",
                computerName="ip-10-40-12-88.eu-west-1.compute.internal",
                availabilityZone="eu-west-1b",
                availabilityZoneId="euw1-az1",
            ),
        ],
        agents=(GO_EC2.format(api="s3", minor=78), SSM_AGENT),
        ips=("10.40.12.88",),
        vpce=(PROD_SECRETS_VPCE, PROD),
        ip_for_vpce=("10.40.12.88",),
    )


def ec2_service_prod() -> Actor:
    batch = role(PROD, "reporting-batch-role")
    return service_actor(
        "ec2-service-prod", PROD, 1, "ec2.amazonaws.com", batch, "i-0b7d2e9f4a1c6d385", "ec2"
    )


def autoscaling_slr() -> Actor:
    asg = role(PROD, "AWSServiceRoleForAutoScaling")
    return Actor(
        "autoscaling-slr",
        PROD,
        0.6,
        EU,
        role_identity(asg, "AutoScaling", invoked_by="autoscaling.amazonaws.com"),
        [
            weighted_call(
                1,
                ec2_run_instances,
                PROD,
                "subnet-0e2a6c41b9d7f3058",
                "sg-0f4b2d8a61c9e7305",
                profile=f"arn:aws:iam::{PROD}:instance-profile/app/reporting-batch-role",
            ),
            weighted(
                1,
                lambda rng, region, when: ec2_instance_state(
                    rng, region, "TerminateInstances", instance_id(rng)
                ),
            ),
            weighted_call(3, ec2_describe, "DescribeInstanceStatus"),
        ],
        agents=("autoscaling.amazonaws.com",),
        ips=("autoscaling.amazonaws.com",),
        service_agent=True,
    )


def svc_legacy_reporting() -> Actor:
    legacy = user(PROD, "svc-legacy-reporting")
    return Actor(
        "svc-legacy-reporting",
        PROD,
        3,
        EU,
        user_identity(legacy),
        [
            weighted(4, s3_object_call(EXPORTS, PROD, "GetObject", report_key)),
            weighted(
                1,
                lambda rng, region, when: s3_list_objects(
                    rng, region, EXPORTS, f"reports/daily/{when:%Y-%m-%d}/", PROD
                ),
            ),
            weighted_call(1, ec2_describe, "DescribeVolumes"),
            weighted_call(1, ec2_describe, "DescribeSnapshots"),
        ],
        agents=(JAVA_V1,),
        ips=(ONPREM_IP,),
        hours=(5, 8),
    )


def prod_people() -> list[Actor]:
    actors: list[Actor] = []
    for person, pset, weight in (
        ("priya.nair", "DataEngineer", 6),
        ("luis.ortega", "DataEngineer", 4),
        ("kofi.mensah", "ReadOnly", 3),
    ):
        r = role(PROD, sso_role_name(pset))
        calls = (
            [
                weighted_call(3, athena_call, "StartQueryExecution"),
                weighted_call(5, athena_call, "GetQueryExecution"),
                weighted_call(3, athena_call, "GetQueryResults"),
                weighted(2, s3_object_call(DATA_LAKE, PROD, "GetObject", curated_key)),
                weighted(
                    1,
                    s3_object_call(
                        ATHENA_RESULTS, PROD, "GetObject", lambda rng, w: f"{new_id(rng)}.csv"
                    ),
                ),
                weighted_call(1, s3_list_objects, DATA_LAKE, "curated/orders/", PROD),
                weighted_timed(1, monitoring_call, "GetMetricData"),
                weighted_timed(1, logs_call, "StartQuery"),
                weighted_call(0.5, s3_list_buckets),
            ]
            if pset == "DataEngineer"
            else [
                *ec2_describes(
                    "DescribeInstances", "DescribeSecurityGroups", "DescribeVolumes", "DescribeVpcs"
                ),
                weighted_timed(2, monitoring_call, "DescribeAlarms"),
                weighted_timed(2, monitoring_call, "GetMetricData"),
                weighted_timed(1, logs_call, "DescribeLogGroups"),
                weighted_timed(1, logs_call, "FilterLogEvents"),
                weighted_call(1, dynamodb_call, "DescribeTable", ORDERS_TABLE),
                weighted_call(1, lambda_call, "ListFunctions"),
                weighted_call(1, sqs_call, "GetQueueAttributes", ORDERS_QUEUE_URL, ORDERS_QUEUE),
                weighted_call(0.5, cloudformation_call, "DescribeStacks", "orders-api"),
                weighted_iam(0.5, "ListRoles"),
                weighted_iam(0.5, "GetRole", roleName="orders-api-lambda-role"),
            ]
        )
        console = pset == "ReadOnly"
        actors.append(
            Actor(
                f"sso-{person}",
                PROD,
                weight,
                GLOBAL_EU if console else EU,
                role_identity(r, sso_session(person)),
                calls,
                agents=(CONSOLE_UA,)
                if console
                else (CLI_MAC.format(cmd="athena.get-query-execution"), BOTO3_LAPTOP),
                ips=OFFICE_IPS,
                hours=(7, 18),
                console=console,
            )
        )
    return actors


def sso_sam_prod() -> Actor:
    return sam_admin(
        "sso-sam-prod",
        PROD,
        ALL,
        [
            *ec2_describes(
                "DescribeInstances",
                "DescribeSubnets",
                "DescribeNetworkInterfaces",
                "DescribeImages",
            ),
            weighted_call(2, cloudformation_call, "DescribeStackEvents", "orders-api"),
            weighted_call(1, cloudformation_call, "ListStacks", "orders-api"),
            weighted_iam(1, "ListAttachedRolePolicies", roleName="analytics-etl"),
            weighted_iam(
                1,
                "GetPolicyVersion",
                policyArn=f"arn:aws:iam::{PROD}:policy/LegacyReportingAccess",
                versionId="v2",
            ),
            weighted_call(1, kms_call, "DescribeKey", KMS_KEY_ARN),
            weighted_call(0.5, s3_bucket, DATA_LAKE, "GetBucketPolicy", PROD),
        ],
        agents=(
            TERRAFORM.format(api="ec2", minor=203),
            CLI_MAC.format(cmd="ec2.describe-instances"),
        ),
        console=False,
    )


def github_actions() -> Actor:
    gha = role(PROD, "github-actions-orders")
    return Actor(
        "github-actions",
        PROD,
        2,
        EU,
        role_identity(gha, lambda w: f"GitHubActions-{w:%d%H}"),
        [
            weighted_call(1, ecr_call, "GetAuthorizationToken"),
            weighted_call(3, ecr_call, "BatchCheckLayerAvailability"),
            weighted_call(1, ecr_call, "InitiateLayerUpload"),
            weighted_call(1, ecr_call, "CompleteLayerUpload"),
            weighted_call(1, ecr_call, "PutImage"),
            weighted_call(
                1, lambda_call, "UpdateFunctionCode", "orders-api", publish=True, dryRun=False
            ),
            weighted_call(1, lambda_call, "GetFunction", "orders-api"),
        ],
        agents=(
            CLI_LINUX.format(cmd="ecr.get-login-password"),
            CLI_LINUX.format(cmd="lambda.update-function-code"),
        ),
        ips=GITHUB_RUNNER_IPS,
        hours=(9, 17),
    )


def prod_deployer() -> Actor:
    deployer = role(PROD, "ProdDeployer")
    return Actor(
        "prod-deployer",
        PROD,
        1.5,
        EU,
        role_identity(deployer, lambda w: f"release-{w:%Y%m%d}"),
        [
            weighted_call(3, cloudformation_call, "DescribeStacks", "orders-api"),
            weighted_call(2, cloudformation_call, "DescribeStackEvents", "orders-api"),
            weighted_call(1, cloudformation_call, "UpdateStack", "orders-api"),
            weighted_call(1, cloudformation_call, "GetTemplate", "orders-api"),
        ],
        agents=(BOTO3_LAMBDA.replace("exec-env/AWS_Lambda_python3.12", "exec-env/AWS_CodeBuild"),),
        ips=("3.248.17.140",),
        hours=(10, 16),
    )


def brightline() -> Actor:
    return Actor(
        "brightline",
        PROD,
        2,
        EU,
        lambda salt, when: aws_account(f"AROAV2XQ7LMN3BRIGHTLN:brightline-sync-{when:%H}", PARTNER),
        [weighted(1, s3_object_call(EXPORTS, PROD, "GetObject", partner_key))],
        agents=(
            "Boto3/1.36.2 md/Botocore#1.36.2 ua/2.1 os/linux#6.1.0 md/arch#x86_64 "
            "lang/python#3.11.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.36.2",
        ),
        ips=(PARTNER_IP,),
        hours=(2, 4),
    )


def org_reporting_reader_s3() -> Actor:
    reader = role(MGMT, "org-reporting-reader")
    return Actor(
        "org-reporting-reader-s3",
        PROD,
        1,
        EU,
        lambda salt, when: aws_account(f"{reader.id}:finance-reporting", MGMT),
        [weighted(1, s3_object_call(EXPORTS, PROD, "GetObject", report_key))],
        agents=(BOTO3_LAMBDA,),
        ips=("63.35.109.12",),
        hours=(6, 7),
    )
