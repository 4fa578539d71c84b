"""A loaded snapshot: every policy layer that applies to a request.

``load(dir)`` reads the manifest and the organization and checks that each
account folder has its authorization details; each account's IAM data and the
resource policies are read on first use and cached, so repeated lookups on a
large organization stay cheap.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from iamlab.errors import SnapshotError
from iamlab.policy.request import ContextValue, Policy, PolicySet
from iamlab.policy.special import TRUST_ACTIONS
from iamlab.snapshot import context, gaps
from iamlab.snapshot.files import authorization_detail_files, read_json
from iamlab.snapshot.org import RCP, SCP, Levels, Organization
from iamlab.snapshot.principals import (
    AbsentError,
    AccountIam,
    ArnParts,
    Principal,
    external_principal,
    policy_from_managed,
)
from iamlab.snapshot.resources import ResourceIndex, ResourcePolicy


@dataclass(frozen=True)
class StatementRef:
    """Where a statement lives: its policy, the layer, its index and the statement itself."""

    policy: Policy
    layer: str
    index: int
    statement: Mapping[str, Any]


class Snapshot:
    """IAM configuration at a point in time, read from a snapshot folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        manifest_path = root / "manifest.json"
        self.manifest: dict[str, Any] = read_json(manifest_path) if manifest_path.exists() else {}
        accounts_dir = root / "accounts"
        found = (
            sorted(
                p.name for p in accounts_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
            )
            if accounts_dir.is_dir()
            else []
        )
        for name in found:
            if not (name.isdigit() and len(name) == 12):
                raise SnapshotError(
                    f"{accounts_dir / name}: account folders are named by 12-digit account id"
                )
        # accounts whose authorization details the collector could not read (manifest says so)
        self.uncollected: dict[str, str] = _uncollected_accounts(self.manifest)
        for name in found:
            if name not in self.uncollected:
                authorization_detail_files(accounts_dir / name)  # raises naming the missing file
        org_dir = root / "organization"
        self.organization: Organization | None = Organization(org_dir) if org_dir.is_dir() else None
        if not found and self.organization is None:
            raise SnapshotError(
                f"{root} is not a snapshot folder: expected accounts/<account-id>/"
                "authorization-details.json and/or organization/ (see `iamlab collect`)"
            )
        self.accounts: tuple[str, ...] = tuple(found)
        self._iam: dict[str, AccountIam] = {}
        self._resources: ResourceIndex | None = None
        self._policy_index: dict[str, tuple[str, Policy]] | None = None
        self._principals: dict[str, Principal] = {}
        self._layers: dict[str, tuple[tuple[Policy, ...], tuple[Policy, ...]]] = {}

    def __repr__(self) -> str:
        return f"Snapshot({str(self.root)!r}, accounts={len(self.accounts)})"

    # -- accounts and principals ----------------------------------------------------------

    def iam_accounts(self) -> list[str]:
        """Return the accounts whose authorization details the snapshot holds."""
        return [a for a in self.accounts if a not in self.uncollected]

    def iam(self, account_id: str) -> AccountIam:
        """Return the IAM index of one account (read on first use)."""
        if account_id not in self._iam:
            if account_id in self.uncollected:
                raise AbsentError(
                    f"the authorization details of account {account_id} were not collected "
                    f"({self.uncollected[account_id]}, see {self.root / 'manifest.json'}); its "
                    "principals and policies are unknown: re-collect with a role that may call "
                    "iam:GetAccountAuthorizationDetails"
                )
            if account_id not in self.accounts:
                raise AbsentError(
                    f"account {account_id} is not in the snapshot {self.root} (it holds "
                    f"{', '.join(self.accounts) or 'no accounts'}); collect it or pick another"
                )
            self._iam[account_id] = AccountIam(account_id, self.root / "accounts" / account_id)
        return self._iam[account_id]

    def principal(self, arn: str, missing_ok: bool = False) -> Principal:
        """Resolve a user, role, role-session, federated-user or root ARN, or a unique id.

        A principal of an account the snapshot does not hold comes back with
        ``external=True`` (its identity is unknown). Raises SnapshotError listing
        near matches when a collected account does not know it, or, with
        ``missing_ok``, returns a stand-in whose ``unknown`` gives that message
        (the principal may have been deleted or created since the snapshot).
        """
        cached = self._principals.get(arn)
        if cached is None:
            try:
                cached = self._principals[arn] = self._resolve(arn.strip())
            except AbsentError as exc:
                parts = ArnParts.parse(arn.strip())
                stand_in = external_principal(arn.strip(), parts, str(exc)) if parts else None
                if not missing_ok or stand_in is None:
                    raise
                return replace(stand_in, external=parts.account not in self.accounts)
        return cached

    def _resolve(self, arn: str) -> Principal:
        if arn in ("anonymous", "*"):
            return Principal(arn, "anonymous", None, "anonymous", arn)
        if arn.endswith(".amazonaws.com") and not arn.startswith("arn:"):
            return Principal(arn, "service", None, arn, arn)
        parts = ArnParts.parse(arn)
        if parts is None:
            for account_id in self.iam_accounts():
                found = self.iam(account_id).by_id(arn)
                if found is not None:
                    return found
            raise SnapshotError(
                f"{arn!r} is neither an ARN nor a unique id (AIDA…/AROA…) known to the snapshot; "
                "pass a user, role or arn:aws:sts::<acct>:assumed-role/<role>/<session> ARN"
            )
        if parts.service not in ("iam", "sts"):
            raise SnapshotError(f"{arn} is not an IAM or STS principal ARN")
        if parts.account not in self.accounts and parts.account not in self.uncollected:
            external = external_principal(arn, parts)
            if external is None:
                raise SnapshotError(f"{arn} is not a user, role, session, federated or root ARN")
            return external
        found = self.iam(parts.account).principal(arn, parts)
        if found is None:
            known = self.iam(parts.account).names()
            near = difflib.get_close_matches(arn, known, n=5, cutoff=0.5)
            name = arn.rsplit("/", 2)[-2] if "assumed-role/" in arn else arn.rsplit("/", 1)[-1]
            near += [
                a for a in known if a.rsplit("/", 1)[-1].lower() == name.lower() and a not in near
            ]
            hint = f"; near matches: {', '.join(near)}" if near else ""
            raise AbsentError(
                f"principal {arn} is not in the snapshot of account {parts.account}{hint}"
            )
        return found

    # -- layers ---------------------------------------------------------------------------

    def _aws_managed(self, arn: str) -> Policy | None:
        """Find a managed policy document in any account (AWS managed policies are shared)."""
        for account_id in self.iam_accounts():
            entry = self.iam(account_id).managed.get(arn)
            if entry is not None:
                return policy_from_managed(entry, str(self.iam(account_id).where))
        return None

    def identity_layers(
        self, principal: Principal, issuer_arn: str | None = None
    ) -> tuple[tuple[Policy, ...], tuple[Policy, ...]]:
        """Return (identity policies, permissions boundary) of a principal.

        A federated user's permissions come from the IAM user who called
        GetFederationToken, which its ARN does not name: pass ``issuer_arn``
        (CloudTrail's ``sessionContext.sessionIssuer.arn``).
        """
        if principal.unknown:
            return (), ()  # not known: policies_for marks both layers unknown
        if principal.kind == "federated-user":
            if issuer_arn is None:
                raise SnapshotError(
                    f"{principal.arn} is a federated user: its permissions are those of the IAM "
                    "user who called GetFederationToken; pass that user's ARN as issuer_arn "
                    "(CloudTrail sessionContext.sessionIssuer.arn)"
                )
            principal = self.principal(issuer_arn)
        if principal.account is None or principal.kind not in ("user", "role", "assumed-role"):
            return (), ()
        cached = self._layers.get(principal.entity_arn)
        if cached is None:
            iam = self.iam(principal.account)
            kind, entity = iam.entity(principal)  # type: ignore[misc]
            cached = self._layers[principal.entity_arn] = (
                iam.identity_policies(kind, entity, self._aws_managed),
                iam.boundary(entity, self._aws_managed),
            )
        return cached

    def scp_levels(self, principal: Principal) -> Levels | None:
        """Return SCP levels for the principal's account (None: no SCPs apply)."""
        if self.organization is None or principal.account is None or principal.service_linked:
            return None
        return self.organization.levels(principal.account, SCP)

    def resources(self) -> ResourceIndex:
        """Return the resource-policy index (read on first use)."""
        if self._resources is None:
            self._resources = ResourceIndex((a, self.root / "accounts" / a) for a in self.accounts)
        return self._resources

    def trust_policy(self, role_arn: str) -> Policy | None:
        """Return a role's trust policy (None when its account's IAM is not in the snapshot)."""
        parts = ArnParts.parse(role_arn)
        if parts is None or parts.account not in self.iam_accounts():
            return None
        found = self.iam(parts.account).principal(role_arn, parts)
        if found is None or found.kind != "role":
            near = difflib.get_close_matches(role_arn, self.iam(parts.account).names(), n=5)
            raise AbsentError(
                f"role {role_arn} is not in the snapshot of account {parts.account}"
                + (f"; near matches: {', '.join(near)}" if near else "")
            )
        iam = self.iam(parts.account)
        return iam.trust_policy(iam.roles[found.name])

    def resource_policy(self, resource_arn: str, action: str | None = None) -> Policy | None:
        """Return the resource policy governing ``resource_arn`` for ``action``.

        For ``sts:AssumeRole*`` (and TagSession, SetSourceIdentity, SetContext)
        on a role, that is the role's trust policy.
        """
        if action and action.lower() in TRUST_ACTIONS and ":role/" in resource_arn:
            return self.trust_policy(resource_arn)
        record = self.resources().lookup(resource_arn)
        return record.policy if record else None

    def resource_account(self, resource_arn: str) -> str | None:
        """Return the account owning ``resource_arn``: from the ARN, or the bucket's folder."""
        parts = ArnParts.parse(resource_arn)
        if parts is None:
            return None
        if parts.account and parts.account != "aws":
            return parts.account
        record: ResourcePolicy | None = self.resources().lookup(resource_arn)
        return record.account if record else None

    def policies_for(
        self,
        principal_arn: str,
        action: str | None = None,
        resource_arn: str | None = None,
        resource_account: str | None = None,
        issuer_arn: str | None = None,
        vpc_endpoint: str | None = None,
    ) -> PolicySet:
        """Return every policy layer that applies to a request.

        Identity and boundary come from the user (with its groups) or role;
        SCP levels from the principal's account; the resource policy (or trust
        policy for ``sts:AssumeRole*``) and the RCP levels from the resource
        owner's account. ``resource_account`` overrides the derived owner.
        ``vpc_endpoint`` (id or ARN, CloudTrail's ``vpcEndpointId``) adds that
        endpoint's policy when the snapshot holds it. Session policies are not
        part of a snapshot. Layers the snapshot does not hold (an account or
        principal outside it, SCPs/RCPs or a resource policy not collected) are
        named in ``unknown`` with the reason (see ``iamlab.snapshot.gaps``).

        >>> snap.policies_for("arn:aws:sts::111122223333:assumed-role/Dev/alice",
        ...                   "s3:GetObject", "arn:aws:s3:::reports/q1.csv")  # doctest: +SKIP
        """
        principal = self.principal(principal_arn, missing_ok=True)
        identity_gap = ""
        if principal.kind == "federated-user" and not principal.unknown:
            issuer = self.principal(issuer_arn, missing_ok=True) if issuer_arn else None
            identity_gap = (
                issuer.unknown
                if issuer
                else f"{principal.arn} is a federated user: its permissions are those of the IAM "
                "user who called GetFederationToken; pass that user's ARN as issuer_arn "
                "(CloudTrail sessionContext.sessionIssuer.arn)"
            )
        identity, boundary = (
            ((), ()) if identity_gap else self.identity_layers(principal, issuer_arn)
        )
        resource = None
        owner = resource_account
        trust_role = bool(
            action and action.lower() in TRUST_ACTIONS and ":role/" in (resource_arn or "")
        )
        resource_error = None
        if resource_arn and resource_arn != "*":
            try:
                resource = self.resource_policy(resource_arn, action)
            except AbsentError as exc:  # a role the snapshot of its account does not hold
                resource_error = str(exc)
            owner = owner or self.resource_account(resource_arn)
        rcp = None
        if self.organization is not None and not principal.service_linked:
            rcp = self.organization.levels(owner, RCP)
        endpoint = self.resources().endpoint(vpc_endpoint) if vpc_endpoint else None
        return PolicySet(
            identity=identity,
            permissions_boundary=boundary,
            scp=self.scp_levels(principal),
            rcp=rcp,
            resource=resource,
            vpc_endpoint=(endpoint.policy,) if endpoint and endpoint.policy else (),
            unknown={
                **(
                    {"identity": identity_gap, "permissions_boundary": identity_gap}
                    if identity_gap
                    else {}
                ),
                **gaps.unknown_layers(
                    self, principal, resource_arn, owner, vpc_endpoint, trust_role, resource_error
                ),
            },
        )

    def caveats(
        self,
        principal_arn: str,
        action: str | None = None,
        resource_arn: str | None = None,
        resource_account: str | None = None,
        vpc_endpoint: str | None = None,
    ) -> list[str]:
        """Return what the snapshot cannot tell about a request, in plain sentences."""
        return context.caveats(
            self, principal_arn, action, resource_arn, resource_account, vpc_endpoint
        )

    def context_for(
        self,
        principal_arn: str,
        resource_arn: str | None = None,
        resource_account: str | None = None,
    ) -> dict[str, ContextValue]:
        """Return the global condition keys the snapshot knows for a request.

        See ``iamlab.snapshot.context.derive_context`` for the keys.
        """
        return context.derive_context(self, principal_arn, resource_arn, resource_account)

    def summary(self) -> dict[str, Any]:
        """Return counts of what the snapshot holds, per account and for the organization."""
        accounts = {}
        for account_id in self.accounts:
            if account_id in self.uncollected:
                accounts[account_id] = {"authorization_details": False}
                continue
            iam = self.iam(account_id)
            accounts[account_id] = {
                "users": len(iam.users),
                "groups": len(iam.groups),
                "roles": len(iam.roles),
                "managed_policies": len(iam.managed),
            }
        index = self.resources()
        for record in index.records():
            entry = accounts.setdefault(record.account, {})
            entry.setdefault("resource_policies", {}).setdefault(record.service, 0)
            entry["resource_policies"][record.service] += 1
        org = self.organization
        return {
            "root": str(self.root),
            "accounts": accounts,
            "vpc_endpoint_policies": len(index.endpoints),
            "organization": None
            if org is None
            else {
                "id": org.id,
                "management_account": org.management_account,
                "scps": sum(1 for p in org.all_policies() if p.type == SCP),
                "rcps": sum(1 for p in org.all_policies() if p.type == RCP),
            },
            "failed_calls": len(self.manifest.get("failed_calls") or []),
        }

    def principal_arns(self) -> list[str]:
        """Return every user and role ARN the snapshot holds (for pickers and listings)."""
        return [arn for account in self.iam_accounts() for arn in self.iam(account).names()]

    # -- finding policies and statements --------------------------------------------------

    def all_policies(self) -> Iterator[tuple[str, Policy]]:
        """Yield (layer, policy) for every policy in the snapshot."""
        for account_id in self.iam_accounts():
            iam = self.iam(account_id)
            for entry in iam.managed.values():
                boundary_only = not entry.get("AttachmentCount") and entry.get(
                    "PermissionsBoundaryUsageCount"
                )
                layer = "permissions_boundary" if boundary_only else "identity"
                yield layer, policy_from_managed(entry, str(iam.where))
            for table, key in (
                (iam.users, "UserPolicyList"),
                (iam.groups, "GroupPolicyList"),
                (iam.roles, "RolePolicyList"),
            ):
                for entity in table.values():
                    for policy in iam.inline_policies(entity, key):
                        yield "identity", policy
            for role in iam.roles.values():
                yield "trust", iam.trust_policy(role)
        if self.organization is not None:
            for item in self.organization.all_policies():
                yield ("scp" if item.type == SCP else "rcp"), item.policy
        for record in self.resources().records():
            if record.policy is not None:
                yield "resource", record.policy
        for record in self.resources().endpoints.values():
            if record.policy is not None:
                yield "vpc_endpoint", record.policy

    def _index(self) -> dict[str, tuple[str, Policy]]:
        if self._policy_index is None:
            index: dict[str, tuple[str, Policy]] = {}
            for layer, policy in self.all_policies():
                index.setdefault(policy.id, (layer, policy))
            if self.organization is not None:  # SCPs and RCPs also by their ARN
                for item in self.organization.all_policies():
                    if item.arn:
                        index.setdefault(item.arn, index[item.policy.id])
            self._policy_index = index
        return self._policy_index

    def policy(
        self, policy_id_or_name: str, name: str | None = None, layer: str | None = None
    ) -> tuple[str, Policy]:
        """Return (layer, policy) by id (ARN, SCP id, inline id) or by unique name.

        A user, group or role ARN with ``name`` (or ``layer="identity"``) names
        its inline policy ``name``; a role ARN alone names its trust policy.
        """
        index = self._index()
        if name and f"{policy_id_or_name}#inline/{name}" in index:
            return index[f"{policy_id_or_name}#inline/{name}"]
        if policy_id_or_name in index:
            found = index[policy_id_or_name]
            if found[0] == "trust" and layer == "identity":
                raise SnapshotError(
                    f"{policy_id_or_name} is a role: name one of its inline policies "
                    f"({name!r} is not one of them)"
                )
            return found
        named = {v[1].id: v for v in index.values() if v[1].name == policy_id_or_name}
        if len(named) == 1:
            return next(iter(named.values()))
        if named:
            raise SnapshotError(
                f"policy name {policy_id_or_name!r} is ambiguous; use one of these ids: "
                + ", ".join(sorted(named))
            )
        near = difflib.get_close_matches(policy_id_or_name, list(index), n=5, cutoff=0.5)
        raise SnapshotError(
            f"no policy {policy_id_or_name!r} in the snapshot"
            + (f"; near matches: {', '.join(near)}" if near else "")
        )

    def layer_of(
        self, policy_id: str, principal_arn: str | None = None, name: str | None = None
    ) -> str:
        """Return the layer of a policy: identity, permissions_boundary, scp, rcp, resource, trust.

        With ``principal_arn``, a managed policy is placed where that principal uses it.
        """
        layer, policy = self.policy(policy_id, name)
        if principal_arn and layer in ("identity", "permissions_boundary"):
            identity, boundary = self.identity_layers(self.principal(principal_arn))
            if any(p.id == policy.id for p in boundary):
                return "permissions_boundary"
            if any(p.id == policy.id for p in identity):
                return "identity"
        return layer

    def find_statement(
        self, policy_id_or_name: str, sid: str, name: str | None = None, layer: str | None = None
    ) -> StatementRef:
        """Return the statement with ``sid`` in a policy (by id or unique name).

        ``name`` and ``layer`` disambiguate as in ``policy`` (an inline policy
        of a role, rather than its trust policy).
        """
        layer, policy = self.policy(policy_id_or_name, name, layer)
        statements = policy.document.get("Statement") if isinstance(policy.document, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        sids = []
        for index, statement in enumerate(statements or []):
            if isinstance(statement, dict):
                if statement.get("Sid") == sid:
                    return StatementRef(policy, layer, index, statement)
                sids.append(statement.get("Sid"))
        raise SnapshotError(
            f"policy {policy.id} has no statement with Sid {sid!r}; its Sids: "
            + ", ".join(repr(s) for s in sids)
        )


def _uncollected_accounts(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Return {account id: reason} for accounts the collector's manifest marks as unread."""
    out = {}
    for entry in manifest.get("accounts") or []:
        if not isinstance(entry, dict) or not entry.get("account_id"):
            continue
        if entry.get("authorization_details") is False or entry.get("status") == "failed":
            out[str(entry["account_id"])] = f"manifest status {entry.get('status', 'failed')!r}"
    return out


def load(path: str | Path) -> Snapshot:
    """Return the snapshot in folder ``path`` (the design's snapshot format).

    Raises SnapshotError naming a missing or malformed file.

    >>> snap = load("sample_data/snapshot")  # doctest: +SKIP
    >>> snap.policies_for("arn:aws:iam::111122223333:user/alice", "s3:GetObject",
    ...                   "arn:aws:s3:::reports/q1.csv")  # doctest: +SKIP
    """
    root = Path(path)
    if not root.is_dir():
        raise SnapshotError(
            f"snapshot folder not found: {root} (pass the folder holding manifest.json and "
            "accounts/; create one with `iamlab collect --out DIR` or the AWS CLI)"
        )
    return Snapshot(root)
