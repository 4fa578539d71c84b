"""Shared plumbing for AWS calls: pages, denials recorded not fatal, JSON on disk.

A collector must finish even when some calls are denied, so ``Recorder``
turns an AWS error into a ``FailedCall`` (service, operation, account, region,
error code, the IAM permission it needed) and lets the caller carry on.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from iamlab.aws.redact import redact_key_ids
from iamlab.errors import ReadOnlyViolation

# API operation -> IAM action, where they differ (the rest is "<service>:<Operation>").
_PERMISSION_EXCEPTIONS = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("iam-toolbox", "GetRequestAuthorizationDetails"): "iam:GetRequestAuthorizationDetails",
    ("iam-toolbox", "GetRequestAuthorizationPolicy"): "iam:GetRequestAuthorizationPolicy",
}
# botocore service name -> IAM service prefix, where they differ.
_PREFIX = {"iam-toolbox": "iam"}

# Error codes that say "this resource has no policy": not a failure, nothing to record.
NO_POLICY_CODES = frozenset(
    {
        "NoSuchBucketPolicy",
        "ResourceNotFoundException",
        "NotFoundException",
    }
)


def permission_for(service: str, operation: str) -> str:
    """Return the IAM action an API operation needs, e.g. ``s3:ListAllMyBuckets``."""
    exact = _PERMISSION_EXCEPTIONS.get((service, operation))
    return exact or f"{_PREFIX.get(service, service)}:{operation}"


@dataclass(frozen=True)
class FailedCall:
    """One AWS call that failed while collecting; collection carried on without it."""

    service: str
    operation: str
    account: str | None
    region: str | None
    error_code: str
    permission: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def jsonable(value: Any) -> Any:
    """Return ``value`` with datetimes as ISO strings and bytes as text, recursively."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON atomically (temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(jsonable(data), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def safe_name(name: str) -> str:
    """Return ``name`` usable as one file name (``/`` and ``:`` become ``_``)."""
    cleaned = "".join(c if c.isalnum() or c in "-_.+=@," else "_" for c in name)
    return cleaned.strip(".") or "_"


def error_code(exc: ClientError) -> str:
    """Return the AWS error code of ``exc``.

    When an endpoint sends an XML error to a JSON-protocol client (emulators
    and some proxies do), botocore reports the HTTP status as the code; the
    real code is then read from the ``<Code>`` element of the body.
    """
    err = exc.response.get("Error", {})
    code = str(err.get("Code", "") or "")
    if code.isdigit():
        found = _XML_CODE.search(str(err.get("Message", "")))
        if found:
            return found.group(1)
    return code or "Unknown"


_XML_CODE = re.compile(r"<Code>([A-Za-z.]+)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


class Recorder:
    """Make calls, keep the failures, never let one denial stop the whole run."""

    def __init__(self) -> None:
        self.failed: list[FailedCall] = []

    def _fail(self, client: Any, op: str, account: str | None, exc: Exception) -> None:
        service = client.meta.service_model.service_name
        if isinstance(exc, ClientError):
            code, message = error_code(exc), exc.response.get("Error", {}).get("Message", "")
            found = _XML_MESSAGE.search(message or "")
            message = (found.group(1) if found else message) or str(exc)
        else:
            code, message = type(exc).__name__, str(exc)
        self.failed.append(
            FailedCall(
                service,
                op,
                account,
                client.meta.region_name,
                code,
                permission_for(service, op),
                redact_key_ids(message)[:500],
            )
        )

    def call(
        self,
        client: Any,
        op: str,
        account: str | None,
        *,
        quiet: frozenset = frozenset(),
        **params: Any,
    ) -> dict[str, Any] | None:
        """Return one response, or None after recording why it failed.

        Error codes in ``quiet`` (e.g. "no policy on this bucket") return None
        without being recorded.
        """
        method = getattr(client, _snake(op))
        try:
            return method(**params)
        except ReadOnlyViolation:
            raise
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in quiet:
                self._fail(client, op, account, exc)
        except BotoCoreError as exc:
            self._fail(client, op, account, exc)
        return None

    def pages(
        self, client: Any, op: str, account: str | None, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Yield every page of ``op``; on failure record it and stop yielding."""
        name = _snake(op)
        try:
            if client.can_paginate(name):
                yield from client.get_paginator(name).paginate(**params)
            else:
                yield getattr(client, name)(**params)
        except ReadOnlyViolation:
            raise
        except (ClientError, BotoCoreError) as exc:
            self._fail(client, op, account, exc)


def _snake(op: str) -> str:
    from botocore import xform_name

    return xform_name(op)
