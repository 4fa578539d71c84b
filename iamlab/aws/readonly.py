"""Read-only by construction: every boto3 client iamlab makes refuses writes.

A botocore event handler checks each operation against an explicit allow-list
before the request is built, so a write (or any call iamlab does not need)
raises ``ReadOnlyViolation`` and nothing reaches the endpoint. ``Get*``,
``List*`` and ``Describe*`` are *not* allowed wholesale: ``GetSecretValue`` is a
``Get`` that reads a secret, and iamlab never needs it.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ProfileNotFound

from iamlab.aws.redact import install as install_redaction
from iamlab.errors import AwsError, ReadOnlyViolation

# botocore service name -> operations iamlab may send. Kept as data; add an
# operation here only with the reason it is needed and the proof it is a read.
ALLOWED_OPERATIONS: dict[str, frozenset[str]] = {
    "sts": frozenset({
        "GetCallerIdentity",           # whoami
        "GetAccessKeyInfo",            # documented read: account of an access key id
        "DecodeAuthorizationMessage",  # decode EC2 encoded failure messages (aws-facts 1.5)
        # AssumeRole changes nothing in the account: it returns temporary
        # credentials for the cross-account collector's named role.
        "AssumeRole",
        # Called by botocore's own credential chain for web-identity profiles.
        "AssumeRoleWithWebIdentity",
    }),
    # IAM Identity Center profiles: botocore's chain exchanges the cached SSO
    # token for role credentials, refreshing the token when it has expired.
    "sso": frozenset({"GetRoleCredentials"}),
    "sso-oidc": frozenset({"CreateToken"}),
    "iam": frozenset({
        "GetAccountAuthorizationDetails",
        "SimulatePrincipalPolicy",
        "SimulateCustomPolicy",
        "GetContextKeysForPrincipalPolicy",
        "GetContextKeysForCustomPolicy",
        "ListAccountAliases",
        "GetPolicy",
        "GetPolicyVersion",
        "GetRole",
        "GetUser",
    }),
    "organizations": frozenset({
        "DescribeOrganization",
        "DescribeAccount",
        "DescribePolicy",
        "ListRoots",
        "ListOrganizationalUnitsForParent",
        "ListAccountsForParent",
        "ListAccounts",
        "ListParents",
        "ListPolicies",
        "ListTargetsForPolicy",
    }),
    "s3": frozenset({"ListBuckets", "GetBucketPolicy", "GetBucketLocation"}),
    "kms": frozenset({
        "ListKeys", "ListAliases", "DescribeKey", "ListKeyPolicies", "GetKeyPolicy",
    }),
    "lambda": frozenset({"ListFunctions", "GetPolicy"}),
    "sqs": frozenset({"ListQueues", "GetQueueAttributes"}),
    "sns": frozenset({"ListTopics", "GetTopicAttributes"}),
    # GetResourcePolicy returns the policy only; GetSecretValue is deliberately absent.
    "secretsmanager": frozenset({"ListSecrets", "GetResourcePolicy"}),
    "cloudtrail": frozenset({
        "LookupEvents",
        "ListEventDataStores",
        # Lake accepts SELECT statements only (aws-facts 3.3); StartQuery runs one.
        "StartQuery",
        "DescribeQuery",
        "GetQueryResults",
    }),
    "iam-toolbox": frozenset({
        "GetRequestAuthorizationDetails",
        "GetRequestAuthorizationPolicy",
    }),
}

_GUARD_ID = "iamlab-readonly-guard"


def is_allowed(service: str, operation: str) -> bool:
    """Return whether ``service``/``operation`` is on the read-only allow-list."""
    return operation in ALLOWED_OPERATIONS.get(service, frozenset())


def _refuse_writes(model: Any = None, **_: Any) -> None:
    """botocore handler: raise before any operation off the allow-list is sent."""
    service = model.service_model.service_name
    if not is_allowed(service, model.name):
        raise ReadOnlyViolation(
            f"refused {service}:{model.name}: iamlab only sends read operations "
            f"on its allow-list (iamlab.aws.readonly.ALLOWED_OPERATIONS); "
            f"nothing was sent to AWS. Allowed for {service}: "
            f"{', '.join(sorted(ALLOWED_OPERATIONS.get(service, ()))) or 'none'}"
        )


def guard(events: Any) -> None:
    """Install the read-only check on a botocore event emitter (idempotent)."""
    # provide-client-params is the first event of every API call; before-call
    # is checked again just before the request is signed and sent.
    events.register("provide-client-params", _refuse_writes, unique_id=_GUARD_ID)
    events.register("before-call", _refuse_writes, unique_id=_GUARD_ID + "-call")


def retry_config(max_attempts: int = 10, mode: str = "adaptive") -> Config:
    """Return the botocore config iamlab uses: throttling retried with backoff."""
    return Config(retries={"max_attempts": max_attempts, "mode": mode},
                  user_agent_extra="iamlab")


def session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """Return a boto3 session whose every client is read-only.

    ``profile`` and ``region`` follow boto3's rules (None: the default chain).
    The guard is registered on the session, so clients made from it later,
    including by code that is not iamlab's, inherit it.
    """
    install_redaction()
    try:
        sess = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as exc:
        raise AwsError(
            f"AWS profile {profile!r} is not in the config or credentials files; "
            f"`aws configure list-profiles` shows the known ones") from exc
    guard(sess._session)  # botocore session events are copied into each client
    return sess


_make_session = session  # ``client`` takes a parameter called ``session``


def client(name: str, *, session: boto3.Session | None = None, profile: str | None = None,
           region: str | None = None, config: Config | None = None, **kwargs: Any) -> Any:
    """Return a read-only boto3 client for service ``name``.

    Example: ``client("iam").get_account_authorization_details()`` works,
    ``client("iam").create_user(UserName="x")`` raises ``ReadOnlyViolation``.
    """
    install_redaction()
    sess = session if session is not None else _make_session(profile, region)
    cfg = retry_config() if config is None else retry_config().merge(config)
    made = sess.client(name, region_name=region, config=cfg, **kwargs)
    guard(made.meta.events)
    return made


def redact_key(access_key_id: str | None) -> str | None:
    """Return an access key id shortened to its prefix and last four characters."""
    if not access_key_id:
        return None
    return f"{access_key_id[:4]}...{access_key_id[-4:]}" if len(access_key_id) > 8 else "****"
