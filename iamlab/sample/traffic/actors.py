"""Who makes the background calls: one Actor per person, workload or service.

An actor knows its identity (userIdentity as CloudTrail writes it), where it
calls from (IPs, user agents), when it works, in which regions, and a
weighted list of calls it makes. Session keys rotate daily and are derived
from the seed, so identical seeds give identical records.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iamlab.sample.traffic.api_infrastructure import sts_assume_role
from iamlab.sample.traffic.call_mix import WeightedCall, weighted
from iamlab.sample.traffic.records import access_key, assumed_role, aws_service, iam_user, iso
from iamlab.sample.world.accounts import IDENTITY_STORE, MGMT, OFFICE_IPS, sso_role_name
from iamlab.sample.world.iam import Role, User, role

# user agents (shapes of real SDK/CLI/console agents; versions current in early 2026)
CLI_MAC = (
    "aws-cli/2.24.18 md/awscrt#0.23.8 ua/2.1 os/macos#24.3.0 md/arch#arm64 lang/python#3.12.9 "
    "md/pyimpl#CPython m/N,b,E,Z cfg/retry-mode#standard md/installer#source md/prompt#off md/command#{cmd}"
)
CLI_LINUX = (
    "aws-cli/2.24.18 md/awscrt#0.23.8 ua/2.1 os/linux#6.8.0-1021-azure md/arch#x86_64 lang/python#3.12.9 "
    "md/pyimpl#CPython exec-env/GitHubActions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 "
    "md/prompt#off md/command#{cmd}"
)
BOTO3_LAMBDA = (
    "Boto3/1.37.4 md/Botocore#1.37.4 ua/2.1 os/linux#5.10.234-225.895.amzn2.x86_64 md/arch#x86_64 "
    "lang/python#3.12.9 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.37.4"
)
BOTO3_LAPTOP = (
    "Boto3/1.37.11 md/Botocore#1.37.11 ua/2.1 os/macos#24.3.0 md/arch#arm64 lang/python#3.11.11 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.37.11"
)
JAVA_FARGATE = (
    "aws-sdk-java/2.30.21 Linux/5.10.233-224.894.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.6+7-LTS "
    "Java/21.0.6 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache "
    "cfg/retry-mode/standard"
)
JAVA_V1 = "aws-sdk-java/1.12.772 Linux/4.18.0-553.el8_10.x86_64 OpenJDK_64-Bit_Server_VM/11.0.25+9-LTS java/11.0.25 vendor/Red_Hat,_Inc. cfg/retry-mode/legacy"
GO_EC2 = "aws-sdk-go-v2/1.36.1 ua/2.1 os/linux lang/go#1.23.6 md/GOOS#linux md/GOARCH#arm64 api/{api}#1.{minor}.3"
SSM_AGENT = "aws-sdk-go/1.55.5 (go1.22.11; linux; arm64) amazon-ssm-agent/3.3.1802.0"
TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.10.5 (+https://www.terraform.io) terraform-provider-aws/5.89.0 "
    "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.36.1 ua/2.1 os/linux "
    "lang/go#1.23.6 md/GOOS#linux md/GOARCH#amd64 api/{api}#1.{minor}.0"
)
CONSOLE_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/133.0.0.0 Safari/537.36"
)
CONSOLE_FF = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:135.0) Gecko/20100101 Firefox/135.0"
AWS_INTERNAL = "AWS Internal"

IdentityAt = Callable[[str, datetime], dict]  # (salt, when) -> userIdentity

# region mixes: the share of an actor's calls made in each region
EU = {"eu-west-1": 1.0}
ALL = {"us-east-1": 0.25, "eu-west-1": 0.45, "eu-central-1": 0.15, "us-west-2": 0.15}
GLOBAL_EU = {"us-east-1": 0.35, "eu-west-1": 0.65}


@dataclass
class Actor:
    """A caller of background traffic."""

    key: str
    account: str  # recipient account of its events
    weight: float
    regions: dict[str, float]
    identity: IdentityAt
    calls: list[WeightedCall]  # (weight, where, builder); where: None, 'global' or a region
    agents: tuple[str, ...] = (AWS_INTERNAL,)
    ips: tuple[str, ...] = ("AWS Internal",)
    hours: tuple[int, int] | None = None  # active UTC hours [start, end), None = all day
    console: bool = False
    vpce: tuple[str, str] | None = None  # for secretsmanager calls from the VPC
    ip_for_vpce: tuple[str, ...] = ()
    service_agent: bool = False  # agent/IP are the service name (no TLS details)


def _since(when: datetime) -> str:
    return iso(when.replace(minute=0, second=0))


def user_identity(user: User, console: bool = False) -> IdentityAt:
    """IAM user with a long-term key, or a console session (ASIA key, MFA)."""
    long_key = access_key("AKIA", "user|" + user.arn)

    def build(salt: str, when: datetime) -> dict:
        if console:
            key = access_key("ASIA", f"{salt}|{user.arn}|{when.date()}")
            return iam_user(user.id, user.arn, user.account, user.name, key, _since(when))
        return iam_user(user.id, user.arn, user.account, user.name, long_key)

    return build


def role_identity(
    role: Role,
    session: str | Callable[[datetime], str],
    *,
    mfa: bool = False,
    invoked_by: str | None = None,
    ec2: bool = False,
    web_federation: dict | None = None,
) -> IdentityAt:
    """Role session (AssumedRole); session may depend on the time."""

    def build(salt: str, when: datetime) -> dict:
        name = session(when) if callable(session) else session
        key = access_key("ASIA", f"{salt}|{role.arn}|{name}|{when.date()}|{when.hour // 6}")
        return assumed_role(
            role.id,
            role.arn,
            role.name,
            role.account,
            name,
            key,
            _since(when),
            mfa=mfa,
            invoked_by=invoked_by,
            ec2_delivery="2.0" if ec2 else None,
            web_federation=web_federation,
        )

    return build


def fixed_identity(ident: dict) -> IdentityAt:
    """The same userIdentity at every time (AWS services, the root user)."""
    return lambda salt, when: ident


def identity_center_user(salt: str, when: datetime) -> dict:
    """IdentityCenterUser: the portal user acting on its own behalf (one of the staff, by hour)."""
    user_id = str(
        uuid.UUID(
            bytes=hashlib.sha256(f"{salt}|icuser|{when:%d%H}".encode()).digest()[:16], version=4
        )
    )
    return {
        "type": "IdentityCenterUser",
        "accountId": MGMT,
        "onBehalfOf": {"userId": user_id, "identityStoreArn": IDENTITY_STORE},
        "credentialId": access_key("", f"{salt}|cred|{when:%d%H}")[:22],
    }


def sso_session(person: str) -> str:
    """The session name Identity Center gives a person's permission-set role."""
    return f"{person}@larkspur.io"


def service_actor(
    key: str,
    account: str,
    weight: float,
    service: str,
    service_role: Role,
    source: str,
    key_salt: str,
) -> Actor:
    """An AWS service (e.g. lambda.amazonaws.com) assuming `service_role` for `source`, in eu-west-1.

    The session key is derived from `key_salt` and the hour, so each service's keys are stable.
    """
    return Actor(
        key,
        account,
        weight,
        EU,
        fixed_identity(aws_service(service)),
        [
            weighted(
                1,
                lambda rng, region, when: sts_assume_role(
                    rng,
                    region,
                    when,
                    service_role.arn,
                    service_role.id,
                    source,
                    access_key("ASIA", f"{key_salt}|{when:%Y%m%d%H}"),
                ),
            )
        ],
        agents=(service,),
        ips=(service,),
        service_agent=True,
    )


def sam_admin(
    key: str, account: str, regions: dict[str, float], calls: list[WeightedCall], **kw: Any
) -> Actor:
    """Sam's AdministratorAccess session in `account`: from the office, 8-17 UTC, in the
    console unless kw says otherwise."""
    kw = {"agents": (CONSOLE_UA,), "console": True, **kw}
    admin = role(account, sso_role_name("AdministratorAccess"))
    return Actor(
        key,
        account,
        2,
        regions,
        role_identity(admin, sso_session("sam.okafor")),
        calls,
        ips=OFFICE_IPS,
        hours=(8, 17),
        **kw,
    )
