"""Decisions over unknown layers: a layer that applies but is not known is never guessed.

``iamlab.policy.evaluate`` documents the rule; this module runs it: the request
is evaluated with every unknown layer replaced by a stand-in that allows
everything, allows nothing, and denies everything, and the three answers are
combined into the decision, the decisions still ``possible``, and an
explanation in which each unknown layer shows as one ``unknown`` record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from iamlab.policy.decision import (
    DECISIONS,
    NO_PRINCIPAL,
    POLICY_TYPE_PHRASES,
    Decision,
    LayerRecord,
    make_decision,
)
from iamlab.policy.request import Policy, PolicySet, Request

_CACHE_LIMIT = 20000


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
        with_principal = layer not in NO_PRINCIPAL
        doc = Policy(_fill(kind, with_principal), id=_UNKNOWN_ID + layer)
        if layer in ("scp", "rcp"):
            out[layer] = ((),) if kind == "nothing" else ((doc,),)
        elif layer == "resource":
            out[layer] = None if kind == "nothing" else doc
        elif layer == "session":
            out[layer] = doc
        elif layer == "identity" and kind == "nothing":
            out[layer] = ()
        elif layer == "permissions_boundary" and kind == "allow":
            # no boundary at all is the most permissive case: a boundary, even one allowing
            # everything, makes a Deny with NotPrincipal apply (see _layers.check_statement)
            out[layer] = ()
        else:
            out[layer] = (doc,)
    return replace(ps, unknown={}, **out)


_fills_cache: dict[int, tuple[PolicySet, tuple[PolicySet, PolicySet, PolicySet]]] = {}


def with_unknown_layers(
    request: Request, ps: PolicySet, evaluate: Callable[[Request, PolicySet], Decision]
) -> Decision:
    """The decision when some layers of ``ps`` are unknown (the rule is in ``evaluate``'s
    docstring): ``evaluate`` is run with each unknown layer allowing all, nothing, and
    denying all."""
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
        elif not best.denied_by:  # a documented special case refuses it (Decision.special)
            base, decision = best, "implicit_deny"
        elif none.denied_by[:1] == best.denied_by[:1]:
            base, decision = best, "implicit_deny"
        else:
            base, decision = best, "unknown"
            notes.append(
                "denied whatever the unknown layers hold, but AWS may name an unknown layer "
                f"({none.denied_by[0]} instead of {best.denied_by[0]}); lacking_allow lists "
                "the known layers that lack an Allow"
            )
    else:
        base, decision = best, "unknown"
    if decision != "unknown" and "explicit_deny" in possible and decision != "explicit_deny":
        notes.append("an unknown layer could also hold a Deny that matches (explicit deny)")
    notes.insert(
        0,
        "not known: " + "; ".join(f"the {layer} layer ({why})" for layer, why in unknown.items()),
    )
    layers = _known_layers(base.raw_layers, unknown)
    deciding = tuple(r for r in base.raw_deciding if not r.policy_id.startswith(_UNKNOWN_ID))
    lacking = tuple(n for n in best.lacking_allow if _res(n) not in unknown)
    denied_by = () if decision in ("unknown", "allow") else base.denied_by
    missing = tuple(dict.fromkeys(best.missing_context + none.missing_context))
    return make_decision(
        decision=decision,
        denied_by=denied_by,
        policy_type=POLICY_TYPE_PHRASES[denied_by[0]] if denied_by else None,
        missing_context=missing if decision != "explicit_deny" else base.missing_context,
        notes=tuple(dict.fromkeys(notes)),
        principal=base.principal,
        action=base.action,
        resource=base.resource,
        resource_account=base.resource_account,
        raw_layers=layers,
        raw_deciding=deciding if decision != "unknown" or "allow" in possible else (),
        lacking_allow=lacking,
        unknown=unknown,
        possible=possible,
        special=base.special,
    )


def _res(layer: str) -> str:
    return "resource" if layer == "trust" else layer


def _known_layers(
    raw_layers: tuple[LayerRecord, ...], unknown: dict[str, str]
) -> tuple[LayerRecord, ...]:
    """Layer records with each unknown layer's stand-in shown as one ``unknown`` record."""
    out, shown = [], set()
    for rec in raw_layers:
        layer = _res(rec.layer)
        if layer in unknown and rec.outcome != "not_applicable":
            if layer not in shown:
                out.append(LayerRecord(rec.layer, "unknown", (), None, unknown[layer], ()))
            shown.add(layer)
            continue
        shown.add(layer)
        out.append(rec)
    for layer, why in unknown.items():
        if layer not in shown:
            out.append(LayerRecord(layer, "unknown", (), None, why, ()))
    return tuple(out)
