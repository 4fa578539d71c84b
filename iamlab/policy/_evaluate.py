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
from iamlab.policy._caller import FEDERATED_USER, ROLE_SESSION, ROOT, SESSION_KINDS, Caller, parse_caller
from iamlab.policy._compile import CompiledPolicy, Statement
from iamlab.policy._conditions import value_text
from iamlab.policy.decision import NAMING_ORDER, POLICY_TYPE_PHRASES, Decision, make_decision
from iamlab.policy.request import Policy, PolicySet, Request

TRUST_ACTIONS = frozenset({
    "sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
    "sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
})
_UNLIMITED_GRANTS = frozenset({"session", "user", "wildcard", "service", "federated", "canonical_user"})
_GRANT_RANK = {"session": 0, "user": 0, "federated": 0, "canonical_user": 0, "service": 1, "wildcard": 2,
               "role": 3, "account": 4}
_IDENTITY_LAYERS = ("identity", "permissions_boundary", "session", "scp")
_ORG_LAYERS = ("vpc_endpoint", "rcp", "scp")
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
    """A PolicySet with every document compiled, checked for its layer and indexed."""

    __slots__ = ("identity", "permissions_boundary", "session", "scp", "rcp", "resource", "vpc_endpoint",
                 "trust", "trust_error", "plans")

    def __init__(self, ps: PolicySet) -> None:
        def many(items: Any, layer: str) -> list[CompiledPolicy]:
            return [_checked(compile_policy(p, f"{layer}[{i}]"), layer) for i, p in enumerate(items or ())]

        def index(layer: str, pols: list[CompiledPolicy], with_principal: bool) -> _LayerIndex | None:
            return _LayerIndex(layer, pols, with_principal, None) if pols else None

        self.identity = index("identity", many(ps.identity, "identity"), False)
        self.permissions_boundary = index("permissions_boundary",
                                          many(ps.permissions_boundary, "permissions_boundary"), False)
        self.session = index("session", many([ps.session] if ps.session is not None else [], "session"), False)
        self.scp = None if ps.scp is None else [
            _LayerIndex("scp", many(level, f"scp[{n}]"), False, n) for n, level in enumerate(ps.scp)]
        self.rcp = None if ps.rcp is None else [
            _LayerIndex("rcp", many(level, f"rcp[{n}]"), True, n) for n, level in enumerate(ps.rcp)]
        res = many([ps.resource] if ps.resource is not None else [], "resource")
        self.resource = index("resource", res, True)
        self.trust = index("trust", res, True)
        # aws-facts 4.5: NotPrincipal is not allowed in role trust policies.
        self.trust_error = next((
            f"policy {cp.id!r} statement {st.index}" + (f" (Sid {st.sid!r})" if st.sid else "")
            + " field NotPrincipal: not allowed in a role trust policy; name the principals in Principal"
            for cp in res for st in cp.statements if st.not_principal is not None), None)
        self.vpc_endpoint = index("vpc_endpoint", many(ps.vpc_endpoint, "vpc_endpoint"), True)
        self.plans: dict[tuple, tuple] = {}


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
        if type(v) is str:
            vals: tuple[str, ...] = (v,)
        elif isinstance(v, (list, tuple)):
            vals = tuple(value_text(x) for x in v)
        elif v is None:
            continue
        else:
            vals = (value_text(v),)
        kl = k.lower()
        if kl in ctx:
            vals = ctx[kl] + vals
        ctx[kl] = vals
    return ctx


_caller_cache: dict[tuple[str, str | None], Caller] = {}


def _caller(principal: str, ctx: dict[str, tuple[str, ...]]) -> Caller:
    """Parsed callers are immutable once built: cache them by principal and role ARN."""
    given = ctx.get("aws:principalarn")
    key = (principal, given[0] if given else None)
    c = _caller_cache.get(key)
    if c is None:
        c = parse_caller(principal, ctx)
        if len(_caller_cache) >= _CACHE_LIMIT:
            _caller_cache.clear()
        _caller_cache[key] = c
    return c


class _LayerIndex:
    """The statements of one layer (or level), indexed by action, with their 'no' records.

    A statement that applies to any resource, any caller and has no condition
    gets its 'applies' record precomputed too: matching it costs nothing.
    """

    __slots__ = ("layer", "base", "statements", "with_principal", "cache", "level", "note")

    def __init__(self, layer: str, policies: list[CompiledPolicy], with_principal: bool, level: int | None) -> None:
        self.layer, self.with_principal, self.level = layer, with_principal, level
        base: list[tuple] = []
        self.statements: list[tuple[int, str, Statement, tuple | None]] = []
        for cp in policies:
            for s, rec in zip(cp.statements, cp.miss_records(layer)):
                always = None
                any_resource = s.resources is None or (not s.not_resource and "*" in s.resources)
                if with_principal:
                    p = s.principal
                    any_caller = (p is None and s.not_principal is None) or (
                        p is not None and p.wildcard and len(p.entries) == 1)
                else:
                    any_caller = True
                if any_resource and any_caller and not s.conditions:
                    always = (layer, cp.id, s.index, s.sid, s.effect, True, None, "matched", (),
                              "wildcard" if with_principal else None, ())
                self.statements.append((len(base), cp.id, s, always))
                base.append(rec)
        self.base = tuple(base)
        self.cache: dict[str, tuple[tuple[int, str, Statement, tuple | None], ...]] = {}
        self.note = "" if policies else "no policy at this level: nothing is allowed"

    def candidates(self, action_l: str) -> tuple[tuple, tuple | None]:
        """(statements matching the action, precomputed outcome when none depends on the request).

        The outcome is (layer record, applying Allows, applying Denies); it exists
        when every matching statement is an 'always' statement (e.g. FullAWSAccess).
        """
        hit = self.cache.get(action_l)
        if hit is None:
            cands = tuple(e for e in self.statements if (e[2].action_rx.match(action_l) is None) == e[2].not_action)
            static = None
            if all(e[3] is not None for e in cands):
                allows = tuple(e[3] for e in cands if e[2].allow)
                denies = tuple(e[3] for e in cands if not e[2].allow)
                outcome = "explicit_deny" if denies else ("allow" if allows else "implicit_deny")
                repl = tuple((e[0], e[3]) for e in cands)
                static = ((self.layer, outcome, self.base, self.level, self.note, repl), allows, denies)
            if len(self.cache) >= 4096:
                self.cache.clear()
            hit = self.cache[action_l] = (cands, static)
        return hit


def _plan(cs: _CompiledSet, caller: Caller, retire_grant: bool, trust: bool) -> tuple:
    """The layers to evaluate for this kind of caller, in order (cached per compiled set).

    Each step is a ``_LayerIndex`` to evaluate or the record of a layer that
    does not apply (root: no identity policies; SCP/RCP exemptions, 4.4).
    """
    key = (caller.kind, caller.slr_reason, retire_grant, trust)
    plan = cs.plans.get(key)
    if plan is not None:
        return plan
    kind = caller.kind
    person = caller.has_identity_side and kind != ROOT
    steps: list[Any] = []
    if cs.identity is not None:
        steps.append(cs.identity if person else _na("identity", f"identity policies do not apply to a {kind} caller"))
    if cs.permissions_boundary is not None:
        steps.append(cs.permissions_boundary if person else
                     _na("permissions_boundary", f"permissions boundaries do not apply to a {kind} caller"))
    if cs.session is not None:
        steps.append(cs.session if kind in SESSION_KINDS else
                     _na("session", f"session policies only apply to role and federated-user sessions, not a {kind}"))
    if cs.scp is not None:
        if not caller.has_identity_side:
            steps.append(_na("scp", f"SCPs apply to principals of member accounts, not a {kind} caller"))
        elif caller.slr:
            steps.append(_na("scp", f"SCPs do not apply to service-linked roles ({caller.slr_reason})"))
        else:
            steps.extend(cs.scp)
    if cs.rcp is not None:
        if caller.slr:
            steps.append(_na("rcp", f"RCPs do not apply to service-linked roles ({caller.slr_reason})"))
        elif retire_grant:
            steps.append(_na("rcp", "RCPs do not apply to kms:RetireGrant"))
        else:
            steps.extend(cs.rcp)
    res_ix = cs.trust if trust else cs.resource
    if res_ix is not None:
        steps.append(res_ix)
    if cs.vpc_endpoint is not None:
        steps.append(cs.vpc_endpoint)
    plan = cs.plans[key] = tuple(steps)
    return plan


def _check(s: Statement, layer: str, pid: str, resource: str, ctx: dict[str, tuple[str, ...]], caller: Caller,
           with_principal: bool) -> tuple:
    """Match one statement whose action already matched: resource, principal, conditions.

    Returns the statement's record (``StatementResult`` field order); item 5 is the verdict.
    """
    lookup = ctx.get
    if s.resources is not None and (s.resource_templates or s.not_resource or s.resource_rx.match(resource) is None):
        ok, reason, missing = s.match_resource(resource, lookup)
        if not ok:
            return (layer, pid, s.index, s.sid, s.effect, False, "resource", reason, (), None, missing)
    grant = None
    if with_principal:
        if s.principal is not None:
            grant = s.principal.match(caller, ctx)
            if grant is None:
                return (layer, pid, s.index, s.sid, s.effect, False, "principal",
                        f"caller {caller.raw} is not named in Principal {s.principal.entries}", (), None, ())
        elif s.not_principal is not None:
            if s.not_principal.excludes(caller):
                return (layer, pid, s.index, s.sid, s.effect, False, "principal",
                        f"caller {caller.raw} is listed (with all its identities) in NotPrincipal", (), None, ())
            grant = "wildcard"
        else:
            grant = "wildcard"  # RCP / VPC endpoint statement without Principal: taken as "*"
    if not s.conditions:
        return (layer, pid, s.index, s.sid, s.effect, True, None, "matched", (), grant, ())
    results = tuple([c.evaluate(ctx, lookup) for c in s.conditions])
    failed = None
    missing_keys: list[str] = []
    for r in results:
        if r[6]:
            missing_keys.append(r[1])
        if r[7]:
            missing_keys.append(r[7])
        if failed is None and not r[4]:
            failed = r
    mk = tuple(dict.fromkeys(missing_keys)) if missing_keys else ()
    if failed is not None:
        return (layer, pid, s.index, s.sid, s.effect, False, "condition",
                f"condition {failed[0]} {failed[1]} failed: {failed[5]}", results, grant, mk)
    return (layer, pid, s.index, s.sid, s.effect, True, None, "matched (conditions true)", results, grant, mk)


def _eval_layer(ix: _LayerIndex, action_l: str, resource: str, ctx: dict[str, tuple[str, ...]],
                caller: Caller, allows: list[tuple], denies: list[tuple], checked: list[tuple]) -> tuple:
    """Evaluate one layer/level; append to ``allows``/``denies``/``checked``; return its record.

    The layer record is (layer, outcome, 'no' records, level, note, replacements):
    the records of statements that matched the action replace their 'no' record
    when the Decision is read, so nothing is copied on the hot path.
    """
    cands, static = ix.candidates(action_l)
    if static is not None:
        rec, a, d = static
        if a:
            allows.extend(a)
        if d:
            denies.extend(d)
        return rec
    layer, wp = ix.layer, ix.with_principal
    repl = []
    n_allow = n_deny = 0
    for pos, pid, s, always in cands:
        r = always if always is not None else _check(s, layer, pid, resource, ctx, caller, wp)
        repl.append((pos, r))
        if r[5]:
            if s.allow:
                allows.append(r)
                n_allow += 1
            else:
                denies.append(r)
                n_deny += 1
        else:
            checked.append(r)
    outcome = "explicit_deny" if n_deny else ("allow" if n_allow else "implicit_deny")
    return (layer, outcome, ix.base, ix.level, ix.note, repl)


def _na(layer: str, note: str, level: int | None = None) -> tuple:
    return (layer, "not_applicable", (), level, note, ())


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
    if not isinstance(action, str) or ":" not in action:
        raise InputError(f"request action must look like service:Action (e.g. s3:GetObject), got {action!r}")
    ctx = _context(request.context) if request.context else {}
    caller = _caller(request.principal, ctx)
    notes: list[str] = []
    for k, v in caller.derived_items:
        if k not in ctx:
            ctx[k] = v
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
    action_l = action.lower()
    trust = action_l in TRUST_ACTIONS and ":role/" in resource and ":iam::" in resource
    kms_key = action_l.startswith("kms:") and ":key/" in resource
    res_layer = "trust" if trust else "resource"
    if trust and cs.trust_error and cs.trust is not None:
        raise PolicyError(cs.trust_error)
    kind = caller.kind
    identity_side = caller.has_identity_side
    layers: list[tuple] = []
    allows: list[tuple] = []
    denies: list[tuple] = []
    checked: list[tuple] = []
    ok: dict[str, bool] = {}  # layer -> every level of it has an applying Allow
    res_allows: list[tuple] = []
    for step in _plan(cs, caller, action_l == "kms:retiregrant", trust):
        if step.__class__ is tuple:  # a layer that does not apply to this caller
            layers.append(step)
            continue
        before = len(allows)
        layers.append(_eval_layer(step, action_l, resource, ctx, caller, allows, denies, checked))
        name = step.layer
        ok[name] = ok.get(name, True) and len(allows) > before
        if name == res_layer:
            res_allows = allows[before:]

    if kind == ROOT and cs.identity is not None:
        notes.append("the root user has full access in its account; identity policies were not evaluated")
    if kind == ROLE_SESSION and not caller.role_path_known and any(
            c[1].lower() == "aws:principalarn" for r in allows + denies + checked for c in r[8]):
        notes.append(f"aws:PrincipalArn was derived as {caller.role_arn} (a session ARN drops the role path); "
                     "pass aws:PrincipalArn in the context if the role has a path")

    def finish(decision: str, denied_by: tuple[str, ...], deciding: tuple, missing: tuple[str, ...]) -> Decision:
        if missing:
            notes.append("the decision depends on context keys the request does not carry ("
                         + ", ".join(missing) + "); with them present the answer may differ")
        return make_decision(decision, denied_by, POLICY_TYPE_PHRASES[denied_by[0]] if denied_by else None,
                             missing, tuple(notes), request.principal, action, resource, res_account,
                             tuple(layers), deciding)

    if denies:
        firm = any(not r[10] for r in denies)
        missing = () if firm else _missing(denies + checked)
        return finish("explicit_deny", _ordered({r[0] for r in denies}), tuple(denies), missing)

    common = [n for n in ("vpc_endpoint", "rcp", "scp") if ok.get(n) is False]
    grant = min((r[9] for r in res_allows if r[9]), key=_GRANT_RANK.__getitem__, default=None)
    id_ok = kind == ROOT or ok.get("identity", False)
    pb_ok = ok.get("permissions_boundary", True)
    if kind in SESSION_KINDS:
        if "session" in ok:
            sess_ok = ok["session"]
        else:
            sess_ok = kind != FEDERATED_USER
            if kind == FEDERATED_USER:
                notes.append("a federated user session without a session policy has no identity-based "
                             "permissions (aws-facts 4.1 step 8)")
    else:
        sess_ok = True
    limits = [n for n, good in (("permissions_boundary", pb_ok), ("session", sess_ok)) if not good]
    id_fail = limits if id_ok else ["identity"] + limits
    if not identity_side:
        failing, used = ([] if res_allows else [res_layer]), (res_layer,)
    elif caller.account != res_account:
        failing = id_fail + ([] if res_allows else [res_layer])
        used = ("identity", "permissions_boundary", "session", res_layer)
        notes.append(f"cross-account request (caller account {caller.account}, resource account {res_account}): "
                     "both the caller's side and the resource policy must allow (aws-facts 4.3)")
    else:
        must_rp = trust or kms_key
        path_a = id_fail + [res_layer] if must_rp and not res_allows else id_fail
        if grant in _UNLIMITED_GRANTS:
            path_b: list[str] = []
        elif grant == "role":
            path_b = limits
        else:
            path_b = [res_layer]
        if len(path_b) < len(path_a):
            failing = path_b
            used = (res_layer, "permissions_boundary", "session") if grant == "role" else (res_layer,)
        else:
            failing = path_a
            used = ("identity", "permissions_boundary", "session", res_layer) if must_rp else \
                ("identity", "permissions_boundary", "session")
    if common:
        failing = common + failing
    if not failing:
        deciding = tuple(r for r in allows if r[0] in used or r[0] in _ORG_LAYERS)
        missing = _missing([r for r in checked if r[4] == "Deny" and r[10]] + [r for r in deciding if r[10]])
        return finish("allow", (), deciding, missing)
    missing = _missing([r for r in checked if r[4] == "Allow" and r[10]])
    return finish("implicit_deny", _ordered(set(failing)), (), missing)


def _ordered(names: set[str]) -> tuple[str, ...]:
    return tuple(n for n in NAMING_ORDER if n in names)


def _missing(records: list[tuple]) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for r in records:
        for k in r[10]:
            keys[k] = None
    return tuple(keys)
