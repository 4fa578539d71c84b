"""Step 1 of every investigation: who am I, and where did boto3 get that from?

``whoami`` asks STS for the caller identity and reports which provider won in
botocore's credential chain, from which file, variable or profile, the region
and where it came from, and the classic traps as warnings. It never returns or
prints a secret key or session token; the access key id is shortened.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError, NoCredentialsError

from iamlab.aws.failures import (
    EXPIRED_CODES,
    REJECTED_CODES,
    as_aws_error,
    describe,
    plain_errors,
)
from iamlab.aws.readonly import client as ro_client
from iamlab.aws.readonly import session as ro_session
from iamlab.aws.redact import redact_key, redact_key_ids
from iamlab.errors import AwsError

# botocore ``Credentials.method`` -> plain words (botocore/credentials.py METHOD values).
CREDENTIAL_SOURCES: dict[str, str] = {
    "env": "environment variables",
    "shared-credentials-file": "shared credentials file",
    "config-file": "config file",
    "sso": "IAM Identity Center (SSO) profile",
    "assume-role": "assume-role profile",
    "assume-role-with-web-identity": "web identity token (assume-role-with-web-identity)",
    "container-role": "container credentials endpoint (ECS/EKS)",
    "iam-role": "EC2 instance metadata (instance profile role)",
    "custom-process": "credential_process command",
    "ec2-credentials-file": "EC2 credentials file (legacy)",
    "boto-config": "boto2 config file (legacy)",
    "login": "AWS console login (aws login)",
    "explicit": "keys passed in code",
}

_ENV_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass(frozen=True)
class Identity:
    """Who the caller is, which credentials were used, and what to double-check."""

    account: str
    arn: str
    user_id: str
    principal_type: str  # user | assumed-role | root | federated-user | unknown
    name: str | None  # user name, role name, or federated user name
    role_name: str | None
    session_name: str | None
    credential_method: str | None  # botocore's method string, e.g. "shared-credentials-file"
    credential_source: str  # the same in plain words
    credential_origin: str  # where: file path, variable names, profile
    access_key: str | None  # shortened, never the whole id
    profile: str | None
    region: str | None
    region_source: str
    warnings: tuple[str, ...] = field(default_factory=tuple)
    unexpected: tuple[str, ...] = field(default_factory=tuple)  # failed --expect-* checks

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (warnings as a list)."""
        out = asdict(self)
        out["warnings"] = list(self.warnings)
        out["unexpected"] = list(self.unexpected)
        return out


def parse_arn(arn: str) -> dict[str, str | None]:
    """Return principal_type, name, role_name and session_name parsed from a caller ARN."""
    out: dict[str, str | None] = {
        "principal_type": "unknown",
        "name": None,
        "role_name": None,
        "session_name": None,
    }
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return out
    resource = parts[5]
    if resource == "root":
        out.update(principal_type="root", name="root")
    elif resource.startswith("assumed-role/"):
        _, role, *session = resource.split("/", 2)
        out.update(
            principal_type="assumed-role",
            name=role,
            role_name=role,
            session_name=session[0] if session else None,
        )
    elif resource.startswith("user/"):
        out.update(principal_type="user", name=resource.rsplit("/", 1)[1])
    elif resource.startswith("federated-user/"):
        out.update(principal_type="federated-user", name=resource.split("/", 1)[1])
    elif resource.startswith("role/"):
        name = resource.rsplit("/", 1)[1]
        out.update(principal_type="role", name=name, role_name=name)
    return out


def _profile_config(sess: boto3.Session) -> dict[str, Any]:
    try:
        return dict(sess._session.get_scoped_config())
    except Exception:  # an unknown profile is reported by botocore itself later
        return {}


def _origin(method: str | None, sess: boto3.Session, profile: str) -> str:
    """Return where the winning credentials came from (never their value)."""
    bc = sess._session
    conf = _profile_config(sess)
    if method == "env":
        return ", ".join(k for k in _ENV_KEYS if os.environ.get(k))
    if method == "shared-credentials-file":
        path = os.path.expanduser(bc.get_config_variable("credentials_file"))
        return f"{path} [{profile}]"
    if method == "config-file":
        path = os.path.expanduser(bc.get_config_variable("config_file"))
        return f"{path} [profile {profile}]"
    if method == "assume-role":
        via = conf.get("source_profile") or conf.get("credential_source") or "?"
        return f"profile {profile}: role_arn {conf.get('role_arn')} via {via}"
    if method == "assume-role-with-web-identity":
        if os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
            return f"AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN ({os.environ.get('AWS_ROLE_ARN')})"
        return f"profile {profile}: role_arn {conf.get('role_arn')}"
    if method == "sso":
        start = conf.get("sso_start_url") or f"sso-session {conf.get('sso_session')}"
        return (
            f"profile {profile}: {start}, account {conf.get('sso_account_id')}, "
            f"role {conf.get('sso_role_name')}"
        )
    if method == "container-role":
        names = ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")
        return ", ".join(n for n in names if os.environ.get(n))
    if method == "iam-role":
        endpoint = os.environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        return f"instance metadata service{f' at {endpoint}' if endpoint else ''}"
    if method == "custom-process":
        return f"credential_process in profile {profile}"
    return f"profile {profile}" if profile else "unknown"


def _region_source(sess: boto3.Session, region_arg: str | None) -> str:
    region = sess.region_name
    if region is None:
        return "none (no --region, AWS_DEFAULT_REGION or profile region)"
    if region_arg:
        return "--region argument"
    if os.environ.get("AWS_DEFAULT_REGION") == region:
        return "environment variable AWS_DEFAULT_REGION"
    if _profile_config(sess).get("region") == region:
        path = os.path.expanduser(sess._session.get_config_variable("config_file"))
        return f"config file {path} [profile {sess.profile_name}]"
    return "botocore default"


def _arn_matches(expected: str, arn: str, parsed: dict[str, str | None]) -> bool:
    """Return whether the caller is ``expected``; a role ARN also matches its sessions."""
    if expected == arn:
        return True
    if parsed["principal_type"] == "assumed-role" and ":role/" in expected:
        same_account = expected.split(":")[4] == arn.split(":")[4]
        return same_account and expected.rsplit("/", 1)[1] == parsed["role_name"]
    return False


def _unexpected(
    ident: dict[str, Any], expect_account: str | None, expect_arn: str | None
) -> list[str]:
    out = []
    if expect_account and ident["Account"] != expect_account:
        out.append(f"account {ident['Account']} is not the expected account {expect_account}")
    if expect_arn and not _arn_matches(expect_arn, ident["Arn"], parse_arn(ident["Arn"])):
        out.append(f"caller {ident['Arn']} is not the expected principal {expect_arn}")
    return out


def _warnings(method: str | None, explicit_profile: str | None, region: str | None) -> list[str]:
    out: list[str] = []
    env_profile = os.environ.get("AWS_PROFILE")
    if method == "env" and env_profile and not explicit_profile:
        out.append(
            f"AWS_ACCESS_KEY_ID is set in the environment, so boto3 used those keys and "
            f"ignored AWS_PROFILE={env_profile}; unset AWS_ACCESS_KEY_ID, "
            f"AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN to use the profile"
        )
    elif explicit_profile and os.environ.get("AWS_ACCESS_KEY_ID"):
        out.append(
            f"AWS_ACCESS_KEY_ID is also set in the environment; --profile {explicit_profile} "
            f"won here, but any tool run without --profile (or with only AWS_PROFILE set) "
            f"uses the environment keys instead"
        )
    aws_region = os.environ.get("AWS_REGION")
    if aws_region and aws_region != region:
        out.append(
            f"AWS_REGION={aws_region} is set but boto3 reads AWS_DEFAULT_REGION and the "
            f"profile, so it uses {region or 'no region'}; set AWS_DEFAULT_REGION or --region"
        )
    return out


def _auth_failure(exc: ClientError, source: str, origin: str) -> AwsError:
    code = exc.response.get("Error", {}).get("Code", "")
    if code in EXPIRED_CODES:
        return AwsError(
            f"the session token from {source} ({origin}) has expired ({code}); get fresh "
            f"credentials (aws sso login, re-assume the role, or unset the stale "
            f"AWS_SESSION_TOKEN) and run again"
        )
    if code in REJECTED_CODES:
        return AwsError(
            f"AWS rejected the credentials from {source} ({origin}) with {code}: the key is "
            f"unknown, deleted or paired with the wrong secret; check that source"
        )
    return as_aws_error(exc, "reading the caller identity")


@plain_errors("reading the caller identity")
def whoami(
    profile: str | None = None,
    expect_account: str | None = None,
    expect_arn: str | None = None,
    *,
    region: str | None = None,
    session: boto3.Session | None = None,
) -> Identity:
    """Return the caller identity, the credential source that won, and warnings.

    ``profile``/``region`` select as boto3 would (None: the default chain).
    ``expect_account``/``expect_arn`` add a warning when the caller differs (a role
    ARN also matches its sessions). Raises ``AwsError`` when no credentials are
    found, the token has expired, or AWS rejects the key.
    Example: ``whoami(profile="audit", expect_account="111122223333").warnings``.
    """
    sess = session if session is not None else ro_session(profile, region)
    profile_name = sess.profile_name
    try:
        creds = sess.get_credentials()
    except Exception as exc:  # botocore raises many kinds while resolving the chain
        raise as_aws_error(exc, f"loading credentials (profile {profile_name})") from exc
    if creds is None:
        raise AwsError(
            "no AWS credentials found: looked at environment variables, the shared "
            "credentials and config files, SSO, container and instance metadata; "
            "run `aws configure` or pass --profile"
        )
    method = getattr(creds, "method", None)
    source = CREDENTIAL_SOURCES.get(method or "", method or "unknown")
    origin = _origin(method, sess, profile_name)
    try:
        access_key = redact_key(creds.get_frozen_credentials().access_key)
        sts = ro_client("sts", session=sess, region=sess.region_name or "us-east-1")
        ident = sts.get_caller_identity()
    except ClientError as exc:
        raise _auth_failure(exc, source, origin) from exc
    except NoCredentialsError as exc:
        raise AwsError(
            f"credentials from {source} ({origin}) could not be used: {describe(exc)}"
        ) from exc
    parsed = parse_arn(ident["Arn"])
    unexpected = _unexpected(ident, expect_account, expect_arn)
    warnings = _warnings(method, profile, sess.region_name) + unexpected
    return Identity(
        account=ident["Account"],
        arn=ident["Arn"],
        user_id=redact_key_ids(ident["UserId"]),
        principal_type=parsed["principal_type"] or "unknown",
        name=parsed["name"],
        role_name=parsed["role_name"],
        session_name=parsed["session_name"],
        credential_method=method,
        credential_source=source,
        credential_origin=origin,
        access_key=access_key,
        profile=profile_name,
        region=sess.region_name,
        region_source=_region_source(sess, region),
        warnings=tuple(warnings),
        unexpected=tuple(unexpected),
    )
