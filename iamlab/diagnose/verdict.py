"""Replay one denial against a snapshot: the real cause, the deciding statement, the verdict.

The engine's explanation records (``Decision.layers``, ``Decision.deciding``)
say which statement decided and why the others did not; this module only
reads them. Verdicts: ``confirmed`` (the replay denies where AWS said),
``differs`` (it denies elsewhere, or otherwise than AWS said),
``allowed-now`` (the snapshot allows: the configuration changed since the
event), ``needs-context`` (condition keys the record lacks would change it),
``unknown`` (what is missing is named). Never a silent allow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iamlab.denials.parse import ParsedDenial
from iamlab.diagnose.request import Replay, rebuild
from iamlab.diagnose.sessions import SessionIndex
from iamlab.errors import IamlabError
from iamlab.policy.decision import Decision, StatementResult
from iamlab.policy.request import Policy, PolicySet
from iamlab.snapshot.simulate import Simulation, simulate
from iamlab.snapshot.snapshot import Snapshot

VERDICTS = ("confirmed", "differs", "allowed-now", "needs-context", "unknown")
_CAUSE_OF_LAYER = {
    "scp": "org-policy",
    "rcp": "org-policy",
    "permissions_boundary": "permissions-boundary",
    "session": "session-or-trust",
    "trust": "session-or-trust",
    "vpc_endpoint": "vpc-endpoint",
}
_SESSION_CAVEAT = "session policies passed when the session was created"


@dataclass
class Diagnosis:
    """One denial replayed: what AWS said, what the replay says, and how they compare."""

    event_id: str
    event_time: Any
    principal: str | None
    action: str | None
    resource: str | None
    reported_cause: str | None
    cause: str | None
    verdict: str
    layer: str | None
    deciding: dict[str, str | None]
    near_miss: dict[str, str | None] | None = None
    missing_keys: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    reported: dict[str, str | None] = field(default_factory=dict)
    fix: dict[str, Any] | None = None
    # (layer, engine policy id, statement index or None): what a fix would change
    target: tuple[str, str, int | None] | None = field(default=None, repr=False)
    replay: Replay | None = field(default=None, repr=False)
    simulation: Simulation | None = field(default=None, repr=False)
    # the request's policy layers after the fix, and each change (before, after): the cases
    # that pin a verified fix (``pin.py``) are written from these, not from the JSON above
    fixed_policies: PolicySet | None = field(default=None, repr=False)
    fix_changes: tuple[tuple[Policy, Policy], ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe fields (``iamlab diagnose --json``, the ``diagnoses`` table)."""
        time = self.event_time
        return {
            "event_id": self.event_id,
            "event_time": time.isoformat() if hasattr(time, "isoformat") else time,
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "reported_cause": self.reported_cause,
            "cause": self.cause,
            "verdict": self.verdict,
            "layer": self.layer,
            "deciding": dict(self.deciding),
            "near_miss": self.near_miss,
            "missing_keys": list(self.missing_keys),
            "reasons": list(self.reasons),
            "reported": dict(self.reported),
            "fix": self.fix,
        }


def policy_name(snap: Snapshot, layer: str, policy_id: str) -> str:
    """Name a policy as the design does (managed/SCP/RCP ARN, ``<entity ARN>:inline/<name>``...)."""
    if layer == "session":
        return "session"
    if layer == "trust":
        return f"{policy_id}:trust"
    if layer == "vpc_endpoint":
        return policy_id.rsplit("/", 1)[-1]
    if "#inline/" in policy_id:
        return policy_id.replace("#inline/", ":inline/")
    if layer in ("scp", "rcp") and snap.organization is not None:
        for item in snap.organization.all_policies():
            if item.policy.id == policy_id and item.arn:
                return item.arn
    return policy_id


def diagnose_record(
    record: Mapping[str, Any],
    parsed: ParsedDenial,
    snap: Snapshot,
    sessions: SessionIndex | None = None,
) -> Diagnosis:
    """Return the diagnosis of one denial event (a CloudTrail record and its parsed message).

    Never raises for what the evidence or the snapshot lacks: that becomes an
    ``unknown`` verdict naming it.
    """
    replay = rebuild(record, parsed, snap, sessions)
    reported = {"layer": parsed.policy_type, "deny": parsed.deny, "policy_arn": parsed.policy_arn}
    diag = Diagnosis(
        event_id=replay.event_id,
        event_time=record.get("eventTime"),
        principal=replay.principal,
        action=replay.action,
        resource=replay.resource,
        reported_cause=parsed.cause,
        cause=None,
        verdict="unknown",
        layer=None,
        deciding={"policy": None, "sid": None},
        reasons=list(replay.gaps),
        reported=reported,
        replay=replay,
    )
    action, resource = replay.action, replay.resource
    if action is None or resource is None:
        return diag
    stand_in = replay.principal is None
    principal = replay.principal or ""
    if stand_in:
        if not replay.caller_account:
            return diag
        # Evaluate the resource side with the caller's account root: a denial
        # there that no principal could change holds for the unknown caller.
        principal = f"arn:aws:iam::{replay.caller_account}:root"
    session = replay.session
    try:
        sim = simulate(
            snap,
            principal,
            action,
            resource,
            replay.context,
            resource_account=replay.resource_account,
            issuer_arn=replay.issuer_arn,
            vpc_endpoint=replay.vpc_endpoint,
            session_policy=session.document if session and session.present else None,
        )
    except IamlabError as exc:
        diag.reasons.append(f"the replay failed: {exc}")
        return diag
    diag.simulation = sim
    decision = sim.decision
    diag.missing_keys = [
        k for k in decision.missing_context if k.lower() not in replay.known_absent
    ]
    caveats = [c for c in sim.caveats if not c.startswith(_SESSION_CAVEAT)]
    if session is not None and session.problem:
        caveats.append(session.problem)
    denied_at = _denied_at(decision)
    if not denied_at:
        _not_denied(diag, decision, caveats)
        return diag
    if decision.decision == "unknown":
        diag.reasons.append(
            "denied whatever the layers the snapshot lacks hold ("
            + "; ".join(f"{k}: {v}" for k, v in decision.unknown.items())
            + "), so the known layer that lacks an Allow is the cause; AWS may also have "
            "been stopped by one of those layers"
        )
    said = parsed.policy_type
    layer = said if said in denied_at else denied_at[0]
    unknown = _unknown_layers(snap, sim, replay)
    if layer in unknown:
        diag.reasons.append(
            f"the replay denies at the {layer} layer, which the snapshot does "
            f"not hold: {unknown[layer]}"
        )
        return diag
    if stand_in and not _holds_for_any_caller(decision, layer):
        diag.reasons.append(
            "the snapshot's side denies, but a statement there depends on who "
            "the caller is, which the record does not say"
        )
        return diag
    diag.layer = layer
    explicit = decision.decision == "explicit_deny"
    diag.deciding, diag.near_miss, diag.target = _deciding(snap, decision, layer, explicit, replay)
    diag.cause = _cause(layer, explicit, diag.near_miss)
    _compare(diag, parsed, explicit)
    if diag.verdict == "confirmed" and replay.incomplete:
        diag.verdict = "needs-context"
        diag.missing_keys = sorted({*diag.missing_keys, *replay.missing_keys})
        diag.reasons.append(
            "the record lacks "
            + ", ".join(replay.incomplete)
            + ": the replay agrees with AWS only without those keys"
        )
    return diag


def _denied_at(decision: Decision) -> tuple[str, ...]:
    """The layers a denial is diagnosed at: the engine's, or for an ``unknown`` answer that
    is a deny whatever the unknown layers hold (``Decision.denied``), the known layers that
    lack an Allow (all of them must change for the request to pass)."""
    if decision.decision in ("implicit_deny", "explicit_deny"):
        return decision.denied_by
    if decision.decision == "unknown" and decision.denied:
        return tuple(x for x in decision.lacking_allow if x and x not in decision.unknown)
    return ()


def _unknown_layers(snap: Snapshot, sim: Simulation, replay: Replay) -> dict[str, str]:
    """The layers a replay had to treat as absent because the snapshot lacks them, and why."""
    out: dict[str, str] = {}
    owner = sim.request.resource_account
    if owner and owner != "aws" and owner not in snap.iam_accounts():
        out["resource"] = f"account {owner}, which owns {sim.request.resource}, was not collected"
    if snap.organization is None:
        out["scp"] = out["rcp"] = "the snapshot has no organization/"
    if replay.vpc_endpoint and snap.resources().endpoint(replay.vpc_endpoint) is None:
        out["vpc_endpoint"] = f"the policy of {replay.vpc_endpoint} is not in the snapshot"
    return out


def _not_denied(diag: Diagnosis, decision: Decision, caveats: list[str]) -> None:
    if decision.decision != "allow":  # the engine's own "unknown": a layer that could deny
        diag.reasons += list(decision.notes) or ["the engine cannot decide"]
    elif diag.missing_keys:
        diag.verdict = "needs-context"
        diag.reasons.append(
            "the snapshot allows unless these keys held other values: "
            + ", ".join(diag.missing_keys)
        )
    elif caveats:
        diag.reasons += [
            "the snapshot's layers allow, but it cannot tell everything: " + c for c in caveats
        ]
    else:
        diag.verdict = "allowed-now"
        diag.reasons.append(
            "every layer of the snapshot allows this request: the "
            "configuration changed after the event (or the evidence is wrong)"
        )


def _holds_for_any_caller(decision: Decision, layer: str) -> bool:
    """True when no Allow in ``layer`` failed on who the caller is or on a condition."""
    # an unknown answer that is a deny whatever the unknown layers hold: the
    # known layer's Allows are judged the same way
    implicit = decision.decision == "implicit_deny" or (
        decision.decision == "unknown" and decision.denied
    )
    if not implicit or layer not in ("resource", "rcp"):
        return False
    for result in decision.layer(layer):
        for s in result.statements:
            if s.effect == "Allow" and s.failed_on not in ("action", "resource"):
                return False
    return True


def _deciding(
    snap: Snapshot, decision: Decision, layer: str, explicit: bool, replay: Replay
) -> tuple[dict[str, str | None], dict[str, str | None] | None, tuple[str, str, int | None] | None]:
    """Return ({policy, sid} that decided, the near-miss Allow or None, the fix target)."""
    if explicit:
        deny = next((s for s in decision.deciding if s.layer == layer), None)
        if deny is not None:
            name = policy_name(snap, layer, deny.policy_id)
            return (
                {"policy": name, "sid": deny.sid},
                None,
                (layer, deny.policy_id, deny.statement_index),
            )
    statements = [s for r in decision.layer(layer) for s in r.statements]
    near = _near_miss(snap, statements, replay)
    if near is not None:
        name = policy_name(snap, layer, near.policy_id)
        target = (layer, near.policy_id, near.statement_index)
        return {"policy": name, "sid": None}, {"policy": name, "sid": near.sid}, target
    policy_id = _closest_policy(snap, statements, layer, replay)
    if policy_id is None:
        return {"policy": None, "sid": None}, None, None
    return (
        {"policy": policy_name(snap, layer, policy_id), "sid": None},
        None,
        (layer, policy_id, None),
    )


def _near_miss(
    snap: Snapshot, statements: list[StatementResult], replay: Replay
) -> StatementResult | None:
    """An Allow that matches the action but not the resource.

    In a resource policy only a statement naming the caller's account counts:
    one granting someone else is no near miss for this caller.
    """
    near = [s for s in statements if s.effect == "Allow" and s.failed_on == "resource"]
    if near and near[0].layer == "resource":
        policy = snap.resource_policy(replay.resource or "", replay.action)
        document = policy.document if policy is not None else None
        if isinstance(document, str):
            document = json.loads(document)
        body = document.get("Statement") if isinstance(document, dict) else None
        body = body if isinstance(body, list) else [body]
        account = replay.caller_account or "-"
        near = [
            s
            for s in near
            if s.statement_index < len(body)
            and isinstance(body[s.statement_index], dict)
            and account in json.dumps(body[s.statement_index].get("Principal"))
        ]
    return near[0] if near else None


def _closest_policy(
    snap: Snapshot, statements: list[StatementResult], layer: str, replay: Replay
) -> str | None:
    """The id of the policy of ``layer`` where an Allow would go."""
    if layer == "resource" and replay.resource:
        policy = snap.resource_policy(replay.resource, replay.action)
        if policy is not None:
            return policy.id
    return closest_policy(statements, replay.action)


def closest_policy(statements: list[StatementResult], action: str | None) -> str | None:
    """The id of the policy whose Allow statements name this action's service most often."""
    service = (action or "").split(":", 1)[0].lower() + ":"
    scores: dict[str, int] = {}
    for s in statements:
        scores.setdefault(s.policy_id, 0)
        if s.effect == "Allow" and service in s.reason.lower():
            scores[s.policy_id] += 1
    if not scores:
        return None
    return max(scores, key=lambda pid: scores[pid])  # the first wins a tie (policy order)


def _cause(layer: str, explicit: bool, near_miss: Mapping[str, Any] | None) -> str:
    if layer in _CAUSE_OF_LAYER:
        return _CAUSE_OF_LAYER[layer]
    if explicit:
        return "explicit-deny"
    if layer == "resource":
        return "resource-policy"
    return "resource-arn" if near_miss else "missing-action"


def _compare(diag: Diagnosis, parsed: ParsedDenial, explicit: bool) -> None:
    """Set the verdict: does the replay deny where and how AWS said it did?"""
    differences = []
    said = parsed.policy_type
    if said and said != diag.layer:
        differences.append(f"AWS named the {said} layer; the replay denies at {diag.layer}")
    if parsed.deny and said not in ("scp", None) and (parsed.deny == "explicit") != explicit:
        # pre-2023 SCP messages said "explicit" for implicit denials (parse.py): not compared
        differences.append(
            f"AWS reported an {parsed.deny} deny; the replay's is "
            f"{'explicit' if explicit else 'implicit'}"
        )
    arn, ours = parsed.policy_arn, diag.deciding.get("policy")
    if arn and ours and not _same_policy(arn, ours):
        differences.append(f"AWS named policy {arn}; the replay names {ours}")
    if not differences:
        diag.verdict = "confirmed"
        if not said:
            diag.reasons.append("the message names no policy: the replay's cause stands alone")
        return
    diag.reasons += differences
    diag.verdict = "needs-context" if diag.missing_keys else "differs"


def _same_policy(reported: str, named: str) -> bool:
    base = named.split(":inline/", 1)[0]
    return reported in (named, base) or reported.rsplit("/", 1)[-1] == named.rsplit("/", 1)[-1]
