"""The inputs of an evaluation: a request and the policy layers that apply to it.

These types are the contract between the snapshot loader (which builds them
from a snapshot folder), the test-case files (which build them from JSON) and
the engine (which only reads them). They carry no logic beyond conversion and
checking their own shape: a malformed value raises ``InputError`` (or
``PolicyError`` for a document that is not JSON) naming the field.

A ``Policy`` copies its document when it is created, so editing the dict you
built it from afterwards changes nothing: build a new ``Policy`` (or
``PolicySet``) to evaluate the edited document. The engine caches compiled
documents by their content, so decisions always follow content.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iamlab.errors import IamlabError, InputError, PolicyError
from iamlab.policy.decision import LAYERS

ContextValue = str | list[str]

# Layers a PolicySet can mark as unknown (a role's trust policy is its "resource" layer).
UNKNOWABLE = tuple(layer for layer in LAYERS if layer != "trust")


def _text(value: Any, what: str, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, got {type(value).__name__} {value!r:.80}")
    return value


@dataclass(frozen=True)
class Request:
    """One authorization request, as AWS would see it.

    ``principal`` is an IAM/STS ARN, a service principal such as
    ``lambda.amazonaws.com``, or ``"anonymous"``. ``resource_account`` is the
    account that owns the resource (S3 ARNs carry none). A string context value
    is single-valued, a list is multi-valued. Raises ``InputError`` when a
    field has the wrong type.
    """

    principal: str
    action: str
    resource: str = "*"
    resource_account: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.principal.__class__ is not str:
            _text(self.principal, "request principal")
        if self.action.__class__ is not str:
            _text(self.action, "request action")
        if self.resource.__class__ is not str:
            _text(self.resource, "request resource")
        account = self.resource_account
        if account is not None and account.__class__ is not str:
            if isinstance(account, int) and not isinstance(account, bool):
                object.__setattr__(self, "resource_account", f"{account:012d}")
            else:
                _text(account, "request resource_account", optional=True)
        if not isinstance(self.context, Mapping):
            raise InputError(
                "request context must be a mapping of condition key -> string or list of "
                f"strings, got {type(self.context).__name__} {self.context!r:.80}"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Request:
        """Build from the ``request`` object of the test-case format.

        Raises ``InputError`` naming the missing or malformed field.
        """
        if not isinstance(data, Mapping):
            raise InputError(
                "request must be an object with principal, action and optionally resource, "
                f"resource_account, context; got {type(data).__name__} {data!r:.80}"
            )
        missing = [k for k in ("principal", "action") if k not in data]
        if missing:
            raise InputError(
                f"request lacks {' and '.join(missing)}; a request needs principal, action and "
                "optionally resource, resource_account, context"
            )
        context = data.get("context")
        if context is not None and not isinstance(context, Mapping):
            raise InputError(
                "request context must be an object of condition key -> string or list of "
                f"strings, got {type(context).__name__} {context!r:.80}"
            )
        resource = data.get("resource", "*")
        return cls(
            principal=data["principal"],
            action=data["action"],
            resource="*" if resource is None else resource,
            resource_account=data.get("resource_account"),
            context=dict(context or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``request`` object of the test-case format (JSON-safe; read back by from_dict)."""
        out: dict[str, Any] = {
            k: getattr(self, k) for k in ("principal", "action", "resource", "resource_account")
        }
        out["context"] = {k: v if isinstance(v, str) else list(v) for k, v in self.context.items()}
        return out


def _decoded(document: bytes | bytearray) -> str:
    """JSON text given as bytes, as text (undecodable bytes replaced, never raised)."""
    return bytes(document).decode("utf-8", "replace")


def policy_document(
    value: Any,
    where: str,
    error: type[IamlabError] = PolicyError,
    expected: str = "a JSON object",
) -> dict[str, Any]:
    """A policy document as a dict: itself, or parsed from its JSON text or UTF-8 bytes.

    The one reader of policy JSON: the engine (``PolicyError``), the snapshot loader
    (``SnapshotError``) and the CLI (``InputError``) pass their own error class and
    ``where`` (what the document is, e.g. "policy 'p1'"). Raises ``error`` naming
    ``where`` and the line and column when the text is not JSON, or the type when it
    is not a JSON object (``expected`` says what would be).

    >>> policy_document('{"Statement": []}', "policy 'p1'")
    {'Statement': []}
    """
    if isinstance(value, dict):
        return value
    if isinstance(value, (bytes, bytearray)):
        value = _decoded(value)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise error(
                f"{where} is not JSON (line {exc.lineno} column {exc.colno}: {exc.msg}); "
                f"expected {expected}"
            ) from None
        if isinstance(value, dict):
            return value
    raise error(f"{where} is a {type(value).__name__}, expected {expected}")


def _freeze(document: Any, policy_id: str) -> tuple[Any, str]:
    """(a private copy of the document, its content key): JSON text stays as it is."""
    if isinstance(document, str):
        return document, document
    if isinstance(document, (bytes, bytearray)):
        text = _decoded(document)
        return text, text
    try:
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise PolicyError(
            f"policy {policy_id or '(unnamed)'!r}: a policy document must be JSON (objects, "
            f"lists, strings, numbers, booleans, null): {exc}"
        ) from None
    return json.loads(text), text


@dataclass(frozen=True)
class Policy:
    """A policy document and where it came from.

    ``id`` names the policy in explanations: a managed policy ARN, an SCP id,
    or a snapshot reference such as ``user/alice/inline/s3-read``. ``document``
    is the parsed JSON object (or its JSON text); the Policy keeps its own
    copy, taken when it is created, and the engine evaluates ``content`` (that
    copy as canonical JSON text): to change a policy, build a new ``Policy``.
    Raises ``PolicyError`` for a document that is not JSON.
    """

    document: Mapping[str, Any] | str
    id: str = ""
    name: str | None = None
    # The document's content as canonical JSON text: what the engine compiles and caches by.
    content: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not (self.name is None or isinstance(self.name, str)):
            raise InputError(f"policy id and name must be strings, got {self.id!r}, {self.name!r}")
        doc, text = _freeze(self.document, self.id)
        object.__setattr__(self, "document", doc)
        object.__setattr__(self, "content", text)


def _is_unknown(value: Any) -> str | None:
    """The reason when a case-format layer value says "unknown", else None."""
    if isinstance(value, str) and value.strip().lower() == "unknown":
        return "given as unknown"
    if isinstance(value, Mapping) and set(value) == {"unknown"}:
        reason = value["unknown"]
        return reason if isinstance(reason, str) and reason else "given as unknown"
    return None


@dataclass(frozen=True)
class PolicySet:
    """Every policy layer that applies to one request.

    ``scp`` and ``rcp`` are lists of levels, root first, each level a list of
    policies; ``None`` means "not in an organization" and an empty level allows
    nothing. ``session`` and ``resource`` are single policies or ``None``.
    ``unknown`` maps a layer that applies but is not known (not collected, an
    account outside the snapshot) to the reason; the engine then never answers
    ``allow`` on a guess (see ``iamlab.policy.evaluate``).
    """

    identity: tuple[Policy, ...] = ()
    permissions_boundary: tuple[Policy, ...] = ()
    session: Policy | None = None
    scp: tuple[tuple[Policy, ...], ...] | None = None
    rcp: tuple[tuple[Policy, ...], ...] | None = None
    resource: Policy | None = None
    vpc_endpoint: tuple[Policy, ...] = ()
    unknown: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("identity", "permissions_boundary", "vpc_endpoint"):
            value = getattr(self, name)
            if value.__class__ is not tuple:
                value = _policies(value, name)
                object.__setattr__(self, name, value)
            elif not all(p.__class__ is Policy for p in value):
                _policies(value, name)
        for name in ("session", "resource"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Policy):
                raise InputError(
                    f"policies.{name} must be one Policy or None, got {type(value).__name__}"
                )
        for name in ("scp", "rcp"):
            value = getattr(self, name)
            if value is not None:
                if not isinstance(value, (list, tuple)):
                    raise InputError(_LEVELS_HELP.format(name=name, got=type(value).__name__))
                object.__setattr__(
                    self,
                    name,
                    tuple(
                        _policies(level, f"{name}[{n}]", levels=name)
                        for n, level in enumerate(value)
                    ),
                )
        unknown = self.unknown
        if not isinstance(unknown, Mapping):
            raise InputError(
                "policies.unknown must map a layer to the reason it is unknown, got "
                f"{unknown!r:.80}"
            )
        bad = [k for k in unknown if k not in UNKNOWABLE]
        if bad:
            raise InputError(
                f"policies.unknown names {bad!r}, which is not a layer; valid: "
                + ", ".join(UNKNOWABLE)
            )
        object.__setattr__(self, "unknown", {k: str(v) for k, v in unknown.items()})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicySet:
        """Build from the ``policies`` object of the test-case format.

        A layer given as ``"unknown"`` (or ``{"unknown": "why"}``) is marked
        unknown. Raises ``InputError`` naming a layer of the wrong shape and
        ``PolicyError`` for a document that is not JSON.
        """
        if not isinstance(data, Mapping):
            raise InputError(
                f"policies must be an object of layer -> documents, got {type(data).__name__}"
            )
        unknown: dict[str, str] = {}

        def one(doc: Any, label: str) -> Policy | None:
            if doc is None:
                return None
            if isinstance(doc, Policy):
                return doc
            if isinstance(doc, (list, tuple)):
                raise InputError(
                    f"policies.{label} must be one policy document or null, not a list"
                )
            if not isinstance(doc, (Mapping, str, bytes, bytearray)):
                raise InputError(
                    f"policies.{label} must be a policy document (an object or its JSON text), "
                    f"got {type(doc).__name__} {doc!r:.60}"
                )
            if isinstance(doc, (bytes, bytearray)):
                doc = _decoded(doc)
            return Policy(document=doc, id=label)

        def many(docs: Any, label: str, help_text: str | None = None) -> tuple[Policy, ...]:
            if docs is None:
                return ()
            if not isinstance(docs, (list, tuple)):
                raise InputError(
                    help_text
                    or f"policies.{label} must be a list of policy documents or null, "
                    f"got {type(docs).__name__} {docs!r:.60}"
                )
            return tuple(listed(d, f"{label}[{i}]") for i, d in enumerate(docs))

        def listed(doc: Any, label: str) -> Policy:
            policy = one(doc, label)
            if policy is None:
                raise InputError(
                    f"policies.{label} is null; a list of a layer holds policy documents "
                    "(give the layer as null for none)"
                )
            return policy

        def levels(value: Any, label: str) -> tuple[tuple[Policy, ...], ...] | None:
            if value is None:
                return None
            help_text = _LEVELS_HELP.format(name=label, got=type(value).__name__)
            if not isinstance(value, (list, tuple)):
                raise InputError(help_text)
            return tuple(many(level, f"{label}[{n}]", help_text) for n, level in enumerate(value))

        def layer(name: str) -> Any:
            value = data.get(name)
            if name == "resource" and value is None:
                # "trust" is accepted as another name for a role's trust policy,
                # which is the role's resource-based policy.
                value = data.get("trust")
            reason = _is_unknown(value)
            if reason is not None:
                unknown[name] = reason
                return None
            return value

        given = data.get("unknown")
        if given is not None:
            if not isinstance(given, Mapping):
                raise InputError("policies.unknown must map a layer to the reason it is unknown")
            unknown.update(given)
        return cls(
            identity=many(layer("identity"), "identity"),
            permissions_boundary=many(layer("permissions_boundary"), "permissions_boundary"),
            session=one(layer("session"), "session"),
            scp=levels(layer("scp"), "scp"),
            rcp=levels(layer("rcp"), "rcp"),
            resource=one(layer("resource"), "resource"),
            vpc_endpoint=many(layer("vpc_endpoint"), "vpc_endpoint"),
            unknown=unknown,
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``policies`` object of the test-case format: every layer, ``None`` for none, and
        ``{"unknown": why}`` for a layer that is not known (``from_dict`` reads it back)."""

        def docs(policies: tuple[Policy, ...]) -> list[Any]:
            return [p.document for p in policies]

        def levels(value: tuple[tuple[Policy, ...], ...] | None) -> list[list[Any]] | None:
            return None if value is None else [docs(level) for level in value]

        out: dict[str, Any] = {
            "identity": docs(self.identity),
            "permissions_boundary": docs(self.permissions_boundary),
            "session": self.session.document if self.session else None,
            "scp": levels(self.scp),
            "rcp": levels(self.rcp),
            "resource": self.resource.document if self.resource else None,
            "vpc_endpoint": docs(self.vpc_endpoint),
        }
        for layer, why in self.unknown.items():
            out[layer] = {"unknown": why}
        return out


_LEVELS_HELP = (
    "policies.{name} must be a list of levels (root first), each a list of policy "
    "documents, or null (not in an organization); got {got}"
)


def _policies(value: Any, label: str, levels: str | None = None) -> tuple[Policy, ...]:
    """A tuple of Policy objects, or InputError naming the layer."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(p, Policy) for p in value):
        if levels:
            raise InputError(_LEVELS_HELP.format(name=levels, got=type(value).__name__))
        raise InputError(
            f"policies.{label} must be a tuple of Policy objects, got {type(value).__name__} "
            f"{value!r:.60}"
        )
    return tuple(value)
