"""The scenario events: every labelled denial and near-miss, plus the daily
fixtures (sign-ins, federation, service events) that give each userIdentity
type a real place in the story.

Messages follow aws-facts.md section 1 word for word: S3 quotes the resource
ARN, EC2 prefixes "You are not authorized to perform this operation." and
appends the encoded message, policy ARNs follow the policy type after ": ".
"""

from __future__ import annotations

from datetime import timedelta

from iamlab.sample._builder import (
    Builder,
    _denied,
    _ec2_denied,
    _implicit,
    _t,
    _who,
    denied,
    s3_denied,
)
from iamlab.sample._scenarios_more import (
    _resource_policy,
    _session_and_trust,
    _undetailed_and_noise,
)
from iamlab.sample.traffic.actors import (
    BOTO3_LAMBDA,
    CLI_MAC,
    CONSOLE_FF,
    CONSOLE_UA,
    JAVA_V1,
    role_identity,
    user_identity,
)
from iamlab.sample.traffic.api_applications import dynamodb_call, lambda_call
from iamlab.sample.traffic.api_infrastructure import (
    ec2_run_instances,
    iam_call,
    secrets_call,
    sts_get_caller_identity,
)
from iamlab.sample.traffic.records import token
from iamlab.sample.world.accounts import (
    DATA_LAKE,
    DAYS,
    DEV,
    DEV_API_SECRET,
    HOME_IPS,
    INVOICE_FN,
    OFFICE_IPS,
    ONPREM_IP,
    PROD,
    WAREHOUSE_SECRET,
    rcp_arn,
    scp_arn,
    sso_role_name,
)
from iamlab.sample.world.iam import role, user


def build(seed: int) -> Builder:
    """Every scenario and fixture record for this seed."""
    b = Builder(seed)
    rng = b.rng
    tom_u, dana_u, ci_u, legacy_u = (
        user(DEV, "tom.reyes"),
        user(DEV, "dana.kim"),
        user(DEV, "ci-deploy"),
        user(PROD, "svc-legacy-reporting"),
    )
    tom = user_identity(tom_u)(b.salt, DAYS[1])
    dana = user_identity(dana_u, console=True)
    de = role(PROD, sso_role_name("DataEngineer"))
    priya = role_identity(de, "priya.nair@larkspur.io")
    luis = role_identity(de, "luis.ortega@larkspur.io")
    cli = CLI_MAC.format

    # -- missing-action: lambda:UpdateFunctionConfiguration -----------------------------
    for hms in ("10:12:03", "10:12:44", "10:14:08"):
        denied(
            b,
            "missing-action-lambda-config",
            lambda_call(
                rng,
                "eu-west-1",
                "UpdateFunctionConfiguration",
                "invoice-render",
                timeout=60,
                memorySize=1024,
            ),
            tom,
            "AccessDeniedException",
            "lambda:UpdateFunctionConfiguration",
            INVOICE_FN,
            _implicit("identity-based policy", "lambda:UpdateFunctionConfiguration"),
            when=_t(1, hms),
            ip=OFFICE_IPS[1],
            agent=cli(cmd="lambda.update-function-configuration"),
            recipient=DEV,
        )

    # -- resource-arn: S3 payroll ---------------------------------------------------------
    key = "finance/payroll/2026-02.parquet"
    for hms in ("09:41:17", "09:41:52", "09:43:30"):
        when = _t(2, hms)
        ident = priya(b.salt, when)
        s3_denied(
            b,
            "resource-arn-s3-payroll",
            ident,
            DATA_LAKE,
            key,
            "GetObject",
            PROD,
            _implicit("identity-based policy", "s3:GetObject"),
            when=when,
            ip=OFFICE_IPS[0],
            agent=cli(cmd="s3.cp"),
        )

    # -- resource-arn: DynamoDB index ---------------------------------------------------------
    orders = role_identity(role(PROD, "orders-api-lambda-role"), "orders-api")
    index_arn = f"arn:aws:dynamodb:eu-west-1:{PROD}:table/orders/index/by-customer"
    for hms in ("13:05:11", "13:05:12", "13:06:14", "13:06:15", "13:08:19", "13:08:20"):
        when = _t(2, hms)
        ident = orders(b.salt, when)
        denied(
            b,
            "resource-arn-dynamodb-index",
            dynamodb_call(
                rng,
                "eu-west-1",
                "Query",
                f"arn:aws:dynamodb:eu-west-1:{PROD}:table/orders",
                index="by-customer",
            ),
            ident,
            "AccessDeniedException",
            "dynamodb:Query",
            index_arn,
            _implicit("identity-based policy", "dynamodb:Query"),
            when=when,
            ip="34.246.17.88",
            agent=BOTO3_LAMBDA,
            recipient=PROD,
        )

    # -- explicit-deny: IAM CreateUser with authorization id -----------------------------------
    guard = f"arn:aws:iam::{DEV}:policy/DeveloperGuardrails"
    for hms in ("13:20:41", "13:22:05"):
        auth_id = token(rng, 26, "abcdefghijklmnopqrstuvwxyz0123456789")
        msg = _denied(
            _who(tom),
            "iam:CreateUser",
            f"arn:aws:iam::{DEV}:user/tmp-loadtest",
            f"with an explicit deny in an identity-based policy: {guard}. Go to "
            f"https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/{auth_id} "
            "for complete details, or call the GetRequestAuthorizationDetails API with the following "
            f"authorization id: {auth_id}",
        )
        b.call(
            "explicit-deny-iam-create-user",
            iam_call(rng, "CreateUser", userName="tmp-loadtest"),
            error=("AccessDenied", msg),
            when=_t(1, hms),
            region="us-east-1",
            identity=tom,
            ip=OFFICE_IPS[1],
            agent=cli(cmd="iam.create-user"),
            recipient=DEV,
        )

    # -- explicit-deny: EC2 internet gateway (console) ------------------------------------------
    for hms in ("15:02:37", "15:03:10"):
        when = _t(1, hms)
        ident = dana(b.salt, when)
        msg = _ec2_denied(
            rng,
            _who(ident),
            "ec2:CreateInternetGateway",
            f"arn:aws:ec2:eu-west-1:{DEV}:internet-gateway/*",
            f"with an explicit deny in an identity-based policy: {guard}.",
        )
        b.add(
            "explicit-deny-ec2-igw",
            source="ec2.amazonaws.com",
            name="CreateInternetGateway",
            read_only=False,
            params={
                "tagSpecificationSet": {
                    "items": [
                        {
                            "resourceType": "internet-gateway",
                            "tags": [{"key": "Name", "value": "dana-sandbox-igw"}],
                        }
                    ]
                }
            },
            error=("Client.UnauthorizedOperation", msg),
            when=when,
            region="eu-west-1",
            identity=ident,
            ip=OFFICE_IPS[2],
            agent=CONSOLE_FF,
            recipient=DEV,
            console=True,
            tls_host="ec2.eu-west-1.amazonaws.com",
        )

    # -- explicit-deny: identity deny with "(Name)." suffix -------------------------------------
    legacy = user_identity(legacy_u)(b.salt, DAYS[2])
    legacy_policy = f"arn:aws:iam::{PROD}:policy/LegacyReportingAccess"
    for i, hms in enumerate(("06:15:02", "06:15:03", "06:15:05", "06:15:09")):
        k = f"raw/customers/2026/03/customers-{i:03d}.parquet"
        s3_denied(
            b,
            "explicit-deny-s3-raw-customers",
            legacy,
            DATA_LAKE,
            k,
            "GetObject",
            PROD,
            f"with an explicit deny in an identity-based policy: {legacy_policy} "
            "(LegacyReportingAccess).",
            when=_t(2, hms),
            ip=ONPREM_IP,
            agent=JAVA_V1,
        )

    # -- explicit-deny: bucket policy -------------------------------------------------------------
    key = "curated/orders/2026/03/10/part-0007.parquet"
    for hms in ("11:30:12", "11:31:40"):
        when = _t(2, hms)
        ident = luis(b.salt, when)
        s3_denied(
            b,
            "explicit-deny-bucket-policy-delete",
            ident,
            DATA_LAKE,
            key,
            "DeleteObject",
            PROD,
            "with an explicit deny in a resource-based policy",
            when=when,
            ip=OFFICE_IPS[2],
            agent=cli(cmd="s3.rm"),
        )

    # -- org-policy: SCP region ----------------------------------------------------------------------
    sam_dev = role_identity(
        role(DEV, sso_role_name("AdministratorAccess")), "sam.okafor@larkspur.io"
    )
    for hms in ("16:45:09", "16:45:31", "16:47:02"):
        when = _t(2, hms)
        ident = sam_dev(b.salt, when)
        msg = _ec2_denied(
            rng,
            _who(ident),
            "ec2:RunInstances",
            f"arn:aws:ec2:ap-southeast-2:{DEV}:instance/*",
            f"with an explicit deny in a service control policy: {scp_arn('p-3rgn8x2k')}.",
        )
        b.call(
            "org-policy-scp-region",
            ec2_run_instances(
                rng,
                "ap-southeast-2",
                DEV,
                "subnet-0b71d4e9c2a6f3185",
                "sg-07a2c9e4b1d6f8305",
                ami="ami-0c7e41b9d2f6a3805",
                itype="t3.micro",
            ),
            error=("Client.UnauthorizedOperation", msg),
            when=when,
            region="ap-southeast-2",
            identity=ident,
            ip=HOME_IPS["sam"],
            agent=CONSOLE_UA,
            recipient=DEV,
            console=True,
        )

    # -- auth failure then RCP denial from home -------------------------------------------------
    when = _t(2, "19:31:55")
    ident = priya(b.salt, when)
    b.call(
        "auth-expired-token",
        sts_get_caller_identity(rng, "eu-west-1"),
        error=("ExpiredToken", "The security token included in the request is expired"),
        when=when,
        region="eu-west-1",
        identity=ident,
        ip=HOME_IPS["priya"],
        agent=cli(cmd="sts.get-caller-identity"),
        recipient=PROD,
    )
    for hms in ("19:40:12", "19:40:13", "19:40:15", "19:40:19", "19:40:27"):
        when = _t(2, hms)
        ident = priya(b.salt, when + timedelta(hours=1))
        msg = _denied(
            _who(ident),
            "secretsmanager:GetSecretValue",
            WAREHOUSE_SECRET,
            f"with an explicit deny in a resource control policy: {rcp_arn('p-9rcpn4tw')}",
        )
        b.call(
            "org-policy-rcp-secrets",
            secrets_call(rng, "eu-west-1", "GetSecretValue", "prod/warehouse/db-credentials"),
            error=("AccessDeniedException", msg),
            when=when,
            region="eu-west-1",
            identity=ident,
            ip=HOME_IPS["priya"],
            agent=BOTO3_LAMBDA.replace("exec-env/AWS_Lambda_python3.12 ", "").replace(
                "os/linux#5.10.234-225.895.amzn2.x86_64", "os/macos#24.3.0"
            ),
            recipient=PROD,
        )

    # -- permissions boundary ----------------------------------------------------------------------
    for hms in ("14:10:22", "14:11:03"):
        when = _t(1, hms)
        ident = dana(b.salt, when)
        denied(
            b,
            "permissions-boundary-secrets",
            secrets_call(rng, "eu-west-1", "GetSecretValue", DEV_API_SECRET),
            ident,
            "AccessDeniedException",
            "secretsmanager:GetSecretValue",
            DEV_API_SECRET,
            _implicit("permissions boundary", "secretsmanager:GetSecretValue"),
            when=when,
            ip=OFFICE_IPS[2],
            agent=CONSOLE_FF,
            recipient=DEV,
            console=True,
        )
    when = _t(1, "14:25:40")  # Tom (no boundary) reads it fine
    b.call(
        None,
        secrets_call(rng, "eu-west-1", "GetSecretValue", DEV_API_SECRET),
        when=when,
        region="eu-west-1",
        identity=tom,
        ip=OFFICE_IPS[1],
        agent=cli(cmd="secretsmanager.get-secret-value"),
        recipient=DEV,
    )

    _session_and_trust(b, tom)
    _resource_policy(b, luis)
    _undetailed_and_noise(b, tom, legacy, ci_u, dana)
    _fixtures(b)
    return b


def _fixtures(b: Builder) -> None:
    """Daily sign-ins, federation and service events (unlabelled ordinary traffic)."""
    from iamlab.sample._fixtures import add_fixtures

    add_fixtures(b)
