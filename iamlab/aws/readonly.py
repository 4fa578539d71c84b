"""Read-only by construction: every boto3 client iamlab makes refuses writes.

This is the one door to AWS: every client in the package comes from
``client()`` (or a ``session()`` made here). A botocore event handler checks
each operation against an explicit allow-list before the request is built,
so a write (or any call iamlab does not need) raises ``ReadOnlyViolation`` and
nothing reaches the endpoint. ``Get*``, ``List*`` and ``Describe*`` are *not*
allowed wholesale: ``GetSecretValue`` is a ``Get`` that reads a secret, and
iamlab never needs it. Allowed operations whose parameters would make AWS
write somewhere are refused with those parameters (``REFUSED_PARAMETERS``),
and nothing is signed for later use: presigned URLs, presigned POSTs and
database auth tokens hand the caller's authority to whoever holds them.

The one exception is ``metadata_client``: the client ``iamlab athena setup``
uses, after the analyst confirms, to create the CloudTrail table (and its
database) in their own Glue Data Catalog through Athena DDL, guarded by its own
allow-list (``METADATA_WRITES``, ``METADATA_DDL``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ProfileNotFound

from iamlab.aws.redact import install as install_redaction
from iamlab.errors import AwsError, ReadOnlyViolation

# botocore service name -> operations iamlab may send. Kept as data; add an
# operation here only with the reason it is needed and the proof it is a read.
ALLOWED_OPERATIONS: dict[str, frozenset[str]] = {
    "sts": frozenset(
        {
            "GetCallerIdentity",  # whoami
            "GetAccessKeyInfo",  # documented read: account of an access key id
            "DecodeAuthorizationMessage",  # decode EC2 encoded failure messages (aws-facts 1.5)
            # AssumeRole changes nothing in the account: it returns temporary
            # credentials for the cross-account collector's named role.
            "AssumeRole",
            # Called by botocore's own credential chain for web-identity profiles.
            "AssumeRoleWithWebIdentity",
        }
    ),
    # IAM Identity Center profiles: botocore's chain exchanges the cached SSO
    # token for role credentials, refreshing the token when it has expired.
    "sso": frozenset({"GetRoleCredentials"}),
    "sso-oidc": frozenset({"CreateToken"}),
    "iam": frozenset(
        {
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
        }
    ),
    "organizations": frozenset(
        {
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
        }
    ),
    "s3": frozenset(
        {
            "ListBuckets",
            "GetBucketPolicy",
            "GetBucketLocation",
            # load s3://bucket/prefix: list the trail's keys, download the log files
            "ListObjectsV2",
            "GetObject",
            # the tags of the resources whose policies are collected: aws:ResourceTag/* (issue 17)
            "GetBucketTagging",
        }
    ),
    "kms": frozenset(
        {
            "ListKeys",
            "ListAliases",
            "DescribeKey",
            "ListKeyPolicies",
            "GetKeyPolicy",
            "ListResourceTags",
        }
    ),
    "lambda": frozenset({"ListFunctions", "GetPolicy", "ListTags"}),
    "sqs": frozenset({"ListQueues", "GetQueueAttributes", "ListQueueTags"}),
    "sns": frozenset({"ListTopics", "GetTopicAttributes", "ListTagsForResource"}),
    # GetResourcePolicy returns the policy only; GetSecretValue is deliberately absent.
    "secretsmanager": frozenset({"ListSecrets", "GetResourcePolicy"}),
    # resource policies of tables and their streams: DescribeTable gives a table's ARN and its
    # stream's (metadata only; no item is ever read: GetItem, Query, Scan are absent)
    "dynamodb": frozenset(
        {"ListTables", "DescribeTable", "GetResourcePolicy", "ListTagsOfResource"}
    ),
    # repository policies (no image or layer is read: BatchGetImage, GetDownloadUrlForLayer and
    # GetAuthorizationToken are absent)
    "ecr": frozenset({"DescribeRepositories", "GetRepositoryPolicy", "ListTagsForResource"}),
    "cloudtrail": frozenset(
        {
            "LookupEvents",
            # evidence coverage: which trails exist, multi-Region or not, logging or not
            "DescribeTrails",
            "GetTrailStatus",
            "ListEventDataStores",
            # Lake accepts SELECT statements only (aws-facts 3.3); StartQuery runs one
            # (never with DeliveryS3Uri: see REFUSED_PARAMETERS).
            "StartQuery",
            "DescribeQuery",
            "GetQueryResults",
        }
    ),
    # ValidatePolicy checks a document sent with the call; it reads and writes nothing of
    # the account (iamlab lint --aws).
    "accessanalyzer": frozenset({"ValidatePolicy"}),
    "iam-toolbox": frozenset(
        {
            "GetRequestAuthorizationDetails",
            "GetRequestAuthorizationPolicy",
        }
    ),
    # iamlab athena denials: a SELECT over the trail (QUERY_CHECKS refuses any other
    # statement). Athena writes each query's result file to the workgroup's own
    # result location, as it does for every query; iamlab never names a location
    # (ResultConfiguration is refused below). StopQueryExecution stops a query
    # iamlab started and gave up waiting for, so it scans (and costs) no more.
    "athena": frozenset(
        {
            "GetWorkGroup",
            "StartQueryExecution",
            "GetQueryExecution",
            "GetQueryResults",
            "StopQueryExecution",
        }
    ),
    "glue": frozenset({"GetDatabase", "GetTable"}),
}

# (service, operation) -> parameters that make an allowed operation write, and why.
REFUSED_PARAMETERS: dict[tuple[str, str], dict[str, str]] = {
    ("cloudtrail", "StartQuery"): {
        "DeliveryS3Uri": "makes CloudTrail Lake write the query results into an S3 bucket",
    },
    # AssumeRole only returns credentials, but these parameters label the new
    # session: session tags (and transitive tags, which follow every role it
    # chains into) feed ABAC decisions and are recorded in CloudTrail, and a
    # SourceIdentity can never be changed for the session or its chained
    # sessions. The collector sends none of them and botocore's credential chain
    # never does (botocore 1.44.8 credentials.py), so a read-only tool refuses
    # them rather than assert attributes about the analyst in other accounts.
    ("sts", "AssumeRole"): {
        "Tags": "attaches session tags, which policies read as attributes of the caller",
        "TransitiveTagKeys": "makes session tags follow every role chained from the session",
        "SourceIdentity": "sets a source identity that the session and its chain keep for good",
    },
}

# Athena runs SQL of any kind through one operation: a read-only client sends only
# statements that read (aws-facts 3.4: the trail is queried with SELECT).
READ_QUERY = re.compile(r"^\s*(?:--[^\n]*\n\s*)*(SELECT|WITH|EXPLAIN)\b", re.IGNORECASE)
REFUSED_PARAMETERS[("athena", "StartQueryExecution")] = {
    "ResultConfiguration": "chooses where Athena writes the results; iamlab leaves that to "
    "the workgroup's own result location",
}

# The one exception to read-only: ``iamlab athena setup`` creates the CloudTrail
# table (and its database) in the analyst's own Glue Data Catalog, through Athena
# DDL, after the analyst has seen the DDL and confirmed. Nothing else is ever
# written: not the trail, not IAM, not S3. ``metadata_client`` alone may send
# these, and only statements that METADATA_DDL matches.
METADATA_WRITES: dict[str, frozenset[str]] = {"athena": frozenset({"StartQueryExecution"})}
METADATA_DDL = re.compile(
    r"^\s*CREATE\s+(EXTERNAL\s+TABLE|DATABASE)\s+IF\s+NOT\s+EXISTS\s+[`\w.]+(\s|$)", re.IGNORECASE
)


def _query_refusal(service: str, operation: str, params: Any, metadata: bool) -> str | None:
    """Why this Athena statement may not be sent by this client (None: it may)."""
    if (service, operation) != ("athena", "StartQueryExecution"):
        return None
    text = params.get("QueryString") if isinstance(params, dict) else None
    if text is None and isinstance(params, dict) and "body" in params:
        # before-call: the serialized request (Athena speaks JSON); read the statement again
        try:
            text = json.loads(params["body"] or b"{}").get("QueryString")
        except (ValueError, AttributeError):
            text = None
    text = text if isinstance(text, str) else ""
    if READ_QUERY.match(text):
        return None
    if metadata and METADATA_DDL.match(text) and ";" not in text.rstrip().rstrip(";"):
        return None
    allowed = "SELECT, WITH or EXPLAIN" + (
        ", or CREATE EXTERNAL TABLE / CREATE DATABASE IF NOT EXISTS" if metadata else ""
    )
    return f"its statement is not {allowed} (it starts {text.strip()[:30]!r})"


# Methods botocore adds to client classes that sign a request for someone else
# to send later (presigned POST, RDS/DSQL auth tokens); no event fires when
# they run, so they are replaced on the class (session clients) or the client.
_SIGNING_METHODS = (
    "generate_presigned_post",
    "generate_db_auth_token",
    "generate_db_connect_auth_token",
    "generate_db_connect_admin_auth_token",
)

_GUARD_ID = "iamlab-readonly-guard"

# How long iamlab waits for AWS and how often it tries, so that an unreachable
# endpoint fails in seconds (botocore's defaults: 60 s to connect, and with the
# earlier 11 adaptive attempts `whoami` took 37 s to give up on a closed port).
ATTEMPTS = 3  # tries per call, the first included; throttling backs off between them
CONNECT_TIMEOUT = 2  # seconds
READ_TIMEOUT = 20  # seconds: Lake results and big IAM pages can take a while


def is_allowed(service: str, operation: str) -> bool:
    """Return whether ``service``/``operation`` is on the read-only allow-list."""
    return operation in ALLOWED_OPERATIONS.get(service, frozenset())


def _refuse_writes(model: Any = None, params: Any = None, context: Any = None, **_: Any) -> None:
    """botocore handler: raise before any operation off the allow-list is sent or signed."""
    _check(model, params, context, metadata=False)


def _refuse_other_writes(
    model: Any = None, params: Any = None, context: Any = None, **_: Any
) -> None:
    """``metadata_client``'s handler: the read-only checks, plus the Glue/Athena DDL."""
    _check(model, params, context, metadata=True)


def _check(model: Any, params: Any, context: Any, metadata: bool) -> None:
    service = model.service_model.service_name
    refusal = _query_refusal(service, model.name, params, metadata)
    if refusal:
        raise ReadOnlyViolation(
            f"refused {service}:{model.name}: {refusal}; iamlab only "
            "reads (its one write is athena setup's table); nothing was "
            "sent to AWS"
        )
    metadata_write = metadata and model.name in METADATA_WRITES.get(service, ())
    if not (metadata_write or is_allowed(service, model.name)):
        raise ReadOnlyViolation(
            f"refused {service}:{model.name}: iamlab only sends read operations "
            f"on its allow-list (iamlab.aws.readonly.ALLOWED_OPERATIONS); "
            f"nothing was sent to AWS. Allowed for {service}: "
            f"{', '.join(sorted(ALLOWED_OPERATIONS.get(service, ()))) or 'none'}"
        )
    if isinstance(context, dict) and context.get("is_presign_request"):
        raise ReadOnlyViolation(
            f"refused to presign {service}:{model.name}: a presigned URL lets whoever holds "
            "it act with your credentials, and iamlab never needs one; nothing was signed"
        )
    refused = REFUSED_PARAMETERS.get((service, model.name), {})
    for name in refused:
        if isinstance(params, dict) and params.get(name) not in (None, "", [], {}):
            raise ReadOnlyViolation(
                f"refused {service}:{model.name} with {name}: it {refused[name]}; "
                "iamlab only reads, nothing was sent to AWS"
            )


def _refuse_signing(*_: Any, **__: Any) -> None:
    raise ReadOnlyViolation(
        "refused to sign a request for later use (presigned POST or database auth token): "
        "it would hand your credentials' authority to whoever holds it; nothing was signed"
    )


def _strip_signing_methods(class_attributes: dict[str, Any], **_: Any) -> None:
    """botocore creating-client-class handler: replace the signing methods it just added."""
    for name in _SIGNING_METHODS:
        if name in class_attributes:
            class_attributes[name] = _refuse_signing


def guard(events: Any) -> None:
    """Install the read-only check on a botocore session or event emitter (idempotent)."""
    if hasattr(events, "get_component"):  # a botocore Session: its emitter
        events = events.get_component("event_emitter")
    # provide-client-params is the first event of every API call and of
    # generate_presigned_url; before-call is checked again just before the
    # request is signed and sent.
    events.register("provide-client-params", _refuse_writes, unique_id=_GUARD_ID)
    events.register("before-call", _refuse_writes, unique_id=_GUARD_ID + "-call")
    # last, so botocore's own handlers have added the methods this replaces
    events.register_last(
        "creating-client-class", _strip_signing_methods, unique_id=_GUARD_ID + "-class"
    )


def retry_config(attempts: int = ATTEMPTS, mode: str = "adaptive") -> Config:
    """Return the botocore config iamlab uses: bounded timeouts, a few tries with backoff."""
    return Config(
        retries={"total_max_attempts": attempts, "mode": mode},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        user_agent_extra="iamlab",
    )


def session(
    profile: str | None = None,
    region: str | None = None,
    *,
    credentials: dict[str, str] | None = None,
) -> boto3.Session:
    """Return a boto3 session whose every client is read-only.

    ``profile`` and ``region`` follow boto3's rules (None: the default chain);
    ``credentials`` (STS's ``AccessKeyId``, ``SecretAccessKey``,
    ``SessionToken``) use those keys instead, e.g. an assumed role's.
    The guard is registered on the session, so clients made from it later,
    including by code that is not iamlab's, inherit it.
    """
    install_redaction()
    keys = (
        {}
        if credentials is None
        else {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials.get("SessionToken"),
        }
    )
    try:
        sess = boto3.Session(profile_name=profile, region_name=region, **keys)
    except ProfileNotFound as exc:
        raise AwsError(
            f"AWS profile {profile!r} is not in the config or credentials files; "
            f"`aws configure list-profiles` shows the known ones"
        ) from exc
    except BotoCoreError as exc:  # a config file that cannot be read, ...
        raise _plain(exc, "reading the AWS configuration") from exc
    guard(sess._session)  # botocore session events are copied into each client
    return sess


_make_session = session  # ``client`` takes a parameter called ``session``


def _plain(exc: BotoCoreError, doing: str) -> AwsError:
    from iamlab.aws.failures import as_aws_error  # it reads this module's limits

    return as_aws_error(exc, doing)


def client(
    name: str,
    *,
    session: boto3.Session | None = None,
    profile: str | None = None,
    region: str | None = None,
    config: Config | None = None,
    **kwargs: Any,
) -> Any:
    """Return a read-only boto3 client for service ``name``.

    Example: ``client("iam").get_account_authorization_details()`` works,
    ``client("iam").create_user(UserName="x")`` raises ``ReadOnlyViolation``.
    """
    if name not in ALLOWED_OPERATIONS:
        raise ReadOnlyViolation(
            f"refused to make a {name} client: iamlab sends no {name} operation "
            f"(services on its allow-list: {', '.join(sorted(ALLOWED_OPERATIONS))})"
        )
    install_redaction()
    sess = session if session is not None else _make_session(profile, region)
    cfg = retry_config() if config is None else retry_config().merge(config)
    try:
        made = sess.client(name, region_name=region, config=cfg, **kwargs)
    except BotoCoreError as exc:  # NoRegionError, a bad endpoint URL, ...
        raise _plain(exc, f"making a {name} client") from exc
    guard(made.meta.events)
    for method in _SIGNING_METHODS:  # a session not made here did not strip them
        if hasattr(made, method):
            setattr(made, method, _refuse_signing)
    return made


def metadata_client(
    name: str,
    *,
    session: boto3.Session | None = None,
    profile: str | None = None,
    region: str | None = None,
    config: Config | None = None,
    **kwargs: Any,
) -> Any:
    """Return the client for ``iamlab athena setup``'s one write (Glue/Athena metadata).

    It refuses what ``client`` refuses, except the operations in
    ``METADATA_WRITES`` with a statement that ``METADATA_DDL`` matches (create a
    database or an external table if missing). Example:
    ``metadata_client("athena").start_query_execution(QueryString="DROP TABLE t")``
    raises ``ReadOnlyViolation``.
    """
    made = client(name, session=session, profile=profile, region=region, config=config, **kwargs)
    events = made.meta.events
    events.unregister("provide-client-params", unique_id=_GUARD_ID)
    events.unregister("before-call", unique_id=_GUARD_ID + "-call")
    events.register("provide-client-params", _refuse_other_writes, unique_id=_GUARD_ID + "-md")
    events.register("before-call", _refuse_other_writes, unique_id=_GUARD_ID + "-md-call")
    return made
