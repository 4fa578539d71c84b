"""From a CloudTrail record to the request AWS evaluated: principal, action, resource, context.

Pure: a record (CloudTrail's own keys), the parsed error message, a loaded
snapshot and the workspace's session index in, a ``Replay`` out. What the
record cannot tell is listed (``gaps`` for the principal, action or
resource; ``missing_keys`` for condition keys), never invented.
Field-to-key rules: aws-facts.md section 6b.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iamlab.denials.actions import iam_action
from iamlab.denials.parse import ParsedDenial
from iamlab.diagnose.resource import owner_of, resource_of
from iamlab.diagnose.sessions import SessionIndex, SessionPolicy
from iamlab.errors import IamlabError
from iamlab.policy.request import ContextValue
from iamlab.snapshot.files import read_json
from iamlab.snapshot.snapshot import Snapshot


@dataclass(frozen=True)
class Replay:
    """The request rebuilt from one denial event, and what could not be rebuilt.

    ``principal`` is the ARN (or service principal) the engine evaluates, or
    None when the record does not say who called in a way the snapshot can
    resolve (``gaps`` says why). ``known_absent`` names keys AWS would not
    have set for this request (their absence is a fact, not missing evidence).
    ``resource`` is ``*`` when the action authorizes no resource the request
    names; ``resource_account`` the owner the record's ``resources[]`` states
    (None when it states none: the snapshot then derives it from the ARN).
    ``resources`` lists every resource AWS authorizes for an action that takes
    several at once (``resource`` is then None: one request per resource).
    """

    event_id: str
    principal: str | None
    issuer_arn: str | None
    identity_type: str | None
    caller_account: str | None
    access_key_id: str | None
    action: str | None
    resource: str | None
    context: dict[str, ContextValue]
    missing_keys: tuple[str, ...]
    known_absent: frozenset[str]
    vpc_endpoint: str | None
    session: SessionPolicy | None
    gaps: tuple[str, ...] = ()
    incomplete: tuple[str, ...] = ()  # record fields a request is built from, found missing
    resource_account: str | None = None  # the owner, from resources[].accountId
    resources: tuple[str, ...] = ()  # each resource of an action that authorizes several


_SESSION_KINDS = ("AssumedRole", "FederatedUser")
_NETWORK_KEYS = frozenset({"aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip"})
# requestParameters names that are S3 condition keys (aws-facts 6b).
_S3_KEYS = {
    "prefix": "s3:prefix",
    "delimiter": "s3:delimiter",
    "max-keys": "s3:max-keys",
    "x-amz-acl": "s3:x-amz-acl",
    "versionId": "s3:VersionId",
}


def rebuild(
    record: Mapping[str, Any],
    parsed: ParsedDenial,
    snap: Snapshot,
    sessions: SessionIndex | None = None,
) -> Replay:
    """Return the request behind one CloudTrail record, as the engine takes it.

    Never raises on a malformed record: each part that cannot be rebuilt is
    left None with a sentence in ``gaps``.
    """
    gaps: list[str] = []
    ui = _dict(record.get("userIdentity"))
    principal, issuer = _principal(ui, parsed, snap, gaps)
    action = _action(record, parsed, gaps)
    resource, unresolved, several = resource_of(record, parsed.resource, action)
    if unresolved:
        gaps.append(unresolved)
    context, missing, absent = _context(record, ui, issuer)
    endpoint = _str(record.get("vpcEndpointId"))
    vpc = _endpoint_vpc(snap, endpoint) if endpoint else None
    if vpc:
        context["aws:SourceVpc"] = vpc
        missing.remove("aws:SourceVpc")
    session = None
    kind = _str(ui.get("type"))
    if principal and (
        kind in _SESSION_KINDS or ":assumed-role/" in principal or ":federated-user/" in principal
    ):
        session = _session(record, ui, principal, sessions, snap)
        for key, value in session.tags if session else ():
            context[f"aws:PrincipalTag/{key}"] = value  # session tags win over the role's
    incomplete = tuple(
        f
        for f in ("eventTime", "awsRegion", "sourceIPAddress")
        if not _str(record.get(f)) or (f == "eventTime" and "aws:CurrentTime" not in context)
    )
    return Replay(
        incomplete=incomplete,
        event_id=str(record.get("eventID") or ""),
        principal=principal,
        issuer_arn=issuer,
        identity_type=kind,
        caller_account=_str(ui.get("accountId")),
        access_key_id=_str(ui.get("accessKeyId")),
        action=action,
        resource=resource,
        resource_account=owner_of(record, resource),
        resources=several,
        context=context,
        missing_keys=tuple(missing),
        known_absent=frozenset(absent),
        vpc_endpoint=endpoint,
        session=session,
        gaps=tuple(gaps),
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


# -- who -----------------------------------------------------------------------------------------


def _principal(
    ui: Mapping[str, Any], parsed: ParsedDenial, snap: Snapshot, gaps: list[str]
) -> tuple[str | None, str | None]:
    """Return (principal to evaluate, session issuer ARN) from ``userIdentity``."""
    kind = _str(ui.get("type"))
    arn = _str(ui.get("arn"))
    issuer = _str(_dict(_dict(ui.get("sessionContext")).get("sessionIssuer")).get("arn"))
    account = _str(ui.get("accountId"))
    pid = _str(ui.get("principalId"))
    if kind == "AWSService":
        service = _str(ui.get("invokedBy"))
        if service is None:
            gaps.append("userIdentity type AWSService without invokedBy: the service is unknown")
        return service, None
    if kind == "Root" and arn is None and account:
        arn = f"arn:aws:iam::{account}:root"
    if arn is None and parsed.principal and parsed.principal.startswith("arn:"):
        arn = parsed.principal  # the message names the caller the record does not
    if arn is None and pid:
        return _by_unique_id(pid, account, snap, gaps), None
    if arn is None:
        gaps.append(
            f"userIdentity (type {kind or 'missing'}) names no caller: no arn, "
            "principalId or invokedBy"
        )
        return None, None
    try:
        resolved = snap.principal(arn)
    except IamlabError as exc:
        gaps.append(f"principal not in the snapshot: {exc}")
        return None, issuer
    if resolved.kind == "federated-user" and issuer is None:
        gaps.append(
            f"{arn} is a federated user and the record has no sessionIssuer: the IAM "
            "user whose permissions it has is unknown"
        )
        return None, None
    return arn, issuer


def _by_unique_id(pid: str, account: str | None, snap: Snapshot, gaps: list[str]) -> str | None:
    """Resolve ``AIDA…`` / ``AROA…:session`` through the snapshot (cross-account records)."""
    if account and account not in snap.iam_accounts():
        gaps.append(
            f"the caller {pid} of account {account} is known only by its unique id, and "
            "that account's IAM is not in the snapshot: its identity is unknown"
        )
        return None
    try:
        return snap.principal(pid).arn
    except IamlabError:
        gaps.append(
            f"unique id {pid} is not a user or role in the snapshot "
            f"(account {account or 'unknown'})"
        )
        return None


# -- what ----------------------------------------------------------------------------------------


def _action(record: Mapping[str, Any], parsed: ParsedDenial, gaps: list[str]) -> str | None:
    if parsed.action and ":" in parsed.action:
        return parsed.action
    source, name = _str(record.get("eventSource")), _str(record.get("eventName"))
    if source is None or name is None:
        gaps.append("the record has no eventSource/eventName and the message names no action")
        return None
    action = iam_action(source, name)
    if action is None:
        gaps.append(f"no IAM action known for {source} {name} (unmapped API)")
    return action


# -- context -------------------------------------------------------------------------------------


def _is_ip(text: str | None) -> bool:
    try:
        ipaddress.ip_address(text or "")
    except ValueError:
        return False
    return True


def _context(
    record: Mapping[str, Any], ui: Mapping[str, Any], issuer: str | None
) -> tuple[dict[str, ContextValue], list[str], set[str]]:
    """Return (keys the record carries, keys it cannot tell, keys AWS would not set)."""
    ctx: dict[str, ContextValue] = {}
    missing: list[str] = []
    absent: set[str] = set()
    region = _str(record.get("awsRegion"))
    if region:
        ctx["aws:RequestedRegion"] = region
    else:
        missing.append("aws:RequestedRegion")
    when = _str(record.get("eventTime"))
    try:
        moment = datetime.fromisoformat(when.replace("Z", "+00:00")) if when else None
    except ValueError:
        moment = None
    if moment is not None:
        ctx["aws:CurrentTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        ctx["aws:EpochTime"] = str(int(moment.timestamp()))
    else:
        missing += ["aws:CurrentTime", "aws:EpochTime"]
    ip = _str(record.get("sourceIPAddress"))
    endpoint = _str(record.get("vpcEndpointId"))
    invoked_by = _str(ui.get("invokedBy"))
    if endpoint:
        ctx["aws:SourceVpce"] = endpoint
        if _is_ip(ip):
            ctx["aws:VpcSourceIp"] = ip  # type: ignore[assignment]
        absent.add("aws:sourceip")
        missing.append("aws:SourceVpc")  # the endpoint's VPC is not in the record
    else:
        # CloudTrail records vpcEndpointId for calls through an endpoint (6b).
        absent |= _NETWORK_KEYS
        if _is_ip(ip):
            ctx["aws:SourceIp"] = ip  # type: ignore[assignment]
        else:
            missing.append("aws:SourceIp")
    kind = _str(ui.get("type"))
    if kind == "AWSService":
        ctx["aws:PrincipalIsAWSService"] = "true"
        if invoked_by:
            ctx["aws:PrincipalServiceName"] = invoked_by
    else:
        ctx["aws:PrincipalIsAWSService"] = "false"
        if invoked_by:  # a service called with the caller's credentials
            ctx["aws:ViaAWSService"] = "true"
            ctx["aws:CalledVia"] = [invoked_by]
        elif _is_ip(ip):
            ctx["aws:ViaAWSService"] = "false"
            absent.add("aws:calledvia")
        else:
            missing.append("aws:ViaAWSService")
    if isinstance(record.get("tlsDetails"), dict):
        ctx["aws:SecureTransport"] = "true"
    else:
        missing.append("aws:SecureTransport")  # older records lack tlsDetails (6b)
    attributes = _dict(_dict(ui.get("sessionContext")).get("attributes"))
    mfa = _str(attributes.get("mfaAuthenticated"))
    if mfa in ("true", "false"):
        ctx["aws:MultiFactorAuthPresent"] = mfa
    elif (_str(ui.get("accessKeyId")) or "").startswith("AKIA"):
        absent.add("aws:multifactorauthpresent")  # long-term keys: the key is absent (6b)
    created = _str(attributes.get("creationDate"))
    if created:
        ctx["aws:TokenIssueTime"] = created
    source_identity = _str(_dict(ui.get("sessionContext")).get("sourceIdentity"))
    if source_identity:
        ctx["aws:SourceIdentity"] = source_identity
    pid, account = _str(ui.get("principalId")), _str(ui.get("accountId"))
    if pid and kind in ("IAMUser", "AssumedRole", "FederatedUser", "Root"):
        ctx["aws:userid"] = pid
    if account and kind not in ("AWSService", None):
        ctx["aws:PrincipalAccount"] = account
    if kind == "IAMUser" and _str(ui.get("userName")):
        ctx["aws:username"] = ui["userName"]
    if kind == "AssumedRole" and issuer:
        ctx["aws:PrincipalArn"] = issuer  # the role's ARN with its path (6b)
    elif kind in ("IAMUser", "Root") and _str(ui.get("arn")):
        ctx["aws:PrincipalArn"] = ui["arn"]
    params = _dict(record.get("requestParameters"))
    if _str(record.get("eventSource")) == "s3.amazonaws.com":
        for param, key in _S3_KEYS.items():
            value = params.get(param)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                ctx[key] = str(value)
    return ctx, missing, absent


def _endpoint_vpc(snap: Snapshot, endpoint: str) -> str | None:
    """The VPC of an endpoint, from its snapshot file (``describe-vpc-endpoints``' VpcId)."""
    record = snap.resources().endpoint(endpoint)
    if record is None:
        return None
    try:
        data = read_json(record.source)
    except IamlabError:
        return None
    return _str(data.get("VpcId")) if isinstance(data, dict) else None


# -- session policy ------------------------------------------------------------------------------


def _session(
    record: Mapping[str, Any],
    ui: Mapping[str, Any],
    principal: str,
    sessions: SessionIndex | None,
    snap: Snapshot,
) -> SessionPolicy | None:
    """The session policy the issuing AssumeRole*/GetFederationToken event passed, if any."""
    if "/AWSReservedSSO_" in principal:
        return None  # Identity Center puts the permission set on the role (6b)
    if sessions is None:
        return SessionPolicy.unknown(
            "no workspace events were searched for the session's "
            "issuing call: a session policy cannot be ruled out"
        )
    found = sessions.find(_str(ui.get("accessKeyId")), principal, _str(record.get("eventTime")))
    if found is None:
        return SessionPolicy.unknown(
            "the AssumeRole/GetFederationToken event that issued this session is not in the "
            "workspace: a session policy cannot be ruled out"
        )
    return found.resolved(snap)
