"""The IAM action an API call needs: ``iam_action("S3", "ListObjectsV2")`` is ``s3:ListBucket``.

Messages that name no action (S3's ``Access Denied``, an SDK wrapper around a
bare 403) and CloudTrail's ``eventSource`` + ``eventName`` name the call, not
the action a policy must allow. Most actions are ``prefix:Operation``; the
exceptions and the service names live in ``actions.json``, each with its
source, so they can grow without touching code.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

__all__ = ["iam_action", "service_prefix"]

_EVENT_SOURCE_TAIL = re.compile(r"\.amazonaws\.com(?:\.cn)?$")
_OPERATION = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,127}")


def _key(name: str) -> str:
    """Fold a service name for lookup: 'Amazon S3' -> 's3', 'AWSKMS' -> 'kms'."""
    k = re.sub(r"[^a-z0-9]", "", name.lower())
    for lead in ("amazon", "aws"):
        if k.startswith(lead) and len(k) > len(lead):
            k = k[len(lead) :]
    return k


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], frozenset[str], dict[tuple[str, str], str | None], tuple]:
    text = resources.files("iamlab.denials").joinpath("actions.json").read_text("utf-8")
    data = json.loads(text)
    names: dict[str, str] = {}
    no_default: set[str] = set()
    for prefix, entry in data["services"].items():
        names[_key(prefix)] = prefix
        for name in entry.get("names", []):
            names[_key(name)] = prefix
        if entry.get("default_rule") is False:
            no_default.add(prefix)
    mismatches = {(m["service"], m["operation"]): m["action"] for m in data["mismatches"]}
    suffixes = tuple(
        (s["prefix"], re.compile("(?:" + s["pattern"] + ")$")) for s in data["operation_suffixes"]
    )
    return names, frozenset(no_default), mismatches, suffixes


def service_prefix(service: str | None) -> str | None:
    """Return the IAM prefix of an SDK service name, prefix or eventSource; None if unknown.

    >>> service_prefix("monitoring.amazonaws.com")
    'cloudwatch'
    """
    if not isinstance(service, str) or not service.strip() or len(service) > 128:
        return None
    name = service.strip()
    if "." in name and _EVENT_SOURCE_TAIL.search(name):
        name = _EVENT_SOURCE_TAIL.sub("", name)
    names = _table()[0]
    key = _key(name)
    if key in names:
        return names[key]
    if key.endswith("v2") and key[:-2] in names:  # ELBv2-style client names
        return names[key[:-2]]
    return None


def iam_action(service: str, operation: str) -> str | None:
    """Return the IAM action that ``operation`` of ``service`` needs, or None when not known.

    ``service`` is an SDK service name (``S3``, ``DynamoDB``, ``Amazon S3``),
    an IAM prefix (``s3``) or a CloudTrail eventSource
    (``s3.amazonaws.com``); ``operation`` an API operation or eventName.
    Documented mismatches come first (``ListObjectsV2`` -> ``s3:ListBucket``);
    otherwise ``prefix:Operation``, but only for a service whose prefix is
    known and whose actions follow its operations. Never raises.

    >>> iam_action("S3", "HeadObject")
    's3:GetObject'
    >>> iam_action("Lambda", "Invoke")
    'lambda:InvokeFunction'
    >>> iam_action("unheard-of.amazonaws.com", "DoThing") is None
    True
    """
    if not isinstance(operation, str) or not _OPERATION.fullmatch(operation.strip()):
        return None
    op = operation.strip()
    _, no_default, mismatches, suffixes = _table()
    prefix = service_prefix(service)
    if prefix is None:
        # a mismatch may name a prefix the services table does not (execute-api)
        raw = service.strip() if isinstance(service, str) else ""
        raw = _EVENT_SOURCE_TAIL.sub("", raw)
        if (raw, op) in mismatches:
            return mismatches[(raw, op)]
        return None
    for pfx, pattern in suffixes:
        if pfx == prefix:
            op = pattern.sub("", op) or op
    if (prefix, op) in mismatches:
        return mismatches[(prefix, op)]
    if prefix in no_default or "_" in op:
        return None
    return f"{prefix}:{op}"
