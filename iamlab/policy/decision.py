"""The engine's output: a decision and the records that explain it.

Every record is built by the matcher that produced the verdict, during
evaluation; text and dict renderings only read them. Field values come from
the fixed sets below so callers can compare them safely.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, NamedTuple

from iamlab.escape import printable

# "unknown": a layer that could decide is not known (see iamlab.policy.evaluate).
DECISIONS = ("allow", "implicit_deny", "explicit_deny", "unknown")
# The one layer table: each layer and the phrase AWS's error messages use for it
# (aws-facts 1.1). A role's trust policy is the role's resource layer ("trust").
POLICY_TYPE_PHRASES = {
    "identity": "identity-based policy",
    "permissions_boundary": "permissions boundary",
    "session": "session policy",
    "scp": "service control policy",
    "rcp": "resource control policy",
    "resource": "resource-based policy",
    "vpc_endpoint": "VPC endpoint policy",
    "trust": "role trust policy",
}
LAYERS = tuple(POLICY_TYPE_PHRASES)
# Layers of a request that the identity side holds (a Principal is not allowed in them),
# and the organization-wide layers that every request must pass whoever grants it.
IDENTITY_SIDE = ("identity", "permissions_boundary", "session")
ORGANIZATION = ("vpc_endpoint", "rcp", "scp")
NO_PRINCIPAL = (*IDENTITY_SIDE, "scp")  # layers whose statements must not name a Principal
# Which layer an AWS error message would name when several denied: AWS names
# one only (aws-facts 1.1); we pick by evaluation order (4.1), which is our
# inference, not documented.
NAMING_ORDER = (*ORGANIZATION, "trust", "resource", *IDENTITY_SIDE)
NAMING_RANK = {name: n for n, name in enumerate(NAMING_ORDER)}
OUTCOMES = ("allow", "implicit_deny", "explicit_deny", "not_applicable", "unknown")
FAILED_ON = ("action", "resource", "principal", "condition")
# The one grant table: how a resource-based policy statement named the caller
# (aws-facts 4.2), best first. Within one account a grant ranked before "role"
# allows on its own; "role" is still limited by the boundary and the session
# policy; "account" delegates to the identity side.
GRANT_RANK = {
    "session": 0,
    "user": 0,
    "federated": 0,
    "canonical_user": 0,
    "service": 1,
    "wildcard": 2,
    "role": 3,
    "account": 4,
}
GRANTS = tuple(GRANT_RANK)
UNLIMITED_GRANTS = frozenset(g for g, rank in GRANT_RANK.items() if rank < GRANT_RANK["role"])


# The records below are written by the matchers while they evaluate (the verdict and
# why, never reconstructed afterwards) and are the explanation a caller reads. They
# are named tuples: as cheap as tuples on the hot path, which builds them with
# ``new(Record, (...))`` (``tuple.__new__``: a third of the cost of calling the class).
new = tuple.__new__


class ConditionResult(NamedTuple):
    """One condition (operator, key) checked against the request."""

    operator: str
    key: str
    policy_values: tuple[str, ...]
    request_values: tuple[str, ...] | None  # None: the key is absent from the request
    matched: bool
    reason: str
    missing: bool  # the key was absent from the request context
    missing_variable: str | None = None  # lower-cased key of a policy variable without value


class StatementResult(NamedTuple):
    """Whether one statement applied to the request (``applies``), and if not, why not."""

    layer: str
    policy_id: str
    statement_index: int  # position in the policy's Statement list
    sid: str | None
    effect: str  # "Allow" | "Deny"
    applies: bool
    failed_on: str | None  # one of FAILED_ON when it does not apply
    reason: str
    conditions: tuple[ConditionResult, ...] = ()
    grant: str | None = None  # one of GRANTS, for statements with Principal/NotPrincipal
    missing_context: tuple[str, ...] = ()  # absent keys that decided this statement

    def ref(self) -> str:
        """Short reference: ``policy-id#Sid`` or ``policy-id#[index]``."""
        return (
            f"{self.policy_id}#{self.sid}"
            if self.sid
            else f"{self.policy_id}#[{self.statement_index}]"
        )


class LayerRecord(NamedTuple):
    """What evaluating one layer (or SCP/RCP level) wrote; ``Decision.layers`` reads it.

    ``base`` holds every statement's 'action not matched' result; the results
    of statements that matched the action are ``replacements`` (position,
    result), applied when the ``Decision`` is read, so nothing is copied on
    the hot path.
    """

    layer: str
    outcome: str  # one of OUTCOMES
    base: tuple[StatementResult, ...]
    level: int | None
    note: str
    replacements: Sequence[tuple[int, StatementResult]]


def not_applicable(layer: str, note: str, level: int | None = None) -> LayerRecord:
    """The record of a layer that does not apply to this caller or action."""
    return LayerRecord(layer, "not_applicable", (), level, note, ())


@dataclass(frozen=True, slots=True)
class LayerResult:
    """One policy layer (or one SCP/RCP level) and its statements."""

    layer: str
    outcome: str  # one of OUTCOMES
    statements: tuple[StatementResult, ...] = ()
    level: int | None = None  # SCP/RCP level, root first
    note: str = ""


@dataclass(frozen=True)
class Decision:
    """AWS's answer for one request, with the statements that decided it.

    ``decision`` is one of DECISIONS; ``denied_by`` lists the layers that
    denied (empty on allow): for an explicit deny every layer holding a
    matching Deny (4.1 step 2); for an implicit deny the one layer at which
    AWS's ordered evaluation stops (4.1 steps 3-8: VPC endpoint, RCP, SCP,
    resource/trust, identity, boundary, session), while ``lacking_allow``
    lists every layer that lacks a needed Allow on the closest way to an allow
    (same account: identity side first, then a resource-policy grant; 4.2,
    4.3): all of them must change for the request to pass. A role's trust
    policy is reported as layer ``trust``. ``policy_type`` is the
    error-message phrase of ``denied_by[0]``, the one AWS would name
    (aws-facts 1.1); ``deciding`` holds the matching Deny
    statements (explicit deny) or the Allow statements that granted (allow);
    ``layers`` holds every layer with every statement and why it did or did
    not apply; ``special`` names the documented special case (see
    ``iamlab.policy.special``) when one decided instead of the policies;
    ``missing_context`` lists condition keys the request does not carry but
    the decision depends on: then ``notes`` says so and the answer is not
    final.

    The matchers write the statement results while they evaluate; ``layers``
    assembles them into ``LayerResult`` objects on first access.
    """

    decision: str
    denied_by: tuple[str, ...]
    policy_type: str | None
    missing_context: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    principal: str = ""
    action: str = ""
    resource: str = ""
    resource_account: str | None = None
    lacking_allow: tuple[str, ...] = ()
    unknown: Mapping[str, str] = field(default_factory=dict)
    possible: tuple[str, ...] = ()
    special: str = ""  # id of the documented special case that decided (iamlab.policy.special)
    raw_layers: tuple[LayerRecord, ...] = field(default=(), repr=False, compare=False)
    raw_deciding: tuple[StatementResult, ...] = field(default=(), repr=False, compare=False)

    @cached_property
    def layers(self) -> tuple[LayerResult, ...]:
        """Every evaluated (or not applicable) layer, SCP/RCP levels root first."""
        out = []
        for lr in self.raw_layers:
            recs = list(lr.base)
            for pos, rec in lr.replacements:
                recs[pos] = rec
            out.append(LayerResult(lr.layer, lr.outcome, tuple(recs), lr.level, lr.note))
        return tuple(out)

    @cached_property
    def deciding(self) -> tuple[StatementResult, ...]:
        """The Deny statements that matched (explicit deny) or the Allows that granted."""
        return tuple(self.raw_deciding)

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    @property
    def denied(self) -> bool:
        """True when AWS denies the request whatever the unknown layers hold."""
        if self.decision == "unknown":
            return "allow" not in self.possible
        return self.decision != "allow"

    @property
    def depends_on_missing_context(self) -> bool:
        return bool(self.missing_context)

    def layer(self, name: str) -> list[LayerResult]:
        """The results of one layer (several for SCP/RCP levels)."""
        return [lr for lr in self.layers if lr.layer == name]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (tuples become lists)."""
        out = {
            f.name: _plain(getattr(self, f.name))
            for f in fields(self)
            if not f.name.startswith("raw_")
        }
        out["deciding"] = _plain(self.deciding)
        out["layers"] = _plain(self.layers)
        return out

    def __str__(self) -> str:
        return render_text(self)


_new = object.__new__


def make_decision(**fields: Any) -> Decision:
    """Build a Decision from its fields by name, without the frozen-dataclass ``__init__``
    (hot path: ~3x faster); ``lacking_allow``, ``unknown``, ``possible`` and ``special``
    may be left out. Every other field of ``Decision`` must be given."""
    d = _new(Decision)
    d.__dict__.update(_DEFAULTS, **fields)
    return d


_NOTHING: Mapping[str, str] = {}
_DEFAULTS = {"lacking_allow": (), "unknown": _NOTHING, "possible": (), "special": ""}


# Fields renamed in Python (``index`` shadowed ``tuple.index``) keep their JSON names, so
# ``to_dict`` and ``simulate --json`` read as before.
_JSON_NAMES = {"statement_index": "index"}


def _plain(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
    if hasattr(obj, "_asdict"):  # a named tuple: ConditionResult, StatementResult
        return {_JSON_NAMES.get(k, k): _plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(x) for x in obj]
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def _values(vals: tuple[str, ...] | None) -> str:
    if vals is None:
        return "(absent)"
    return "[" + ", ".join(printable(v) for v in vals) + "]"


def _words(decision: str) -> str:
    return decision.replace("_", " ")


def render_text(d: Decision) -> str:
    """Readable multi-line explanation of a decision (policy text escaped for a terminal)."""
    head = d.decision.upper().replace("_", " ")
    lines = [
        f"{head}: {printable(d.principal)} -> {printable(d.action)} on {printable(d.resource)}"
    ]
    if d.unknown:
        lines.append(
            "unknown layers: "
            + "; ".join(f"{layer} ({printable(why)})" for layer, why in d.unknown.items())
        )
        if d.possible:
            lines.append(
                "whatever they hold, AWS could decide: " + ", ".join(map(_words, d.possible))
            )
    if d.denied_by:
        lines.append(f"denied by: {', '.join(d.denied_by)} (AWS would report: {d.policy_type})")
    if d.special:
        lines.append(f"decided by AWS's special case {d.special!r}, whatever the policies say")
    if len(d.lacking_allow) > 1 or (d.decision == "unknown" and d.lacking_allow):
        lines.append(f"lacking an Allow: {', '.join(d.lacking_allow)} (each must allow)")
    if d.deciding:
        lines.append("deciding statements:")
        lines.extend(f"  - [{s.layer}] {printable(s.ref())} {s.effect}" for s in d.deciding)
    if d.missing_context:
        lines.append(
            "NOT FINAL: the decision depends on context keys the request does not carry: "
            + ", ".join(printable(k) for k in d.missing_context)
        )
    for note in d.notes:
        if not note.startswith(("the decision depends on context keys", "not known: ")):
            lines.append(f"note: {printable(note)}")
    for lr in d.layers:
        level = f" level {lr.level}" if lr.level is not None else ""
        extra = f" ({printable(lr.note)})" if lr.note else ""
        lines.append(f"[{lr.layer}{level}] {lr.outcome}{extra}")
        for s in lr.statements:
            mark = "applies" if s.applies else f"no ({s.failed_on})"
            lines.append(f"    {s.effect:5} {printable(s.ref())}: {mark}: {printable(s.reason)}")
            for c in s.conditions:
                verdict = "ok" if c.matched else "FAILED"
                lines.append(
                    f"        {printable(c.operator)} {printable(c.key)} "
                    f"policy={_values(c.policy_values)} "
                    f"request={_values(c.request_values)}: {verdict} ({printable(c.reason)})"
                )
    return "\n".join(lines)


__all__ = [
    "ConditionResult",
    "StatementResult",
    "LayerResult",
    "Decision",
    "render_text",
    "DECISIONS",
    "LAYERS",
    "OUTCOMES",
    "FAILED_ON",
    "GRANTS",
    "POLICY_TYPE_PHRASES",
]
