"""From a CloudTrail record to the resource AWS authorized, and the account that owns it.

Pure: the record (CloudTrail's own keys) and the action in, an ARN (or ``*``)
and a sentence for what could not be told out. Sources, in order: the error
message, the S3 request parameters, ``resources[]``, a few hand-written ARN
shapes (``build_arn``), then the IAM reference's ARN format for the action's
resource types filled from ``requestParameters`` (``from_reference``). A
placeholder filled twice, or not at all, leaves the resource unresolved: a
wrong resource is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from iamlab.diagnose import iam_reference

__all__ = [
    "build_arn",
    "from_reference",
    "owner_of",
    "query_workgroups",
    "resource_of",
    "with_query_workgroup",
]

# The requestParameters that fill an ARN format's ${Placeholder}, by placeholder name, as
# dotted paths ("[]" walks a list). Names from each service's API reference (the record's
# requestParameters keep the API's member names, first letter lowercased).
PLACEHOLDER_PARAMS: dict[str, tuple[str, ...]] = {
    "WorkGroupName": ("workGroup", "workGroupName"),  # Athena
    "LogGroupName": ("logGroupName", "logGroupNames[]"),  # CloudWatch Logs
    "LogStreamName": ("logStreamName",),
    "StackName": ("stackName",),  # CloudFormation
    "RepositoryName": ("repositoryName",),  # ECR, CodeCommit
    "DatabaseName": ("databaseName",),  # Glue
    "TableName": ("tableName",),
    "InstanceId": ("instanceId", "instancesSet.items[].instanceId"),  # EC2, SSM
    # SSM's ARN drops the name's leading slash (arn:...:parameter/dev/x for /dev/x).
    "ParameterNameWithoutLeadingSlash": ("name", "names[]"),
    "TrailName": ("name", "trailName"),  # CloudTrail
    "DetectorId": ("detectorId",),  # GuardDuty
    "AlarmName": ("alarmName", "alarmNames[]"),  # CloudWatch
    "FederatedUserName": ("name",),  # STS GetFederationToken
}
# Where one API names a placeholder by a generic member (``name``), per action.
ACTION_PARAMS: dict[str, dict[str, tuple[str, ...]]] = {
    "glue:GetDatabase": {"DatabaseName": ("name",)},
    "glue:GetTable": {"TableName": ("name",)},
}
# Placeholders filled from the event itself, not from its parameters.
_EVENT_PLACEHOLDERS = frozenset({"Partition", "Region", "Account"})
# An id whose shape says which resource type it is (EC2 instances are i-..., hybrid
# managed instances mi-...: the SSM user guide's managed-node ids).
_ID_SHAPES = {("ssm", "managed-instance"): "mi-", ("ec2", "instance"): "i-"}
# Request parameters that move a named resource to another account (ECR registryId, Glue
# catalogId): with one present, the caller's account is not the owner.
_ACCOUNT_PARAMS = ("registryId", "catalogId", "accountId", "awsAccountId")
# Resource types a request names only by a full ARN parameter (Cost Explorer's
# BillingViewArn): no ARN among the parameters means the request names none.
_NAMED_BY_ARN_ONLY = frozenset({("billing", "billingview")})
# CloudWatch Logs authorizes a log group as ``log-group:NAME:*`` for all but its tagging
# actions (the LogGroup ``arn`` member's documentation in the Logs API reference: "use this
# version to refer to the ARN in IAM policies ... except TagResource, UntagResource and
# ListTagsForResource"); the IAM reference's format omits the suffix.
_LOG_GROUP_PLAIN = frozenset({"logs:tagresource", "logs:untagresource", "logs:listtagsforresource"})
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def resource_of(
    record: Mapping[str, Any], message_resource: str | None, action: str | None
) -> tuple[str | None, str | None, tuple[str, ...]]:
    """Return (the resource AWS authorized, None, ()) or (None, why it is unknown, resources).

    ``*`` when the IAM reference says the action takes no resource type the
    request names (AWS authorizes ``"Resource": "*"`` then). ``resources``
    lists every resource of an action that authorizes several at once.
    """
    if message_resource and message_resource.startswith("arn:"):
        return message_resource, None, ()
    service = (action or "").split(":", 1)[0].lower()
    params = _dict(record.get("requestParameters"))
    if service == "s3":
        built = _s3_arn(params)
        if built:
            return built, None, ()
    listed = [
        _str(_dict(r).get("ARN")) for r in record.get("resources") or [] if isinstance(r, dict)
    ]
    named = [a for a in listed if a]
    same = [a for a in named if a.split(":")[2:3] == [service]]
    if same or named:
        return (same or named)[0], None, ()
    region = _str(record.get("awsRegion"))
    account = _named_account(record)
    built = build_arn(service, params, region, account)
    if built:
        return built, None, ()
    if action:
        built, why, several = from_reference(action, record, region, account)
        if built or why:
            return built, why, several
    return (
        None,
        (
            f"the resource of {action or 'this call'} is not in the message, "
            "resources[] or requestParameters"
        ),
        (),
    )


def _named_account(record: Mapping[str, Any]) -> str | None:
    """The account a resource named without an account (a name, an id) lives in, or None.

    A name resolves in the caller's account, so it is the recipient account only
    when that copy of the event is the caller's own (``userIdentity.accountId``)
    and no parameter points elsewhere. In the resource owner's copy of a
    cross-account call the recipient is the owner, but the record alone does not
    tell the two copies apart reliably: no guess.
    """
    recipient = _str(record.get("recipientAccountId"))
    caller = _str(_dict(record.get("userIdentity")).get("accountId"))
    params = _dict(record.get("requestParameters"))
    if recipient is None or caller != recipient:
        return None
    if any(_str(params.get(p)) not in (None, recipient) for p in _ACCOUNT_PARAMS):
        return None
    return recipient


def owner_of(record: Mapping[str, Any], resource: str | None) -> str | None:
    """Return the account owning ``resource`` as the record's ``resources[]`` states it.

    CloudTrail's ``resources[].accountId`` is the resource owner's account
    (aws-facts section 1); only an entry naming this resource, or for an S3
    object its bucket, and carrying ``accountId`` counts. Never
    ``recipientAccountId``: for a cross-account call the caller's copy is
    delivered to the caller's account, not the owner's.
    """
    if not resource or resource == "*":
        return None
    wanted = {resource}
    if resource.startswith("arn:aws:s3:::") and "/" in resource:
        wanted.add(resource.split("/", 1)[0])
    owners = {
        _str(entry.get("accountId"))
        for entry in (_dict(r) for r in record.get("resources") or [])
        if _str(entry.get("ARN")) in wanted
    } - {None}
    found = [o for o in owners if o and re.fullmatch(r"\d{12}", o)]
    return found[0] if len(found) == 1 else None


def _s3_arn(params: Mapping[str, Any]) -> str | None:
    bucket = _str(params.get("bucketName"))
    if bucket is None:
        return None
    key = params.get("key")
    object_key = f"/{key}" if isinstance(key, str) and key else ""
    return f"arn:aws:s3:::{bucket}{object_key}"


def build_arn(
    service: str, params: Mapping[str, Any], region: str | None, account: str | None
) -> str | None:
    """Return the ARN a request's parameters name, in the service's ARN format, or None.

    Covers the common services (S3, DynamoDB, Lambda, SQS, SNS, KMS, Secrets
    Manager, IAM, EC2 volumes and instances); the rest goes through
    ``from_reference``.
    """
    p = {k: v for k, v in params.items() if isinstance(v, str) and v}
    if service == "s3":
        return _s3_arn(params)
    given = {"lambda": "functionName", "sns": "topicArn", "kms": "keyId"}
    if given.get(service) in p and p[given[service]].startswith("arn:"):
        return p[given[service]]  # a full ARN names its own account
    if service == "secretsmanager" and p.get("secretId", "").startswith("arn:"):
        return p["secretId"]
    if not account or not region and service not in ("iam",):
        return None
    prefix = f"arn:aws:{service}:{region}:{account}"
    if service == "dynamodb" and "tableName" in p:
        index = f"/index/{p['indexName']}" if "indexName" in p else ""
        return f"{prefix}:table/{p['tableName']}{index}"
    if service == "lambda" and "functionName" in p:
        name = p["functionName"]
        return name if name.startswith("arn:") else f"{prefix}:function:{name}"
    if service == "sqs" and "queueUrl" in p:
        return f"{prefix}:{p['queueUrl'].rstrip('/').rsplit('/', 1)[-1]}"
    if service == "sns" and "topicArn" in p:
        return p["topicArn"]
    if service == "kms" and "keyId" in p:
        key = p["keyId"]
        if key.startswith("arn:"):
            return key
        return f"{prefix}:{key}" if key.startswith("alias/") else f"{prefix}:key/{key}"
    if service == "secretsmanager" and "secretId" in p:
        sid = p["secretId"]
        return sid if sid.startswith("arn:") else None  # a name lacks the ARN's random suffix
    if service == "iam":
        for param, kind in (("roleName", "role"), ("userName", "user")):
            if param in p:
                return f"arn:aws:iam::{account}:{kind}/{p[param]}"
        if "policyArn" in p:
            return p["policyArn"]
    if service == "ec2":
        if "volumeId" in p:
            return f"{prefix}:volume/{p['volumeId']}"
        if "instanceId" in p:
            return f"{prefix}:instance/{p['instanceId']}"
    return None


# -- from the IAM reference's ARN formats ------------------------------------------------------


def _walk(value: Any, path: list[str]) -> Iterator[Any]:
    if not path:
        yield value
        return
    head, rest = path[0], path[1:]
    many = head.endswith("[]")
    item = _dict(value).get(head[:-2] if many else head)
    for v in (item if isinstance(item, list) else []) if many else [item]:
        yield from _walk(v, rest)


def _values(params: Mapping[str, Any], paths: tuple[str, ...]) -> set[str]:
    """Every distinct string the dotted paths reach (``a.b[].c``)."""
    return {v for p in paths for v in _walk(params, p.split(".")) if _str(v)}


def _partition(region: str | None) -> str:
    # The partition a Region belongs to, by its documented name prefix (memory: cn-* is
    # aws-cn, us-gov-* aws-us-gov; every other commercial Region is aws).
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _arns_in(value: Any, depth: int = 0) -> Iterator[str]:
    """Every ARN string in a request's parameters or response (a few levels deep)."""
    if isinstance(value, str) and value.startswith("arn:"):
        yield value
    elif depth < 4 and isinstance(value, dict):
        for v in value.values():
            yield from _arns_in(v, depth + 1)
    elif depth < 4 and isinstance(value, list):
        for v in value:
            yield from _arns_in(v, depth + 1)


def from_reference(
    action: str, record: Mapping[str, Any], region: str | None, account: str | None
) -> tuple[str | None, str | None, tuple[str, ...]]:
    """Return (the ARN or ``*``, None, ()) or (None, why, resources) from the action's ARN formats.

    Each ``${Placeholder}`` of a resource type's format is filled from
    ``requestParameters`` (``PLACEHOLDER_PARAMS``), Partition/Region/Account
    from the event. A full ARN of one of the action's types among the request
    parameters or response elements wins. ``*`` when no type is required and
    the request names none (a list or read call); None with a reason when a type cannot be filled
    from one value per placeholder. An action that authorizes several
    resources at once (Glue's GetTable: its catalog, database and table) has
    no one resource; ``resources`` then lists them all when each is built.
    """
    templates = iam_reference.resource_templates(action)
    if templates is None:
        return None, None, ()
    params = _dict(record.get("requestParameters"))
    patterns = iam_reference.resource_patterns(action) or {}
    given = {
        arn
        for arn in (*_arns_in(params), *_arns_in(_dict(record.get("responseElements"))))
        if any(p.fullmatch(arn) for p in patterns.values())
    }
    if len(given) == 1:
        return given.pop(), None, ()
    required = [t for t in templates if t[2]]
    event = {"Partition": _partition(region), "Region": region or "", "Account": account or ""}
    if len(required) > 1:
        several = [
            _fill(action, kind, template, params, event)[0] for kind, template, _ in required
        ]
        names = ", ".join(t[0] for t in required)
        why = f"{action} authorizes several resources at once ({names})"
        if all(several):
            return None, why + ": each is replayed", tuple(a for a in several if a)
        return None, why + " and not each can be built from requestParameters", ()
    event = {"Partition": _partition(region), "Region": region or "", "Account": account or ""}
    filled: list[str] = []
    named: list[str] = []
    for kind, template, _required in required or templates:
        arn, was_named = _fill(action, kind, template, params, event)
        if arn:
            filled.append(arn)
        if was_named:
            named.append(kind)
    if len(filled) == 1:
        return filled[0], None, ()
    if not templates or (
        not required and not named and iam_reference.access_level(action) in ("List", "Read")
    ):
        # No resource type, or a list/read call naming none of its optional types: AWS
        # authorizes "Resource": "*". A write that names none is left unresolved: the
        # resource may come from the caller (an instance's own id), and a Deny on it would
        # not match "*".
        return "*", None, ()
    if len(filled) > 1:
        return None, f"the request names more than one resource type of {action}", ()
    kinds = ", ".join(named or [t[0] for t in required or templates])
    return (
        None,
        (
            f"the resource of {action} ({kinds}) cannot be built from requestParameters: "
            "a part of its ARN is missing or names several resources"
        ),
        (),
    )


def _fill(
    action: str, kind: str, template: str, params: Mapping[str, Any], event: Mapping[str, str]
) -> tuple[str | None, bool]:
    """Return (the filled ARN or None, whether the request names any part of it)."""
    service = template.split(":")[2] if template.count(":") >= 2 else ""
    mapping = {**PLACEHOLDER_PARAMS, **ACTION_PARAMS.get(action, {})}
    out = template
    named = False
    complete = True
    unmapped = False
    for placeholder in _VARIABLE.findall(template):
        if placeholder not in _EVENT_PLACEHOLDERS and placeholder not in mapping:
            unmapped = True
        if placeholder in _EVENT_PLACEHOLDERS:
            value = event.get(placeholder) or None
            if value is None and f"${{{placeholder}}}" in template:
                complete = False
            out = out.replace(f"${{{placeholder}}}", value or "")
            continue
        values = _values(params, mapping.get(placeholder, ()))
        if values:
            named = True
        if len(values) != 1:
            complete = False
            continue
        value = values.pop()
        shape = _ID_SHAPES.get((service, kind))
        if shape and not value.startswith(shape):
            return None, False  # an id of another type (i-... is not a managed instance)
        if placeholder == "ParameterNameWithoutLeadingSlash":
            value = value[1:] if value.startswith("/") else value
        out = out.replace(f"${{{placeholder}}}", value)
    if (
        complete
        and (service, kind) == ("logs", "log-group")
        and action.lower() not in (_LOG_GROUP_PLAIN)
    ):
        out += ":*"
    # A part no parameter mapping knows may be named in a way not read here: "named" (so
    # never "*") unless the type is named only by a full ARN, which was looked for.
    if unmapped and not complete and (service, kind) not in _NAMED_BY_ARN_ONLY:
        named = True
    return (out if complete else None), named


# -- Athena: a query's workgroup, from the call that started it ----------------------------------

_QUERY_ACTIONS = frozenset({"GetQueryExecution", "GetQueryResults", "StopQueryExecution"})


def query_workgroups(records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Return {query execution id: workgroup} from successful StartQueryExecution records.

    A query started without ``workGroup`` is left out (no default assumed).
    """
    out: dict[str, str] = {}
    for r in records:
        if r.get("eventName") != "StartQueryExecution" or r.get("errorCode"):
            continue
        qid = _str(_dict(r.get("responseElements")).get("queryExecutionId"))
        group = _str(_dict(r.get("requestParameters")).get("workGroup"))
        if qid and group:
            out[qid] = group
    return out


def with_query_workgroup(
    record: Mapping[str, Any], workgroups: Mapping[str, str]
) -> Mapping[str, Any]:
    """Return an Athena query call's record with the workgroup its query was started in.

    GetQueryExecution, GetQueryResults and StopQueryExecution name only the
    query id, yet the IAM reference lists the workgroup as their one required
    resource: AWS authorizes them on the workgroup the query ran in (memory),
    which only the StartQueryExecution call names. Any other record, or a query
    whose start is not among the records, is returned unchanged.
    """
    if record.get("eventSource") != "athena.amazonaws.com":
        return record
    params = _dict(record.get("requestParameters"))
    qid = _str(params.get("queryExecutionId"))
    if record.get("eventName") not in _QUERY_ACTIONS or not qid or "workGroup" in params:
        return record
    group = workgroups.get(qid)
    if group is None:
        return record
    return {**record, "requestParameters": {**params, "workGroup": group}}
