"""Principals of one account: index the authorization details, resolve ARNs, build layers.

A role session ARN (``arn:aws:sts::A:assumed-role/Name/session``) drops the
role's path (aws-facts.md section 5), so sessions are resolved by role name
within the account; the result carries the full role ARN with its path, which
is what ``aws:PrincipalArn`` evaluates to for a session.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlab.errors import SnapshotError
from iamlab.policy.request import Policy
from iamlab.snapshot.files import decode_document, read_authorization_details

SERVICE_LINKED_PATH = "/aws-service-role/"


class AbsentError(SnapshotError):
    """The snapshot does not hold a principal, role or account (it may exist in AWS)."""


@dataclass(frozen=True)
class ArnParts:
    """The six colon-separated parts of an ARN (resource keeps its colons)."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, arn: str) -> ArnParts | None:
        """Return the parts of ``arn``, or None when it is not an ARN."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            return None
        return cls(parts[1], parts[2], parts[3], parts[4], parts[5])


@dataclass(frozen=True)
class Principal:
    """A resolved caller.

    ``kind`` is ``user``, ``role``, ``assumed-role``, ``federated-user``,
    ``root``, ``service`` or ``anonymous``. ``entity_arn`` is the IAM user or
    role ARN with its path (the value of ``aws:PrincipalArn``); ``arn`` is the
    ARN that was asked for. ``external`` principals belong to an account the
    snapshot does not hold; ``unknown`` says why the identity policies of a
    principal are not known ("" when they are): an account outside the
    snapshot, an account not collected, or a principal absent from it.
    """

    arn: str
    kind: str
    account: str | None
    name: str
    entity_arn: str
    partition: str = "aws"
    path: str = "/"
    unique_id: str | None = None
    session_name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    external: bool = False  # its account is not in the snapshot: identity unknown
    unknown: str = ""

    @property
    def service_linked(self) -> bool:
        """True for service-linked roles and their sessions (outside SCPs and RCPs)."""
        return self.kind in ("role", "assumed-role") and self.path.startswith(SERVICE_LINKED_PATH)


def _tags(entity: Mapping[str, Any]) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in entity.get("Tags") or [] if "Key" in t}


class AccountIam:
    """IAM entities and policies of one account, indexed by ARN, name and unique id."""

    def __init__(self, account_id: str, account_dir: Path) -> None:
        self.account_id = account_id
        self.where = account_dir / "authorization-details.json"
        details = read_authorization_details(account_dir)
        self.users = {u["UserName"]: u for u in details["UserDetailList"] if "UserName" in u}
        self.groups = {g["GroupName"]: g for g in details["GroupDetailList"] if "GroupName" in g}
        self.roles = {r["RoleName"]: r for r in details["RoleDetailList"] if "RoleName" in r}
        self.managed = {p["Arn"]: p for p in details["Policies"]}
        self.by_arn: dict[str, tuple[str, dict[str, Any]]] = {}
        self.by_unique_id: dict[str, tuple[str, dict[str, Any]]] = {}
        for kind, table, id_key in (("user", self.users, "UserId"), ("role", self.roles, "RoleId")):
            for entity in table.values():
                self.by_arn[entity["Arn"]] = (kind, entity)
                if entity.get(id_key):
                    self.by_unique_id[entity[id_key]] = (kind, entity)
        self._managed_cache: dict[str, Policy] = {}

    # -- policies -------------------------------------------------------------------------

    def managed_policy(self, arn: str, fallback: Callable[[str], Policy | None]) -> Policy:
        """Return the default version of managed policy ``arn`` (AWS managed via ``fallback``)."""
        cached = self._managed_cache.get(arn)
        if cached is not None:
            return cached
        entry = self.managed.get(arn)
        if entry is None:
            found = fallback(arn)
            if found is None:
                raise SnapshotError(
                    f"managed policy {arn} is attached in account {self.account_id} but its "
                    f"document is not in {self.where} (Policies); collect without --filter, or "
                    "add its `aws iam get-policy-version` document to the Policies list"
                )
            return found
        policy = policy_from_managed(entry, str(self.where))
        self._managed_cache[arn] = policy
        return policy

    def inline_policies(self, entity: Mapping[str, Any], list_key: str) -> list[Policy]:
        """Return the inline policies of a user, group or role, ids ``<arn>#inline/<name>``."""
        out = []
        for item in entity.get(list_key) or []:
            name = item.get("PolicyName", "?")
            where = f"{self.where} ({entity['Arn']} inline policy {name})"
            doc = decode_document(item.get("PolicyDocument"), where)
            out.append(Policy(document=doc, id=f"{entity['Arn']}#inline/{name}", name=name))
        return out

    def attached(
        self, entity: Mapping[str, Any], fallback: Callable[[str], Policy | None]
    ) -> list[Policy]:
        """Return the managed policies attached to a user, group or role."""
        return [
            self.managed_policy(a["PolicyArn"], fallback)
            for a in entity.get("AttachedManagedPolicies") or []
            if "PolicyArn" in a
        ]

    def identity_policies(
        self, kind: str, entity: Mapping[str, Any], fallback: Callable[[str], Policy | None]
    ) -> tuple[Policy, ...]:
        """Return every identity policy of a user (with its groups) or role."""
        if kind == "role":
            return tuple(
                self.inline_policies(entity, "RolePolicyList") + self.attached(entity, fallback)
            )
        policies = self.inline_policies(entity, "UserPolicyList") + self.attached(entity, fallback)
        for group_name in entity.get("GroupList") or []:
            group = self.groups.get(group_name)
            if group is None:
                raise SnapshotError(
                    f"user {entity['Arn']} is in group {group_name!r}, which is not in "
                    f"{self.where} (GroupDetailList); re-export the authorization details"
                )
            policies += self.inline_policies(group, "GroupPolicyList")
            policies += self.attached(group, fallback)
        return tuple(policies)

    def boundary(
        self, entity: Mapping[str, Any], fallback: Callable[[str], Policy | None]
    ) -> tuple[Policy, ...]:
        """Return the permissions boundary of a user or role (empty when it has none)."""
        arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        return (self.managed_policy(arn, fallback),) if arn else ()

    def trust_policy(self, role: Mapping[str, Any]) -> Policy:
        """Return a role's trust policy; its id is the role ARN."""
        where = f"{self.where} ({role['Arn']} AssumeRolePolicyDocument)"
        doc = decode_document(role.get("AssumeRolePolicyDocument"), where)
        return Policy(document=doc, id=role["Arn"], name=f"{role['RoleName']} trust policy")

    # -- principals -----------------------------------------------------------------------

    def names(self) -> list[str]:
        """Return every user and role ARN (for near-match suggestions)."""
        return list(self.by_arn)

    def principal(self, arn: str, parts: ArnParts) -> Principal | None:
        """Resolve an IAM/STS ARN of this account; None when nothing matches."""
        kind, _, rest = parts.resource.partition("/")
        if parts.service == "iam" and parts.resource == "root":
            return Principal(arn, "root", self.account_id, "root", arn, parts.partition)
        if parts.service == "iam" and kind in ("user", "role"):
            found = self.by_arn.get(arn)
            if found is None:  # the same name under another path is still the same entity
                table = self.users if kind == "user" else self.roles
                entity = table.get(rest.rsplit("/", 1)[-1])
                found = (kind, entity) if entity is not None else None
            return self._entity_principal(arn, *found) if found else None
        if parts.service == "sts" and kind == "assumed-role":
            role_name, _, session = rest.partition("/")
            role = self.roles.get(role_name)
            if role is None:
                return None
            base = self._entity_principal(arn, "role", role)
            return Principal(
                arn,
                "assumed-role",
                self.account_id,
                role_name,
                role["Arn"],
                parts.partition,
                base.path,
                base.unique_id,
                session or None,
                base.tags,
            )
        if parts.service == "sts" and kind == "federated-user":
            return Principal(arn, "federated-user", self.account_id, rest, arn, parts.partition)
        return None

    def by_id(self, unique_id: str) -> Principal | None:
        """Resolve a unique id (``AIDA…``, ``AROA…``, or ``AROA…:session``)."""
        base, _, session = unique_id.partition(":")
        found = self.by_unique_id.get(base)
        if found is None:
            return None
        principal = self._entity_principal(found[1]["Arn"], *found)
        if session and found[0] == "role":
            partition = found[1]["Arn"].split(":")[1]
            session_arn = (
                f"arn:{partition}:sts::{self.account_id}:assumed-role/{principal.name}/{session}"
            )
            return Principal(
                session_arn,
                "assumed-role",
                self.account_id,
                principal.name,
                principal.entity_arn,
                partition,
                principal.path,
                principal.unique_id,
                session,
                principal.tags,
            )
        return principal

    def _entity_principal(self, arn: str, kind: str, entity: Mapping[str, Any]) -> Principal:
        name_key, id_key = ("UserName", "UserId") if kind == "user" else ("RoleName", "RoleId")
        return Principal(
            arn,
            kind,
            self.account_id,
            entity[name_key],
            entity["Arn"],
            entity["Arn"].split(":")[1],
            entity.get("Path") or "/",
            entity.get(id_key),
            None,
            _tags(entity),
        )

    def entity(self, principal: Principal) -> tuple[str, dict[str, Any]] | None:
        """Return (kind, authorization-details entry) of a user, role or session's role."""
        if principal.kind == "user":
            return "user", self.users[principal.name]
        if principal.kind in ("role", "assumed-role"):
            return "role", self.roles[principal.name]
        return None


def external_principal(arn: str, parts: ArnParts, unknown: str = "") -> Principal | None:
    """Return a principal whose identity the snapshot does not hold (None: not a principal ARN).

    ``unknown`` is the reason (default: its account is not in the snapshot). A
    session's role path is unknown there, so ``entity_arn`` omits it.
    """
    reason = unknown or f"account {parts.account} of {arn} is not in the snapshot"
    kind, _, rest = parts.resource.partition("/")
    if parts.service == "iam" and parts.resource == "root":
        kind, rest = "root", "root"
    elif parts.service == "iam" and kind in ("user", "role"):
        pass
    elif parts.service == "sts" and kind == "assumed-role":
        role_name, _, session = rest.partition("/")
        role_arn = f"arn:{parts.partition}:iam::{parts.account}:role/{role_name}"
        return Principal(
            arn,
            kind,
            parts.account,
            role_name,
            role_arn,
            parts.partition,
            session_name=session or None,
            external=True,
            unknown=reason,
        )
    elif parts.service == "sts" and kind == "federated-user":
        pass
    else:
        return None
    name = rest.rsplit("/", 1)[-1]
    path = "/" + rest[: -len(name)].lstrip("/") if kind in ("user", "role") else "/"
    return Principal(
        arn, kind, parts.account, name, arn, parts.partition, path, external=True, unknown=reason
    )


def policy_from_managed(entry: Mapping[str, Any], where: str) -> Policy:
    """Return the default version of a ``Policies`` entry as a Policy (id = its ARN)."""
    versions = entry.get("PolicyVersionList") or []
    default = entry.get("DefaultVersionId")
    chosen = next((v for v in versions if v.get("IsDefaultVersion")), None) or next(
        (v for v in versions if default and v.get("VersionId") == default), None
    )
    if chosen is None:
        raise SnapshotError(
            f"managed policy {entry['Arn']} in {where} has no default version in "
            "PolicyVersionList; re-export the authorization details"
        )
    doc = decode_document(chosen.get("Document"), f"{where} ({entry['Arn']} default version)")
    return Policy(document=doc, id=entry["Arn"], name=entry.get("PolicyName"))
