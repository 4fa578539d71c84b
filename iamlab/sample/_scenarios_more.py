"""Scenario events, continued: session and trust, resource policies, the
undetailed cases, hostile text and the near-miss non-denials.
"""

from __future__ import annotations

import json

from iamlab.sample._builder import (
    EC2_PREFIX,
    HOSTILE_AGENTS,
    Builder,
    _denied,
    _ec2_denied,
    _implicit,
    _t,
    both_sides,
    denied,
    s3_denied,
)
from iamlab.sample.traffic.actors import (
    BOTO3_LAMBDA,
    CLI_MAC,
    CONSOLE_FF,
    JAVA_V1,
    TERRAFORM,
    role_identity,
    user_identity,
)
from iamlab.sample.traffic.api_applications import cloudformation_call, lambda_call
from iamlab.sample.traffic.api_infrastructure import (
    ec2_create_tags,
    ec2_instance_state,
    ec2_run_instances,
    kms_call,
    s3_object,
    ssm_call,
    sts_assume_role,
    sts_get_caller_identity,
)
from iamlab.sample.traffic.calls import api_call, hexs
from iamlab.sample.traffic.records import (
    access_key,
    assumed_role,
    aws_account,
    encoded_message,
    iso,
    new_id,
)
from iamlab.sample.world.accounts import (
    DAYS,
    DEV,
    DEV_REPORTING_SECRET,
    EXPORTS,
    FINDINGS,
    GITHUB_RUNNER_IPS,
    HOME_IPS,
    KMS_KEY_ARN,
    MGMT,
    OFFICE_IPS,
    ONPREM_IP,
    PARTNER,
    PARTNER_IP,
    PROD,
    PROD_SECRETS_VPCE,
    SEC,
    sso_role_name,
)
from iamlab.sample.world.iam import role, user


def _session_and_trust(b: Builder, tom: dict) -> None:
    rng = b.rng
    audit = role(SEC, sso_role_name("SecurityAudit"))
    ir = role(PROD, "IncidentResponder")
    when = _t(2, "15:20:04")
    caller = role_identity(audit, "ana.silva@larkspur.io")(b.salt, when)
    session_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "AllowInvestigation", "Effect": "Allow", "Action": "*", "Resource": "*"},
                {
                    "Sid": "DenyDestructiveActions",
                    "Effect": "Deny",
                    "Action": [
                        "ec2:TerminateInstances",
                        "ec2:DeleteVolume",
                        "ec2:DeleteSnapshot",
                        "s3:DeleteObject",
                        "s3:DeleteBucket",
                        "iam:Delete*",
                        "kms:ScheduleKeyDeletion",
                    ],
                    "Resource": "*",
                },
            ],
        }
    )
    key = access_key("ASIA", f"{b.salt}|ir|ana")
    shared = new_id(rng)
    call = sts_assume_role(
        rng,
        "eu-west-1",
        when,
        ir.arn,
        ir.id,
        "ana.silva",
        key,
        3600,
        policy=session_policy,
        source_identity="ana.silva@larkspur.io",
    )
    agent = CLI_MAC.format(cmd="sts.assume-role")
    request_id = new_id(rng)
    for recipient in (PROD, SEC):
        b.call(
            "session-policy-terminate",
            call,
            context=True,
            when=when,
            region="eu-west-1",
            identity=caller,
            ip=OFFICE_IPS[0],
            agent=agent,
            recipient=recipient,
            shared_event_id=shared,
            request_id=request_id,
        )
    ir_ident = assumed_role(
        ir.id,
        ir.arn,
        ir.name,
        PROD,
        "ana.silva",
        key,
        iso(when),
        mfa=True,
        source_identity="ana.silva@larkspur.io",
    )
    iid = "i-0f19a7c3e5b2d4806"
    for hms in ("15:26:51", "15:27:30"):
        msg = _ec2_denied(
            rng,
            ir_ident["arn"],
            "ec2:TerminateInstances",
            f"arn:aws:ec2:eu-west-1:{PROD}:instance/{iid}",
            "with an explicit deny in a sessions policy.",
        )
        b.call(
            "session-policy-terminate",
            ec2_instance_state(rng, "eu-west-1", "TerminateInstances", iid),
            error=("Client.UnauthorizedOperation", msg),
            when=_t(2, hms),
            region="eu-west-1",
            identity=ir_ident,
            ip=OFFICE_IPS[0],
            agent=CLI_MAC.format(cmd="ec2.terminate-instances"),
            recipient=PROD,
        )
    for hms, call in (
        ("15:31:02", ec2_create_tags(rng, "eu-west-1", iid, "quarantine", "IR-2026-0311")),
        (
            "15:31:40",
            api_call(
                "ec2.amazonaws.com",
                "ModifyInstanceAttribute",
                False,
                {"instanceId": iid, "groupSet": {"items": [{"groupId": "sg-0d2e8f4a7c1b93650"}]}},
                {"requestId": new_id(rng), "_return": True},
                tls_host="ec2.eu-west-1.amazonaws.com",
            ),
        ),
        (
            "15:33:15",
            api_call(
                "ec2.amazonaws.com",
                "CreateSnapshot",
                False,
                {"volumeId": "vol-0e7b2c9d4a1f36580", "description": "IR-2026-0311 evidence"},
                {
                    "requestId": new_id(rng),
                    "snapshotId": "snap-0" + hexs(rng, 16),
                    "volumeId": "vol-0e7b2c9d4a1f36580",
                    "status": "pending",
                },
                tls_host="ec2.eu-west-1.amazonaws.com",
            ),
        ),
    ):
        b.call(
            "session-policy-terminate",
            call,
            context=True,
            when=_t(2, hms),
            region="eu-west-1",
            identity=ir_ident,
            ip=OFFICE_IPS[0],
            agent=CLI_MAC.format(cmd="ec2"),
            recipient=PROD,
        )

    # trust policy: both the caller's and the role owner's copy
    deployer = role(PROD, "ProdDeployer")
    for hms in ("16:05:33", "16:05:58", "16:09:12"):
        when = _t(1, hms)
        shared = new_id(rng)
        msg = _denied(
            tom["arn"],
            "sts:AssumeRole",
            deployer.arn,
            "with an explicit deny in the role trust policy",
        )
        call = sts_assume_role(
            rng, "us-east-1", when, deployer.arn, deployer.id, "tom-hotfix", ""
        )
        request_id = new_id(rng)
        both_sides(
            b,
            "trust-policy-prod-deployer",
            call,
            tom,
            PROD,
            error=("AccessDenied", msg),
            when=when,
            region="us-east-1",
            ip=OFFICE_IPS[1],
            agent=CLI_MAC.format(cmd="sts.assume-role"),
            shared_event_id=shared,
            request_id=request_id,
        )


def _resource_policy(b: Builder, luis) -> None:
    rng = b.rng
    inv = role(DEV, "invoice-render-lambda-role")
    inv_id = role_identity(inv, "invoice-render")
    key = "templates/invoice.html"
    for hms in ("12:00:04", "12:00:05", "12:01:07", "12:03:09"):
        when = _t(1, hms)
        ident = inv_id(b.salt, when)
        shared = new_id(rng)
        msg = _denied(
            ident["arn"],
            "s3:GetObject",
            f"arn:aws:s3:::{EXPORTS}/{key}",
            _implicit("resource-based policy", "s3:GetObject"),
            quote=True,
        )
        call = s3_object(rng, "eu-west-1", EXPORTS, key, "GetObject", PROD, 0)
        both_sides(
            b,
            "resource-policy-cross-account-s3",
            call,
            ident,
            PROD,
            error=("AccessDenied", msg),
            when=when,
            region="eu-west-1",
            ip="54.78.201.33",
            agent=BOTO3_LAMBDA,
            shared_event_id=shared,
        )
    for hms in ("10:05:44", "10:06:02", "10:09:37"):
        when = _t(2, hms)
        ident = luis(b.salt, when)
        denied(
            b,
            "resource-policy-kms-key",
            kms_call(rng, "eu-west-1", "Decrypt", KMS_KEY_ARN, {"dataset": "restricted/ssn-map"}),
            ident,
            "AccessDeniedException",
            "kms:Decrypt",
            KMS_KEY_ARN,
            _implicit("resource-based policy", "kms:Decrypt"),
            when=when,
            ip=OFFICE_IPS[2],
            agent=CLI_MAC.format(cmd="kms.decrypt"),
            recipient=PROD,
        )
    batch = role(PROD, "reporting-batch-role")
    for hms in ("07:10:03", "07:10:04", "07:10:06"):
        b.add(
            "vpc-endpoint-secrets",
            version="1.09",
            source="secretsmanager.amazonaws.com",
            name="GetSecretValue",
            when=_t(2, hms),
            region="eu-west-1",
            identity=aws_account(f"{batch.id}:i-0b7d2e9f4a1c6d385", PROD),
            ip="10.40.12.88",
            agent="aws-sdk-go-v2/1.36.1 ua/2.1 os/linux lang/go#1.23.6 md/GOOS#linux md/GOARCH#arm64 api/secretsmanager#1.34.7",
            recipient=PROD,
            read_only=True,
            error=("VpceAccessDenied", "The request was denied due to a VPC endpoint policy"),
            event_type="AwsVpceEvent",
            category="NetworkActivity",
            vpce=(PROD_SECRETS_VPCE, PROD),
            resources=[
                {
                    "accountId": DEV,
                    "type": "AWS::SecretsManager::Secret",
                    "ARN": DEV_REPORTING_SECRET,
                }
            ],
        )


def _undetailed_and_noise(b: Builder, tom: dict, legacy: dict, ci_u, dana) -> None:
    rng = b.rng
    key = "partner/acme-logistics/2026-03-10/shipments.csv.gz"
    for hms in ("03:12:40", "03:12:41", "03:12:43"):
        b.call(
            "undetailed-s3-partner",
            s3_object(rng, "eu-west-1", EXPORTS, key, "GetObject", PROD, 0),
            error=("AccessDenied", "Access Denied"),
            when=_t(2, hms),
            region="eu-west-1",
            identity=aws_account("AROAV2XQ7LMN3BRIGHTLN:brightline-sync-03", PARTNER),
            ip=PARTNER_IP,
            agent="Boto3/1.36.2 md/Botocore#1.36.2 ua/2.1 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2 "
            "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.36.2",
            recipient=PROD,
        )
    for hms in ("10:35:12", "11:05:12"):
        b.add(
            "undetailed-ec2-legacy",
            source="ec2.amazonaws.com",
            name="CreateSnapshot",
            read_only=False,
            params={"volumeId": "vol-0a3f9c2e71b4d5860", "description": "nightly rpt01 backup"},
            error=(
                "Client.UnauthorizedOperation",
                f"{EC2_PREFIX} Encoded authorization failure message: {encoded_message(rng)}",
            ),
            when=_t(2, hms),
            region="eu-west-1",
            identity=legacy,
            ip=ONPREM_IP,
            agent=JAVA_V1,
            recipient=PROD,
            tls_host="ec2.eu-west-1.amazonaws.com",
        )

    # hostile red-team canaries
    probe = role_identity(role(SEC, "redteam-probe"), "xss-canary", mfa=True)
    for hms, key, agent in (
        ("14:00:01", '"><img src=x onerror=alert(1)>.txt', HOSTILE_AGENTS[0]),
        ("14:00:09", "notes/line1\n<script>alert('x')</script>", HOSTILE_AGENTS[2]),
    ):
        when = _t(3, hms)
        ident = probe(b.salt, when)
        s3_denied(
            b,
            "hostile-probe-s3",
            ident,
            FINDINGS,
            key,
            "PutObject",
            SEC,
            _implicit("identity-based policy", "s3:PutObject"),
            size=64,
            hostile=True,
            when=when,
            ip=OFFICE_IPS[0],
            agent=agent,
        )
    when = _t(3, "14:00:20")
    bad = "<script>alert(1)</script>"
    b.call(
        "hostile-probe-ssm-validation",
        ssm_call(
            rng,
            "eu-west-1",
            "PutParameter",
            name=bad,
            type="String",
            value='"><img src=x onerror=alert(1)>',
            overwrite=False,
        ),
        error=(
            "ValidationException",
            f"1 validation error detected: Value '{bad}' at 'name' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_.\\-/]+$",
        ),
        hostile=True,
        when=when,
        region="eu-west-1",
        identity=probe(b.salt, when),
        ip=OFFICE_IPS[0],
        agent=HOSTILE_AGENTS[1],
        recipient=SEC,
    )
    when = _t(3, "14:00:30")
    b.call(
        None,
        sts_get_caller_identity(rng, "eu-west-1"),
        hostile=True,
        when=when,
        region="eu-west-1",
        identity=probe(b.salt, when),
        ip=OFFICE_IPS[0],
        agent=HOSTILE_AGENTS[0],
        recipient=SEC,
    )

    # non-denials that look close
    for hms in ("11:02:14", "11:02:50"):
        b.call(
            "dry-run-run-instances",
            ec2_run_instances(
                rng,
                "eu-west-1",
                DEV,
                "subnet-0c5a1e7b3d9f24860",
                "sg-03e9b1c7a5d2f4086",
                dry_run=True,
            ),
            error=(
                "Client.DryRunOperation",
                "Request would have succeeded, but DryRun flag is set.",
            ),
            when=_t(1, hms),
            region="eu-west-1",
            identity=tom,
            ip=OFFICE_IPS[1],
            agent=CLI_MAC.format(cmd="ec2.run-instances"),
            recipient=DEV,
        )
    ghost = {
        "type": "Unknown",
        "accountId": DEV,
        "accessKeyId": access_key("AKIA", "former.contractor"),
    }
    for hms in ("09:30:00", "10:30:00", "11:30:00"):
        b.call(
            "auth-invalid-token",
            sts_get_caller_identity(rng, "us-east-1"),
            error=(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            when=_t(1, hms),
            region="us-east-1",
            identity=ghost,
            ip="198.51.100.201",
            agent="aws-cli/1.29.62 Python/3.8.10 Linux/5.4.0-167-generic botocore/1.31.62",
            recipient=DEV,
        )
    ci = user_identity(ci_u)(b.salt, DAYS[1])
    for hms in ("16:15:07", "16:15:09"):
        b.call(
            "auth-signature-mismatch",
            cloudformation_call(rng, "eu-west-1", "DescribeStacks", "invoice-render"),
            error=(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method. Consult "
                "the service documentation for details.",
            ),
            when=_t(1, hms),
            region="eu-west-1",
            identity=ci,
            ip=GITHUB_RUNNER_IPS[0],
            agent=TERRAFORM.format(api="cloudformation", minor=56),
            recipient=DEV,
        )
    for hms in ("16:40:01", "16:40:01", "16:40:02", "16:40:04"):
        b.call(
            "throttling-ssm",
            ssm_call(
                rng,
                "eu-west-1",
                "GetParameters",
                names=["/dev/invoice-render/base-url"],
                withDecryption=True,
            ),
            error=("ThrottlingException", "Rate exceeded"),
            when=_t(1, hms),
            region="eu-west-1",
            identity=ci,
            ip=GITHUB_RUNNER_IPS[1],
            agent=TERRAFORM.format(api="ssm", minor=57),
            recipient=DEV,
        )
    reader = role(MGMT, "org-reporting-reader")
    for hms in ("06:30:02", "06:45:02"):
        b.call(
            "not-found-s3-report",
            s3_object(
                rng,
                "eu-west-1",
                EXPORTS,
                "reports/daily/2026-03-13/revenue.csv",
                "GetObject",
                PROD,
                0,
            ),
            error=("NoSuchKey", "The specified key does not exist."),
            when=_t(3, hms),
            region="eu-west-1",
            identity=aws_account(f"{reader.id}:finance-reporting", MGMT),
            ip="63.35.109.12",
            agent=BOTO3_LAMBDA,
            recipient=PROD,
        )
    b.call(
        "not-found-lambda",
        lambda_call(rng, "eu-west-1", "GetFunction", "invoice-render-v2"),
        error=(
            "ResourceNotFoundException",
            f"Function not found: arn:aws:lambda:eu-west-1:{DEV}:function:invoice-render-v2",
        ),
        when=_t(1, "10:55:31"),
        region="eu-west-1",
        identity=tom,
        ip=OFFICE_IPS[1],
        agent=CLI_MAC.format(cmd="lambda.get-function"),
        recipient=DEV,
    )
    # failed console sign-ins (errorMessage, no errorCode)
    dana_u = user(DEV, "dana.kim")
    for when, ident, ip in (
        (
            _t(1, "08:01:12"),
            {
                "type": "IAMUser",
                "principalId": dana_u.id,
                "accountId": DEV,
                "accessKeyId": "",
                "userName": "dana.kim",
            },
            HOME_IPS["dana"],
        ),
        (
            _t(3, "03:17:45"),
            {
                "type": "IAMUser",
                "principalId": "",
                "accountId": MGMT,
                "accessKeyId": "",
                "userName": "HIDDEN_DUE_TO_SECURITY_REASONS",
            },
            "185.220.101.4",
        ),
    ):
        rec = b.add(
            "console-signin-failure",
            source="signin.amazonaws.com",
            name="ConsoleLogin",
            read_only=None,
            when=when,
            region="us-east-1",
            identity=ident,
            ip=ip,
            agent=CONSOLE_FF,
            recipient=ident["accountId"],
            event_type="AwsConsoleSignIn",
            additional={
                "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                "MobileVersion": "No",
                "MFAUsed": "No",
            },
            response={"ConsoleLogin": "Failure"},
        )
        rec["errorMessage"] = "Failed authentication"
        _move_error_message(rec)


def _move_error_message(rec: dict) -> None:
    """Place errorMessage where CloudTrail puts it (after userAgent)."""
    msg = rec.pop("errorMessage")
    items = list(rec.items())
    rec.clear()
    for k, v in items:
        rec[k] = v
        if k == "userAgent":
            rec["errorMessage"] = msg
