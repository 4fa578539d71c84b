"""IAM authorization details for an authorization id (iam-toolbox, aws-facts 1.3).

Newer access-denied messages end with an authorization id. The regional
``iam-toolbox`` API resolves it: ``GetRequestAuthorizationDetails``
(GET /authorization-details/{authorizationId}, paginated by ``nextToken`` over
``evaluations``) gives the request context, per action/resource evaluations
with matched policies and statements, and the ``policies`` involved;
``GetRequestAuthorizationPolicy`` (``authorizationId`` + ``policyUri``) gives
one policy document as it was at denial time. Member names follow botocore
1.44.8's model. Older botocore releases do not know the service; then iamlab
says so and gives the AWS CLI command to use instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from iamlab.aws._calls import error_code, jsonable, permission_for
from iamlab.aws.evidence import caller_identity, now_utc, save
from iamlab.aws.failures import as_aws_error, describe, plain_errors
from iamlab.aws.readonly import client as ro_client
from iamlab.aws.readonly import session as ro_session
from iamlab.errors import AwsError, InputError
from iamlab.escape import printable

SERVICE = "iam-toolbox"
OPERATION = "GetRequestAuthorizationDetails"
POLICY_OPERATION = "GetRequestAuthorizationPolicy"


def _cli_command(authorization_id: str, region: str) -> str:
    return (
        f"aws {SERVICE} get-request-authorization-details --authorization-id "
        f"{authorization_id} --region {region}"
    )


def _toolbox(
    authorization_id: str, region: str, profile: str | None, session: Any, client: Any
) -> tuple[Any, Any]:
    """Return (session, read-only iam-toolbox client), or raise when botocore lacks it."""
    sess = session if session is not None else (None if client else ro_session(profile, region))
    if client is None and SERVICE not in sess.get_available_services():
        import botocore

        raise AwsError(
            f"the installed botocore {botocore.__version__} does not know the {SERVICE} "
            f"service, so iamlab cannot call {OPERATION}; upgrade boto3/botocore "
            f"(`pip install -U boto3 botocore`; 1.44.8 knows it), or run "
            f"`{_cli_command(authorization_id, region)}` with an AWS CLI that knows it"
        )
    return sess, client or ro_client(SERVICE, session=sess, region=region)


def _failed(operation: str, exc: ClientError, authorization_id: str, region: str) -> AwsError:
    """Turn an iam-toolbox error into an AwsError that says what to do next."""
    code = error_code(exc)
    if code == "ResourceNotFoundException":
        hint = (
            f"no details for authorization id {authorization_id} in {region} yet: they "
            "are written asynchronously, so retry in a minute; they are kept for at "
            "least 24 hours, only in the Region of the denial (check --region)"
        )
    elif code == "AccessDeniedException":
        hint = f"the caller needs {permission_for(SERVICE, operation)}"
    elif code == "ValidationException":
        hint = "check the id: copy it whole from the end of the access-denied message"
    else:
        return as_aws_error(exc, f"reading the authorization details of {authorization_id}")
    return AwsError(f"{SERVICE} {operation} failed with {code}: {hint} ({describe(exc)})")


def _pages(tb: Any, authorization_id: str) -> list[dict[str, Any]]:
    """Return every response page, using botocore's paginator (nextToken -> nextToken)."""
    # botocore's paginator config keeps only `evaluations` in build_full_result,
    # dropping `policies` and `requestContext`, so pages are merged here.
    if tb.can_paginate("get_request_authorization_details"):
        pager = tb.get_paginator("get_request_authorization_details")
        return list(pager.paginate(authorizationId=authorization_id))
    pages, params = [], {"authorizationId": authorization_id}
    while True:
        page = tb.get_request_authorization_details(**params)
        pages.append(page)
        if not page.get("nextToken"):
            return pages
        params["nextToken"] = page["nextToken"]


def _merge(pages: list[dict[str, Any]], authorization_id: str) -> dict[str, Any]:
    """Merge pages: evaluations concatenated, policies once each by uri, context from page 1.

    Raises AwsError when a page lacks the members the model requires.
    """
    merged: dict[str, Any] = {"requestContext": {}, "evaluations": [], "policies": []}
    seen: set[str] = set()
    for number, page in enumerate(pages, 1):
        bad = [
            name
            for name, kind in (("requestContext", dict), ("evaluations", list), ("policies", list))
            if not isinstance(page.get(name), kind)
        ]
        if bad:
            raise AwsError(
                f"{SERVICE} {OPERATION} returned a malformed page {number} for "
                f"{authorization_id}: {', '.join(bad)} missing or of the wrong type "
                f"(got members {sorted(k for k in page if k != 'ResponseMetadata')}); "
                "retry, or compare with the AWS CLI output"
            )
        merged["requestContext"] = merged["requestContext"] or page["requestContext"]
        merged["evaluations"].extend(page["evaluations"])
        for policy in page["policies"]:
            key = str(policy.get("uri") or policy)
            if key not in seen:
                seen.add(key)
                merged["policies"].append(policy)
    return merged


@plain_errors("reading authorization details")
def authorization_details(
    authorization_id: str,
    region: str,
    evidence_dir: Path | None = None,
    *,
    profile: str | None = None,
    session: Any = None,
    client: Any = None,
    caller: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the details AWS recorded for ``authorization_id`` (all pages merged).

    The result has AWS's members: ``requestContext``, ``evaluations`` (each with
    ``action``, ``resource``, ``evaluatedEffect``, ``matchedPolicies``, ``checks``)
    and ``policies`` (``uri``, ``type``, ``inline``, ``attachedTo``). Use the
    Region of the denial. Raises ``AwsError`` when botocore does not know
    iam-toolbox, when the details are not (yet) there, or the call fails.
    Example: ``print(summarize(authorization_details("a1b2...", "us-east-1")))``.
    """
    if not authorization_id or not authorization_id.strip():
        raise InputError("no authorization id given (it ends the access-denied message)")
    auth_id = authorization_id.strip()
    sess, tb = _toolbox(auth_id, region, profile, session, client)
    started = now_utc()
    try:
        pages = _pages(tb, auth_id)
    except ClientError as exc:
        raise _failed(OPERATION, exc, auth_id, region) from exc
    details = jsonable(_merge(pages, auth_id))
    if evidence_dir is not None:
        who = caller if caller is not None else caller_identity(sess)
        save(
            evidence_dir,
            "authorization-details",
            auth_id,
            details,
            api=f"{SERVICE}:{OPERATION}",
            request={"authorizationId": auth_id},
            region=region,
            caller=who,
            started=started,
            extra={"pages": len(pages)},
        )
    return details


@plain_errors("reading an authorization policy")
def authorization_policy(
    authorization_id: str,
    policy_uri: str,
    region: str,
    *,
    profile: str | None = None,
    session: Any = None,
    client: Any = None,
) -> dict[str, Any]:
    """Return the policy document ``policy_uri`` as captured for ``authorization_id``.

    ``policy_uri`` is a ``uri`` from the details' ``policies`` (an ARN for
    managed policies, an opaque URI for inline ones). Raises ``AwsError``.
    """
    if not authorization_id.strip() or not policy_uri.strip():
        raise InputError("give both the authorization id and a policy uri from its details")
    _, tb = _toolbox(authorization_id.strip(), region, profile, session, client)
    try:
        answer = tb.get_request_authorization_policy(
            authorizationId=authorization_id.strip(), policyUri=policy_uri.strip()
        )
    except ClientError as exc:
        raise _failed(POLICY_OPERATION, exc, authorization_id.strip(), region) from exc
    document = answer.get("policyDocument")
    if not isinstance(document, dict):
        raise AwsError(
            f"{SERVICE} {POLICY_OPERATION} returned no policyDocument for "
            f"{policy_uri}; retry, or compare with the AWS CLI output"
        )
    return jsonable(document)


def _statements(matched: list[dict[str, Any]], kinds: dict[str, str]) -> list[str]:
    lines = []
    for policy in matched or []:
        uri = policy.get("uri", "?")
        kind = f" ({kinds[uri]})" if uri in kinds else ""
        sids = [
            f"{s.get('sid') or '(no Sid)'} {s.get('evaluatedEffect', '?')}"
            for s in policy.get("matchedStatements") or []
        ]
        lines.append(f"{uri}{kind}: {', '.join(sids) or 'no statement matched'}")
    return lines


def summarize(details: dict[str, Any]) -> str:
    """Return readable text: each action/resource, its effect, the policies and statements.

    Every line is escaped (``printable``): Sids, URIs and ARNs come from AWS's answer.
    """
    kinds = {
        p["uri"]: p.get("type", "?") + (" inline" if p.get("inline") else "")
        for p in details.get("policies", [])
        if p.get("uri")
    }
    attached = {
        p["uri"]: [a.get("arn") for a in p.get("attachedTo") or [] if a.get("arn")]
        for p in details.get("policies", [])
        if p.get("uri")
    }
    lines: list[str] = []
    for ev in details.get("evaluations", []):
        lines.append(
            f"{ev.get('action')} on {ev.get('resource')}: "
            f"{ev.get('evaluatedEffect', 'no effect recorded')}"
        )
        lines += [f"  matched {line}" for line in _statements(ev.get("matchedPolicies"), kinds)]
        for check in ev.get("checks") or []:
            target = f" {check['targetArn']}" if check.get("targetArn") else ""
            lines.append(
                f"  check {check.get('checkType')}{target}: {check.get('evaluatedEffect')}"
            )
            lines += [
                f"    matched {line}" for line in _statements(check.get("matchedPolicies"), kinds)
            ]
    if attached:
        lines.append("policies:")
        lines += [
            f"  {uri} ({kinds[uri]})" + (f" attached to {', '.join(arns)}" if arns else "")
            for uri, arns in attached.items()
        ]
    return "\n".join(printable(line) for line in lines) if lines else "no evaluations recorded"
