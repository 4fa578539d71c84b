"""The Principal / NotPrincipal element, compiled, and matched against a caller.

Forms (aws-facts 4.5): ``"*"``, ``{"AWS": "*"}``, ``{"AWS": <ARN | account id
| list>}``, ``{"Service": ...}``, ``{"Federated": ...}``,
``{"CanonicalUser": ...}``. ``arn:aws:iam::acct:root`` and a bare account id
both mean the whole account (any principal of it). No partial wildcards:
``arn:aws:iam::*:role/x`` is taken literally (AWS rejects such policies).
Role ARNs match the role's sessions by the full role ARN when it is known
(``aws:PrincipalArn`` in the context), else by partition, account and role
name (a session ARN drops the path; role names are unique in an account).
Account principals match only callers of the same partition (a bare account
id matches any).
A unique id (``AIDA...``/``AROA...``, what AWS keeps after the entity is
deleted) matches only when the request's ``aws:userid`` carries it.
"""

from __future__ import annotations

from typing import Any

from iamlab.errors import PolicyError
from iamlab.policy._caller import ANONYMOUS, ROLE, ROLE_SESSION, Caller, identities
from iamlab.policy.decision import GRANT_RANK

_KEYS = {
    "aws": "AWS",
    "service": "Service",
    "federated": "Federated",
    "canonicaluser": "CanonicalUser",
}


class PrincipalSpec:
    """A compiled Principal or NotPrincipal element."""

    __slots__ = (
        "entries",
        "wildcard",
        "accounts",
        "users",
        "roles",
        "role_arns",
        "sessions",
        "services",
        "federated",
        "canonical",
        "unique_ids",
        "warnings",
        "_cache",
    )

    def __init__(self, value: Any, where: str) -> None:
        self.entries: list[str] = []
        self.wildcard = False
        self.accounts: set[tuple[str | None, str]] = (
            set()
        )  # (partition or None for a bare id, account)
        self.users: set[str] = set()
        self.roles: set[tuple[str, str, str]] = set()  # (partition, account, role name)
        self.role_arns: set[str] = set()
        self.sessions: set[str] = set()
        self.services: set[str] = set()
        self.federated: set[str] = set()
        self.canonical: set[str] = set()
        self.unique_ids: set[str] = set()
        self.warnings: list[str] = []
        self._cache: dict[tuple[str, str | None], str | None] = {}
        if value == "*":
            self.wildcard = True
            self.entries.append("*")
            return
        if not isinstance(value, dict) or not value:
            raise PolicyError(
                f'{where}: must be "*" or an object with AWS, Service, Federated or '
                f"CanonicalUser, got {value!r}"
            )
        for key, vals in value.items():
            kind = _KEYS.get(str(key).lower())
            if kind is None:
                raise PolicyError(
                    f"{where}: unknown principal type {key!r}; valid: AWS, Service, Federated, "
                    f"CanonicalUser"
                )
            if isinstance(vals, str):
                vals = [vals]
            if not isinstance(vals, list) or not vals or not all(isinstance(v, str) for v in vals):
                raise PolicyError(
                    f"{where}: {key} must be a string or a non-empty list of strings, got {vals!r}"
                )
            for v in vals:
                self.entries.append(f"{kind}:{v}")
                self._add(kind, v.strip(), where)

    def _add(self, kind: str, v: str, where: str) -> None:
        if kind == "Service":
            self.services.add(v.lower())
        elif kind == "Federated":
            self.federated.add(v.lower())
        elif kind == "CanonicalUser":
            self.canonical.add(v)
        elif v == "*":
            self.wildcard = True
        elif v.isdigit() and len(v) == 12:
            self.accounts.add((None, v))
        elif v.startswith("arn:"):
            if "*" in v or "?" in v:
                self.warnings.append(
                    f"{where}: {v!r} has a wildcard; principals allow no partial wildcards "
                    f"(taken literally)"
                )
            parts = v.split(":", 5)
            if len(parts) != 6:
                self.warnings.append(f"{where}: {v!r} is not a valid principal ARN")
                return
            partition, service, account, res = parts[1], parts[2], parts[4], parts[5]
            if service == "iam" and res == "root":
                self.accounts.add((partition, account))
            elif service == "iam" and res.startswith("user/"):
                self.users.add(v)
            elif service == "iam" and res.startswith("role/"):
                self.roles.add((partition, account, res.rsplit("/", 1)[-1]))
                self.role_arns.add(v)
            elif service == "sts" and res.startswith(("assumed-role/", "federated-user/")):
                self.sessions.add(v)
            else:
                self.warnings.append(
                    f"{where}: {v!r} is not a user, role, session, federated user or account ARN"
                )
        elif v[:4] in ("AIDA", "AROA") and v.isalnum():
            self.unique_ids.add(v)
        else:
            self.warnings.append(f"{where}: {v!r} is not an account id, ARN or unique id")

    def _listed(self, kind: str, name: str, caller: Caller) -> bool:
        if kind == "session":
            return name in self.sessions
        if kind == "user":
            return name in self.users
        if kind == "role":
            # With the role's full ARN known, its path must match too; a session
            # ARN alone drops the path, so then the role is matched by name
            # (role names are unique in an account).
            if caller.role_path_known:
                return name in self.role_arns
            return (caller.partition, caller.account or "", caller.role_name or "") in self.roles
        if kind == "account":
            return (None, name) in self.accounts or (caller.partition, name) in self.accounts
        if kind == "service":
            return name in self.services or name in self.federated
        return False

    def match(self, caller: Caller, ctx: dict[str, tuple[str, ...]]) -> str | None:
        """The best grant kind under which ``caller`` is named, or None."""
        if self.unique_ids or self.canonical:  # these also read the request context
            return self._match(caller, ctx)
        key = (caller.raw, caller.role_arn)
        try:
            return self._cache[key]
        except KeyError:  # first sight of this caller
            if len(self._cache) > 4096:
                self._cache.clear()
            grant = self._cache[key] = self._match(caller, ctx)
            return grant

    def _match(self, caller: Caller, ctx: dict[str, tuple[str, ...]]) -> str | None:
        best: str | None = None
        for kind, name in identities(caller):
            if self._listed(kind, name, caller):
                if kind == "service":
                    kind = "service" if name in self.services else "federated"
                if best is None or GRANT_RANK[kind] < GRANT_RANK[best]:
                    best = kind
        if self.unique_ids:
            uid = (ctx.get("aws:userid") or ("",))[0]
            head = uid.split(":", 1)[0]
            if head in self.unique_ids:
                kind = "role" if caller.kind in (ROLE_SESSION, ROLE) and ":" in uid else "user"
                if best is None or GRANT_RANK[kind] < GRANT_RANK[best]:
                    best = kind
        if self.canonical:
            cu = ctx.get("aws:canonicaluser") or ()
            if caller.raw in self.canonical or any(c in self.canonical for c in cu):
                best = best if best is not None and GRANT_RANK[best] <= 0 else "canonical_user"
        # "*" (and {"AWS": "*"}) names every caller, anonymous and AWS services
        # included (from memory of the IAM Principal element page).
        if self.wildcard and (best is None or GRANT_RANK["wildcard"] < GRANT_RANK[best]):
            best = "wildcard"
        return best

    def excludes(self, caller: Caller) -> bool:
        """NotPrincipal: True when every identity of the caller is listed (aws-facts 4.5)."""
        if self.wildcard:
            return True
        if caller.kind == ANONYMOUS:
            return False
        ids = identities(caller)
        return bool(ids) and all(self._listed(kind, name, caller) for kind, name in ids)
