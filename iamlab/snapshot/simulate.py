"""Replay one request against a snapshot: the request, its policy layers, the engine's decision.

The snapshot supplies the layers and the global condition keys it knows
(``aws:PrincipalArn`` with the role path, tags, org ids); keys the caller
passes win over derived ones, compared case-insensitively as AWS compares
condition key names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iamlab.escape import printable
from iamlab.policy.request import ContextValue, Policy, PolicySet, Request
from iamlab.snapshot.snapshot import Snapshot, load

if TYPE_CHECKING:  # the engine is imported when a simulation runs
    from iamlab.policy.decision import Decision


@dataclass(frozen=True)
class Simulation:
    """A replayed request: what was evaluated, the decision, and what the snapshot lacks."""

    request: Request
    policies: PolicySet
    decision: Decision
    caveats: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.decision.decision == "allow"

    def to_dict(self) -> dict[str, Any]:
        """The decision's dict plus the context used and the caveats (JSON-safe)."""
        out = self.decision.to_dict()
        out["context"] = {
            k: v if isinstance(v, str) else list(v) for k, v in self.request.context.items()
        }
        out["caveats"] = list(self.caveats)
        return out

    def to_case(self, name: str, source: str = "") -> dict[str, Any]:
        """Return this replay as a test case in the design's format (a regression case).

        Written by the case format's owner, ``iamlab.policy.cases``; ``iamlab cases run`` on
        it must reach the same decision. A layer the snapshot lacks stays unknown.
        """
        from iamlab.policy.cases import expect_of, make_case

        return make_case(name, self.request, self.policies, expect_of(self.decision), source)

    def __str__(self) -> str:
        """The decision's text, the context used and the caveats (snapshot text escaped)."""
        text = str(self.decision)
        if self.request.context:
            text += "\n\nRequest context:\n" + "\n".join(
                f"  {printable(key)} = "
                + printable(value if isinstance(value, str) else list(value))
                for key, value in sorted(self.request.context.items())
            )
        if self.caveats:
            text += "\n\nSnapshot caveats:\n" + "\n".join(
                f"  - {printable(c)}" for c in self.caveats
            )
        return text


REQUESTED_REGION = "aws:RequestedRegion"


def _arn_region(arn: str | None) -> str | None:
    """Return the Region field of an ARN, or None (global services, ``*``, not an ARN)."""
    parts = (arn or "").split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or "*" in parts[3] or "?" in parts[3]:
        return None
    return parts[3] or None


def build_request(
    snapshot: Snapshot,
    principal: str,
    action: str,
    resource: str = "*",
    context: Mapping[str, ContextValue] | None = None,
    resource_account: str | None = None,
    derive_context: bool = True,
    region: str | None = None,
) -> Request:
    """Return the Request for a replay: given context over the snapshot's derived keys.

    ``aws:RequestedRegion`` is the Region the request was sent to: ``region``
    (the event's ``awsRegion``, the caller's ``--region``); without it, the
    resource ARN's Region. ARNs without one (S3, IAM) leave the key absent, so
    a policy that reads it makes the decision NOT FINAL rather than matching
    a guess (aws-facts 6b: take the region from the record, never the ARN).
    """
    given = dict(context or {})
    merged: dict[str, ContextValue] = {}
    if derive_context:
        lowered = {k.lower() for k in given}
        derived = snapshot.context_for(principal, resource, resource_account)
        region = region or _arn_region(resource)
        if region:
            # Without the caller's Region, a regional resource is usually reached through its
            # own Region's endpoint.
            derived[REQUESTED_REGION] = region
        merged = {k: v for k, v in derived.items() if k.lower() not in lowered}
    merged.update(given)
    owner = resource_account or (
        snapshot.resource_account(resource) if resource and resource != "*" else None
    )
    resolved = snapshot.principal(principal, missing_ok=True)
    if not principal.startswith("arn:") and resolved.arn.startswith("arn:"):
        principal = resolved.arn  # a unique id (AIDA..., AROA..., AROA...:session) by its ARN
    elif resolved.kind in ("user", "role") and not resolved.unknown:
        principal = resolved.entity_arn  # a user/role ARN given without its path gets it back
    return Request(
        principal=principal,
        action=action,
        resource=resource or "*",
        resource_account=owner,
        context=merged,
    )


def simulate(
    snapshot: Snapshot | str | Path,
    principal: str,
    action: str,
    resource: str = "*",
    context: Mapping[str, ContextValue] | None = None,
    resource_account: str | None = None,
    issuer_arn: str | None = None,
    derive_context: bool = True,
    vpc_endpoint: str | None = None,
    session_policy: Mapping[str, Any] | str | None = None,
    region: str | None = None,
) -> Simulation:
    """Return the engine's decision for a request over every layer the snapshot holds.

    ``snapshot`` is a loaded Snapshot or a snapshot folder. ``vpc_endpoint``
    (default: the context's ``aws:SourceVpce``) adds that endpoint's policy.
    ``session_policy`` is the document passed when the session was created
    (CloudTrail: the AssumeRole event's ``requestParameters.policy``), or
    ``"unknown"`` when one may have been passed but is not known. ``region``
    is the Region the request went to (``aws:RequestedRegion``; CloudTrail's
    ``awsRegion``). Layers the
    snapshot does not hold make the decision ``unknown`` (never a guessed
    allow); a principal the snapshot lacks is one of them. Raises
    SnapshotError for a broken snapshot file.

    >>> simulate("sample_data/snapshot", "arn:aws:iam::111122223333:user/alice",
    ...          "s3:GetObject", "arn:aws:s3:::reports/q1.csv").decision  # doctest: +SKIP
    """
    from iamlab.policy import evaluate  # imported here: `import iamlab.snapshot` stays light

    snap = snapshot if isinstance(snapshot, Snapshot) else load(snapshot)
    given = dict(context or {})
    source_vpce = next((v for k, v in given.items() if k.lower() == "aws:sourcevpce"), None)
    if vpc_endpoint and source_vpce is None:
        given["aws:SourceVpce"] = vpc_endpoint.rsplit("/", 1)[-1]
    endpoint = vpc_endpoint or (source_vpce if isinstance(source_vpce, str) else None)
    request = build_request(
        snap, principal, action, resource, given, resource_account, derive_context, region
    )
    policies = snap.policies_for(
        principal, action, request.resource, request.resource_account, issuer_arn, endpoint
    )
    caveats = snap.caveats(principal, action, request.resource, request.resource_account, endpoint)
    if (
        derive_context
        and not region
        and not any(k.lower() == REQUESTED_REGION.lower() for k in given)
    ):
        region = request.context.get(REQUESTED_REGION)
        if region:
            caveats = [
                *caveats,
                f"{REQUESTED_REGION} is taken from the resource ARN ({region}); "
                f"pass --context {REQUESTED_REGION}=... if the call went to another Region",
            ]
    if isinstance(session_policy, str) and session_policy.strip().lower() == "unknown":
        policies = replace(
            policies,
            unknown={
                **policies.unknown,
                "session": "the session policy passed when the session was created is not known",
            },
        )
        caveats = [c for c in caveats if not c.startswith("session policies")]
    elif session_policy is not None:
        policies = replace(
            policies, session=Policy(document=session_policy, id=principal, name="session policy")
        )
        caveats = [c for c in caveats if not c.startswith("session policies")]
    return Simulation(request, policies, evaluate(request, policies), tuple(caveats))
