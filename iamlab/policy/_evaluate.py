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

from collections.abc import Mapping
from typing import Any

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
from iamlab.policy._layers import action_plan, compiled_set, eval_layer
from iamlab.policy._principal import GRANT_RANK
from iamlab.policy._unknown import with_unknown_layers
from iamlab.policy.decision import (
    NAMING_ORDER,
    POLICY_TYPE_PHRASES,
    Decision,
    make_decision,
)
from iamlab.policy.request import PolicySet, Request
from iamlab.policy.special import NONE, SPECIAL_ACTIONS, customer, quirks

_UNLIMITED_GRANTS = frozenset(
    {"session", "user", "wildcard", "service", "federated", "canonical_user"}
)


def _context(raw: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Lower-cased key names (AWS compares them case-insensitively); values as tuples.

    Keys that differ only in case are merged (aws-facts 4.6: ``ec2`` and ``EC2``
    tags both match ``aws:ResourceTag/EC2``). Raises ``InputError`` for a key
    that is not a string or a value that is not a string, number, boolean or
    list of them.
    """
    try:  # fast path: single-valued string values, no keys differing only in case
        ctx = {k.lower(): (v,) for k, v in raw.items() if v.__class__ is str}
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
_ORG_LAYERS = ("vpc_endpoint", "rcp", "scp")
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
    action = request.action
    if not isinstance(action, str) or ":" not in action:
        raise InputError(
            f"request action must look like service:Action (e.g. s3:GetObject), got {action!r}"
        )
    given = _context(request.context) if request.context else {}
    caller = _caller(request.principal, given)
    notes: list[str] = []
    # Keys AWS derives from the principal; an explicit context value wins.
    ctx = caller.derived_ctx.copy()
    ctx.update(given)
    resource = request.resource or "*"
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
    if res_account and "aws:resourceaccount" not in ctx:
        ctx["aws:resourceaccount"] = (res_account,)
    if not res_account and caller.account:
        if resource != "*":
            notes.append(
                f"resource account unknown: assumed to be the caller's account {caller.account}; "
                "pass resource_account for a cross-account request"
            )
        res_account = caller.account
    action_l = action.lower()
    has_quirks = action_l in SPECIAL_ACTIONS or action_l[:4] == "kms:"
    q = quirks(action_l, resource) if has_quirks else NONE
    trust = q.resource_layer == "trust"
    res_layer = q.resource_layer
    if trust and cs.trust_error and cs.trust is not None:
        raise PolicyError(cs.trust_error)
    kind = caller.kind
    identity_side = kind in IDENTITY_KINDS
    steps, mkeys = action_plan(cs, caller, action_l, q)
    memo_key = None
    hit = None
    if mkeys is not None:
        # Every layer's outcome depends on these inputs only (see action_plan).
        memo_key = (
            kind,
            caller.slr_reason,
            action_l,
            resource,  # with action_l, it also fixes the quirks (iamlab.policy.special)
            caller.raw,
            caller.role_arn,
            caller.known_absent,
            *[ctx.get(k) for k in mkeys],
        )
        hit = cs.memo.get(memo_key)
    if hit:
        layers, allows, denies, checked, ok, res_allows = hit
    else:
        layers, allows, denies, checked, ok, res_allows = _run_plan(
            steps, res_layer, resource, ctx, caller
        )
        if memo_key is not None:
            if len(cs.memo) >= _MEMO_LIMIT:
                cs.memo.clear()
            # Kept on second sight only: a memo of requests seen once would hold
            # many records for nothing and make the garbage collector busier.
            cs.memo[memo_key] = (
                (
                    tuple(layers),
                    tuple(allows),
                    tuple(denies),
                    tuple(checked),
                    ok,
                    tuple(res_allows),
                )
                if hit is False
                else False
            )

    if kind == ROOT and cs.identity is not None:
        notes.append(
            "the root user has full access in its account; identity policies were not evaluated"
        )
    if (
        kind == ROLE_SESSION
        and not caller.role_path_known
        and cs.uses_principal_arn
        and any(c[1].lower() == "aws:principalarn" for r in allows + denies + checked for c in r[8])
    ):
        notes.append(
            f"aws:PrincipalArn was derived as {caller.role_arn} (a session ARN drops the role "
            f"path); "
            "pass aws:PrincipalArn in the context if the role has a path"
        )

    def finish(
        decision: str,
        denied_by: tuple[str, ...],
        deciding: tuple,
        missing: tuple[str, ...],
        lacking: tuple[str, ...] = (),
    ) -> Decision:
        special = ""
        rule = q.rule
        if rule is not None and (
            customer(kind, caller.slr) if rule.outcome == "deny" else identity_side
        ):
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
            decision,
            denied_by,
            POLICY_TYPE_PHRASES[denied_by[0]] if denied_by else None,
            missing,
            tuple(notes),
            request.principal,
            action,
            resource,
            res_account,
            tuple(layers),
            deciding,
            lacking,
            special=special,
        )

    if denies:
        unsure = [r for r in denies if r[10]]
        if len(unsure) == len(denies):
            missing = _missing(denies + checked)
        else:
            # The answer stays an explicit deny, but a Deny that hangs on a missing key in a
            # layer AWS names before the first firm one could change the layer it names.
            unsure += [r for r in checked if r[10]]
            if unsure:
                first = min(_RANK[r[0]] for r in denies if not r[10])
                unsure = [r for r in unsure if r[4] == "Deny" and _RANK[r[0]] < first]
            missing = _missing(unsure) if unsure else ()
        return finish("explicit_deny", _ordered([r[0] for r in denies]), tuple(denies), missing)

    common = [n for n in _ORG_LAYERS if ok.get(n) is False] if ok else []
    grant = None
    if res_allows:
        grant = min((r[9] for r in res_allows if r[9]), key=GRANT_RANK.__getitem__, default=None)
    id_ok = kind == ROOT or ok.get("identity", False)
    pb_ok = ok.get("permissions_boundary", True)
    if kind in SESSION_KINDS:
        if "session" in ok:
            sess_ok = ok["session"]
        else:
            sess_ok = kind != FEDERATED_USER
            if kind == FEDERATED_USER:
                notes.append(
                    "a federated user session without a session policy has no identity-based "
                    "permissions (aws-facts 4.1 step 8)"
                )
    else:
        sess_ok = True
    if pb_ok and sess_ok:
        limits: list[str] = []
    else:
        limits = [
            n for n, good in (("permissions_boundary", pb_ok), ("session", sess_ok)) if not good
        ]
    id_fail = limits if id_ok else ["identity"] + limits
    if not identity_side:
        failing, used = ([] if res_allows else [res_layer]), (res_layer,)
    elif caller.account != res_account:
        failing = id_fail + ([] if res_allows else [res_layer])
        used = ("identity", "permissions_boundary", "session", res_layer)
        notes.append(
            f"cross-account request (caller account {caller.account}, resource account "
            f"{res_account}): "
            "both the caller's side and the resource policy must allow (aws-facts 4.3)"
        )
    else:
        # Same account (4.2): a grant to the session, user or "*" allows on its
        # own; a grant to the role ARN still needs the boundary and session
        # policy; otherwise (no grant, or the whole account) the identity side
        # must allow. KMS key and trust policies must allow in any case.
        used = ("identity", "permissions_boundary", "session", res_layer)
        if grant in _UNLIMITED_GRANTS:
            failing, used = [], (res_layer,)
        elif q.resource_must_allow and not res_allows:
            failing = [res_layer]
        elif not id_fail:
            failing = []
        elif grant == "role":
            failing = limits
        else:
            failing = id_fail
    if common:
        failing = common + failing
    if not failing:
        deciding = tuple(r for r in allows if r[0] in used or r[0] in _ORG_LAYERS)
        unsure = [r for r in deciding if r[10]]
        if unsure:
            # An Allow that holds only for want of a key matters unless a firm Allow
            # stands beside it in the same layer (SCP/RCP levels are kept: records
            # do not say which level they came from).
            firm = {r[0] for r in deciding if not r[10] and r[0] not in _ORG_LAYERS}
            unsure = [r for r in unsure if r[0] not in firm]
        missing = _missing([r for r in checked if r[4] == "Deny" and r[10]] + unsure)
        return finish("allow", (), deciding, missing)
    # AWS evaluates the steps in order and stops at the first that denies, so
    # that layer is the one it reports; the others are kept in lacking_allow.
    lacking = _ordered(failing)
    unsure = [r for r in checked if r[10]]
    unsure_allows = [r for r in allows if r[10]]
    missing = (
        _missing_for_implicit(unsure, unsure_allows, allows, lacking[0])
        if unsure or unsure_allows
        else ()
    )
    return finish("implicit_deny", lacking[:1], (), missing, lacking)


_MEMO_LIMIT = 8192


def _run_plan(
    steps: tuple,
    res_layer: str,
    resource: str,
    ctx: dict[str, tuple[str, ...]],
    caller: Caller,
) -> tuple:
    """Evaluate every step of an action plan: (layer records, allows, denies, checked, ok,
    resource-layer allows)."""
    layers: list[tuple] = []
    allows: list[tuple] = []
    denies: list[tuple] = []
    checked: list[tuple] = []
    ok: dict[str, bool] = {}  # layer -> every level of it has an applying Allow
    res_allows: list[tuple] = []
    for mode, name, a, b in steps:
        if mode == 0:  # a layer that does not apply to this caller
            layers.append(a)
            continue
        if mode == 1:  # no statement of this layer depends on the request
            layers.append(a[0])
            got = a[1]
            if got:
                allows.extend(got)
            if a[2]:
                denies.extend(a[2])
            if name == res_layer:
                res_allows = list(got)
        else:
            before = len(allows)
            layers.append(eval_layer(a, b, resource, ctx, caller, allows, denies, checked))
            got = len(allows) > before
            if name == res_layer:
                res_allows = allows[before:]
        if got:
            if name not in ok:
                ok[name] = True
        else:
            ok[name] = False
    return layers, allows, denies, checked, ok, res_allows


_RANK = {name: n for n, name in enumerate(NAMING_ORDER)}


def _missing_for_implicit(
    unsure_checked: list[tuple], unsure_allows: list[tuple], allows: list[tuple], named: str
) -> tuple[str, ...]:
    """Keys whose value could change an implicit deny or the layer AWS names for it.

    An Allow ruled out for want of a key could allow (the decision); a Deny
    ruled out for want of a key could match (an explicit deny); an Allow that
    holds only for want of a key, in a layer AWS reaches before the one it
    names, could fail and be named instead (unless a firm Allow stands beside it).
    ``unsure_*`` are the records with missing keys.
    """
    recs = list(unsure_checked)
    first = _RANK[named]
    unsure = [r for r in unsure_allows if _RANK[r[0]] < first]
    if unsure:
        firm = {(r[0], r[1]) if r[0] in ("scp", "rcp") else r[0] for r in allows if not r[10]}
        recs += [r for r in unsure if ((r[0], r[1]) if r[0] in ("scp", "rcp") else r[0])
                 not in firm]
    return _missing(recs)


def _ordered(names: list[str]) -> tuple[str, ...]:
    """Distinct layer names in AWS's evaluation order (NAMING_ORDER)."""
    if len(names) == 1:
        return (names[0],)
    return tuple(n for n in NAMING_ORDER if n in names)


def _missing(records: list[tuple]) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for r in records:
        for k in r[10]:
            keys[k] = None
    return tuple(keys)
