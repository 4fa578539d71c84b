"""explicit-deny: a Deny statement in an identity or bucket policy wins."""

from __future__ import annotations

from iamlab.sample.scenarios.messages import denial_message, ec2_denial_message
from iamlab.sample.scenarios.recorder import Recorder, at, s3_denied
from iamlab.sample.traffic.actors import CLI_MAC, CONSOLE_FF, JAVA_V1, IdentityAt
from iamlab.sample.traffic.api_infrastructure import iam_call
from iamlab.sample.traffic.records import token
from iamlab.sample.world.accounts import DATA_LAKE, DEV, OFFICE_IPS, ONPREM_IP, PROD

GUARDRAILS = f"arn:aws:iam::{DEV}:policy/DeveloperGuardrails"


def iam_create_user(recorder: Recorder, tom: dict) -> None:
    """Tom creates an IAM user; DeveloperGuardrails denies it (the message carries an authorization
    id)."""
    rng = recorder.rng
    cli = CLI_MAC.format
    for hms in ("13:20:41", "13:22:05"):
        auth_id = token(rng, 26, "abcdefghijklmnopqrstuvwxyz0123456789")
        msg = denial_message(
            tom["arn"],
            "iam:CreateUser",
            f"arn:aws:iam::{DEV}:user/tmp-loadtest",
            f"with an explicit deny in an identity-based policy: {GUARDRAILS}. Go to "
            f"https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/{auth_id} "
            "for complete details, or call the GetRequestAuthorizationDetails API with the following "
            f"authorization id: {auth_id}",
        )
        recorder.call(
            "explicit-deny-iam-create-user",
            iam_call(rng, "CreateUser", userName="tmp-loadtest"),
            error=("AccessDenied", msg),
            when=at(1, hms),
            region="us-east-1",
            identity=tom,
            ip=OFFICE_IPS[1],
            agent=cli(cmd="iam.create-user"),
            recipient=DEV,
        )


def ec2_internet_gateway(recorder: Recorder, dana: IdentityAt) -> None:
    """Dana creates an internet gateway in the console; DeveloperGuardrails denies it."""
    rng = recorder.rng
    for hms in ("15:02:37", "15:03:10"):
        when = at(1, hms)
        ident = dana(recorder.salt, when)
        msg = ec2_denial_message(
            rng,
            ident["arn"],
            "ec2:CreateInternetGateway",
            f"arn:aws:ec2:eu-west-1:{DEV}:internet-gateway/*",
            f"with an explicit deny in an identity-based policy: {GUARDRAILS}.",
        )
        recorder.add(
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


def s3_raw_customers(recorder: Recorder, legacy: dict) -> None:
    """The legacy reporting user reads raw customer files; its own policy denies them (the "(Name)."
    suffix)."""
    legacy_policy = f"arn:aws:iam::{PROD}:policy/LegacyReportingAccess"
    for i, hms in enumerate(("06:15:02", "06:15:03", "06:15:05", "06:15:09")):
        k = f"raw/customers/2026/03/customers-{i:03d}.parquet"
        s3_denied(
            recorder,
            "explicit-deny-s3-raw-customers",
            legacy,
            DATA_LAKE,
            k,
            "GetObject",
            PROD,
            f"with an explicit deny in an identity-based policy: {legacy_policy} "
            "(LegacyReportingAccess).",
            when=at(2, hms),
            ip=ONPREM_IP,
            agent=JAVA_V1,
        )


def bucket_policy_delete(recorder: Recorder, luis: IdentityAt) -> None:
    """Luis deletes a curated object; the data-lake bucket policy denies deletes."""
    cli = CLI_MAC.format
    key = "curated/orders/2026/03/10/part-0007.parquet"
    for hms in ("11:30:12", "11:31:40"):
        when = at(2, hms)
        ident = luis(recorder.salt, when)
        s3_denied(
            recorder,
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
