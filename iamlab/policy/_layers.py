"""Compiled policy sets and the per-layer statement matching used by ``evaluate``.

A ``PolicySet`` is compiled once (cached by object identity: it is frozen, and
its ``Policy`` objects carry their own copy of the content) into per-layer
indexes: statements grouped by the action they match, with precomputed
records for statements that cannot depend on the request. ``eval_layer``
matches one layer and returns its ``LayerRecord``; ``check_statement`` matches
one statement (resource, principal, conditions) and returns its
``StatementResult`` (the verdict is ``applies``). ``action_plan`` lists the
``Step``s of one kind of caller and one action.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from iamlab.errors import PolicyError
from iamlab.policy._caller import ROLE, ROLE_SESSION, ROOT, SESSION_KINDS, USER, Caller
from iamlab.policy._compile import CompiledPolicy, Statement
from iamlab.policy.decision import (
    IDENTITY_SIDE,
    NO_PRINCIPAL,
    POLICY_TYPE_PHRASES,
    LayerRecord,
    StatementResult,
    new,
    not_applicable,
)
from iamlab.policy.request import Policy, PolicySet
from iamlab.policy.special import Quirks

_BOUNDED_KINDS = frozenset({USER, ROLE_SESSION, ROLE})
_BOUNDED_MATCH = (
    "matched: a Deny with NotPrincipal applies to a caller with a permissions boundary whatever "
    "NotPrincipal names (IAM User Guide, NotPrincipal)"
)
_CACHE_LIMIT = 20000
_policy_cache: dict[int, tuple[Any, CompiledPolicy]] = {}
_doc_cache: dict[tuple[str, str], CompiledPolicy] = {}
_set_cache: dict[int, tuple[Any, _CompiledSet]] = {}


def compile_policy(
    policy: Policy | Mapping[str, Any] | str, default_id: str = ""
) -> CompiledPolicy:
    """The compiled form of ``policy``, cached by content.

    A ``Policy`` carries its content (canonical JSON text, taken when it was
    created), so the first cache, by the identity of the ``Policy`` object,
    can never hand back the compiled form of other content. The second is
    keyed by that content and the policy id, so new ``Policy`` wrappers around
    the same document (as a snapshot loader builds per principal) reuse the
    compiled form. A bare document is wrapped (and so copied) first.
    """
    key = id(policy)
    hit = _policy_cache.get(key)
    if hit is not None and hit[0] is policy:
        return hit[1]
    if not isinstance(policy, Policy):
        policy = Policy(document=policy, id=default_id)
    pid = policy.id or policy.name or default_id
    doc_key = (policy.content, pid)
    dhit = _doc_cache.get(doc_key)
    if dhit is not None:
        cp = dhit
    else:
        cp = CompiledPolicy(policy.content, pid)
        if len(_doc_cache) >= _CACHE_LIMIT:
            _doc_cache.clear()
        _doc_cache[doc_key] = cp
    if len(_policy_cache) >= _CACHE_LIMIT:
        _policy_cache.clear()
    _policy_cache[key] = (policy, cp)
    return cp


class _CompiledSet:
    """A PolicySet with every document compiled, checked for its layer and indexed."""

    __slots__ = (
        "identity",
        "permissions_boundary",
        "session",
        "scp",
        "rcp",
        "resource",
        "vpc_endpoint",
        "trust",
        "trust_error",
        "plans",
        "action_plans",
        "uses_principal_arn",
        "memo",
        "decisions",
    )

    def __init__(self, ps: PolicySet) -> None:
        def many(items: Any, layer: str) -> list[CompiledPolicy]:
            return [
                _checked(compile_policy(p, f"{layer}[{i}]"), layer)
                for i, p in enumerate(items or ())
            ]

        def index(
            layer: str, pols: list[CompiledPolicy], with_principal: bool
        ) -> _LayerIndex | None:
            return _LayerIndex(layer, pols, with_principal, None) if pols else None

        self.identity = index("identity", many(ps.identity, "identity"), False)
        self.permissions_boundary = index(
            "permissions_boundary", many(ps.permissions_boundary, "permissions_boundary"), False
        )
        self.session = index(
            "session", many([ps.session] if ps.session is not None else [], "session"), False
        )

        def levels(layer: str, value: Any) -> list[_LayerIndex] | None:
            if value is None:
                return None
            with_principal = layer not in NO_PRINCIPAL
            return [
                _LayerIndex(layer, many(level, f"{layer}[{n}]"), with_principal, n)
                for n, level in enumerate(value)
            ]

        self.scp = levels("scp", ps.scp)
        self.rcp = levels("rcp", ps.rcp)
        res = many([ps.resource] if ps.resource is not None else [], "resource")
        self.resource = index("resource", res, True)
        self.trust = index("trust", res, True)
        # aws-facts 4.5: NotPrincipal is not allowed in role trust policies.
        self.trust_error = next(
            (
                f"policy {cp.id!r} statement {st.index}"
                + (f" (Sid {st.sid!r})" if st.sid else "")
                + " field NotPrincipal: not allowed in a role trust policy; name the principals "
                "in Principal"
                for cp in res
                for st in cp.statements
                if st.not_principal is not None
            ),
            None,
        )
        self.vpc_endpoint = index("vpc_endpoint", many(ps.vpc_endpoint, "vpc_endpoint"), True)
        if self.permissions_boundary is not None:
            for ix in (self.trust, *self.indexes()):
                if ix is not None and ix.with_principal:
                    ix.bounded = True
        self.plans: dict[tuple, tuple] = {}
        self.action_plans: dict[tuple, tuple] = {}
        # The outcome of a whole plan (every layer) by the inputs it depends on:
        # see action_plan; filled and read by evaluate.
        self.memo = SecondSight()
        # The Decision by every input it depends on: filled and read by evaluate.
        self.decisions = SecondSight()
        # Whether any condition or variable reads aws:PrincipalArn (for the path note).
        self.uses_principal_arn = any(
            _reads_principal_arn(e.statement) for ix in self.indexes() for e in ix.statements
        )

    def indexes(self) -> list[_LayerIndex]:
        """Every layer index (SCP/RCP: each level); the trust index is the resource's."""
        single = (
            self.identity,
            self.permissions_boundary,
            self.session,
            self.resource,
            self.vpc_endpoint,
        )
        levels = (*(self.scp or ()), *(self.rcp or ()))
        return [ix for ix in (*single, *levels) if ix is not None]


class SecondSight:
    """A memo that keeps a value the second time its key is offered.

    Most requests are seen once: keeping their outcomes would hold many records
    for nothing. A key seen once is kept as its hash only (an int, which the
    garbage collector never traces); a hash shared by two keys only makes one
    of them kept a sight early, never answers for the other. Both sets hold at
    most ``limit`` entries (emptied when full). ``get`` is the dict's own.
    """

    __slots__ = ("kept", "once", "limit", "get")

    def __init__(self, limit: int = 8192) -> None:
        self.kept: dict[tuple, Any] = {}
        self.once: set[int] = set()
        self.limit = limit
        self.get = self.kept.get

    def offer(self, key: tuple, value: Any) -> None:
        """Keep ``value`` if ``key`` was offered before, else remember that it was."""
        h = hash(key)
        if h in self.once:
            if len(self.kept) >= self.limit:
                self.kept.clear()
            self.kept[key] = value
        else:
            if len(self.once) >= self.limit:
                self.once.clear()
            self.once.add(h)


def _reads_principal_arn(st: Statement) -> bool:
    key = "aws:principalarn"
    return any(
        c.key_l == key or any(key in t.variables for t in (c._templates or ()))
        for c in st.conditions
    ) or any(key in t.variables for t in st.resource_templates)


def _checked(cp: CompiledPolicy, layer: str) -> CompiledPolicy:
    """Reject Principal where AWS forbids it and its absence where AWS requires it."""
    base = layer.split(" ")[0].split("[")[0]
    for s in cp.statements:
        if base in NO_PRINCIPAL and s.has_principal:
            raise PolicyError(
                f"policy {cp.id!r} statement {s.index}"
                + (f" (Sid {s.sid!r})" if s.sid else "")
                + f" field Principal: not allowed in policies of the {base} layer "
                f"({POLICY_TYPE_PHRASES.get(base, base)}); "
                "only resource-based, trust, RCP and VPC endpoint policies name principals"
            )
        if base in IDENTITY_SIDE and s.resources is None:
            # AWS rejects such documents (from memory: "Policy statement must contain
            # resources"); evaluating them would allow every resource.
            raise PolicyError(
                f"policy {cp.id!r} statement {s.index}"
                + (f" (Sid {s.sid!r})" if s.sid else "")
                + f" field Resource: a statement in a {POLICY_TYPE_PHRASES.get(base, base)} "
                'needs Resource or NotResource (e.g. "Resource": "*")'
            )
        if base == "resource" and not s.has_principal:
            raise PolicyError(
                f"policy {cp.id!r} statement {s.index}"
                + (f" (Sid {s.sid!r})" if s.sid else "")
                + " field Principal: a resource-based or trust policy statement must have "
                "Principal or NotPrincipal"
            )
    return cp


def compiled_set(ps: PolicySet) -> _CompiledSet:
    key = id(ps)
    hit = _set_cache.get(key)
    if hit is not None and hit[0] is ps:
        return hit[1]
    cs = _CompiledSet(ps)
    if len(_set_cache) >= _CACHE_LIMIT:
        _set_cache.clear()
    _set_cache[key] = (ps, cs)
    return cs


class Entry(NamedTuple):
    """A statement of a layer index: its position among the layer's 'no' records, its
    policy, and its precomputed 'applies' record when nothing in the request can change it."""

    pos: int
    policy_id: str
    statement: Statement
    always: StatementResult | None


class Fixed(NamedTuple):
    """The outcome of a layer that cannot depend on the request (e.g. FullAWSAccess)."""

    record: LayerRecord
    allows: tuple[StatementResult, ...]
    denies: tuple[StatementResult, ...]


class _LayerIndex:
    """The statements of one layer (or level), indexed by action, with their 'no' records.

    A statement that applies to any resource, any caller and has no condition
    gets its 'applies' record precomputed too: matching it costs nothing.
    """

    __slots__ = (
        "layer",
        "base",
        "statements",
        "with_principal",
        "cache",
        "level",
        "note",
        "bounded",
    )

    def __init__(
        self, layer: str, policies: list[CompiledPolicy], with_principal: bool, level: int | None
    ) -> None:
        self.layer, self.with_principal, self.level = layer, with_principal, level
        self.bounded = False  # the caller has a permissions boundary (see check_statement)
        base: list[StatementResult] = []
        self.statements: list[Entry] = []
        for cp in policies:
            for s, rec in zip(cp.statements, cp.miss_records(layer), strict=True):
                always = None
                any_resource = s.resources is None or (not s.not_resource and "*" in s.resources)
                if with_principal:
                    p = s.principal
                    any_caller = (p is None and s.not_principal is None) or (
                        p is not None and p.wildcard and len(p.entries) == 1
                    )
                else:
                    any_caller = True
                if any_resource and any_caller and not s.conditions:
                    always = StatementResult(
                        layer,
                        cp.id,
                        s.index,
                        s.sid,
                        s.effect,
                        True,
                        None,
                        "matched",
                        (),
                        "wildcard" if with_principal else None,
                        (),
                    )
                self.statements.append(Entry(len(base), cp.id, s, always))
                base.append(rec)
        self.base = tuple(base)
        self.cache: dict[str, tuple[tuple[Entry, ...], Fixed | None]] = {}
        self.note = "" if policies else "no policy at this level: nothing is allowed"

    def candidates(self, action_l: str) -> tuple[tuple[Entry, ...], Fixed | None]:
        """(statements matching the action, the ``Fixed`` outcome when every one of them is
        an 'always' statement and so none depends on the request)."""
        hit = self.cache.get(action_l)
        if hit is None:
            cands = tuple(
                e
                for e in self.statements
                if (e.statement.action_rx.match(action_l) is None) == e.statement.not_action
            )
            static = None
            known = [(e, e.always) for e in cands if e.always is not None]
            if len(known) == len(cands):
                allows = tuple(r for e, r in known if e.statement.allow)
                denies = tuple(r for e, r in known if not e.statement.allow)
                outcome = "explicit_deny" if denies else ("allow" if allows else "implicit_deny")
                repl = tuple((e.pos, r) for e, r in known)
                record = LayerRecord(self.layer, outcome, self.base, self.level, self.note, repl)
                static = Fixed(record, allows, denies)
            if len(self.cache) >= 4096:
                self.cache.clear()
            hit = self.cache[action_l] = (cands, static)
        return hit


SKIP, FIXED, MATCH = "skip", "fixed", "match"


class Step(NamedTuple):
    """One layer of an action plan and how ``evaluate`` takes it: ``SKIP``, a layer that
    does not apply (its ``record`` says why); ``FIXED``, a layer whose outcome cannot
    depend on the request (``fixed``); ``MATCH``, a layer to match (``layer_index``, with its
    statements matching the action in ``cands``)."""

    how: str
    layer: str
    record: LayerRecord | None = None
    fixed: Fixed | None = None
    layer_index: _LayerIndex | None = None
    cands: tuple[Entry, ...] = ()


def action_plan(
    cs: _CompiledSet, caller: Caller, action_l: str, q: Quirks
) -> tuple[tuple[Step, ...], tuple[str, ...] | None]:
    """The steps for this kind of caller and this action, cached per compiled set.

    Also returns the context keys every step's outcome depends on (None when a
    step cannot be memoized): with the action, resource and caller they
    determine the outcome.
    """
    key = (caller.kind, caller.slr_reason, action_l, q.resource_layer, q.rcp_exempt)
    hit = cs.action_plans.get(key)
    if hit is None:
        out = []
        all_keys: dict[str, None] | None = {}
        for layer in plan(cs, caller, q.rcp_exempt, q.trust):
            if isinstance(layer, LayerRecord):
                out.append(Step(SKIP, layer.layer, record=layer))
                continue
            cands, fixed = layer.candidates(action_l)
            if fixed is not None:
                out.append(Step(FIXED, layer.layer, fixed=fixed))
            else:
                keys = _memo_keys(layer, cands)
                if keys is None:
                    all_keys = None
                elif all_keys is not None:
                    all_keys.update(dict.fromkeys(keys))
                out.append(Step(MATCH, layer.layer, layer_index=layer, cands=cands))
        if len(cs.action_plans) >= 4096:
            cs.action_plans.clear()
        hit = cs.action_plans[key] = (tuple(out), None if all_keys is None else tuple(all_keys))
    return hit


def plan(
    cs: _CompiledSet, caller: Caller, rcp_exempt: str, trust: bool
) -> tuple[_LayerIndex | LayerRecord, ...]:
    """The layers to evaluate for this kind of caller, in order (cached per compiled set).

    Each is a ``_LayerIndex`` to evaluate or the ``LayerRecord`` of a layer that
    does not apply (root: no identity policies; SCP/RCP exemptions, 4.4).
    """
    key = (caller.kind, caller.slr_reason, rcp_exempt, trust)
    plan = cs.plans.get(key)
    if plan is not None:
        return plan
    kind = caller.kind
    person = caller.has_identity_side and kind != ROOT
    steps: list[_LayerIndex | LayerRecord] = []
    if cs.identity is not None:
        steps.append(
            cs.identity
            if person
            else not_applicable("identity", f"identity policies do not apply to a {kind} caller")
        )
    if cs.permissions_boundary is not None:
        steps.append(
            cs.permissions_boundary
            if person
            else not_applicable(
                "permissions_boundary", f"permissions boundaries do not apply to a {kind} caller"
            )
        )
    if cs.session is not None:
        steps.append(
            cs.session
            if kind in SESSION_KINDS
            else not_applicable(
                "session",
                f"session policies only apply to role and federated-user sessions, not a {kind}",
            )
        )
    if cs.scp is not None:
        if not caller.has_identity_side:
            steps.append(
                not_applicable(
                    "scp", f"SCPs apply to principals of member accounts, not a {kind} caller"
                )
            )
        elif caller.slr:
            steps.append(
                not_applicable(
                    "scp", f"SCPs do not apply to service-linked roles ({caller.slr_reason})"
                )
            )
        else:
            steps.extend(cs.scp)
    if cs.rcp is not None:
        if caller.slr:
            steps.append(
                not_applicable(
                    "rcp", f"RCPs do not apply to service-linked roles ({caller.slr_reason})"
                )
            )
        elif rcp_exempt:
            steps.append(not_applicable("rcp", rcp_exempt))
        else:
            steps.extend(cs.rcp)
    res_ix = cs.trust if trust else cs.resource
    if res_ix is not None:
        steps.append(res_ix)
    if cs.vpc_endpoint is not None:
        steps.append(cs.vpc_endpoint)
    plan = cs.plans[key] = tuple(steps)
    return plan


def _memo_keys(ix: _LayerIndex, cands: tuple[Entry, ...]) -> tuple[str, ...] | None:
    """The context keys a layer's outcome depends on, or None if it cannot be memoized.

    Its outcome is then a function of the action, the resource, the caller
    (as ``PrincipalSpec.match`` caches it: raw principal and role ARN), the
    caller's known-absent keys and these keys' values only. Policy variables
    read arbitrary keys, so a layer using them is not memoized.
    """
    keys: dict[str, None] = {}
    for e in cands:
        if e.always is not None:
            continue
        s = e.statement
        if s.resource_templates:
            return None
        if ix.with_principal:
            for spec in (s.principal, s.not_principal):
                if spec is not None and spec.unique_ids:
                    keys["aws:userid"] = None
                if spec is not None and spec.canonical:
                    keys["aws:canonicaluser"] = None
        for c in s.conditions:
            if not c.context_only:
                return None
            keys[c.key_l] = None
    return tuple(keys)


def _not_applied(
    s: Statement, layer: str, pid: str, failed_on: str, reason: str, missing: tuple = ()
) -> StatementResult:
    """Record of a statement ruled out by resource or principal."""
    return new(
        StatementResult,
        (layer, pid, s.index, s.sid, s.effect, False, failed_on, reason, (), None, missing),
    )


def check_statement(
    s: Statement,
    layer: str,
    pid: str,
    resource: str,
    ctx: dict[str, tuple[str, ...]],
    caller: Caller,
    with_principal: bool,
    bounded: bool = False,
) -> StatementResult:
    """Match one statement whose action already matched: resource, principal, conditions.

    ``bounded``: the caller has a permissions boundary; a Deny with NotPrincipal
    then applies to an IAM user or role whatever NotPrincipal names (IAM User
    Guide, NotPrincipal: "The NotPrincipal element with a Deny effect will
    always deny any IAM principal that has a permissions boundary policy
    attached, regardless of the values specified in the NotPrincipal element").

    Returns the statement's record; its verdict is ``applies``.
    """
    lookup = ctx.get
    matched = "matched"
    if s.resources is not None and (
        s.resource_templates or s.not_resource or s.resource_rx.match(resource) is None
    ):
        ok, reason, missing = s.match_resource(resource, lookup)
        if missing and caller.known_absent:
            missing = tuple(k for k in missing if k not in caller.known_absent)
        if not ok:
            return _not_applied(s, layer, pid, "resource", reason, missing)
    grant = None
    if with_principal:
        if s.principal is not None:
            grant = s.principal.match(caller, ctx)
            if grant is None:
                return _not_applied(
                    s,
                    layer,
                    pid,
                    "principal",
                    f"caller {caller.raw} is not named in Principal {s.principal.entries}",
                )
        elif s.not_principal is not None:
            if bounded and not s.allow and caller.kind in _BOUNDED_KINDS:
                matched = _BOUNDED_MATCH  # never excluded: see the docstring
            elif s.not_principal.excludes(caller):
                return _not_applied(
                    s,
                    layer,
                    pid,
                    "principal",
                    f"caller {caller.raw} is listed (with all its identities) in NotPrincipal",
                )
            grant = "wildcard"
        else:
            grant = "wildcard"  # RCP / VPC endpoint statement without Principal: taken as "*"
    if not s.conditions:
        return new(
            StatementResult,
            (layer, pid, s.index, s.sid, s.effect, True, None, matched, (), grant, ()),
        )
    # One pass over the conditions (no comprehension to build per call: this is the
    # engine's innermost loop): every result, the first that failed, the absent keys.
    checks = []
    failed = None
    firm_fail = False  # a condition on a key the request does carry failed
    missing_keys: list[str] = []
    known_absent = caller.known_absent
    for c in s.conditions:
        r = c.evaluate(ctx, lookup)
        checks.append(r)
        if r.missing or r.missing_variable:
            if r.missing and r.key.lower() not in known_absent:
                missing_keys.append(r.key)
            if r.missing_variable and r.missing_variable not in known_absent:
                missing_keys.append(r.missing_variable)
            if failed is None and not r.matched:
                failed = r
        elif not r.matched:
            firm_fail = True
            if failed is None:
                failed = r
    # A firm failure already rules the statement out, whatever the absent keys hold.
    mk = tuple(dict.fromkeys(missing_keys)) if missing_keys and not firm_fail else ()
    results = tuple(checks)
    if failed is not None:
        reason = f"condition {failed.operator} {failed.key} failed: {failed.reason}"
        return new(
            StatementResult,
            (layer, pid, s.index, s.sid, s.effect, False, "condition", reason, results, grant, mk),
        )
    return new(
        StatementResult,
        (
            layer,
            pid,
            s.index,
            s.sid,
            s.effect,
            True,
            None,
            matched + " (conditions true)",
            results,
            grant,
            mk,
        ),
    )


def eval_layer(
    ix: _LayerIndex,
    cands: tuple[Entry, ...],
    resource: str,
    ctx: dict[str, tuple[str, ...]],
    caller: Caller,
    allows: list[StatementResult],
    denies: list[StatementResult],
    checked: list[StatementResult],
    unsure: list[StatementResult],
) -> LayerRecord:
    """Evaluate one layer/level over ``cands`` (its statements matching the action).

    Appends to ``allows``/``denies``/``checked`` (and to ``unsure`` the records whose
    verdict rests on a context key the request lacks) and returns the layer's record.
    Layers whose outcome cannot depend on the request use the ``Fixed``
    outcome from ``_LayerIndex.candidates`` instead.
    """
    if not cands:
        return new(LayerRecord, (ix.layer, "implicit_deny", ix.base, ix.level, ix.note, ()))
    layer, wp = ix.layer, ix.with_principal
    repl = []
    n_allow = n_deny = 0
    for pos, pid, s, always in cands:
        r = (
            always
            if always is not None
            else check_statement(s, layer, pid, resource, ctx, caller, wp, ix.bounded)
        )
        repl.append((pos, r))
        if r.missing_context:
            unsure.append(r)
        if r.applies:
            if s.allow:
                allows.append(r)
                n_allow += 1
            else:
                denies.append(r)
                n_deny += 1
        else:
            checked.append(r)
    outcome = "explicit_deny" if n_deny else ("allow" if n_allow else "implicit_deny")
    return new(LayerRecord, (layer, outcome, ix.base, ix.level, ix.note, repl))


def clear_caches() -> None:
    """Forget every compiled policy, policy set and shared pattern (frees memory)."""
    from iamlab.policy import _compile, _conditions, _evaluate, _patterns

    _policy_cache.clear()
    _doc_cache.clear()
    _set_cache.clear()
    _evaluate._caller_cache.clear()
    _compile._action_regex.cache_clear()
    _compile._resource_regex.cache_clear()
    _conditions._compile_values.cache_clear()
    _conditions._ip_cache.clear()
    _patterns._rx_cache.clear()
