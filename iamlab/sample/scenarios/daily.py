"""Daily ordinary events that need hand placement: console sign-ins, SAML and
web-identity federation, a federated user, a KMS service event.

They give every userIdentity type (Root, SAMLUser, WebIdentityUser,
FederatedUser, Role, AWSService with AwsServiceEvent) a realistic place in
the story; none of them is an error.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from iamlab.sample.scenarios.recorder import Recorder
from iamlab.sample.traffic.actors import CLI_LINUX, CONSOLE_FF, CONSOLE_UA, JAVA_V1, role_identity
from iamlab.sample.traffic.api_infrastructure import s3_object, ssm_call, sts_credentials
from iamlab.sample.traffic.calls import hexs
from iamlab.sample.traffic.records import access_key, iam_user, iso, root
from iamlab.sample.world.accounts import (
    DAYS,
    DEV,
    EXPORTS,
    GITHUB_RUNNER_IPS,
    KMS_KEY_ARN,
    KMS_KEY_ID,
    MGMT,
    OFFICE_IPS,
    ONPREM_IP,
    PROD,
    sso_role_name,
)
from iamlab.sample.world.iam import Role, role, user

SIGNIN_INTERNAL = "aws-internal/3 aws-sdk-java/1.12.772 Linux/5.10.233-202.898.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.432-b08 java/1.8.0_432 vendor/Oracle_Corporation cfg/retry-mode/standard"
IDP = "AiWbbhb1K0dnI8yDmWyI0hUmTkE="


def add_daily(recorder: Recorder) -> None:
    """Every day's sign-ins, federation and service events, then the two one-off events."""
    for day_index, day in enumerate(DAYS):
        dana_signs_in(recorder, day)
        kofi_federates(recorder, day_index, day)
        github_actions_federates(recorder, day)
        report_viewer_federates(recorder, day_index, day)
        ssm_agent_role_call(recorder, day)
    root_signs_in(recorder)
    kms_rotates_key(recorder)


def _login(
    recorder: Recorder,
    when: datetime,
    ident: dict,
    recipient: str,
    ip: str,
    agent: str,
    mfa: bool,
    extra: dict | None = None,
) -> None:
    """A successful console sign-in."""
    add = {
        "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1",
        "MobileVersion": "No",
        "MFAUsed": "Yes" if mfa else "No",
    }
    if extra:
        add.update(extra)
    recorder.add(
        None,
        source="signin.amazonaws.com",
        name="ConsoleLogin",
        read_only=None,
        when=when,
        region="us-east-1",
        identity=ident,
        ip=ip,
        agent=agent,
        recipient=recipient,
        event_type="AwsConsoleSignIn",
        additional=add,
        response={"ConsoleLogin": "Success"},
    )


def dana_signs_in(recorder: Recorder, day: datetime) -> None:
    """Dana signs in to the console with MFA."""
    rng = recorder.rng
    dana = user(DEV, "dana.kim")
    when = day + timedelta(hours=8, minutes=rng.randrange(5, 40), seconds=rng.randrange(60))
    _login(
        recorder,
        when,
        {
            "type": "IAMUser",
            "principalId": dana.id,
            "arn": dana.arn,
            "accountId": DEV,
            "accessKeyId": "",
            "userName": dana.name,
        },
        DEV,
        OFFICE_IPS[2],
        CONSOLE_FF,
        True,
        {"MFAIdentifier": f"arn:aws:iam::{DEV}:mfa/dana.kim-yubikey"},
    )


def kofi_federates(recorder: Recorder, day_index: int, day: datetime) -> None:
    """Kofi federates from Identity Center into prod ReadOnly (SAML), then signs in to
    the console."""
    rng = recorder.rng
    kofi_role = role(PROD, sso_role_name("ReadOnly"))
    when = day + timedelta(hours=7, minutes=rng.randrange(30, 59), seconds=rng.randrange(60))
    session = "kofi.mensah@larkspur.io"
    key = access_key("ASIA", f"{recorder.salt}|saml|kofi|{day_index}")
    saml_sign_in(recorder, kofi_role, session, when, key, OFFICE_IPS[0])
    ident = role_identity(kofi_role, session)(recorder.salt, when)
    _login(
        recorder,
        when + timedelta(seconds=2),
        ident,
        PROD,
        OFFICE_IPS[0],
        CONSOLE_UA,
        False,
        {
            "SamlProviderArn": f"arn:aws:iam::{PROD}:saml-provider/AWSSSO_8a1e4c2f7b9d3065_DO_NOT_DELETE"
        },
    )


def saml_sign_in(
    recorder: Recorder, sso_role: Role, session: str, when: datetime, key: str, ip: str
) -> dict:
    """The AssumeRoleWithSAML that Identity Center makes when a person opens a permission set
    in an account (logged in that account, us-east-1), issuing the 12-hour session ``key``."""
    rng = recorder.rng
    account = sso_role.account
    provider = f"arn:aws:iam::{account}:saml-provider/AWSSSO_8a1e4c2f7b9d3065_DO_NOT_DELETE"
    return recorder.add(
        None,
        source="sts.amazonaws.com",
        name="AssumeRoleWithSAML",
        read_only=True,
        when=when,
        region="us-east-1",
        identity={
            "type": "SAMLUser",
            "principalId": f"{IDP}:{session}",
            "userName": session,
            "identityProvider": IDP,
        },
        ip=ip,
        agent=SIGNIN_INTERNAL,
        recipient=account,
        tls_host="sts.amazonaws.com",
        params={
            "sAMLAssertionID": "_" + hexs(rng, 32),
            "roleSessionName": session,
            "durationSeconds": 43200,
            "roleArn": sso_role.arn,
            "principalArn": provider,
        },
        response={
            "credentials": sts_credentials(rng, key, when, 12 * 3600),
            "assumedRoleUser": {
                "assumedRoleId": f"{sso_role.id}:{session}",
                "arn": f"arn:aws:sts::{account}:assumed-role/{sso_role.name}/{session}",
            },
            "subject": session,
            "subjectType": "persistent",
            "issuer": "https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/MDgwMTUyMDY3OTIzX2lucy1hMWIyYzNkNGU1ZjZhN2I4",
            "audience": "https://signin.aws.amazon.com/saml",
            "nameQualifier": IDP,
        },
        resources=[
            {"accountId": account, "type": "AWS::IAM::Role", "ARN": sso_role.arn},
            {"accountId": account, "type": "AWS::IAM::SAMLProvider", "ARN": provider},
        ],
    )


def github_actions_federates(recorder: Recorder, day: datetime) -> None:
    """GitHub Actions exchanges its OIDC token twice a day."""
    rng = recorder.rng
    gha = role(PROD, "github-actions-orders")
    for hour in (10, 15):
        when = day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
        sub = "repo:larkspur-io/orders-api:ref:refs/heads/main"
        provider = f"arn:aws:iam::{PROD}:oidc-provider/token.actions.githubusercontent.com"
        session = f"GitHubActions-{when:%d%H}"
        recorder.add(
            None,
            source="sts.amazonaws.com",
            name="AssumeRoleWithWebIdentity",
            read_only=True,
            when=when,
            region="eu-west-1",
            identity={
                "type": "WebIdentityUser",
                "principalId": f"{provider}:sts.amazonaws.com:{sub}",
                "userName": sub,
                "identityProvider": provider,
            },
            ip=rng.choice(GITHUB_RUNNER_IPS),
            agent=CLI_LINUX.format(cmd="sts.assume-role-with-web-identity"),
            recipient=PROD,
            tls_host="sts.eu-west-1.amazonaws.com",
            params={"roleArn": gha.arn, "roleSessionName": session, "durationSeconds": 3600},
            response={
                "credentials": sts_credentials(
                    rng, access_key("ASIA", f"{recorder.salt}|gha|{when}"), when, 3600
                ),
                "subjectFromWebIdentityToken": sub,
                "assumedRoleUser": {
                    "assumedRoleId": f"{gha.id}:{session}",
                    "arn": f"arn:aws:sts::{PROD}:assumed-role/{gha.name}/{session}",
                },
                "provider": provider,
                "audience": "sts.amazonaws.com",
            },
            resources=[{"accountId": PROD, "type": "AWS::IAM::Role", "ARN": gha.arn}],
        )


def report_viewer_federates(recorder: Recorder, day_index: int, day: datetime) -> None:
    """The legacy reporting host federates a report viewer, which reads two reports."""
    rng = recorder.rng
    legacy = user(PROD, "svc-legacy-reporting")
    when = day + timedelta(hours=5, minutes=50, seconds=rng.randrange(60))
    fed_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ViewDailyReports",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{EXPORTS}/reports/daily/*",
                }
            ],
        }
    )
    fed_key = access_key("ASIA", f"{recorder.salt}|fed|{day_index}")
    recorder.add(
        None,
        source="sts.amazonaws.com",
        name="GetFederationToken",
        read_only=True,
        when=when,
        region="eu-west-1",
        identity=iam_user(
            legacy.id, legacy.arn, PROD, legacy.name, access_key("AKIA", "user|" + legacy.arn)
        ),
        ip=ONPREM_IP,
        agent=JAVA_V1,
        recipient=PROD,
        tls_host="sts.eu-west-1.amazonaws.com",
        params={"name": "report-viewer", "policy": fed_policy, "durationSeconds": 43200},
        response={
            "credentials": sts_credentials(rng, fed_key, when, 12 * 3600),
            "federatedUser": {
                "federatedUserId": f"{PROD}:report-viewer",
                "arn": f"arn:aws:sts::{PROD}:federated-user/report-viewer",
            },
            "packedPolicySize": 9,
        },
    )
    fed = {
        "type": "FederatedUser",
        "principalId": f"{PROD}:report-viewer",
        "arn": f"arn:aws:sts::{PROD}:federated-user/report-viewer",
        "accountId": PROD,
        "accessKeyId": fed_key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "IAMUser",
                "principalId": legacy.id,
                "arn": legacy.arn,
                "accountId": PROD,
                "userName": legacy.name,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": iso(when), "mfaAuthenticated": "false"},
        },
    }
    for name in ("revenue", "orders"):
        recorder.call(
            None,
            s3_object(
                rng,
                "eu-west-1",
                EXPORTS,
                f"reports/daily/{day:%Y-%m-%d}/{name}.csv",
                "GetObject",
                PROD,
            ),
            when=when + timedelta(minutes=rng.randrange(2, 9)),
            region="eu-west-1",
            identity=fed,
            ip=ONPREM_IP,
            agent=JAVA_V1,
            recipient=PROD,
        )


def ssm_agent_role_call(recorder: Recorder, day: datetime) -> None:
    """A type "Role" identity: role credentials used without a session name (SSM agent on EC2; from
    memory)."""
    rng = recorder.rng
    batch = role(PROD, "reporting-batch-role")
    when = day + timedelta(hours=rng.randrange(24), minutes=rng.randrange(60))
    recorder.call(
        None,
        ssm_call(
            rng,
            "eu-west-1",
            "ListAssociations",
            associationFilterList=[{"key": "InstanceId", "value": "i-0b7d2e9f4a1c6d385"}],
            maxResults=50,
        ),
        when=when,
        region="eu-west-1",
        identity={"type": "Role", "principalId": batch.id, "arn": batch.arn, "accountId": PROD},
        ip="10.40.12.88",
        agent="aws-sdk-go/1.55.5 (go1.22.11; linux; arm64) amazon-ssm-agent/3.3.1802.0",
        recipient=PROD,
    )


def root_signs_in(recorder: Recorder) -> None:
    """The management root user checks the bill on the first morning."""
    when = DAYS[0] + timedelta(hours=9, minutes=12, seconds=7)
    _login(
        recorder,
        when,
        root(MGMT, "larkspur-mgmt"),
        MGMT,
        OFFICE_IPS[0],
        CONSOLE_UA,
        True,
        {"MFAIdentifier": f"arn:aws:iam::{MGMT}:mfa/root-account-mfa-device"},
    )


def kms_rotates_key(recorder: Recorder) -> None:
    """KMS rotates the data-lake key (a service event, an older record version)."""
    recorder.add(
        None,
        version="1.05",
        source="kms.amazonaws.com",
        name="RotateKey",
        read_only=False,
        when=DAYS[2] + timedelta(hours=2, minutes=14, seconds=51),
        region="eu-west-1",
        identity={"accountId": PROD, "invokedBy": "kms.amazonaws.com"},
        ip="kms.amazonaws.com",
        agent="kms.amazonaws.com",
        recipient=PROD,
        event_type="AwsServiceEvent",
        additional={"keyId": KMS_KEY_ARN},
        request_id=None,
        resources=[{"accountId": PROD, "type": "AWS::KMS::Key", "ARN": KMS_KEY_ARN}],
    )
    assert KMS_KEY_ID in KMS_KEY_ARN
