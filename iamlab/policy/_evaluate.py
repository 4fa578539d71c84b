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

from collections.abc import Mapping
from dataclasses import replace
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
from iamlab.policy.decision import (
    DECISIONS,
    NAMING_ORDER,
    POLICY_TYPE_PHRASES,
    Decision,
    make_decision,
)
from iamlab.policy.request import Policy, PolicySet, Request

# Actions authorized by the role's trust policy when the resource is a role
# (from memory of the IAM guide: AssumeRole*, TagSession, SetSourceIdentity, SetContext).
TRUST_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    }
)
_UNLIMITED_GRANTS = frozenset(
    {"session", "user", "wildcard", "service", "federated", "canonical_user"}
)
_GRANT_RANK = {
    "session": 0,
    "user": 0,
    "federated": 0,
    "canonical_user": 0,
    "service": 1,
    "wildcard": 2,
    "role": 3,
    "account": 4,
}


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
        return _with_unknown_layers(request, policies)
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
    trust = action_l in TRUST_ACTIONS and ":role/" in resource and ":iam::" in resource
    kms_key = action_l.startswith("kms:") and ":key/" in resource
    res_layer = "trust" if trust else "resource"
    if trust and cs.trust_error and cs.trust is not None:
        raise PolicyError(cs.trust_error)
    kind = caller.kind
    identity_side = kind in IDENTITY_KINDS
    steps, mkeys = action_plan(cs, caller, action_l, trust)
    memo_key = None
    hit = None
    if mkeys is not None:
        # Every layer's outcome depends on these inputs only (see action_plan).
        memo_key = (
            kind,
            caller.slr_reason,
            action_l,
            trust,
            resource,
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
        )

    if denies:
        firm = any(not r[10] for r in denies)
        missing = () if firm else _missing(denies + checked)
        return finish("explicit_deny", _ordered([r[0] for r in denies]), tuple(denies), missing)

    common = [n for n in _ORG_LAYERS if ok.get(n) is False] if ok else []
    grant = None
    if res_allows:
        grant = min((r[9] for r in res_allows if r[9]), key=_GRANT_RANK.__getitem__, default=None)
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
        elif (trust or kms_key) and not res_allows:
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
    missing = _missing([r for r in checked if r[4] == "Allow" and r[10]]) if checked else ()
    # AWS evaluates the steps in order and stops at the first that denies, so
    # that layer is the one it reports; the others are kept in lacking_allow.
    lacking = _ordered(failing)
    return finish("implicit_deny", lacking[:1], (), missing, lacking)


_MEMO_LIMIT = 8192


def _fill(kind: str, principal: bool) -> dict[str, Any]:
    """A stand-in document for an unknown layer: allow everything, nothing, or deny all."""
    if kind == "nothing":
        return {"Version": "2012-10-17", "Statement": []}
    stmt: dict[str, Any] = {
        "Sid": "UnknownLayerAllowsAll" if kind == "allow" else "UnknownLayerDeniesAll",
        "Effect": "Allow" if kind == "allow" else "Deny",
        "Action": "*",
        "Resource": "*",
    }
    if principal:
        stmt["Principal"] = "*"
    return {"Version": "2012-10-17", "Statement": [stmt]}


_UNKNOWN_ID = "unknown:"


def _filled(ps: PolicySet, kind: str) -> PolicySet:
    """``ps`` with every unknown layer replaced by its ``kind`` stand-in."""
    out: dict[str, Any] = {}
    for layer in ps.unknown:
        with_principal = layer in ("resource", "rcp", "vpc_endpoint")
        doc = Policy(_fill(kind, with_principal), id=_UNKNOWN_ID + layer)
        if layer in ("scp", "rcp"):
            out[layer] = ((),) if kind == "nothing" else ((doc,),)
        elif layer == "resource":
            out[layer] = None if kind == "nothing" else doc
        elif layer == "session":
            out[layer] = doc
        elif layer == "identity" and kind == "nothing":
            out[layer] = ()
        else:
            out[layer] = (doc,)
    return replace(ps, unknown={}, **out)


_fills_cache: dict[int, tuple[PolicySet, tuple[PolicySet, PolicySet, PolicySet]]] = {}


def _with_unknown_layers(request: Request, ps: PolicySet) -> Decision:
    """The decision when some layers are unknown (the rule is in ``evaluate``'s docstring)."""
    hit = _fills_cache.get(id(ps))
    if hit is None or hit[0] is not ps:
        if len(_fills_cache) >= _CACHE_LIMIT:
            _fills_cache.clear()
        hit = _fills_cache[id(ps)] = (
            ps,
            (_filled(ps, "allow"), _filled(ps, "nothing"), _filled(ps, "deny")),
        )
    best, none, worst = (evaluate(request, f) for f in hit[1])
    possible = tuple(d for d in DECISIONS if d in {best.decision, none.decision, worst.decision})
    unknown = dict(ps.unknown)
    notes = [n for n in none.notes if n not in best.notes] + list(best.notes)
    if len(possible) == 1 or possible == ("implicit_deny", "explicit_deny"):
        if none.decision == "explicit_deny":
            base, decision = none, "explicit_deny"
        elif len(possible) == 1:
            base, decision = none, possible[0]
        elif best.denied_by[:1] == none.denied_by[:1]:
            base, decision = best, "implicit_deny"
        else:
            base, decision = best, "unknown"
            notes.append(
                "denied whatever the unknown layers hold, but with them AWS may name another "
                f"layer ({', '.join(none.denied_by[:1])} instead of "
                f"{', '.join(best.denied_by[:1])})"
            )
    else:
        base, decision = best, "unknown"
    if decision != "unknown" and "explicit_deny" in possible and decision != "explicit_deny":
        notes.append("an unknown layer could also hold a Deny that matches (explicit deny)")
    notes.insert(
        0,
        "not known: "
        + "; ".join(f"the {layer} layer ({why})" for layer, why in unknown.items()),
    )
    layers = _known_layers(base.raw_layers, unknown)
    deciding = tuple(r for r in base.raw_deciding if not r[1].startswith(_UNKNOWN_ID))
    lacking = tuple(n for n in best.lacking_allow if _res(n) not in unknown)
    denied_by = () if decision in ("unknown", "allow") else base.denied_by
    missing = tuple(dict.fromkeys(best.missing_context + none.missing_context))
    return make_decision(
        decision,
        denied_by,
        POLICY_TYPE_PHRASES[denied_by[0]] if denied_by else None,
        missing if decision != "explicit_deny" else base.missing_context,
        tuple(dict.fromkeys(notes)),
        base.principal,
        base.action,
        base.resource,
        base.resource_account,
        layers,
        deciding if decision != "unknown" or "allow" in possible else (),
        lacking,
        unknown,
        possible,
    )


def _res(layer: str) -> str:
    return "resource" if layer == "trust" else layer


def _known_layers(raw_layers: tuple, unknown: dict[str, str]) -> tuple:
    """Layer records with each unknown layer's stand-in shown as one ``unknown`` record."""
    out, shown = [], set()
    for rec in raw_layers:
        layer = _res(rec[0])
        if layer in unknown and rec[1] != "not_applicable":
            if layer not in shown:
                out.append((rec[0], "unknown", (), None, unknown[layer], ()))
            shown.add(layer)
            continue
        shown.add(layer)
        out.append(rec)
    for layer, why in unknown.items():
        if layer not in shown:
            out.append((layer, "unknown", (), None, why, ()))
    return tuple(out)


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
