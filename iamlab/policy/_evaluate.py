"""AWS's layered evaluation logic (aws-facts 4.1-4.4), with its explanation.

Steps, as AWS documents them: explicit deny in any applicable policy wins;
then each RCP level of the resource owner and each SCP level of the caller's
account must allow; then a resource-based policy may grant on its own
(depending on which principal it named, 4.2), otherwise the identity-based
policies, the permissions boundary and the session policy must all allow.
KMS key policies and role trust policies must allow by themselves; across
accounts both the caller's side and the resource owner's side must allow (4.3).

What iamlab can and cannot detect (documented limits):
- service-linked roles are recognised by the ``aws-service-role/`` role path
  (when the role ARN is known) or the ``AWSServiceRoleFor`` name prefix; SCPs
  and RCPs are then skipped (4.4);
- the management account is outside SCPs/RCPs: the snapshot loader passes
  ``scp=None`` / ``rcp=None`` for it, which this engine honours;
- AWS-managed KMS keys cannot be told from their ARN; RCPs are applied to
  them as written (pass ``rcp=None`` when the key is AWS-managed);
- RCPs are applied to every service as written (the list of RCP-supported
  services changes often; aws-facts 4.4).
"""

from __future__ import annotations

from typing import Any, Mapping

from iamlab.errors import InputError, PolicyError
from iamlab.policy._caller import FEDERATED_USER, ROOT, SESSION_KINDS, Caller, parse_caller
from iamlab.policy._compile import CompiledPolicy, Statement
from iamlab.policy._conditions import value_text
from iamlab.policy.decision import (
    NAMING_ORDER, POLICY_TYPE_PHRASES, ConditionResult, Decision, LayerResult, StatementResult,
)
from iamlab.policy.request import Policy, PolicySet, Request

TRUST_ACTIONS = frozenset({
    "sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
    "sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
})
_UNLIMITED_GRANTS = frozenset({"session", "user", "wildcard", "service", "federated", "canonical_user"})
_GRANT_RANK = {"session": 0, "user": 0, "federated": 0, "canonical_user": 0, "service": 1, "wildcard": 2,
               "role": 3, "account": 4}
_IDENTITY_LAYERS = ("identity", "permissions_boundary", "session", "scp")
_CACHE_LIMIT = 20000
_policy_cache: dict[int, tuple[Any, CompiledPolicy]] = {}
_set_cache: dict[int, tuple[Any, "_CompiledSet"]] = {}


def compile_policy(policy: Policy | Mapping[str, Any] | str, default_id: str = "") -> CompiledPolicy:
    """The compiled form of ``policy``, cached by the identity of the object."""
    key = id(policy)
    hit = _policy_cache.get(key)
    if hit is not None and hit[0] is policy:
        return hit[1]
    if isinstance(policy, Policy):
        cp = CompiledPolicy(policy.document, policy.id or policy.name or default_id)
    else:
        cp = CompiledPolicy(policy, default_id)
    if len(_policy_cache) >= _CACHE_LIMIT:
        _policy_cache.clear()
    _policy_cache[key] = (policy, cp)
    return cp


class _CompiledSet:
    """A PolicySet with every document compiled and checked for its layer."""

    __slots__ = ("identity", "permissions_boundary", "session", "scp", "rcp", "resource", "vpc_endpoint")

    def __init__(self, ps: PolicySet) -> None:
        def many(items: Any, layer: str) -> list[CompiledPolicy]:
            return [_checked(compile_policy(p, f"{layer}[{i}]"), layer) for i, p in enumerate(items or ())]

        self.identity = many(ps.identity, "identity")
        self.permissions_boundary = many(ps.permissions_boundary, "permissions_boundary")
        self.session = many([ps.session] if ps.session is not None else [], "session")
        self.scp = None if ps.scp is None else [many(level, f"scp level {n}") for n, level in enumerate(ps.scp)]
        self.rcp = None if ps.rcp is None else [many(level, f"rcp level {n}") for n, level in enumerate(ps.rcp)]
        self.resource = many([ps.resource] if ps.resource is not None else [], "resource")
        self.vpc_endpoint = many(ps.vpc_endpoint, "vpc_endpoint")


def _checked(cp: CompiledPolicy, layer: str) -> CompiledPolicy:
    """Reject Principal where AWS forbids it and its absence where AWS requires it."""
    base = layer.split(" ")[0].split("[")[0]
    for s in cp.statements:
        if base in _IDENTITY_LAYERS and s.has_principal:
            raise PolicyError(
                f"policy {cp.id!r} statement {s.index}" + (f" (Sid {s.sid!r})" if s.sid else "")
                + f" field Principal: not allowed in policies of the {base} layer ({POLICY_TYPE_PHRASES.get(base, base)}); "
                "only resource-based, trust, RCP and VPC endpoint policies name principals"
            )
        if base == "resource" and not s.has_principal:
            raise PolicyError(
                f"policy {cp.id!r} statement {s.index}" + (f" (Sid {s.sid!r})" if s.sid else "")
                + " field Principal: a resource-based or trust policy statement must have Principal or NotPrincipal"
            )
    return cp


def _compiled_set(ps: PolicySet) -> _CompiledSet:
    key = id(ps)
    hit = _set_cache.get(key)
    if hit is not None and hit[0] is ps:
        return hit[1]
    cs = _CompiledSet(ps)
    if len(_set_cache) >= _CACHE_LIMIT:
        _set_cache.clear()
    _set_cache[key] = (ps, cs)
    return cs


def _context(raw: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Lower-cased key names (AWS compares them case-insensitively); values as tuples.

    Keys that differ only in case are merged (aws-facts 4.6: ``ec2`` and ``EC2``
    tags both match ``aws:ResourceTag/EC2``).
    """
    ctx: dict[str, tuple[str, ...]] = {}
    for k, v in raw.items():
        if isinstance(v, (list, tuple)):
            vals = tuple(value_text(x) for x in v)
        elif v is None:
            continue
        else:
            vals = (value_text(v),)
        kl = str(k).lower()
        ctx[kl] = ctx[kl] + vals if kl in ctx else vals
    return ctx


class _State:
    __slots__ = ("action_l", "resource", "ctx", "caller", "consulted")

    def __init__(self, action_l: str, resource: str, ctx: dict[str, tuple[str, ...]], caller: Caller) -> None:
        self.action_l, self.resource, self.ctx, self.caller = action_l, resource, ctx, caller
        self.consulted: set[str] = set()

    def lookup(self, key: str) -> tuple[str, ...] | None:
        self.consulted.add(key)
        return self.ctx.get(key) or None


def _check(s: Statement, layer: str, pid: str, st: _State, with_principal: bool) -> StatementResult:
    """Match one statement whose action already matched: resource, principal, conditions."""
    ok, reason, missing = s.match_resource(st.resource, st.lookup)
    if not ok:
        return StatementResult(layer, pid, s.index, s.sid, s.effect, False, "resource", reason, missing_context=missing)
    grant = None
    if with_principal:
        if s.principal is not None:
            grant = s.principal.match(st.caller, st.ctx)
            if grant is None:
                return StatementResult(layer, pid, s.index, s.sid, s.effect, False, "principal",
                                       f"caller {st.caller.raw} is not named in Principal {s.principal.entries}")
        elif s.not_principal is not None:
            if s.not_principal.excludes(st.caller):
                return StatementResult(layer, pid, s.index, s.sid, s.effect, False, "principal",
                                       f"caller {st.caller.raw} is listed (with all its identities) in NotPrincipal")
            grant = "wildcard"
        else:
            grant = "wildcard"  # RCP / VPC endpoint statement without Principal: taken as "*"
    if not s.conditions:
        return StatementResult(layer, pid, s.index, s.sid, s.effect, True, None, "matched", (), grant)
    ctx, lookup = st.ctx, st.lookup
    results: list[ConditionResult] = []
    for c in s.conditions:
        st.consulted.add(c.key_l)
        results.append(c.evaluate(ctx, lookup))
    missing_keys: list[str] = []
    failed: ConditionResult | None = None
    for r in results:
        if r.missing:
            missing_keys.append(r.key)
        if r.missing_variable:
            missing_keys.append(r.missing_variable)
        if failed is None and not r.matched:
            failed = r
    mk = tuple(dict.fromkeys(missing_keys))
    if failed is not None:
        return StatementResult(layer, pid, s.index, s.sid, s.effect, False, "condition",
                               f"condition {failed.operator} {failed.key} failed: {failed.reason}",
                               tuple(results), grant, mk)
    return StatementResult(layer, pid, s.index, s.sid, s.effect, True, None, "matched (conditions true)",
                           tuple(results), grant, mk)


class _LayerOut:
    __slots__ = ("result", "allows", "denies", "records")

    def __init__(self, result: LayerResult, allows: list[StatementResult], denies: list[StatementResult],
                 records: list[StatementResult]) -> None:
        self.result, self.allows, self.denies, self.records = result, allows, denies, records


def _eval_layer(layer: str, policies: list[CompiledPolicy], st: _State, with_principal: bool,
                level: int | None = None) -> _LayerOut:
    allows: list[StatementResult] = []
    denies: list[StatementResult] = []
    records: list[StatementResult] = []
    for cp in policies:
        recs = list(cp.miss_records(layer))
        for s in cp.statements_for(st.action_l):
            r = _check(s, layer, cp.id, st, with_principal)
            recs[s.index] = r
            if r.applies:
                (allows if s.allow else denies).append(r)
        records.extend(recs)
    outcome = "explicit_deny" if denies else ("allow" if allows else "implicit_deny")
    note = "" if policies else "no policy at this level: nothing is allowed"
    return _LayerOut(LayerResult(layer, outcome, tuple(records), level, note), allows, denies, records)


def _na(layer: str, note: str, level: int | None = None) -> LayerResult:
    return LayerResult(layer, "not_applicable", (), level, note)


def evaluate(request: Request | Mapping[str, Any], policies: PolicySet | Mapping[str, Any]) -> Decision:
    """Evaluate one request against its policy layers, as AWS would.

    ``request``: a ``Request`` (or its dict form); ``policies``: a ``PolicySet``
    (or the ``policies`` dict of the test-case format). Returns a ``Decision``.
    Raises ``PolicyError`` for malformed policies and ``InputError`` for an
    unusable request. Compiled policies are cached by object identity, so
    reuse the same ``PolicySet`` for many requests.
    """
    if not isinstance(request, Request):
        request = Request.from_dict(request)
    if not isinstance(policies, PolicySet):
        policies = PolicySet.from_dict(policies)
    cs = _compiled_set(policies)
    action = request.action
    if not isinstance(action, str) or (":" not in action):
        raise InputError(f"request action must look like service:Action (e.g. s3:GetObject), got {action!r}")
    ctx = _context(request.context or {})
    caller = parse_caller(request.principal, ctx)
    notes: list[str] = []
    for k, v in caller.derived.items():
        if k not in ctx and v:
            ctx[k] = (v,)
    resource = request.resource or "*"
    res_account = request.resource_account
    if not res_account and resource.startswith("arn:"):
        parts = resource.split(":", 5)
        if len(parts) == 6 and parts[4].isdigit():
            res_account = parts[4]
    if res_account and "aws:resourceaccount" not in ctx:
        ctx["aws:resourceaccount"] = (res_account,)
    if not res_account and caller.account:
        notes.append(f"resource account unknown: assumed to be the caller's account {caller.account}; "
                     "pass resource_account for a cross-account request")
        res_account = caller.account
    st = _State(action.lower(), resource, ctx, caller)

    trust = st.action_l in TRUST_ACTIONS and ":iam::" in resource and ":role/" in resource
    kms_key = st.action_l.startswith("kms:") and ":key/" in resource
    res_layer = "trust" if trust else "resource"
    kind = caller.kind
    identity_side = caller.has_identity_side
    layers: list[LayerResult] = []
    outs: dict[str, list[_LayerOut]] = {}

    def run(layer: str, pols: list[CompiledPolicy], with_principal: bool, level: int | None = None) -> None:
        out = _eval_layer(layer, pols, st, with_principal, level)
        outs.setdefault(layer, []).append(out)
        layers.append(out.result)

    # Identity-side layers.
    if cs.identity:
        if identity_side and kind != ROOT:
            run("identity", cs.identity, False)
        else:
            layers.append(_na("identity", f"identity policies do not apply to a {kind} caller"))
    if cs.permissions_boundary:
        if identity_side and kind != ROOT:
            run("permissions_boundary", cs.permissions_boundary, False)
        else:
            layers.append(_na("permissions_boundary", f"permissions boundaries do not apply to a {kind} caller"))
    if cs.session:
        if kind in SESSION_KINDS:
            run("session", cs.session, False)
        else:
            layers.append(_na("session", f"session policies only apply to role and federated-user sessions, not a {kind}"))
    if cs.scp is not None:
        if not identity_side:
            layers.append(_na("scp", f"SCPs apply to principals of member accounts, not a {kind} caller"))
        elif caller.slr:
            layers.append(_na("scp", f"SCPs do not apply to service-linked roles ({caller.slr_reason})"))
        else:
            for n, level in enumerate(cs.scp):
                run("scp", level, False, n)
    # Resource-owner-side layers.
    if cs.rcp is not None:
        if caller.slr:
            layers.append(_na("rcp", f"RCPs do not apply to service-linked roles ({caller.slr_reason})"))
        elif st.action_l == "kms:retiregrant":
            layers.append(_na("rcp", "RCPs do not apply to kms:RetireGrant"))
        else:
            for n, level in enumerate(cs.rcp):
                run("rcp", level, True, n)
    if cs.resource:
        run(res_layer, cs.resource, True)
    if cs.vpc_endpoint:
        run("vpc_endpoint", cs.vpc_endpoint, True)

    all_outs = [o for lst in outs.values() for o in lst]
    if kind == ROOT and cs.identity:
        notes.append("the root user has full access in its account; identity policies were not evaluated")
    if caller.kind in ("role_session",) and not caller.role_path_known and "aws:principalarn" in st.consulted:
        notes.append(f"aws:PrincipalArn was derived as {caller.role_arn} (a session ARN drops the role path); "
                     "pass aws:PrincipalArn in the context if the role has a path")

    denies = [r for o in all_outs for r in o.denies]
    if denies:
        denied_by = _ordered({r.layer for r in denies})
        firm = any(not r.missing_context for r in denies)
        missing = () if firm else _missing(denies + [r for o in all_outs for r in o.records if not r.applies])
        return _decision("explicit_deny", denied_by, tuple(denies), layers, missing, notes, request, res_account)

    def allowed(layer: str) -> bool:
        lst = outs.get(layer)
        return bool(lst) and all(o.allows for o in lst)

    common: list[str] = []
    if cs.vpc_endpoint and not allowed("vpc_endpoint"):
        common.append("vpc_endpoint")
    if "rcp" in outs and not allowed("rcp"):
        common.append("rcp")
    if "scp" in outs and not allowed("scp"):
        common.append("scp")

    res_allows = [r for o in outs.get(res_layer, []) for r in o.allows]
    grant = min((r.grant for r in res_allows if r.grant), key=_GRANT_RANK.__getitem__, default=None)
    id_ok = kind == ROOT or allowed("identity")
    pb_ok = "permissions_boundary" not in outs or allowed("permissions_boundary")
    if kind in SESSION_KINDS:
        if "session" in outs:
            sess_ok = allowed("session")
        else:
            sess_ok = kind != FEDERATED_USER
            if kind == FEDERATED_USER:
                notes.append("a federated user session without a session policy has no identity-based "
                             "permissions (aws-facts 4.1 step 8)")
    else:
        sess_ok = True
    limits = [n for n, ok in (("permissions_boundary", pb_ok), ("session", sess_ok)) if not ok]
    id_fail = ([] if id_ok else ["identity"]) + limits
    used: list[str]
    if not identity_side:
        failing, used = ([] if res_allows else [res_layer]), [res_layer]
    elif caller.account != res_account:
        failing = id_fail + ([] if res_allows else [res_layer])
        used = ["identity", "permissions_boundary", "session", res_layer]
        notes.append(f"cross-account request (caller account {caller.account}, resource account {res_account}): "
                     "both the caller's side and the resource policy must allow (aws-facts 4.3)")
    else:
        must_rp = trust or kms_key
        path_a = id_fail + ([res_layer] if must_rp and not res_allows else [])
        if grant in _UNLIMITED_GRANTS:
            path_b: list[str] = []
        elif grant == "role":
            path_b = list(limits)
        else:
            path_b = [res_layer]
        if len(path_b) < len(path_a):
            failing, used = path_b, [res_layer] + (["permissions_boundary", "session"] if grant == "role" else [])
        else:
            failing, used = path_a, ["identity", "permissions_boundary", "session"] + ([res_layer] if must_rp else [])
    failing = common + failing
    if not failing:
        used_layers = set(used) | {"vpc_endpoint", "rcp", "scp"}
        deciding = tuple(r for o in all_outs if o.result.layer in used_layers for r in o.allows)
        deny_missing = [r for o in all_outs for r in o.records if not r.applies and r.effect == "Deny"]
        missing = _missing(deny_missing + [r for r in deciding if r.missing_context])
        return _decision("allow", (), deciding, layers, missing, notes, request, res_account)
    denied_by = _ordered(set(failing))
    allow_missing = [r for o in all_outs for r in o.records if not r.applies and r.effect == "Allow"]
    missing = _missing(allow_missing)
    return _decision("implicit_deny", denied_by, (), layers, missing, notes, request, res_account)


def _ordered(names: set[str]) -> tuple[str, ...]:
    return tuple(n for n in NAMING_ORDER if n in names)


def _missing(records: list[StatementResult]) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for r in records:
        for k in r.missing_context:
            keys[k] = None
    return tuple(keys)


def _decision(decision: str, denied_by: tuple[str, ...], deciding: tuple[StatementResult, ...],
              layers: list[LayerResult], missing: tuple[str, ...], notes: list[str], request: Request,
              res_account: str | None) -> Decision:
    if missing:
        notes = notes + [
            "the decision depends on context keys the request does not carry ("
            + ", ".join(missing) + "); with them present the answer may differ"
        ]
    return Decision(
        decision=decision,
        denied_by=denied_by,
        policy_type=POLICY_TYPE_PHRASES[denied_by[0]] if denied_by else None,
        deciding=deciding,
        layers=tuple(layers),
        missing_context=missing,
        notes=tuple(notes),
        principal=request.principal,
        action=request.action,
        resource=request.resource,
        resource_account=res_account,
    )
