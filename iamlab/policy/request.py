"""The inputs of an evaluation: a request and the policy layers that apply to it.

These types are the contract between the snapshot loader (which builds them
from a snapshot folder), the test-case files (which build them from JSON) and
the engine (which only reads them). They carry no logic beyond conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ContextValue = str | list[str]


@dataclass(frozen=True)
class Request:
    """One authorization request, as AWS would see it.

    ``principal`` is an IAM/STS ARN, a service principal such as
    ``lambda.amazonaws.com``, or ``"anonymous"``. ``resource_account`` is the
    account that owns the resource (S3 ARNs carry none). A string context value
    is single-valued, a list is multi-valued.
    """

    principal: str
    action: str
    resource: str = "*"
    resource_account: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Request:
        """Build from the ``request`` object of the test-case format."""
        return cls(
            principal=data["principal"],
            action=data["action"],
            resource=data.get("resource", "*"),
            resource_account=data.get("resource_account"),
            context=dict(data.get("context") or {}),
        )


@dataclass(frozen=True)
class Policy:
    """A policy document and where it came from.

    ``id`` names the policy in explanations: a managed policy ARN, an SCP id,
    or a snapshot reference such as ``user/alice/inline/s3-read``. ``document``
    is the parsed JSON object (or its JSON text).
    """

    document: Mapping[str, Any] | str
    id: str = ""
    name: str | None = None


@dataclass(frozen=True)
class PolicySet:
    """Every policy layer that applies to one request.

    ``scp`` and ``rcp`` are lists of levels, root first, each level a list of
    policies; ``None`` means "not in an organization" and an empty level allows
    nothing. ``session`` and ``resource`` are single policies or ``None``.
    """

    identity: tuple[Policy, ...] = ()
    permissions_boundary: tuple[Policy, ...] = ()
    session: Policy | None = None
    scp: tuple[tuple[Policy, ...], ...] | None = None
    rcp: tuple[tuple[Policy, ...], ...] | None = None
    resource: Policy | None = None
    vpc_endpoint: tuple[Policy, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicySet:
        """Build from the ``policies`` object of the test-case format."""

        def one(doc: Any, label: str) -> Policy | None:
            if doc is None:
                return None
            return doc if isinstance(doc, Policy) else Policy(document=doc, id=label)

        def many(docs: Any, label: str) -> tuple[Policy, ...]:
            return tuple(one(d, f"{label}[{i}]") for i, d in enumerate(docs or []))

        def levels(value: Any, label: str) -> tuple[tuple[Policy, ...], ...] | None:
            if value is None:
                return None
            return tuple(many(level, f"{label}[{n}]") for n, level in enumerate(value))

        return cls(
            identity=many(data.get("identity"), "identity"),
            permissions_boundary=many(data.get("permissions_boundary"), "permissions_boundary"),
            session=one(data.get("session"), "session"),
            scp=levels(data.get("scp"), "scp"),
            rcp=levels(data.get("rcp"), "rcp"),
            # "trust" is accepted as another name for a role's trust policy,
            # which is the role's resource-based policy.
            resource=one(
                data.get("resource") if data.get("resource") is not None else data.get("trust"),
                "resource",
            ),
            vpc_endpoint=many(data.get("vpc_endpoint"), "vpc_endpoint"),
        )
