"""Collect the organization: describe-organization, the tree, SCPs and RCPs with targets.

Writes ``organization/organization.json``, ``organization/tree.json`` (roots,
OUs recursively and accounts, each with its ``ParentId``) and
``organization/policies/<id>.json`` (``describe-policy`` output plus
``"Targets"`` from ``list-targets-for-policy``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from iamlab.aws._calls import Recorder, safe_name, write_json

POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")


def _children(
    rec: Recorder, org: Any, parent_id: str, account: str, tick: Callable[[], None]
) -> dict[str, list[dict[str, Any]]]:
    """Return the OUs (recursively) and accounts directly under ``parent_id``."""
    tick()
    accounts = [
        {**item, "ParentId": parent_id}
        for page in rec.pages(org, "ListAccountsForParent", account, ParentId=parent_id)
        for item in page.get("Accounts", [])
    ]
    ous = []
    for page in rec.pages(org, "ListOrganizationalUnitsForParent", account, ParentId=parent_id):
        for ou in page.get("OrganizationalUnits", []):
            ous.append(
                {**ou, "ParentId": parent_id, **_children(rec, org, ou["Id"], account, tick)}
            )
    return {"OrganizationalUnits": ous, "Accounts": accounts}


def _accounts_in(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(node.get("Accounts", []))
    for ou in node.get("OrganizationalUnits", []):
        found += _accounts_in(ou)
    return found


def collect_organization(
    rec: Recorder, org: Any, out: Path, account: str, tick: Callable[[], None] = lambda: None
) -> dict[str, Any] | None:
    """Write the organization files; return a summary, or None if it could not be read.

    The summary holds ``id``, ``complete``, ``accounts`` (every account in the
    tree, with its ``Status``) and ``policies`` (ids read). ``org`` is a
    read-only organizations client of the management or delegated-administrator
    account. All or nothing: when any organization call fails, no file is
    written, because a tree or policy set with holes would make SCPs and RCPs
    look absent; the failed calls are in the manifest.
    """
    before = len(rec.failed)
    described = rec.call(org, "DescribeOrganization", account)
    if described is None:
        return None
    roots = []
    for page in rec.pages(org, "ListRoots", account):
        for root in page.get("Roots", []):
            roots.append({**root, **_children(rec, org, root["Id"], account, tick)})
    enabled = {
        t["Type"] for r in roots for t in r.get("PolicyTypes", []) if t.get("Status") == "ENABLED"
    }
    policies: dict[str, dict[str, Any]] = {}
    for kind in POLICY_TYPES:
        if roots and kind not in enabled:
            continue  # listing a disabled type is an error in AWS; nothing applies anyway
        for page in rec.pages(org, "ListPolicies", account, Filter=kind):
            for summary in page.get("Policies", []):
                tick()
                detail = rec.call(org, "DescribePolicy", account, PolicyId=summary["Id"])
                targets = [
                    t
                    for p in rec.pages(org, "ListTargetsForPolicy", account, PolicyId=summary["Id"])
                    for t in p.get("Targets", [])
                ]
                if detail is not None:
                    policies[summary["Id"]] = {"Policy": detail["Policy"], "Targets": targets}
    complete = len(rec.failed) == before
    if complete:
        org_dir = out / "organization"
        write_json(org_dir / "organization.json", described)
        write_json(org_dir / "tree.json", {"Roots": roots})
        for policy_id, body in policies.items():
            write_json(org_dir / "policies" / f"{safe_name(policy_id)}.json", body)
    accounts = [a for root in roots for a in _accounts_in(root)]
    return {
        "id": described["Organization"].get("Id"),
        "complete": complete,
        "accounts": accounts,
        "policies": sorted(policies),
    }
