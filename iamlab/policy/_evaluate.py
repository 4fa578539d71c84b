"""AWS's layered evaluation logic (aws-facts 4.1-4.4), with its explanation.

Steps, as AWS documents them: explicit deny in any applicable policy wins;
then each RCP level of the resource owner and each SCP level of the caller's
account must allow; then a resource-based policy may grant on its own
(depending on which principal it named, 4.2), otherwise the identity-based
policies, the permissions boundary and the session policy must all allow.
KMS key policies and role trust policies must allow by themselves; across
accounts both the caller's side and the resource owner's side must allow (4.3).
These and AWS's other documented special cases (fixed answers such as
sts:GetCallerIdentity, protected AWS managed policies, roles and KMS aliases)
come from one table, ``iamlab.policy.special``.

``evaluate`` reads the request (``_prepare``: context, caller, resource
account, special case, every layer matched once) and then takes one function
per step: ``_explicit_deny`` (4.1 step 2), ``_organization_layers`` (VPC
endpoint, RCPs, SCPs: 4.1 steps 3-4), ``_same_account`` or ``_cross_account``
(the resource grant and the identity side: 4.2, 4.3), and ``_allow`` or
``_implicit_deny``. The layer and grant tables live in ``decision``.

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

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from iamlab.errors import InputError, PolicyError
from iamlab.policy._caller import (
    FEDERATED_USER,
    IDENTITY_KINDS,
    ROLE_SESSION,
    ROOT,
    SESSION_KINDS,
    Caller,
    parse_caller,
)
from iamlab.policy._conditions import value_text
from iamlab.policy._layers import (
    FIXED,
    SKIP,
    Step,
    _CompiledSet,
    action_plan,
    compiled_set,
    eval_layer,
)
from iamlab.policy._unknown import with_unknown_layers
from iamlab.policy.decision import (
    GRANT_RANK,
    IDENTITY_SIDE,
    NAMING_ORDER,
    NAMING_RANK,
    ORGANIZATION,
    POLICY_TYPE_PHRASES,
    UNLIMITED_GRANTS,
    Decision,
    LayerRecord,
    StatementResult,
    make_decision,
    new,
)
from iamlab.policy.request import PolicySet, Request
from iamlab.policy.special import Quirks, quirks


def _context(raw: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Lower-cased key names (AWS compares them case-insensitively); values as tuples.

    Keys that differ only in case are merged (aws-facts 4.6: ``ec2`` and ``EC2``
    tags both match ``aws:ResourceTag/EC2``). Raises ``InputError`` for a key
    that is not a string or a value that is not a string, number, boolean or
    list of them.
    """
    try:  # fast path: single-valued string values, no keys differing only in case
        ctx: dict[str, tuple[str, ...]] = {
            k.lower(): (v,) for k, v in raw.items() if v.__class__ is str
        }
        if len(ctx) == len(raw):
            return ctx
    except AttributeError:
        pass  # a key that is not a string: handled below
    ctx = {}
    for k, v in raw.items():
        if not isinstance(k, str):
            raise InputError(
                f"request context key {k!r:.60} is not a string; condition keys are names such "
                "as aws:SourceIp"
            )
        if type(v) is str:
            vals: tuple[str, ...] = (v,)
        elif isinstance(v, (list, tuple)):
            for x in v:
                if not isinstance(x, _SCALARS):
                    raise InputError(_value_help(k, v))
            vals = tuple(value_text(x) for x in v)
        elif v is None:
            continue
        elif isinstance(v, _SCALARS):
            vals = (value_text(v),)
        else:
            raise InputError(_value_help(k, v))
        kl = k.lower()
        if kl in ctx:
            vals = ctx[kl] + vals
        ctx[kl] = vals
    return ctx


_SCALARS = (str, int, float, bool)


def _value_help(key: str, value: Any) -> str:
    return (
        f"request context value of {key!r:.60} must be a string (single-valued) or a list of "
        f"strings (multi-valued), got {type(value).__name__} {value!r:.60}"
    )


_CACHE_LIMIT = 20000
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


def evaluate(
    request: Request | Mapping[str, Any], policies: PolicySet | Mapping[str, Any]
) -> Decision:
    """Evaluate one request against its policy layers, as AWS would.

    ``request``: a ``Request`` (or its dict form); ``policies``: a ``PolicySet``
    (or the ``policies`` dict of the test-case format). Returns a ``Decision``.
    Raises ``PolicyError`` for malformed policies and ``InputError`` for an
    unusable request. Compiled policies are cached by content; reuse the same
    ``PolicySet`` for many requests (its compiled form and outcomes are kept).

    Unknown layers (``PolicySet.unknown``: a layer that applies but was not
    collected, or a principal or account outside the snapshot) are never
    guessed. The request is evaluated with each unknown layer allowing
    everything, allowing nothing, and denying everything; ``possible`` lists
    the decisions those reach (for a monotone evaluation they bound every
    content the layer could have). Then:

    - a Deny in a known layer gives ``explicit_deny``: AWS evaluates every
      Deny first and an explicit deny is final whatever else applies
      (IAM User Guide, "Policy evaluation logic", the explicit-deny step;
      aws-facts 4.1 step 2);
    - ``allow`` only when no unknown layer can change it (e.g. SCPs unknown
      for a service-linked role, which SCPs do not affect);
    - ``implicit_deny`` when no content of the unknown layers could allow the
      request *and* the layer AWS would name does not change when they allow
      nothing (aws-facts 4.1: the first step without an Allow is the one that
      denies); ``possible`` then still says an unknown layer could turn it
      into an explicit deny;
    - ``unknown`` otherwise: an unknown layer could allow it, or could be the
      layer AWS names. ``denied`` is True when every possibility is a deny.

    >>> from iamlab.policy import PolicySet
    >>> d = evaluate({"principal": "arn:aws:iam::111122223333:user/a", "action": "s3:GetObject"},
    ...              PolicySet.from_dict({"identity": [{"Statement": {"Effect": "Allow",
    ...                  "Action": "*", "Resource": "*"}}], "scp": "unknown"}))
    >>> d.decision, d.possible
    ('unknown', ('allow', 'implicit_deny', 'explicit_deny'))
    """
    if not isinstance(request, Request):
        request = Request.from_dict(request)
    if not isinstance(policies, PolicySet):
        policies = PolicySet.from_dict(policies)
    if policies.unknown:
        return with_unknown_layers(request, policies, evaluate)
    cs = compiled_set(policies)
    ev = _prepare(request, cs)
    if ev.key is None:
        return _steps(ev)
    # The same inputs give the same Decision (it is immutable): kept on second sight,
    # like the layers' outcomes (see _prepare).
    hit = cs.decisions.get(ev.key)
    if hit is not None:
        return hit
    d = _steps(ev)
    cs.decisions.offer(ev.key, d)
    return d


def _steps(ev: _Evaluation) -> Decision:
    """AWS's steps in order (aws-facts 4.1-4.3), each a function below."""
    seen, caller = ev.seen, ev.caller
    if seen.denies:
        return _explicit_deny(ev)
    failing = _organization_layers(seen.ok)
    if caller.kind not in IDENTITY_KINDS:  # anonymous and AWS services: the resource grants
        res_layer = ev.q.resource_layer
        if not seen.res_allows:
            failing.append(res_layer)
        used: tuple[str, ...] = (res_layer,)
    elif caller.account != ev.res_account:
        failing += _cross_account(ev)
        used = (*IDENTITY_SIDE, ev.q.resource_layer)
    else:
        more, used = _same_account(ev)
        failing += more
    if not failing:
        return _allow(ev, used)
    return _implicit_deny(ev, failing)


class Seen(NamedTuple):
    """What matching every layer found: the layer records, the statements that applied
    (Allows, Denies), those that did not (``checked``), per layer whether every level
    of it holds an applying Allow (``ok``), the resource layer's applying Allows, and
    the records of all three whose verdict rests on a key the request lacks (``unsure``:
    when empty, as for most requests, no step looks for missing keys)."""

    layers: tuple[LayerRecord, ...]
    allows: list[StatementResult]  # lists, never changed once built (no copies on the hot path)
    denies: list[StatementResult]
    checked: list[StatementResult]
    ok: dict[str, bool]
    res_allows: list[StatementResult]
    unsure: list[StatementResult]


class _Evaluation(NamedTuple):
    """One request on its way through the steps: the inputs every step reads."""

    request: Request
    action: str
    resource: str
    res_account: str | None
    caller: Caller
    q: Quirks
    seen: Seen
    notes: list[str]
    key: tuple | None  # every input the Decision depends on, when they are few (see _prepare)


def _prepare(request: Request, cs: _CompiledSet) -> _Evaluation:
    """Read the request (context, caller, resource account, special case) and match every
    layer of its plan, from the memo when the same inputs were seen before."""
    action = request.action
    if not isinstance(action, str) or ":" not in action:
        raise InputError(
            f"request action must look like service:Action (e.g. s3:GetObject), got {action!r}"
        )
    given = _context(request.context) if request.context else {}
    caller = _caller(request.principal, given)
    notes: list[str] = []
    # Keys AWS derives from the principal; an explicit context value wins.
    ctx = {**caller.derived_ctx, **given}
    resource = request.resource or "*"
    res_account = _resource_account(request, resource, caller, notes)
    if res_account and "aws:resourceaccount" not in ctx:
        ctx["aws:resourceaccount"] = (res_account,)
    action_l = action.lower()
    q = quirks(action_l, resource)
    if cs.trust_error and q.trust and cs.trust is not None:
        raise PolicyError(cs.trust_error)
    steps, mkeys = action_plan(cs, caller, action_l, q)
    key = None
    if mkeys is None:  # a layer reads keys not known in advance (policy variables)
        seen = _run_plan(steps, q.resource_layer, resource, ctx, caller)
    else:
        # Every layer's outcome depends on these inputs only (see action_plan); the
        # Decision also on the principal, the action as written and the resource account.
        memo_key = (
            caller.kind,
            caller.slr_reason,
            action_l,
            resource,  # with action_l, it also fixes the quirks (iamlab.policy.special)
            caller.raw,
            caller.role_arn,
            caller.known_absent,
            *map(ctx.get, mkeys),
        )
        hit = cs.memo.get(memo_key)
        if hit is not None:  # kept: the Decision may be kept too (only then: no cost when not)
            seen = hit
            key = (
                memo_key,
                request.principal,
                action,
                request.resource_account,
                given.get("aws:principalarn"),
            )
        else:
            seen = _run_plan(steps, q.resource_layer, resource, ctx, caller)
            cs.memo.offer(memo_key, seen)
    if caller.kind == ROOT and cs.identity is not None:
        notes.append(
            "the root user has full access in its account; identity policies were not evaluated"
        )
    if (
        caller.kind == ROLE_SESSION
        and not caller.role_path_known
        and cs.uses_principal_arn
        and any(
            c.key.lower() == "aws:principalarn"
            for r in seen.allows + seen.denies + seen.checked
            for c in r.conditions
        )
    ):
        notes.append(
            f"aws:PrincipalArn was derived as {caller.role_arn} (a session ARN drops the role "
            f"path); "
            "pass aws:PrincipalArn in the context if the role has a path"
        )
    return new(_Evaluation, (request, action, resource, res_account, caller, q, seen, notes, key))


def _resource_account(
    request: Request, resource: str, caller: Caller, notes: list[str]
) -> str | None:
    """The account that owns the resource: as given, else from its ARN, else the caller's."""
    res_account = request.resource_account
    if res_account is not None and not isinstance(res_account, str):
        res_account = str(res_account)  # an account id given as a number
    if resource.startswith("arn:"):
        parts = resource.split(":", 5)
        if len(parts) == 6 and parts[4].isdigit():
            if not res_account:
                res_account = parts[4]
            elif res_account != parts[4]:
                notes.append(
                    f"resource_account {res_account} differs from the account in the resource "
                    f"ARN ({parts[4]}); evaluated as owned by {res_account}"
                )
    if not res_account and caller.account:
        if resource != "*":
            notes.append(
                f"resource account unknown: assumed to be the caller's account {caller.account}; "
                "pass resource_account for a cross-account request"
            )
        res_account = caller.account
    return res_account


def _explicit_deny(ev: _Evaluation) -> Decision:
    """Step 2 (aws-facts 4.1): a matching Deny in any applicable layer is final."""
    seen = ev.seen
    denies = seen.denies
    layers = _ordered([r.layer for r in denies])
    if not seen.unsure:
        return _decide(ev, "explicit_deny", layers, denies, ())
    checked = seen.checked
    unsure = [r for r in denies if r.missing_context]
    if len(unsure) == len(denies):
        missing = _missing(denies + checked)
    else:
        # The answer stays an explicit deny, but a Deny that hangs on a missing key in a
        # layer AWS names before the first firm one could change the layer it names.
        unsure += [r for r in checked if r.missing_context]
        if unsure:
            first = min(NAMING_RANK[r.layer] for r in denies if not r.missing_context)
            unsure = [r for r in unsure if r.effect == "Deny" and NAMING_RANK[r.layer] < first]
        missing = _missing(unsure) if unsure else ()
    return _decide(ev, "explicit_deny", layers, denies, missing)


def _organization_layers(ok: dict[str, bool]) -> list[str]:
    """Steps 3-4 and the VPC endpoint (aws-facts 4.1, 4.4): the endpoint policy, every RCP
    level of the resource owner and every SCP level of the caller's account must allow,
    whoever grants the request. ``ok``: per layer, whether it allows (``Seen.ok``).
    Returns the layers that do not."""
    if False not in ok.values():  # every layer allows (most requests): nothing to list
        return []
    return [n for n in ORGANIZATION if ok.get(n) is False]


def _identity_side(ev: _Evaluation) -> tuple[bool, list[str]]:
    """Steps 6-8 (aws-facts 4.1): whether an identity-based policy allows, and which of the
    permissions boundary and the session policy do not."""
    ok, kind = ev.seen.ok, ev.caller.kind
    id_ok = kind == ROOT or ok.get("identity", False)
    pb_ok = ok.get("permissions_boundary", True)
    if kind in SESSION_KINDS:
        if "session" in ok:
            sess_ok = ok["session"]
        else:
            sess_ok = kind != FEDERATED_USER
            if kind == FEDERATED_USER:
                ev.notes.append(
                    "a federated user session without a session policy has no identity-based "
                    "permissions (aws-facts 4.1 step 8)"
                )
    else:
        sess_ok = True
    if pb_ok and sess_ok:
        return id_ok, []
    limits = [n for n, good in (("permissions_boundary", pb_ok), ("session", sess_ok)) if not good]
    return id_ok, limits


def _resource_grant(ev: _Evaluation) -> str | None:
    """How the resource policy named the caller, the best grant first (aws-facts 4.2)."""
    grants = [r.grant for r in ev.seen.res_allows if r.grant]
    return min(grants, key=GRANT_RANK.__getitem__) if grants else None


def _cross_account(ev: _Evaluation) -> list[str]:
    """Cross-account (aws-facts 4.3): both the caller's side (identity, boundary, session)
    and the resource owner's resource policy must allow. Returns the layers that do not."""
    id_ok, limits = _identity_side(ev)
    ev.notes.append(
        f"cross-account request (caller account {ev.caller.account}, resource account "
        f"{ev.res_account}): "
        "both the caller's side and the resource policy must allow (aws-facts 4.3)"
    )
    id_fail = limits if id_ok else ["identity", *limits]
    return id_fail + ([] if ev.seen.res_allows else [ev.q.resource_layer])


def _same_account(ev: _Evaluation) -> tuple[list[str], tuple[str, ...]]:
    """Same account (aws-facts 4.2): a grant to the session, user or "*" allows on its own;
    a grant to the role ARN still needs the boundary and session policy; otherwise (no
    grant, or the whole account) the identity side must allow. KMS key and trust policies
    must allow in any case. Returns the layers that do not allow, and the layers used."""
    res_layer = ev.q.resource_layer
    id_ok, limits = _identity_side(ev)
    id_fail = limits if id_ok else ["identity", *limits]
    grant = _resource_grant(ev) if ev.seen.res_allows else None
    used = (*IDENTITY_SIDE, res_layer)
    if grant in UNLIMITED_GRANTS:
        return [], (res_layer,)
    if ev.q.resource_must_allow and not ev.seen.res_allows:
        return [res_layer], used
    if not id_fail:
        return [], used
    if grant == "role":
        return limits, used
    return id_fail, used


def _allow(ev: _Evaluation, used: tuple[str, ...]) -> Decision:
    """Every step allowed: the deciding Allows, and the keys whose absence it rests on."""
    seen = ev.seen
    deciding = [r for r in seen.allows if r.layer in used or r.layer in ORGANIZATION]
    if not seen.unsure:
        return _decide(ev, "allow", (), deciding, ())
    unsure = [r for r in deciding if r.missing_context]
    if unsure:
        # An Allow that holds only for want of a key matters unless a firm Allow
        # stands beside it in the same layer (SCP/RCP levels are kept: records
        # do not say which level they came from).
        firm = {r.layer for r in deciding if not r.missing_context and r.layer not in ORGANIZATION}
        unsure = [r for r in unsure if r.layer not in firm]
    unsure_denies = [r for r in seen.checked if r.effect == "Deny" and r.missing_context]
    missing = _missing(unsure_denies + unsure)
    return _decide(ev, "allow", (), deciding, missing)


def _implicit_deny(ev: _Evaluation, failing: list[str]) -> Decision:
    """AWS evaluates the steps in order and stops at the first that denies, so that layer
    is the one it reports; the others are kept in ``lacking_allow``."""
    seen = ev.seen
    lacking = _ordered(failing)
    if not seen.unsure:
        return _decide(ev, "implicit_deny", lacking[:1], (), (), lacking)
    unsure = [r for r in seen.checked if r.missing_context]
    unsure_allows = [r for r in seen.allows if r.missing_context]
    missing = (
        _missing_for_implicit(unsure, unsure_allows, seen.allows, lacking[0])
        if unsure or unsure_allows
        else ()
    )
    return _decide(ev, "implicit_deny", lacking[:1], (), missing, lacking)


def _decide(
    ev: _Evaluation,
    decision: str,
    denied_by: tuple[str, ...],
    deciding: Sequence[StatementResult],
    missing: tuple[str, ...],
    lacking: tuple[str, ...] = (),
) -> Decision:
    """The Decision, after AWS's documented special case (if one binds this caller)."""
    notes, special = ev.notes, ""
    rule = ev.q.rule and ev.q.binding_rule(ev.caller.kind, ev.caller.slr)
    if rule:
        special = rule.id
        notes.append(f"{rule.why} ({rule.source})")
        if rule.outcome == "allow":
            decision, denied_by, deciding, missing, lacking = "allow", (), (), (), ()
        elif decision != "explicit_deny":
            decision, denied_by, deciding, missing, lacking = "implicit_deny", (), (), (), ()
        else:
            missing = ()
    if missing:
        notes.append(
            "the decision depends on context keys the request does not carry ("
            + ", ".join(missing)
            + "); with them present the answer may differ"
        )
    return make_decision(
        decision=decision,
        denied_by=denied_by,
        policy_type=POLICY_TYPE_PHRASES[denied_by[0]] if denied_by else None,
        missing_context=missing,
        notes=tuple(notes),
        principal=ev.request.principal,
        action=ev.action,
        resource=ev.resource,
        resource_account=ev.res_account,
        raw_layers=ev.seen.layers,
        raw_deciding=tuple(deciding),
        lacking_allow=lacking,
        special=special,
    )


def _run_plan(
    steps: tuple[Step, ...],
    res_layer: str,
    resource: str,
    ctx: dict[str, tuple[str, ...]],
    caller: Caller,
) -> Seen:
    """Match every step of an action plan."""
    layers: list[LayerRecord] = []
    allows: list[StatementResult] = []
    denies: list[StatementResult] = []
    checked: list[StatementResult] = []
    ok: dict[str, bool] = {}  # layer -> every level of it has an applying Allow
    res_allows: list[StatementResult] = []
    unsure: list[StatementResult] = []
    for how, name, record, fixed, index, cands in steps:
        if how == SKIP:  # a layer that does not apply to this caller
            assert record is not None  # every Step of its kind has it (action_plan)
            layers.append(record)
            continue
        if how == FIXED:  # no statement of this layer depends on the request
            assert fixed is not None
            layers.append(fixed.record)
            given = fixed.allows
            got = given != ()
            if got:
                allows.extend(given)
            if fixed.denies:
                denies.extend(fixed.denies)
            if name == res_layer:
                res_allows = list(given)
        else:
            assert index is not None
            before = len(allows)
            layers.append(
                eval_layer(index, cands, resource, ctx, caller, allows, denies, checked, unsure)
            )
            got = len(allows) > before
            if name == res_layer:
                res_allows = allows[before:]
        if got:
            if name not in ok:
                ok[name] = True
        else:
            ok[name] = False
    return new(Seen, (tuple(layers), allows, denies, checked, ok, res_allows, unsure))


def _missing_for_implicit(
    unsure_checked: list[StatementResult],
    unsure_allows: list[StatementResult],
    allows: Sequence[StatementResult],
    named: str,
) -> tuple[str, ...]:
    """Keys whose value could change an implicit deny or the layer AWS names for it.

    An Allow ruled out for want of a key could allow (the decision); a Deny
    ruled out for want of a key could match (an explicit deny); an Allow that
    holds only for want of a key, in a layer AWS reaches before the one it
    names, could fail and be named instead (unless a firm Allow stands beside it).
    ``unsure_*`` are the records with missing keys.
    """
    recs = list(unsure_checked)
    first = NAMING_RANK[named]
    unsure = [r for r in unsure_allows if NAMING_RANK[r.layer] < first]
    if unsure:
        firm = {_level(r) for r in allows if not r.missing_context}
        recs += [r for r in unsure if _level(r) not in firm]
    return _missing(recs)


def _level(r: StatementResult) -> tuple[str, str] | str:
    """Where a record stands: its layer, or for SCP/RCP its layer and policy (the level)."""
    return (r.layer, r.policy_id) if r.layer in ("scp", "rcp") else r.layer


def _ordered(names: list[str]) -> tuple[str, ...]:
    """Distinct layer names in AWS's evaluation order (NAMING_ORDER)."""
    if len(names) == 1:
        return (names[0],)
    return tuple(n for n in NAMING_ORDER if n in names)


def _missing(records: list[StatementResult] | tuple[StatementResult, ...]) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for r in records:
        for k in r.missing_context:
            keys[k] = None
    return tuple(keys)
