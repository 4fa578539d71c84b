"""Near misses: errors that look like denials but are not (expired or invalid
credentials, dry runs, throttling, missing resources, failed sign-ins).
"""

from __future__ import annotations

from iamlab.sample.scenarios.recorder import Recorder, at
from iamlab.sample.traffic.actors import BOTO3_LAMBDA, CLI_MAC, CONSOLE_FF, TERRAFORM, IdentityAt
from iamlab.sample.traffic.api_applications import cloudformation_call, lambda_call
from iamlab.sample.traffic.api_infrastructure import (
    ec2_run_instances,
    s3_object,
    ssm_call,
    sts_get_caller_identity,
)
from iamlab.sample.traffic.records import access_key, aws_account
from iamlab.sample.world.accounts import (
    DEV,
    EXPORTS,
    GITHUB_RUNNER_IPS,
    HOME_IPS,
    MGMT,
    OFFICE_IPS,
    PROD,
)
from iamlab.sample.world.iam import role, user


def expired_token(recorder: Recorder, priya: IdentityAt) -> None:
    """Priya's token has expired (just before the RCP denial): her morning session, signed in
    at 07:14:37 for 12 hours (scenarios.issuing), ended at 19:14:37."""
    rng = recorder.rng
    cli = CLI_MAC.format
    when = at(2, "19:31:55")
    ident = priya(recorder.salt, at(2, "07:14:37"))
    recorder.call(
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


def dry_run(recorder: Recorder, tom: dict) -> None:
    """A RunInstances dry run: DryRunOperation means it would have succeeded."""
    rng = recorder.rng
    for hms in ("11:02:14", "11:02:50"):
        recorder.call(
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
            when=at(1, hms),
            region="eu-west-1",
            identity=tom,
            ip=OFFICE_IPS[1],
            agent=CLI_MAC.format(cmd="ec2.run-instances"),
            recipient=DEV,
        )


def invalid_token(recorder: Recorder) -> None:
    """A former contractor's deleted key."""
    rng = recorder.rng
    ghost = {
        "type": "Unknown",
        "accountId": DEV,
        "accessKeyId": access_key("AKIA", "former.contractor"),
    }
    for hms in ("09:30:00", "10:30:00", "11:30:00"):
        recorder.call(
            "auth-invalid-token",
            sts_get_caller_identity(rng, "us-east-1"),
            error=(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            when=at(1, hms),
            region="us-east-1",
            identity=ghost,
            ip="198.51.100.201",
            agent="aws-cli/1.29.62 Python/3.8.10 Linux/5.4.0-167-generic botocore/1.31.62",
            recipient=DEV,
        )


def signature_mismatch(recorder: Recorder, ci: dict) -> None:
    """CI signs with a wrong secret."""
    rng = recorder.rng
    for hms in ("16:15:07", "16:15:09"):
        recorder.call(
            "auth-signature-mismatch",
            cloudformation_call(rng, "eu-west-1", "DescribeStacks", "invoice-render"),
            error=(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method. Consult "
                "the service documentation for details.",
            ),
            when=at(1, hms),
            region="eu-west-1",
            identity=ci,
            ip=GITHUB_RUNNER_IPS[0],
            agent=TERRAFORM.format(api="cloudformation", minor=56),
            recipient=DEV,
        )


def throttling(recorder: Recorder, ci: dict) -> None:
    """CI is throttled by SSM."""
    rng = recorder.rng
    for hms in ("16:40:01", "16:40:01", "16:40:02", "16:40:04"):
        recorder.call(
            "throttling-ssm",
            ssm_call(
                rng,
                "eu-west-1",
                "GetParameters",
                names=["/dev/invoice-render/base-url"],
                withDecryption=True,
            ),
            error=("ThrottlingException", "Rate exceeded"),
            when=at(1, hms),
            region="eu-west-1",
            identity=ci,
            ip=GITHUB_RUNNER_IPS[1],
            agent=TERRAFORM.format(api="ssm", minor=57),
            recipient=DEV,
        )


def not_found_s3(recorder: Recorder) -> None:
    """The finance reader asks for a report that does not exist yet."""
    rng = recorder.rng
    reader = role(MGMT, "org-reporting-reader")
    for hms in ("06:30:02", "06:45:02"):
        recorder.call(
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
            when=at(3, hms),
            region="eu-west-1",
            identity=aws_account(f"{reader.id}:finance-reporting", MGMT),
            ip="63.35.109.12",
            agent=BOTO3_LAMBDA,
            recipient=PROD,
        )


def not_found_lambda(recorder: Recorder, tom: dict) -> None:
    """Tom asks for a function that does not exist."""
    rng = recorder.rng
    recorder.call(
        "not-found-lambda",
        lambda_call(rng, "eu-west-1", "GetFunction", "invoice-render-v2"),
        error=(
            "ResourceNotFoundException",
            f"Function not found: arn:aws:lambda:eu-west-1:{DEV}:function:invoice-render-v2",
        ),
        when=at(1, "10:55:31"),
        region="eu-west-1",
        identity=tom,
        ip=OFFICE_IPS[1],
        agent=CLI_MAC.format(cmd="lambda.get-function"),
        recipient=DEV,
    )


def signin_failures(recorder: Recorder) -> None:
    """Failed console sign-ins (errorMessage, no errorCode)."""
    dana_u = user(DEV, "dana.kim")
    for when, ident, ip in (
        (
            at(1, "08:01:12"),
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
            at(3, "03:17:45"),
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
        rec = recorder.add(
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
