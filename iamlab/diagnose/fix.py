"""Fixes that are proven: the smallest policy change, re-evaluated until the denial is allowed.

For each diagnosis a change is proposed for the layer that denied (add the
action, widen the near-miss statement's resource, allow it in the boundary,
grant it in the resource policy, or, for a guardrail, the exception its
owner would have to make), applied to a copy of the request's policy layers
and re-evaluated; when another layer still denies, that layer is changed
too (a few steps at most). A fix is ``verified`` only when the engine then
says ``allow``. ``new_access`` lists what else the changed policies allow
among the requests seen in the evidence, so an over-broad fix shows.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from iamlab.diagnose.verdict import Diagnosis, closest_policy, policy_name
from iamlab.policy import evaluate
from iamlab.policy.request import Policy, PolicySet, Request
from iamlab.snapshot.snapshot import Snapshot

MAX_STEPS = 4
# Denials that a guardrail (or its owner) intends: the fix is an exception to ask for.
BY_DESIGN_CAUSES = ("explicit-deny", "org-policy", "session-or-trust", "vpc-endpoint")


def propose_all(diagnoses: Iterable[Diagnosis], snap: Snapshot, con: Any = None) -> None:
    """Set ``fix`` on every denied diagnosis (shared by identical requests: computed once)."""
    diagnoses = list(diagnoses)
    seen = gather_evidence(con, diagnoses)
    done: dict[tuple, tuple[dict[str, Any] | None, PolicySet | None, tuple]] = {}
    opened: dict[str, list[dict[str, str]]] = {}  # new access, by principal and change
    for diag in diagnoses:
        if diag.simulation is None or diag.layer is None:
            continue
        key = (
            diag.principal,
            diag.action,
            diag.resource,
            diag.layer,
            diag.target,
            json.dumps(diag.simulation.request.context, sort_keys=True, default=str),
        )
        if key not in done:
            done[key] = _propose(diag, snap, seen, opened)
        fix, diag.fixed_policies, diag.fix_changes = done[key]
        diag.fix = copy.deepcopy(fix)


def propose(
    diag: Diagnosis,
    snap: Snapshot,
    seen: Evidence | None = None,
    opened: dict[str, list[dict[str, str]]] | None = None,
) -> dict[str, Any] | None:
    """Return the fix of one denial: {summary, before, after, verified, new_access, ...}."""
    return _propose(diag, snap, seen, opened)[0]


def _propose(
    diag: Diagnosis,
    snap: Snapshot,
    seen: Evidence | None = None,
    opened: dict[str, list[dict[str, str]]] | None = None,
) -> tuple[dict[str, Any] | None, PolicySet | None, tuple[tuple[Policy, Policy], ...]]:
    """``propose``'s fix, with the request's policy layers after it and each (before, after)."""
    sim = diag.simulation
    if sim is None or diag.layer is None:
        return None, None, ()
    request, policies = sim.request, sim.policies
    decision = sim.decision
    changes: list[dict[str, Any]] = []
    for _ in range(MAX_STEPS):
        if decision.decision == "allow" or not _known_denials(decision):
            break  # allowed, or only layers the snapshot lacks could still deny
        layer = _next_layer(decision, diag.layer if not changes else None)
        change = _change(layer, decision, request, policies, snap, diag, first=not changes)
        if change is None:
            break
        policies = _substitute(policies, change["old"], change["new"])
        changes.append(change)
        decision = evaluate(request, policies)
    verified = decision.decision == "allow" and bool(changes)
    if not changes:
        none: dict[str, Any] = {
            "summary": f"no change proposed for the {diag.layer} layer",
            "before": None,
            "after": None,
            "verified": False,
            "new_access": [],
            "changes": [],
        }
        return none, None, ()
    main = changes[0]
    by_design = diag.cause in BY_DESIGN_CAUSES
    owner = main["policy"]
    summary = "; then ".join(c["summary"] for c in changes)
    if by_design and main["layer"] == "session":
        session = diag.replay.session if diag.replay else None
        issued = f" (passed by event {session.event_id})" if session and session.event_id else ""
        summary = (
            f"by design: the session policy{issued} denies it; a new session without "
            f"that restriction would need: {summary}"
        )
    elif by_design:
        summary = f"by design: ask the owner of {owner} for an exception: {summary}"
    if "/aws-reserved/sso.amazonaws.com/" in str(owner):
        # IAM Identity Center owns these roles (aws-facts: customers cannot change them;
        # iamlab.policy.special 'aws-reserved-role'): the change goes into the permission set
        permission_set = str(owner).split("AWSReservedSSO_", 1)[-1].rsplit("_", 1)[0]
        summary += (
            f" (the role is managed by IAM Identity Center: make this change in the "
            f"permission set {permission_set}'s inline policy, not on the role)"
        )
    if decision.decision == "unknown" and "allow" in decision.possible:
        summary += (
            " (not verified: the snapshot's side then allows, but "
            + "; ".join(f"the {k} layer is unknown ({v})" for k, v in decision.unknown.items())
            + ": that side must allow it too)"
        )
    fix = {
        "summary": summary,
        "policy": owner,
        "layer": main["layer"],
        "by_design": by_design,
        "statement": main["statement"],
        "before": _with(main["old"].document, _statements(main["old"].document)),
        "after": main["new"].document,
        "verified": verified,
        "decision_after": decision.decision,
        "new_access": _opened(snap, diag, changes, seen, opened) if verified and seen else [],
        "changes": [
            {k: c[k] for k in ("layer", "policy", "summary", "statement")} for c in changes
        ],
    }
    return fix, policies, tuple((c["old"], c["new"]) for c in changes)


def _opened(
    snap: Snapshot,
    diag: Diagnosis,
    changes: list[dict[str, Any]],
    seen: Evidence,
    opened: dict[str, list[dict[str, str]]] | None,
) -> list[dict[str, str]]:
    """``_new_access``, computed once per principal and change (events repeat requests)."""
    key = json.dumps(
        [
            diag.principal,
            diag.action,
            diag.resource,
            [(c["layer"], c["old"].id, c["statement"]) for c in changes],
        ],
        sort_keys=True,
        default=str,
    )
    if opened is None:
        return _new_access(snap, diag, changes, seen)
    if key not in opened:
        opened[key] = _new_access(snap, diag, changes, seen)
    return opened[key]


def _known_denials(decision: Any) -> tuple[str, ...]:
    """Layers of the snapshot that still deny (for ``unknown``: the known ones lacking an Allow)."""
    if decision.decision in ("implicit_deny", "explicit_deny"):
        return tuple(decision.denied_by)
    if decision.decision == "unknown":
        return tuple(x for x in decision.lacking_allow if x and x not in decision.unknown)
    return ()


def _next_layer(decision: Any, preferred: str | None) -> str:
    if preferred and preferred in decision.denied_by:
        return preferred
    if decision.decision == "explicit_deny":
        return decision.denied_by[0]
    lacking = [x for x in decision.lacking_allow if x and x not in decision.unknown]
    return (lacking or list(decision.denied_by))[0]


# -- one change ------------------------------------------------------------------------------


def _statements(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, str):
        doc = json.loads(doc)
    body = doc.get("Statement") if isinstance(doc, dict) else None
    return copy.deepcopy(body if isinstance(body, list) else [body] if body else [])


def _with(doc: Any, statements: list[dict[str, Any]]) -> dict[str, Any]:
    base = json.loads(doc) if isinstance(doc, str) else dict(doc)
    base["Statement"] = statements
    return base


def _sid(action: str) -> str:
    return "IamlabFix" + re.sub(r"[^A-Za-z0-9]", "", action.split(":", 1)[-1].title())


def _change(
    layer: str,
    decision: Any,
    request: Request,
    policies: PolicySet,
    snap: Snapshot,
    diag: Diagnosis,
    first: bool,
) -> dict[str, Any] | None:
    """Return {layer, policy, summary, statement, old, new} for the layer that still denies.

    Only the first step may use the diagnosis' own target (its near-miss statement).
    """
    if decision.decision == "explicit_deny":
        deny = next((s for s in decision.deciding if s.layer == layer), None)
        if deny is None:
            return None
        old = _find(policies, layer, deny.policy_id)
        if old is None:
            return None
        statements = _statements(old.document)
        statement = statements[deny.statement_index]
        original = copy.deepcopy(statement)
        condition = statement.setdefault("Condition", {})
        caller = _caller_arn(request, diag)
        key, op = (
            ("aws:PrincipalAccount", "StringNotEquals")
            if caller is None
            else ("aws:PrincipalArn", "ArnNotEquals")
        )
        value = diag.replay.caller_account if caller is None and diag.replay else caller
        values = condition.setdefault(op, {}).get(key, [])
        values = [values] if isinstance(values, str) else list(values)
        condition[op][key] = [*values, value]
        name = policy_name(snap, layer, old.id)
        made = _made(
            layer,
            name,
            old,
            statements,
            statement,
            f"except {value} from {deny.sid or f'statement {deny.statement_index}'} in {name}",
        )
        return {**made, "exception_of": original}
    target = _allow_target(layer, decision, policies, diag, first)
    if target is None:
        return None
    old, index = target
    if not old.id:
        old = Policy(document=old.document, id=request.resource, name="new resource policy")
    statements = _statements(old.document)
    name = policy_name(snap, layer, old.id)
    if index is not None and index < len(statements) and _may_widen(layer, statements[index], diag):
        statement = statements[index]
        widened = _widen(request.resource)
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else list(resources)
        statement["Resource"] = [*resources, widened]
        sid = statement.get("Sid") or f"statement {index}"
        return _made(layer, name, old, statements, statement, f"add {widened} to {sid} in {name}")
    statement = {
        "Sid": _sid(request.action),
        "Effect": "Allow",
        "Action": request.action,
        "Resource": request.resource,
    }
    if layer in ("resource", "trust", "vpc_endpoint"):
        caller = _caller_arn(request, diag)
        account = diag.replay.caller_account if diag.replay else None
        principal = caller or (f"arn:aws:iam::{account}:root" if account else "*")
        statement["Principal"] = {"AWS": principal} if layer != "vpc_endpoint" else "*"
        if layer == "resource" and request.action.lower().startswith("kms:"):
            statement["Resource"] = "*"  # a key policy's Resource is the key itself
        if layer == "trust" and account and account not in snap.accounts:
            statement["Condition"] = {"StringEquals": {"sts:ExternalId": "<agreed external id>"}}
    statements.append(statement)
    return _made(
        layer,
        name,
        old,
        statements,
        statement,
        f"allow {request.action} on {statement['Resource']} in {name}",
    )


def _may_widen(layer: str, statement: dict[str, Any], diag: Diagnosis) -> bool:
    """A near-miss of a resource policy is widened only when it names the caller's account."""
    if layer not in ("resource", "trust"):
        return True
    account = diag.replay.caller_account if diag.replay else None
    known = diag.principal is not None  # an unknown caller gets its own grant, not a widening
    return known and isinstance(account, str) and account in json.dumps(statement.get("Principal"))


def _made(layer, name, old, statements, statement, summary) -> dict[str, Any]:
    new = Policy(document=_with(old.document, statements), id=old.id, name=old.name)
    # (a created resource policy keeps the name "new resource policy": _substitute adds it)
    return {
        "layer": layer,
        "policy": name,
        "summary": summary,
        "statement": statement,
        "old": old,
        "new": new,
    }


def _caller_arn(request: Request, diag: Diagnosis) -> str | None:
    """The ARN a policy names the caller by: the role for a session (aws:PrincipalArn)."""
    if diag.principal is None:
        return None
    value = request.context.get("aws:PrincipalArn")
    return value if isinstance(value, str) else diag.principal


def _widen(resource: str) -> str:
    """The resource with its last path part as ``*`` (the object's prefix, the table's indexes)."""
    head, sep, _ = resource.rpartition("/")
    return f"{head}/*" if sep and ":" not in resource.rsplit("/", 1)[-1] else resource


def _allow_target(
    layer: str, decision: Any, policies: PolicySet, diag: Diagnosis, first: bool
) -> tuple[Policy, int | None] | None:
    """The policy (and near-miss statement) of ``layer`` to extend, or a policy to add to."""
    if first and diag.target and diag.target[0] == layer:
        found = _find(policies, layer, diag.target[1])
        if found is not None:
            return found, diag.target[2]
    candidates = _layer_policies(policies, layer)
    if not candidates and layer == "resource":
        # no resource policy yet: the fix writes one (named by the resource ARN)
        return Policy(document={"Version": "2012-10-17", "Statement": []}, id="", name=None), None
    if not candidates:
        return None
    if layer in ("scp", "rcp"):
        denied = [r.level for r in decision.layer(layer) if r.outcome != "allow"]
        levels = (policies.scp if layer == "scp" else policies.rcp) or ()
        level = levels[denied[0]] if denied else candidates
        return (level[0], None) if level else None
    if diag.replay is not None:
        statements = [s for r in decision.layer(layer) for s in r.statements]
        closest = closest_policy(statements, diag.replay.action)
        found = _find(policies, layer, closest) if closest else None
        if found is not None:
            return found, None
    return candidates[0], None


def _layer_policies(ps: PolicySet, layer: str) -> list[Policy]:
    if layer == "identity":
        return list(ps.identity)
    if layer == "permissions_boundary":
        return list(ps.permissions_boundary)
    if layer in ("resource", "trust"):
        return [ps.resource] if ps.resource else []
    if layer == "session":
        return [ps.session] if ps.session else []
    if layer == "vpc_endpoint":
        return list(ps.vpc_endpoint)
    levels = ps.scp if layer == "scp" else ps.rcp
    return [p for level in levels or () for p in level]


def _find(ps: PolicySet, layer: str, policy_id: str) -> Policy | None:
    return next((p for p in _layer_policies(ps, layer) if p.id == policy_id), None)


def _substitute(ps: PolicySet, old: Policy, new: Policy) -> PolicySet:
    """Return ``ps`` with every occurrence of ``old`` replaced by ``new``."""

    def many(items):
        return tuple(new if p is old else p for p in items)

    def levels(value):
        return None if value is None else tuple(many(level) for level in value)

    return replace(
        ps,
        identity=many(ps.identity),
        permissions_boundary=many(ps.permissions_boundary),
        session=new if ps.session is old else ps.session,
        # a resource policy the fix creates replaces the absent one
        resource=new
        if ps.resource is old
        or (ps.resource is None and new.id == old.id and new.name == "new resource policy")
        else ps.resource,
        scp=levels(ps.scp),
        rcp=levels(ps.rcp),
        vpc_endpoint=many(ps.vpc_endpoint),
    )


# -- new access ------------------------------------------------------------------------------

MAX_NEW_ACCESS_CHECKS = 5000  # requests re-evaluated per fix; past it the list says so


@dataclass(frozen=True)
class Evidence:
    """What the workspace's evidence shows was requested: (action, resource) and callers."""

    pairs: tuple[tuple[str, str, str | None], ...]  # (action, resource, Region)
    principals: tuple[str, ...]


def gather_evidence(con: Any, diagnoses: Iterable[Diagnosis]) -> Evidence:
    """Return the distinct requests and callers seen (events mapped to IAM actions)."""
    from iamlab.denials.actions import iam_action
    from iamlab.diagnose import store

    pairs: dict[tuple[str, str, str | None], None] = {}
    principals: dict[str, None] = {}
    for d in diagnoses:
        if d.action and d.resource and d.replay:
            region = d.replay.context.get("aws:RequestedRegion")
            pairs[(d.action, d.resource, region if isinstance(region, str) else None)] = None
        if d.principal:
            principals[d.principal] = None
    if con is not None:
        calls, seen = store.evidence(con)
        for source, name, region, resource in calls:
            action = iam_action(source, name)
            if action and resource:
                pairs[(action, resource, region)] = None
        principals.update(dict.fromkeys(seen))
    return Evidence(tuple(pairs), tuple(principals))


def _patterns(changes: list[dict[str, Any]], key: str) -> list[re.Pattern[str]] | None:
    """What the changed statements' ``Action`` or ``Resource`` names, as patterns.

    None means anything (a ``NotAction``/``NotResource`` statement, or none named).
    A change reaches only requests its statement matches, so this bounds new access.
    """
    out = []
    for c in changes:
        if f"Not{key}" in c["statement"] or key not in c["statement"]:
            return None
        values = c["statement"][key]
        for value in [values] if isinstance(values, str) else values:
            if isinstance(value, str):
                text = re.escape(re.sub(r"\$\{[^}]*\}", "*", value))
                text = text.replace(r"\*", ".*").replace(r"\?", ".")
                out.append(re.compile(text, re.IGNORECASE if key == "Action" else 0))
    return out


def _named(statement: dict[str, Any]) -> list[str] | None:
    """The principals a changed statement names (its Principal, or the exception it adds).

    None means anyone (``*``, or a statement that names nobody in particular).
    """
    condition = statement.get("Condition") or {}
    exempt = (condition.get("ArnNotEquals") or {}).get("aws:PrincipalArn")
    if statement.get("Effect") == "Deny" and exempt:
        return [exempt] if isinstance(exempt, str) else list(exempt)
    principal = statement.get("Principal")
    if isinstance(principal, dict) and isinstance(principal.get("AWS"), (str, list)):
        values = principal["AWS"]
        values = [values] if isinstance(values, str) else values
        return None if "*" in values else [v for v in values if isinstance(v, str)]
    return None


def _matches(arn: str, named: list[str]) -> bool:
    """Whether a caller ARN is one of ``named`` (a user, a role and its sessions, an account)."""
    for value in named:
        if arn == value:
            return True
        account = value.split(":")[4] if value.count(":") >= 5 else value
        if value.endswith(":root") or value.isdigit():
            if arn.split(":")[4:5] == [account]:
                return True
        elif (
            ":role/" in value
            and arn.split(":")[4:5] == [account]
            and f":assumed-role/{value.rsplit('/', 1)[-1]}/" in arn
        ):
            return True
    return False


def _callers(
    snap: Snapshot, diag: Diagnosis, changes: list[dict[str, Any]], evidence: Evidence
) -> list[str]:
    """The fixed principal and every principal the changed policies apply to."""
    out = dict.fromkeys([diag.principal] if diag.principal else [])
    ids = {c["old"].id for c in changes if c["layer"] in ("identity", "permissions_boundary")}
    if ids:
        for arn in snap.principal_arns():
            try:
                identity, boundary = snap.identity_layers(snap.principal(arn))
            except Exception:  # noqa: BLE001 - a principal the snapshot cannot layer shares nothing
                continue
            if any(p.id in ids for p in (*identity, *boundary)):
                out[arn] = None
    for c in changes:
        if c["layer"] in ("identity", "permissions_boundary", "session"):
            continue
        named = _named(c["statement"])
        out.update(
            dict.fromkeys(p for p in evidence.principals if named is None or _matches(p, named))
        )
    return list(out)


def _pairs(changes: list[dict[str, Any]], evidence: Evidence) -> list[tuple[str, str, str | None]]:
    """The requests seen that a change could reach: its services, its resource policy's ARNs."""
    actions, resources = _patterns(changes, "Action"), _patterns(changes, "Resource")
    pairs = [
        p
        for p in evidence.pairs
        if (actions is None or any(x.fullmatch(p[0]) for x in actions))
        and (resources is None or any(x.fullmatch(p[1]) for x in resources))
    ]
    owners = [c["old"].id for c in changes if c["layer"] == "resource"]
    if owners and len(owners) == len(changes):
        pairs = [p for p in pairs if any(p[1] == o or p[1].startswith(o + "/") for o in owners)]
    return pairs


def _new_access(
    snap: Snapshot,
    diag: Diagnosis,
    changes: list[dict[str, Any]],
    evidence: Evidence,
) -> list[dict[str, str]]:
    """Requests seen in the evidence that the changed policies turn from deny to allow.

    Every principal the changed policies apply to is re-evaluated on every
    (action, resource) seen for the services the change names, before and
    after, so only what the change itself opens is listed.
    """
    from iamlab.snapshot.simulate import simulate

    pairs = _pairs(changes, evidence)
    guards = _guards(changes)
    plain = _plain_context(diag)
    itself = {diag.principal, (diag.replay.context if diag.replay else {}).get("aws:PrincipalArn")}
    session = diag.simulation.policies.session if diag.simulation else None
    out: list[dict[str, str]] = []
    checks = 0
    for principal in _callers(snap, diag, changes, evidence):
        try:
            entity = snap.principal(principal).entity_arn
        except Exception:  # noqa: BLE001 - a caller the snapshot cannot resolve opens nothing
            continue
        for action, resource, region in pairs:
            if principal in itself and (action, resource) == (diag.action, diag.resource):
                continue  # the denied request itself, by its principal or its role
            ctx = {**plain, "aws:RequestedRegion": region} if region else plain
            if guards and not any(
                evaluate(
                    Request(principal, action, resource, None, {**ctx, "aws:PrincipalArn": entity}),
                    g,
                ).decision
                == "explicit_deny"
                for g in guards
            ):
                continue  # no excepted Deny matched this request: the exception changes nothing
            checks += 1
            if checks > MAX_NEW_ACCESS_CHECKS:
                out.append(
                    {
                        "principal": "",
                        "action": "",
                        "resource": "",
                        "note": f"stopped after {MAX_NEW_ACCESS_CHECKS} requests",
                    }
                )
                return out
            try:
                sim = simulate(
                    snap,
                    principal,
                    action,
                    resource,
                    ctx,
                    session_policy=(
                        session.document if session and principal == diag.principal else None
                    ),
                )
            except Exception:  # noqa: BLE001 - a request the snapshot cannot replay opens nothing
                continue
            if sim.decision.decision == "allow":
                continue
            policies, changed = apply_changes(sim.policies, [(c["old"], c["new"]) for c in changes])
            if changed and evaluate(sim.request, policies).decision == "allow":
                out.append({"principal": principal, "action": action, "resource": resource})
    return out


def apply_changes(
    policies: PolicySet, changes: Iterable[tuple[Policy, Policy]]
) -> tuple[PolicySet, bool]:
    """Return another request's policy layers with a fix's changes, and whether any applied.

    A changed policy is found by its id (another request's replay loaded its own copy).
    """
    changed = False
    for old, new in changes:
        same = next((p for p in _all(policies) if p.id == old.id), None)
        if same is not None:
            policies, changed = _substitute(policies, same, new), True
    return policies, changed


_ALLOW_ALL = Policy(
    document={
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
    id="allow-all",
)


def _guards(changes: list[dict[str, Any]]) -> list[PolicySet] | None:
    """When every change is an exception to a Deny: each original Deny alone, to test cheaply
    whether it matched a request (only those can change). Principal elements are dropped,
    which only widens the test."""
    if not changes or not all(c.get("exception_of") for c in changes):
        return None
    out = []
    for c in changes:
        statement = {
            k: v for k, v in c["exception_of"].items() if k not in ("Principal", "NotPrincipal")
        }
        deny = Policy(document={"Version": "2012-10-17", "Statement": [statement]}, id="guard")
        out.append(PolicySet(identity=(_ALLOW_ALL, deny)))
    return out


def _all(ps: PolicySet) -> list[Policy]:
    return [
        p
        for layer in (
            "identity",
            "permissions_boundary",
            "session",
            "resource",
            "vpc_endpoint",
            "scp",
            "rcp",
        )
        for p in _layer_policies(ps, layer)
    ]


def _plain_context(diag: Diagnosis) -> dict[str, Any]:
    """The request's network and time keys (who the caller is comes from the snapshot).

    ``aws:RequestedRegion`` is left out: each request seen has its own event's Region.
    """
    keep = (
        "aws:SecureTransport",
        "aws:SourceIp",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:ViaAWSService",
        "aws:PrincipalIsAWSService",
    )
    ctx = diag.replay.context if diag.replay else {}
    return {k: v for k, v in ctx.items() if k in keep}
