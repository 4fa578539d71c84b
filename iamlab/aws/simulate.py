"""AWS's own answer: iam simulate-principal-policy and simulate-custom-policy.

Put next to iamlab's evaluation, the simulator shows where the two agree.
Its known limits (no SCP global-condition keys, no cross-account roles, one
result per action aggregated across resources; aws-facts 4.8) are why it is
a second opinion, not the reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from iamlab.aws._calls import jsonable
from iamlab.aws.evidence import EvidenceFile, caller_identity, now_utc, save, stamp
from iamlab.aws.failures import as_aws_error, plain_errors
from iamlab.aws.readonly import client as ro_client
from iamlab.aws.readonly import session as ro_session
from iamlab.errors import AwsError, InputError

DECISIONS = ("allowed", "explicitDeny", "implicitDeny")


@dataclass
class SimulatorAnswer:
    """Every EvaluationResult AWS returned, plus where they were saved."""

    results: list[dict[str, Any]]
    pages: int
    evidence: EvidenceFile | None = None

    def decisions(self) -> dict[tuple[str, str], str]:
        """Return {(action, resource): decision}, per resource where AWS gave them."""
        out: dict[tuple[str, str], str] = {}
        for r in self.results:
            specific = r.get("ResourceSpecificResults") or []
            for s in specific:
                out[(r["EvalActionName"], s["EvalResourceName"])] = s["EvalResourceDecision"]
            if not specific:
                out[(r["EvalActionName"], r.get("EvalResourceName", "*"))] = r["EvalDecision"]
        return out


def context_entries(context: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return simulator ContextEntries for ``{"aws:SourceIp": "1.2.3.4", ...}``.

    Lists become ``stringList``, booleans ``boolean``, numbers ``numeric``;
    give ``(value, "ip")`` style tuples to choose the type yourself.
    """
    entries = []
    for key, value in (context or {}).items():
        kind = None
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
            value, kind = value
        values = value if isinstance(value, list) else [value]
        if kind is None:
            first = values[0] if values else ""
            kind = (
                "boolean"
                if isinstance(first, bool)
                else "numeric"
                if isinstance(first, (int, float))
                else "string"
            )
            if isinstance(value, list):
                kind += "List"
        entries.append(
            {
                "ContextKeyName": key,
                "ContextKeyType": kind,
                "ContextKeyValues": [
                    str(v).lower() if isinstance(v, bool) else str(v) for v in values
                ],
            }
        )
    return entries


def _doc(policy: Any) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)


def _run(
    operation: str,
    params: dict[str, Any],
    evidence_dir: Path | None,
    profile: str | None,
    session: Any,
    client: Any,
    caller: dict[str, Any] | None,
) -> SimulatorAnswer:
    if not params["ActionNames"]:
        raise InputError("give at least one action to simulate, e.g. s3:GetObject")
    sess = session if session is not None else (None if client else ro_session(profile))
    iam = client or ro_client("iam", session=sess, region="us-east-1")
    started = now_utc()
    results: list[dict[str, Any]] = []
    pages = 0
    try:
        for page in iam.get_paginator(operation).paginate(**params):
            pages += 1
            if "EvaluationResults" not in page:
                raise AwsError(
                    f"malformed {operation} response (page {pages}): no EvaluationResults"
                )
            results.extend(jsonable(page["EvaluationResults"]))
    except ClientError as exc:
        raise as_aws_error(exc, "asking the IAM policy simulator") from exc
    sim = SimulatorAnswer(results, pages)
    if evidence_dir is not None:
        who = caller if caller is not None else caller_identity(sess)
        sim.evidence = save(
            evidence_dir,
            "simulate",
            f"{operation}-{stamp(started)}",
            {"EvaluationResults": results},
            api=f"iam:{operation}",
            request=jsonable(params),
            region=None,
            caller=who,
            started=started,
        )
    return sim


def _common(
    actions: Iterable[str],
    resources: Iterable[str] | None,
    context: dict[str, Any] | None,
    resource_policy: Any,
    resource_owner: str | None,
    caller_arn: str | None,
    permissions_boundaries: Iterable[Any] | None,
) -> dict[str, Any]:
    params: dict[str, Any] = {"ActionNames": list(actions)}
    if resources:
        params["ResourceArns"] = list(resources)
    if context:
        params["ContextEntries"] = context_entries(context)
    if resource_policy is not None:
        params["ResourcePolicy"] = _doc(resource_policy)
    if resource_owner:
        params["ResourceOwner"] = resource_owner
    if caller_arn:
        params["CallerArn"] = caller_arn
    if permissions_boundaries:
        params["PermissionsBoundaryPolicyInputList"] = [_doc(p) for p in permissions_boundaries]
    return params


@plain_errors("asking the IAM policy simulator")
def simulate_principal(
    principal_arn: str,
    actions: Iterable[str],
    resources: Iterable[str] | None = None,
    context: dict[str, Any] | None = None,
    evidence_dir: Path | None = None,
    *,
    policies: Iterable[Any] | None = None,
    resource_policy: Any = None,
    resource_owner: str | None = None,
    caller_arn: str | None = None,
    permissions_boundaries: Iterable[Any] | None = None,
    profile: str | None = None,
    session: Any = None,
    client: Any = None,
    caller: dict[str, Any] | None = None,
) -> SimulatorAnswer:
    """Return AWS's simulation of ``principal_arn`` (a user, group or role ARN; all pages).

    ``policies`` are extra identity policies to add, ``context`` condition keys.
    Example: ``simulate_principal(role_arn, ["s3:GetObject"], ["arn:aws:s3:::b/k"])``.
    """
    params = _common(
        actions,
        resources,
        context,
        resource_policy,
        resource_owner,
        caller_arn,
        permissions_boundaries,
    )
    params["PolicySourceArn"] = principal_arn
    if policies:
        params["PolicyInputList"] = [_doc(p) for p in policies]
    return _run("simulate_principal_policy", params, evidence_dir, profile, session, client, caller)


@plain_errors("asking the IAM policy simulator")
def simulate_custom(
    policies: Iterable[Any],
    actions: Iterable[str],
    resources: Iterable[str] | None = None,
    context: dict[str, Any] | None = None,
    evidence_dir: Path | None = None,
    *,
    resource_policy: Any = None,
    resource_owner: str | None = None,
    caller_arn: str | None = None,
    permissions_boundaries: Iterable[Any] | None = None,
    profile: str | None = None,
    session: Any = None,
    client: Any = None,
    caller: dict[str, Any] | None = None,
) -> SimulatorAnswer:
    """Return AWS's simulation of identity ``policies`` (documents or JSON text; all pages)."""
    docs = [_doc(p) for p in policies]
    if not docs:
        raise InputError("give at least one identity policy to simulate")
    params = _common(
        actions,
        resources,
        context,
        resource_policy,
        resource_owner,
        caller_arn,
        permissions_boundaries,
    )
    params["PolicyInputList"] = docs
    return _run("simulate_custom_policy", params, evidence_dir, profile, session, client, caller)
