"""The organization: tree of roots, OUs and accounts, SCPs and RCPs with their targets.

SCP levels apply to the principal's account, RCP levels to the resource
owner's account: root first, then each OU down the path, then the account;
each level holds the policies attached at that target (aws-facts.md 4.4).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamlab.errors import SnapshotError
from iamlab.policy.request import Policy
from iamlab.snapshot.files import decode_document, read_json

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
Levels = tuple[tuple[Policy, ...], ...]

# RCPFullAWSAccess is attached to every root, OU and account once RCPs are enabled and cannot
# be detached (aws-facts.md 4.4), so each RCP level holds it even when a hand-saved Targets list
# omits it. Its content is from memory of the AWS-managed policy.
RCP_FULL_ACCESS = Policy(
    document={
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    },
    id="p-RCPFullAWSAccess",
    name="RCPFullAWSAccess",
)

# Keys of tree.json that hold children; others (Parents, PolicyTypes, Tags) describe the node.
_CHILD_KEYS = ("Roots", "OrganizationalUnits", "Accounts", "Children", "Tree")


@dataclass(frozen=True)
class OrgPolicy:
    """An SCP or RCP with the targets (root, OU or account ids) it is attached to."""

    policy: Policy
    type: str
    arn: str
    aws_managed: bool
    targets: tuple[str, ...]
    source: Path


def _node_kind(node_id: str) -> str | None:
    if node_id.startswith("r-"):
        return "root"
    if node_id.startswith("ou-"):
        return "ou"
    if node_id.isdigit() and len(node_id) == 12:
        return "account"
    return None


class Organization:
    """An organization read from ``organization/`` of a snapshot."""

    def __init__(self, org_dir: Path) -> None:
        data = read_json(org_dir / "organization.json")
        org = data.get("Organization", data) if isinstance(data, dict) else None
        if not isinstance(org, dict) or not (org.get("MasterAccountId") or org.get("Id")):
            raise SnapshotError(
                f"{org_dir / 'organization.json'} is not `aws organizations describe-organization` "
                'output: expected {"Organization": {"Id", "MasterAccountId", ...}}'
            )
        self.id: str | None = org.get("Id")
        self.management_account: str | None = org.get("MasterAccountId") or org.get(
            "ManagementAccountId"
        )
        self.all_features = org.get("FeatureSet", "ALL") == "ALL"
        self.parents: dict[str, str | None] = {}
        self.policy_types: dict[str, set[str]] = {}  # root id -> enabled policy types
        tree_path = org_dir / "tree.json"
        self._walk(read_json(tree_path), None, tree_path)
        self.policies: dict[str, OrgPolicy] = {}
        policy_dir = org_dir / "policies"
        for path in sorted(policy_dir.glob("*.json")) if policy_dir.is_dir() else []:
            item = _read_org_policy(path)
            if item is not None:
                self.policies[item.policy.id] = item
        self.attached: dict[tuple[str, str], list[Policy]] = {}
        for item in self.policies.values():
            for target in item.targets:
                self.attached.setdefault((item.type, target), []).append(item.policy)
        for kind in (SCP, RCP):
            if self._declared_enabled(kind) and not any(
                p.type == kind for p in self.policies.values()
            ):
                raise SnapshotError(
                    f"the root in {tree_path} has {kind} enabled but {policy_dir} holds none; "
                    "save `aws organizations describe-policy` output (with Targets) for each one, "
                    "or every account would appear to be denied everything"
                )

    def _walk(self, node: Any, parent: str | None, where: Path) -> None:
        """Record each node's parent from flat (ParentId / Parents) or nested tree shapes."""
        if isinstance(node, list):
            for item in node:
                self._walk(item, parent, where)
            return
        if not isinstance(node, dict):
            return
        node_id = node.get("Id")
        if isinstance(node_id, str) and _node_kind(node_id):
            explicit = node.get("ParentId")
            if explicit is None and node.get("Parents"):
                explicit = node["Parents"][0].get("Id")
            if _node_kind(node_id) == "root":
                explicit, parent_of = None, None
            else:
                parent_of = explicit if explicit is not None else parent
            if parent_of is None and _node_kind(node_id) != "root":
                raise SnapshotError(
                    f"{where}: {node_id} has no parent (give ParentId, Parents, or nest it "
                    "under its root or OU)"
                )
            self.parents[node_id] = parent_of
            if _node_kind(node_id) == "root" and "PolicyTypes" in node:
                self.policy_types[node_id] = {
                    t.get("Type") for t in node["PolicyTypes"] if t.get("Status") == "ENABLED"
                }
            parent = node_id
        for key in _CHILD_KEYS:
            if key in node:
                self._walk(node[key], parent, where)

    def _declared_enabled(self, kind: str) -> bool:
        return any(kind in types for types in self.policy_types.values())

    def enabled(self, kind: str) -> bool:
        """True when policies of ``kind`` take effect (declared on the root, or present)."""
        if not self.all_features:
            return False
        if self.policy_types:
            return self._declared_enabled(kind)
        return any(p.type == kind for p in self.policies.values())

    def path(self, account_id: str) -> list[str] | None:
        """Return [root, OU..., account] for a member account, or None when not in the tree."""
        if account_id not in self.parents:
            return None
        chain, node = [], account_id
        while node is not None:
            if node in chain:
                raise SnapshotError(f"organization tree has a cycle through {node}")
            chain.append(node)
            node = self.parents.get(node)
        return chain[::-1]

    def levels(self, account_id: str | None, kind: str) -> Levels | None:
        """Return the policy levels of ``kind`` for an account, root first.

        None when the account is unknown, not in this organization, the
        management account, or the policy type is not enabled.
        """
        if account_id is None or account_id == self.management_account or not self.enabled(kind):
            return None
        chain = self.path(account_id)
        if chain is None:
            return None
        levels = [list(self.attached.get((kind, node), ())) for node in chain]
        if kind == RCP:
            full = self.policies.get(RCP_FULL_ACCESS.id)
            full_policy = full.policy if full else RCP_FULL_ACCESS
            for level in levels:
                if not any(p.id == full_policy.id for p in level):
                    level.insert(0, full_policy)
        return tuple(tuple(level) for level in levels)

    def empty_scp_targets(self, account_id: str) -> list[str]:
        """Return the root/OU/account ids on an account's path with no SCP attached.

        AWS keeps at least one SCP on every target, so these mean the
        snapshot's Targets lists are incomplete.
        """
        if not self.enabled(SCP) or account_id == self.management_account:
            return []
        return [node for node in self.path(account_id) or [] if not self.attached.get((SCP, node))]

    def org_paths(self, account_id: str) -> list[str]:
        """Return ``aws:PrincipalOrgPaths``-style paths (``o-x/r-x/ou-x/``) for an account."""
        chain = self.path(account_id)
        if chain is None or self.id is None:
            return []
        return ["/".join([self.id, *chain[:-1]]) + "/"]

    def all_policies(self) -> Iterator[OrgPolicy]:
        """Yield every SCP and RCP in the snapshot."""
        yield from self.policies.values()


def _read_org_policy(path: Path) -> OrgPolicy | None:
    """Read one ``describe-policy`` output (plus Targets); None for other policy types."""
    data = read_json(path)
    body = data.get("Policy") if isinstance(data, dict) else None
    summary = body.get("PolicySummary") if isinstance(body, dict) else None
    if not isinstance(summary, dict) or "Id" not in summary:
        raise SnapshotError(
            f"{path} is not `aws organizations describe-policy` output: expected "
            '{"Policy": {"PolicySummary": {"Id", "Type", ...}, "Content": "..."}, "Targets": [...]}'
        )
    kind = summary.get("Type")
    if kind not in (SCP, RCP):
        return None
    doc = decode_document(body.get("Content"), f"{path} (Policy.Content)")
    if "Targets" not in data:
        raise SnapshotError(
            f'{path} has no "Targets": add the output of `aws organizations '
            f'list-targets-for-policy --policy-id {summary["Id"]}` as "Targets" (an empty '
            "list when it is attached nowhere)"
        )
    targets = data.get("Targets") or []
    if isinstance(targets, dict):  # the whole list-targets-for-policy output
        targets = targets.get("Targets") or []
    target_ids = tuple(t["TargetId"] for t in targets if isinstance(t, dict) and "TargetId" in t)
    policy = Policy(document=doc, id=summary["Id"], name=summary.get("Name"))
    return OrgPolicy(
        policy, kind, summary.get("Arn", ""), bool(summary.get("AwsManaged")), target_ids, path
    )
