"""Live CloudTrail Event history (``LookupEvents``), paced and filtered to denials.

LookupEvents allows 2 requests per second per account per Region, 50 events
per page, one lookup attribute, and no error-code filter (aws-facts 3.2), so
iamlab pages with ``NextToken`` (same parameters each time), waits between
requests itself, retries throttling with backoff, and keeps the denials by
parsing each ``CloudTrailEvent`` on this side.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from iamlab.aws._calls import error_code, jsonable
from iamlab.aws.evidence import EvidenceFile, caller_identity, now_utc, save, stamp
from iamlab.aws.failures import THROTTLING_CODES, as_aws_error, plain_errors
from iamlab.aws.readonly import client as ro_client
from iamlab.aws.readonly import retry_config
from iamlab.aws.readonly import session as ro_session
from iamlab.errors import AwsError, InputError

MAX_RESULTS = 50
REQUESTS_PER_SECOND = 2.0
LOOKUP_ATTRIBUTES = (
    "AccessKeyId",
    "EventId",
    "EventName",
    "EventSource",
    "ReadOnly",
    "ResourceName",
    "ResourceType",
    "Username",
)


class RateLimiter:
    """Space calls at least ``1/rate`` seconds apart, on an injectable clock."""

    def __init__(
        self,
        rate: float = REQUESTS_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock, self.sleep = clock, sleep
        self._last: float | None = None

    def wait(self) -> None:
        """Sleep until the next call is allowed, then mark it as made."""
        now = self.clock()
        if self._last is not None and now - self._last < self.interval:
            self.sleep(self.interval - (now - self._last))
            now = self.clock()
        self._last = now


# one limiter per (profile, Region) in this process: the limit is per account and Region
_LIMITERS: dict[tuple[str | None, str], RateLimiter] = {}


@dataclass
class LookupResult:
    """What one lookup returned: every event seen, the denials kept, and where they went."""

    events: list[dict[str, Any]]
    denials: list[dict[str, Any]]
    pages: int
    malformed: int = 0
    evidence: EvidenceFile | None = None
    request: dict[str, Any] = field(default_factory=dict)


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InputError(f"time {value!r} is not ISO 8601 (e.g. 2024-05-01T10:00Z)") from exc
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _attribute(attribute: tuple[str, str] | str | None) -> list[dict[str, str]]:
    if attribute is None:
        return []
    key, value = attribute.split("=", 1) if isinstance(attribute, str) else attribute
    if key not in LOOKUP_ATTRIBUTES:
        raise InputError(
            f"lookup attribute {key!r} is not one of {', '.join(LOOKUP_ATTRIBUTES)}"
            " (LookupEvents takes exactly one; filter errors client-side)"
        )
    return [{"AttributeKey": key, "AttributeValue": value}]


def is_denial_event(record: dict[str, Any]) -> bool:
    """Return whether a parsed CloudTrail record is an authorization denial."""
    from iamlab.denials import parse

    return parse(
        record.get("errorCode"), record.get("errorMessage"), record.get("eventSource")
    ).is_denial


def call_with_backoff(
    call: Callable[[], dict[str, Any]],
    sleep: Callable[[float], None],
    attempts: int = 6,
    base: float = 1.0,
    cap: float = 20.0,
) -> dict[str, Any]:
    """Return ``call()``, retrying throttling errors with exponential backoff."""
    for attempt in range(attempts):
        try:
            return call()
        except ClientError as exc:
            if error_code(exc) not in THROTTLING_CODES or attempt == attempts - 1:
                raise
            sleep(min(cap, base * 2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


@plain_errors("looking up CloudTrail events")
def lookup_events(
    start: datetime | str,
    end: datetime | str,
    region: str,
    attribute: tuple[str, str] | str | None = None,
    evidence_dir: Path | None = None,
    *,
    denials_only: bool = True,
    profile: str | None = None,
    session: Any = None,
    client: Any = None,
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_pages: int | None = None,
    caller: dict[str, Any] | None = None,
) -> LookupResult:
    """Return the events of ``region`` between ``start`` and ``end`` (UTC), denials kept.

    ``attribute``: one lookup attribute, ``("Username", "alice")`` or
    ``"EventName=RunInstances"``. ``start`` is inclusive and ``end`` exclusive (events at
    exactly ``end``, which AWS returns, are dropped). With ``evidence_dir`` (a workspace's
    ``evidence`` folder) the kept events are saved as
    ``<evidence_dir>/lookup-events/<...>.json`` in ``lookup-events`` output
    shape with a provenance sidecar, for ``Workspace.load`` to read.
    ``limiter``/``sleep`` are injectable so pacing is testable without waiting.
    Raises ``AwsError`` on a non-throttling AWS error or a malformed response.
    Example: ``lookup_events("2024-05-01T00:00Z", "2024-05-02T00:00Z", "us-east-1")``.
    """
    start_at, end_at = _utc(start), _utc(end)
    if end_at <= start_at:
        raise InputError(f"end {end_at.isoformat()} is not after start {start_at.isoformat()}")
    attrs = _attribute(attribute)
    sess = session if session is not None else (None if client else ro_session(profile, region))
    # iamlab paces and retries itself, so botocore must not retry behind its back
    ct = client or ro_client(
        "cloudtrail", session=sess, region=region, config=retry_config(attempts=1, mode="standard")
    )
    if limiter is None:
        limiter = _LIMITERS.setdefault((profile, region), RateLimiter())
    params: dict[str, Any] = {"StartTime": start_at, "EndTime": end_at, "MaxResults": MAX_RESULTS}
    if attrs:
        params["LookupAttributes"] = attrs
    started = now_utc()
    events: list[dict[str, Any]] = []
    denials: list[dict[str, Any]] = []
    pages = malformed = 0
    token = None
    while True:
        limiter.wait()
        page_params = dict(params, **({"NextToken": token} if token else {}))
        try:
            page = call_with_backoff(lambda p=page_params: ct.lookup_events(**p), sleep)
        except ClientError as exc:
            raise as_aws_error(exc, f"looking up events in {region}") from exc
        pages += 1
        if "Events" not in page:
            raise AwsError(
                f"malformed LookupEvents response in {region} (page {pages}): no Events list"
            )
        for event in page["Events"]:
            when = event.get("EventTime")
            if isinstance(when, datetime) and when.astimezone(timezone.utc) >= end_at:
                continue  # AWS's EndTime is inclusive; iamlab's until is not
            item = jsonable(event)
            events.append(item)
            try:
                record = json.loads(item.get("CloudTrailEvent") or "")
            except ValueError:
                malformed += 1
                continue
            if isinstance(record, dict) and is_denial_event(record):
                denials.append(item)
            elif not isinstance(record, dict):
                malformed += 1
        token = page.get("NextToken")
        if not token or (max_pages and pages >= max_pages):
            break
    request = {
        "StartTime": start_at.isoformat(),
        "EndTime": end_at.isoformat(),
        "MaxResults": MAX_RESULTS,
        "LookupAttributes": attrs,
    }
    result = LookupResult(events, denials, pages, malformed, None, request)
    if evidence_dir is not None:
        kept = denials if denials_only else events
        who = caller if caller is not None else caller_identity(sess)
        name = f"{who.get('Account', 'unknown')}-{region}-{stamp(start_at)}-{stamp(end_at)}"
        result.evidence = save(
            evidence_dir,
            "lookup-events",
            name,
            {"Events": kept},
            api="cloudtrail:LookupEvents",
            request=request,
            region=region,
            caller=who,
            started=started,
            extra={
                "pages": pages,
                "events_seen": len(events),
                "events_saved": len(kept),
                "filter": "denials" if denials_only else "none",
                "malformed": malformed,
                "truncated": bool(token),
            },
        )
    return result
