"""Least privilege from evidence: what a principal used, what it is granted but never used,
and the narrower identity policy that still allows every call it made, proven by replay.

The calls are the principal's successful events in the window (for a role, the
calls of its sessions), each rebuilt into a request as a denial is
(``diagnose.request.rebuild``: action from the API mapping, resource and its
owner, context, session policy). The proposed policy allows exactly the
(action, resource) pairs replayed; it replaces the principal's identity
policies in a replay of every call with the engine, every other layer kept.

A call that cannot be replayed (its resource cannot be rebuilt, or the current
snapshot does not answer allow for it) is never dropped silently: for its
action the proposed policy keeps today's identity grant unchanged, each Allow
statement that covers the action copied with its Action narrowed to it
(Resource, NotResource and Condition as they are) and each identity Deny
statement that covers it copied as it is. That grant is never wider than
today's, and AWS allowed the call with it, every other layer unchanged, so the
call stays allowed; such calls and actions are listed as kept. ``verified``
means every call in the window is allowed under the proposed policy: each
replayed call by the engine's replay, each other call by its action's kept
grant. A call whose action is unknown (unmapped API) can be neither, so the
result is then not verified.

Granted actions are counted by expanding each Allow statement's actions
against the IAM reference (``diagnose.iam_reference``), whatever its resources
and conditions: an upper bound of what the policies can grant.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from iamlab.denials import ParsedDenial
from iamlab.diagnose import iam_reference
from iamlab.diagnose.request import Replay, rebuild
from iamlab.diagnose.resource import query_workgroups, with_query_workgroup
from iamlab.diagnose.sessions import SessionIndex
from iamlab.diagnose.store import JSON_COLUMNS, RECORD_COLUMNS, issuing_records
from iamlab.diagnose.store import _record as to_record  # the store's row -> record mapping
from iamlab.errors import IamlabError, InputError
from iamlab.policy import evaluate
from iamlab.policy.request import Policy
from iamlab.snapshot.simulate import simulate
from iamlab.snapshot.snapshot import Snapshot
from iamlab.times import parse_time

__all__ = ["LeastPrivilege", "least_privilege"]

CALLS_SQL = f"""
SELECT {", ".join([*RECORD_COLUMNS, *JSON_COLUMNS])} FROM events
WHERE error_code IS NULL AND (principal_arn = $principal OR session_issuer_arn = $principal)
  AND ($since IS NULL OR event_time >= $since) AND ($until IS NULL OR event_time < $until)
ORDER BY event_time, event_id
"""
_PROPOSED_ID = "least-privilege"


@dataclass(frozen=True)
class Call:
    """One successful call, rebuilt: the event, the action and resource, and its replay."""

    event_id: str
    action: str | None
    resource: str | None
    now: str | None = None  # the current snapshot's decision
    proposed: str | None = None  # the decision with the proposed policy instead of identity
    problem: str | None = None  # why it could not be rebuilt or replayed


@dataclass
class LeastPrivilege:
    """The evidence-based narrowing of one principal's identity policies."""

    principal: str
    calls: list[Call] = field(default_factory=list)
    granted: set[str] = field(default_factory=set)  # actions the identity policies' Allows name
    policy: dict[str, Any] = field(default_factory=dict)  # the proposed identity policy
    kept: set[str] = field(default_factory=set)  # actions whose identity grant is kept as is

    @property
    def used(self) -> set[str]:
        """Every action the calls used, replayed or not."""
        return {c.action for c in self.calls if c.action}

    @property
    def allowed(self) -> set[str]:
        """The actions the proposed policy's Allow statements name."""
        out: set[str] = set()
        for s in self.policy.get("Statement", []):
            if s.get("Effect") == "Allow":
                out |= set(_strings(s.get("Action")))
        return out

    @property
    def unused(self) -> list[str]:
        used = {a.lower() for a in self.used}
        return sorted(a for a in self.granted if a.lower() not in used)

    @property
    def skipped(self) -> list[Call]:
        """Calls not rebuilt, or not allowed by the current snapshot (listed, not guessed)."""
        return [c for c in self.calls if c.problem is not None]

    @property
    def uncovered(self) -> list[Call]:
        """Calls the proposed policy is not shown to allow: replayed and not allowed, or not
        replayed and of an action without a kept grant (an unmapped API)."""
        return [
            c
            for c in self.calls
            if (c.proposed != "allow" if c.problem is None else c.action not in self.kept)
        ]

    @property
    def verified(self) -> bool:
        """True when every call is allowed under the proposed policy: replayed, or of an action
        whose identity grant the policy keeps unchanged."""
        return bool(self.calls) and not self.uncovered

    def to_dict(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "verified": self.verified,
            "used_actions": sorted(self.used),
            "granted_actions": len(self.granted),
            "policy_actions": sorted(self.allowed),
            "unused_actions": self.unused,
            "kept_actions": sorted(self.kept),
            "policy": self.policy,
            "calls": len(self.calls),
            "replayed": len(self.calls) - len(self.skipped),
            "uncovered": [c.event_id for c in self.uncovered],
            "skipped": [
                {
                    "event_id": c.event_id,
                    "action": c.action,
                    "resource": c.resource,
                    "problem": c.problem,
                }
                for c in self.skipped
            ],
        }


def _calls(con: Any, principal: str, since: Any, until: Any) -> list[dict[str, Any]]:
    params = {
        "principal": principal,
        "since": parse_time(since, "since"),
        "until": parse_time(until, "until"),
    }
    cursor = con.execute(CALLS_SQL, params)
    names = [d[0] for d in cursor.description]
    return [to_record(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def granted_actions(snap: Snapshot, principal: str) -> set[str]:
    """Return every action an Allow statement of the identity policies names (IAM spelling;
    an action missing from the reference is kept as written)."""
    out: set[str] = set()
    for s in _identity_statements(snap, principal):
        if s.get("Effect") != "Allow":
            continue
        if "NotAction" in s:
            excluded = set().union(
                *(iam_reference.actions_matching(p) for p in _strings(s["NotAction"]))
            )
            out |= set(iam_reference.actions_matching("*:*")) - excluded
        for pattern in _strings(s.get("Action")):
            if pattern == "*":
                pattern = "*:*"
            found = (
                iam_reference.actions_matching(pattern)
                if "*" in pattern or "?" in pattern
                else [pattern]
            )
            out |= set(found)
    known = {a.lower(): a for a in out}
    return set(known.values())


def _identity_statements(snap: Snapshot, principal: str) -> list[dict[str, Any]]:
    """Every statement of the principal's identity policies (its own, its groups')."""
    identity, _boundary = snap.identity_layers(snap.principal(principal))
    out = []
    for policy in identity:
        doc = policy.document
        doc = json.loads(doc) if isinstance(doc, str) else doc
        body = doc.get("Statement") if isinstance(doc, dict) else None
        out += [s for s in (body if isinstance(body, list) else [body]) if isinstance(s, dict)]
    return out


def _covers(statement: dict[str, Any], action: str) -> bool:
    """True when the statement's Action (or NotAction) applies to ``action``."""

    def matches(patterns: Any) -> bool:
        return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in _strings(patterns))

    if "NotAction" in statement:
        return not matches(statement["NotAction"])
    return matches(statement.get("Action"))


def kept_statements(snap: Snapshot, principal: str, actions: set[str]) -> list[dict[str, Any]]:
    """Return today's identity grant for ``actions``, never wider: each Allow statement that
    covers one of them with its Action narrowed to those, each Deny that covers one as it is."""
    out = []
    for s in _identity_statements(snap, principal):
        covered = sorted(a for a in actions if _covers(s, a))
        if not covered:
            continue
        if s.get("Effect") == "Allow":
            s = {k: v for k, v in s.items() if k not in ("Sid", "Action", "NotAction")}
            s = {"Effect": "Allow", "Action": covered if len(covered) > 1 else covered[0], **s}
        out.append({**{k: v for k, v in s.items() if k != "Sid"}})
    return [{"Sid": f"Kept{i}", **s} for i, s in enumerate(out, start=1)]


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]


def _objects(resources: set[str]) -> set[str]:
    """S3 object ARNs of one bucket become ``bucket/<their longest common prefix>*``."""
    buckets: dict[str, list[str]] = defaultdict(list)
    other = set()
    for r in resources:
        if r.startswith("arn:aws:s3:::") and "/" in r and not any(c in r for c in "*?$"):
            buckets[r.split("/", 1)[0]].append(r)
        else:
            other.add(r)
    for arns in buckets.values():
        other.add(arns[0] if len(arns) == 1 else os.path.commonprefix(arns) + "*")
    return other


def proposed_policy(replays: list[Replay]) -> dict[str, Any]:
    """Return one Allow statement per set of actions that share the same resources.

    Each action names the resources it was used on; S3 objects of one bucket
    are named by their common key prefix (``_objects``), so the policy allows
    those keys' neighbours too, never another bucket or a shorter prefix.
    """
    by_action: dict[str, set[str]] = defaultdict(set)
    for r in replays:
        if r.action and r.resource:
            by_action[r.action].add(r.resource)
    by_action = {a: _objects(rs) for a, rs in by_action.items()}
    by_resources: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for action, resources in sorted(by_action.items()):
        by_resources[tuple(sorted(resources))].append(action)
    statements = [
        {
            "Sid": f"Used{i}",
            "Effect": "Allow",
            "Action": actions if len(actions) > 1 else actions[0],
            "Resource": list(resources) if len(resources) > 1 else resources[0],
        }
        for i, (resources, actions) in enumerate(
            sorted(by_resources.items(), key=lambda kv: kv[1]), start=1
        )
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def _replay(snapshot: Snapshot, replay: Replay) -> Any:
    """The current snapshot's simulation of one rebuilt request."""
    session = replay.session
    return simulate(
        snapshot,
        replay.principal or "",
        replay.action or "",
        replay.resource or "*",
        replay.context,
        resource_account=replay.resource_account,
        issuer_arn=replay.issuer_arn,
        vpc_endpoint=replay.vpc_endpoint,
        session_policy=session.document if session and session.present else None,
    )


def least_privilege(
    con: Any, snapshot: Snapshot, principal: str, since: Any = None, until: Any = None
) -> LeastPrivilege:
    """Return what ``principal`` used, its unused grants and a verified narrower policy.

    ``principal`` is a user or role ARN (a role's sessions count as the role).
    Raises InputError when the snapshot does not hold the principal or the
    window has no successful call of it.
    """
    found = snapshot.principal(principal)  # SnapshotError naming near matches when absent
    if found.unknown or found.external:
        raise InputError(
            f"{principal} is not in the snapshot {snapshot.root}: its identity "
            "policies are unknown, so nothing can be narrowed"
        )
    principal = found.entity_arn or principal
    records = _calls(con, principal, since, until)
    if not records:
        raise InputError(
            f"no successful call by {principal} in the workspace's window; "
            "check the ARN (a role's, not a session's) and --since/--until"
        )
    parsed = ParsedDenial(is_denial=False)
    sessions = SessionIndex(issuing_records(con, [(r, parsed) for r in records]))
    result = LeastPrivilege(principal, granted=granted_actions(snapshot, principal))
    replays: list[tuple[Replay, Any]] = []
    workgroups = query_workgroups(records)
    for record in records:
        replay = rebuild(with_query_workgroup(record, workgroups), parsed, snapshot, sessions)
        # An action that authorizes several resources at once (Glue's GetTable) is one request
        # per resource: the call is replayed only when every one of them is allowed.
        each = (
            [replay] if replay.resource else [replace(replay, resource=r) for r in replay.resources]
        )
        call = Call(
            replay.event_id, replay.action, replay.resource or " + ".join(replay.resources) or None
        )
        if replay.principal is None or replay.action is None or not each:
            result.calls.append(
                replace(call, problem="; ".join(replay.gaps) or "the request could not be rebuilt")
            )
            continue
        try:
            sims = [_replay(snapshot, r) for r in each]
        except IamlabError as exc:
            result.calls.append(replace(call, problem=f"the replay failed: {exc}"))
            continue
        refused = next((s.decision for s in sims if s.decision.decision != "allow"), None)
        if refused is not None:
            now = refused.decision
            why = "; ".join(f"{k}: {v}" for k, v in refused.unknown.items())
            result.calls.append(
                replace(
                    call,
                    now=now,
                    problem=f"the current snapshot answers {now}" + (f" ({why})" if why else ""),
                )
            )
            continue
        replays += zip(each, sims, strict=True)
        result.calls.append(replace(call, now="allow"))
    result.kept = {c.action for c in result.skipped if c.action}
    result.policy = proposed_policy([r for r, _ in replays])
    result.policy["Statement"] += kept_statements(snapshot, principal, result.kept)
    narrowed = Policy(document=result.policy, id=_PROPOSED_ID, name="least-privilege policy")
    proposed: dict[str, str] = {}
    for replay, sim in replays:
        decision = evaluate(sim.request, replace(sim.policies, identity=(narrowed,))).decision
        if proposed.get(replay.event_id, "allow") == "allow":  # each resource must be allowed
            proposed[replay.event_id] = decision
    result.calls = [
        replace(c, proposed=proposed.get(c.event_id)) if c.problem is None else c
        for c in result.calls
    ]
    return result
