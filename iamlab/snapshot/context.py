"""What a snapshot tells about a request beyond its policies, and what it cannot tell.

``derive_context`` gives the global condition keys the snapshot knows (who the
principal is, its tags and organization, who owns the resource);
``caveats`` names the gaps an evaluation over the snapshot's layers has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamlab.policy.request import ContextValue
from iamlab.snapshot.principals import ArnParts

if TYPE_CHECKING:
    from iamlab.snapshot.snapshot import Snapshot


def caveats(
    snap: Snapshot,
    principal_arn: str,
    action: str | None = None,
    resource_arn: str | None = None,
    resource_account: str | None = None,
    vpc_endpoint: str | None = None,
) -> list[str]:
    """Return what the snapshot cannot tell about a request, in plain sentences.

    Layers it does not hold at all are not repeated here: ``policies_for``
    marks them unknown and the decision names them (``iamlab.snapshot.gaps``).
    These are the other limits of an evaluation over the snapshot's layers.
    """
    notes = []
    principal = snap.principal(principal_arn, missing_ok=True)
    if principal.external and principal.kind == "assumed-role":
        notes.append("the role's path is unknown: aws:PrincipalArn is given without it")
    if snap.organization is not None and principal.account and not principal.service_linked:
        empty = snap.organization.empty_scp_targets(principal.account)
        if empty:
            notes.append(
                f"no SCP is attached at {', '.join(empty)} in the snapshot, which AWS "
                "does not allow: its Targets lists are incomplete and those levels "
                "deny everything"
            )
    if principal.kind in ("assumed-role", "federated-user"):
        notes.append(
            "session policies passed when the session was created are not in a "
            "snapshot; none is evaluated"
        )
    owner = None
    if resource_arn and resource_arn != "*":
        owner = resource_account or snap.resource_account(resource_arn)
    accounts = {principal.account, owner}
    for account in sorted(a for a in accounts if a):
        failed = sorted(
            {
                str(call.get("permission") or call.get("operation"))
                for call in snap.manifest.get("failed_calls") or []
                if isinstance(call, dict) and call.get("account") == account
            }
        )
        if failed:
            notes.append(
                f"collecting account {account} failed for {', '.join(failed)} "
                "(manifest.json): policies read by those calls may be missing"
            )
    return notes


def derive_context(
    snap: Snapshot,
    principal_arn: str,
    resource_arn: str | None = None,
    resource_account: str | None = None,
) -> dict[str, ContextValue]:
    """Return the global condition keys the snapshot knows for a request.

    ``aws:PrincipalArn`` (the role ARN with path for sessions),
    ``aws:PrincipalAccount``, ``aws:PrincipalTag/*``, ``aws:username``,
    ``aws:userid``, ``aws:PrincipalType``, org ids and paths of the
    principal and of the resource owner, and the tags of a user or role
    or of the resource whose policy file records its tags (``aws:ResourceTag/*``;
    ``iam:ResourceTag/*`` for users and roles).
    """
    p = snap.principal(principal_arn, missing_ok=True)
    ctx: dict[str, ContextValue] = {}
    if p.kind in ("service", "anonymous"):
        return ctx
    ctx["aws:PrincipalArn"] = p.entity_arn
    ctx["aws:PrincipalAccount"] = p.account or ""
    ctx["aws:PrincipalIsAWSService"] = "false"
    # aws:PrincipalType values and aws:userid forms are from memory (aws-facts.md 4.7 marks
    # the table UNVERIFIED).
    ptype = {
        "user": "User",
        "role": "AssumedRole",
        "assumed-role": "AssumedRole",
        "federated-user": "FederatedUser",
        "root": "Account",
    }[p.kind]
    ctx["aws:PrincipalType"] = ptype
    if p.kind == "user":
        ctx["aws:username"] = p.name
        if p.unique_id:
            ctx["aws:userid"] = p.unique_id
    elif p.kind == "assumed-role" and p.unique_id and p.session_name:
        ctx["aws:userid"] = f"{p.unique_id}:{p.session_name}"
    elif p.kind == "root":
        ctx["aws:userid"] = p.account or ""
    for key, value in p.tags.items():
        ctx[f"aws:PrincipalTag/{key}"] = value
    org = snap.organization
    if org is not None and org.id and p.account and org.path(p.account):
        ctx["aws:PrincipalOrgID"] = org.id
        ctx["aws:PrincipalOrgPaths"] = org.org_paths(p.account)
    owner = resource_account or (snap.resource_account(resource_arn) if resource_arn else None)
    if owner:
        ctx["aws:ResourceAccount"] = owner
        if org is not None and org.id and org.path(owner):
            ctx["aws:ResourceOrgID"] = org.id
            ctx["aws:ResourceOrgPaths"] = org.org_paths(owner)
    for key, value in _resource_tags(snap, resource_arn).items():
        ctx[f"aws:ResourceTag/{key}"] = value
        if resource_arn and resource_arn.startswith("arn:aws:iam:"):
            ctx[f"iam:ResourceTag/{key}"] = value
    return ctx


def _resource_tags(snap: Snapshot, resource_arn: str | None) -> dict[str, str]:
    """Return the tags of a user or role named as the resource, or of a resource whose
    policy file records them (an S3 object's tags are its own, never its bucket's)."""
    parts = ArnParts.parse(resource_arn) if resource_arn else None
    if parts is None:
        return {}
    if parts.service != "iam":
        if parts.service == "s3" and "/" in parts.resource:
            return {}
        record = snap.resources().lookup(resource_arn or "")
        return dict(record.tags) if record is not None and record.tags else {}
    if parts.account not in snap.iam_accounts():
        return {}
    if not parts.resource.startswith(("user/", "role/")):
        return {}
    found = snap.iam(parts.account).principal(resource_arn or "", parts)
    return dict(found.tags) if found is not None else {}
