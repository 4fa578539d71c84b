"""Background actors of the production account: workloads, people, partners, services."""

from __future__ import annotations

from iamlab.sample._cast_base import (
    ALL,
    EU,
    GLOBAL_EU,
    _call,
    _curated_key,
    _ec2,
    _iam,
    _obj,
    _partner_key,
    _raw_key,
    _report_key,
    _sso_session,
    _timed,
    _w,
    sam_admin,
    service_actor,
)
from iamlab.sample.traffic.actors import (
    BOTO3_LAMBDA,
    BOTO3_LAPTOP,
    CLI_LINUX,
    CLI_MAC,
    CONSOLE_UA,
    GO_EC2,
    JAVA_FARGATE,
    JAVA_V1,
    SSM_AGENT,
    TERRAFORM,
    Actor,
    fixed_identity,
    role_identity,
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
    """Actors whose events land in larkspur-prod."""
    cast: list[Actor] = []
    # ---------------- production workloads -----------------------------------------
    orders = role(PROD, "orders-api-lambda-role")
    cast.append(
        Actor(
            "orders-api",
            PROD,
            30,
            EU,
            role_identity(orders, "orders-api"),
            [
                _call(6, dynamodb_call, "GetItem", ORDERS_TABLE),
                _call(3, dynamodb_call, "PutItem", ORDERS_TABLE),
                _call(2, dynamodb_call, "UpdateItem", ORDERS_TABLE),
                _call(2, dynamodb_call, "Query", ORDERS_TABLE),
                _call(3, sqs_call, "SendMessage", ORDERS_QUEUE_URL, ORDERS_QUEUE),
                _call(1, sns_call, "Publish", ORDERS_TOPIC),
                _call(1, secrets_call, "GetSecretValue", ORDERS_SECRET),
                _w(
                    1,
                    lambda rng, region, when: kms_call(
                        rng, region, "GenerateDataKey", KMS_KEY_ARN, {"app": "orders-api"}
                    ),
                ),  # a fresh context dict per record
                _timed(0.6, logs_call, "CreateLogStream"),
            ],
            agents=(BOTO3_LAMBDA,),
            ips=PROD_NAT_IPS,
            vpce=(PROD_SECRETS_VPCE, PROD),
            ip_for_vpce=("10.40.12.57", "10.40.13.201"),
        )
    )
    cast.append(
        service_actor(
            "lambda-service-prod", PROD, 2, "lambda.amazonaws.com", orders, "orders-api", "lambda"
        )
    )
    cast.append(
        Actor(
            "apigateway-invoke",
            PROD,
            6,
            EU,
            fixed_identity(aws_service("apigateway.amazonaws.com")),
            [_call(1, lambda_invoke, ORDERS_FN)],
            agents=("apigateway.amazonaws.com",),
            ips=("apigateway.amazonaws.com",),
            service_agent=True,
        )
    )

    etl = role(PROD, "analytics-etl")
    cast.append(
        Actor(
            "analytics-etl",
            PROD,
            14,
            EU,
            role_identity(etl, lambda w: "etl-" + w.strftime("%Y%m%d")),
            [
                _w(5, _obj(DATA_LAKE, PROD, "GetObject", _raw_key)),
                _w(4, _obj(DATA_LAKE, PROD, "PutObject", _curated_key)),
                _w(
                    1,
                    lambda rng, region, when: s3_list_objects(
                        rng, region, DATA_LAKE, f"raw/clickstream/{when:%Y/%m/%d}/", PROD
                    ),
                ),
                _call(1.5, athena_call, "StartQueryExecution"),
                _call(3, athena_call, "GetQueryExecution"),
                _call(1, athena_call, "GetQueryResults"),
                _w(
                    1,
                    lambda rng, region, when: kms_call(
                        rng, region, "Decrypt", KMS_KEY_ARN, {"app": "analytics"}
                    ),
                ),  # a fresh context dict per record
                _call(0.5, secrets_call, "GetSecretValue", WAREHOUSE_SECRET),
            ],
            agents=(JAVA_FARGATE,),
            ips=PROD_NAT_IPS,
            hours=(0, 6),
            vpce=(PROD_SECRETS_VPCE, PROD),
            ip_for_vpce=("10.40.22.19",),
        )
    )
    cast.append(
        Actor(
            "athena-fas",
            PROD,
            4,
            EU,
            role_identity(
                etl, lambda w: "etl-" + w.strftime("%Y%m%d"), invoked_by="athena.amazonaws.com"
            ),
            [
                _call(2, glue_call, "GetTable"),
                _call(2, glue_call, "GetPartitions"),
                _call(1, glue_call, "GetDatabase"),
            ],
            agents=("athena.amazonaws.com",),
            ips=("athena.amazonaws.com",),
            hours=(0, 6),
            service_agent=True,
        )
    )

    batch = role(PROD, "reporting-batch-role")
    cast.append(
        Actor(
            "reporting-batch",
            PROD,
            5,
            EU,
            role_identity(batch, "i-0b7d2e9f4a1c6d385", ec2=True),
            [
                _w(3, _obj(EXPORTS, PROD, "PutObject", _report_key)),
                _call(
                    1,
                    secrets_call,
                    "GetSecretValue",
                    f"arn:aws:secretsmanager:eu-west-1:{PROD}:secret:prod/reporting/warehouse-ro-Lk2P9q",
                ),
                _call(
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
    )
    cast.append(
        service_actor(
            "ec2-service-prod", PROD, 1, "ec2.amazonaws.com", batch, "i-0b7d2e9f4a1c6d385", "ec2"
        )
    )

    asg = role(PROD, "AWSServiceRoleForAutoScaling")
    cast.append(
        Actor(
            "autoscaling-slr",
            PROD,
            0.6,
            EU,
            role_identity(asg, "AutoScaling", invoked_by="autoscaling.amazonaws.com"),
            [
                _call(
                    1,
                    ec2_run_instances,
                    PROD,
                    "subnet-0e2a6c41b9d7f3058",
                    "sg-0f4b2d8a61c9e7305",
                    profile=f"arn:aws:iam::{PROD}:instance-profile/app/reporting-batch-role",
                ),
                _w(
                    1,
                    lambda rng, region, when: ec2_instance_state(
                        rng, region, "TerminateInstances", instance_id(rng)
                    ),
                ),
                _call(3, ec2_describe, "DescribeInstanceStatus"),
            ],
            agents=("autoscaling.amazonaws.com",),
            ips=("autoscaling.amazonaws.com",),
            service_agent=True,
        )
    )

    legacy = user(PROD, "svc-legacy-reporting")
    cast.append(
        Actor(
            "svc-legacy-reporting",
            PROD,
            3,
            EU,
            user_identity(legacy),
            [
                _w(4, _obj(EXPORTS, PROD, "GetObject", _report_key)),
                _w(
                    1,
                    lambda rng, region, when: s3_list_objects(
                        rng, region, EXPORTS, f"reports/daily/{when:%Y-%m-%d}/", PROD
                    ),
                ),
                _call(1, ec2_describe, "DescribeVolumes"),
                _call(1, ec2_describe, "DescribeSnapshots"),
            ],
            agents=(JAVA_V1,),
            ips=(ONPREM_IP,),
            hours=(5, 8),
        )
    )

    # people in production (Identity Center permission sets)
    for person, pset, weight in (
        ("priya.nair", "DataEngineer", 6),
        ("luis.ortega", "DataEngineer", 4),
        ("kofi.mensah", "ReadOnly", 3),
    ):
        r = role(PROD, sso_role_name(pset))
        calls = (
            [
                _call(3, athena_call, "StartQueryExecution"),
                _call(5, athena_call, "GetQueryExecution"),
                _call(3, athena_call, "GetQueryResults"),
                _w(2, _obj(DATA_LAKE, PROD, "GetObject", _curated_key)),
                _w(
                    1,
                    _obj(ATHENA_RESULTS, PROD, "GetObject", lambda rng, w: f"{new_id(rng)}.csv"),
                ),
                _call(1, s3_list_objects, DATA_LAKE, "curated/orders/", PROD),
                _timed(1, monitoring_call, "GetMetricData"),
                _timed(1, logs_call, "StartQuery"),
                _call(0.5, s3_list_buckets),
            ]
            if pset == "DataEngineer"
            else [
                *_ec2(
                    "DescribeInstances", "DescribeSecurityGroups", "DescribeVolumes", "DescribeVpcs"
                ),
                _timed(2, monitoring_call, "DescribeAlarms"),
                _timed(2, monitoring_call, "GetMetricData"),
                _timed(1, logs_call, "DescribeLogGroups"),
                _timed(1, logs_call, "FilterLogEvents"),
                _call(1, dynamodb_call, "DescribeTable", ORDERS_TABLE),
                _call(1, lambda_call, "ListFunctions"),
                _call(1, sqs_call, "GetQueueAttributes", ORDERS_QUEUE_URL, ORDERS_QUEUE),
                _call(0.5, cloudformation_call, "DescribeStacks", "orders-api"),
                _iam(0.5, "ListRoles"),
                _iam(0.5, "GetRole", roleName="orders-api-lambda-role"),
            ]
        )
        console = pset == "ReadOnly"
        cast.append(
            Actor(
                f"sso-{person}",
                PROD,
                weight,
                GLOBAL_EU if console else EU,
                role_identity(r, _sso_session(person)),
                calls,
                agents=(CONSOLE_UA,)
                if console
                else (CLI_MAC.format(cmd="athena.get-query-execution"), BOTO3_LAPTOP),
                ips=OFFICE_IPS,
                hours=(7, 18),
                console=console,
            )
        )

    cast.append(
        sam_admin(
            "sso-sam-prod",
            PROD,
            ALL,
            [
                *_ec2(
                    "DescribeInstances",
                    "DescribeSubnets",
                    "DescribeNetworkInterfaces",
                    "DescribeImages",
                ),
                _call(2, cloudformation_call, "DescribeStackEvents", "orders-api"),
                _call(1, cloudformation_call, "ListStacks", "orders-api"),
                _iam(1, "ListAttachedRolePolicies", roleName="analytics-etl"),
                _iam(
                    1,
                    "GetPolicyVersion",
                    policyArn=f"arn:aws:iam::{PROD}:policy/LegacyReportingAccess",
                    versionId="v2",
                ),
                _call(1, kms_call, "DescribeKey", KMS_KEY_ARN),
                _call(0.5, s3_bucket, DATA_LAKE, "GetBucketPolicy", PROD),
            ],
            agents=(
                TERRAFORM.format(api="ec2", minor=203),
                CLI_MAC.format(cmd="ec2.describe-instances"),
            ),
            console=False,
        )
    )

    gha = role(PROD, "github-actions-orders")
    cast.append(
        Actor(
            "github-actions",
            PROD,
            2,
            EU,
            role_identity(gha, lambda w: f"GitHubActions-{w:%d%H}"),
            [
                _call(1, ecr_call, "GetAuthorizationToken"),
                _call(3, ecr_call, "BatchCheckLayerAvailability"),
                _call(1, ecr_call, "InitiateLayerUpload"),
                _call(1, ecr_call, "CompleteLayerUpload"),
                _call(1, ecr_call, "PutImage"),
                _call(
                    1, lambda_call, "UpdateFunctionCode", "orders-api", publish=True, dryRun=False
                ),
                _call(1, lambda_call, "GetFunction", "orders-api"),
            ],
            agents=(
                CLI_LINUX.format(cmd="ecr.get-login-password"),
                CLI_LINUX.format(cmd="lambda.update-function-code"),
            ),
            ips=GITHUB_RUNNER_IPS,
            hours=(9, 17),
        )
    )

    deployer = role(PROD, "ProdDeployer")
    cast.append(
        Actor(
            "prod-deployer",
            PROD,
            1.5,
            EU,
            role_identity(deployer, lambda w: f"release-{w:%Y%m%d}"),
            [
                _call(3, cloudformation_call, "DescribeStacks", "orders-api"),
                _call(2, cloudformation_call, "DescribeStackEvents", "orders-api"),
                _call(1, cloudformation_call, "UpdateStack", "orders-api"),
                _call(1, cloudformation_call, "GetTemplate", "orders-api"),
            ],
            agents=(
                BOTO3_LAMBDA.replace("exec-env/AWS_Lambda_python3.12", "exec-env/AWS_CodeBuild"),
            ),
            ips=("3.248.17.140",),
            hours=(10, 16),
        )
    )

    # partner and management reader: bucket owner's copy shows AWSAccount
    cast.append(
        Actor(
            "brightline",
            PROD,
            2,
            EU,
            lambda salt, when: aws_account(
                f"AROAV2XQ7LMN3BRIGHTLN:brightline-sync-{when:%H}", PARTNER
            ),
            [_w(1, _obj(EXPORTS, PROD, "GetObject", _partner_key))],
            agents=(
                "Boto3/1.36.2 md/Botocore#1.36.2 ua/2.1 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2 "
                "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.36.2",
            ),
            ips=(PARTNER_IP,),
            hours=(2, 4),
        )
    )
    reader = role(MGMT, "org-reporting-reader")
    cast.append(
        Actor(
            "org-reporting-reader-s3",
            PROD,
            1,
            EU,
            lambda salt, when: aws_account(f"{reader.id}:finance-reporting", MGMT),
            [_w(1, _obj(EXPORTS, PROD, "GetObject", _report_key))],
            agents=(BOTO3_LAMBDA,),
            ips=("63.35.109.12",),
            hours=(6, 7),
        )
    )
    return cast
