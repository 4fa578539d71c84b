"""CloudTrail Lake queries: start, poll until done, page through every result row.

The result is saved in ``get-query-results`` shape (rows are lists of
one-key objects, all values strings; aws-facts 3.3) so the workspace loads it
like a file saved from the AWS CLI.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from iamlab.aws._calls import jsonable
from iamlab.aws.evidence import EvidenceFile, caller_identity, now_utc, save, stamp
from iamlab.aws.failures import as_aws_error, plain_errors
from iamlab.aws.lookup import call_with_backoff
from iamlab.aws.readonly import client as ro_client
from iamlab.aws.readonly import session as ro_session
from iamlab.errors import AwsError, InputError
from iamlab.escape import printable

TERMINAL = ("FINISHED", "FAILED", "TIMED_OUT", "CANCELLED")
MAX_QUERY_RESULTS = 1000
_SELECT = re.compile(r"^\s*(?:--[^\n]*\n\s*)*(select|with)\b", re.IGNORECASE)


@dataclass
class LakeResult:
    """One finished query: status, statistics, every row, where it was saved."""

    query_id: str
    status: str
    rows: list[list[dict[str, str]]]
    statistics: dict[str, Any] = field(default_factory=dict)
    pages: int = 0
    polls: int = 0
    evidence: EvidenceFile | None = None

    def records(self) -> list[dict[str, str]]:
        """Return each row as one flat dict (column -> string value)."""
        return [{k: v for cell in row for k, v in cell.items()} for row in self.rows]


def _api(call: Callable[[], dict[str, Any]], what: str, sleep: Callable[[float], None]) -> Any:
    try:
        return call_with_backoff(call, sleep)
    except ClientError as exc:
        raise as_aws_error(exc, f"running a Lake query ({what})") from exc


@plain_errors("running a CloudTrail Lake query")
def lake_query(
    sql: str,
    region: str | None = None,
    evidence_dir: Path | None = None,
    *,
    profile: str | None = None,
    session: Any = None,
    client: Any = None,
    poll_interval: float = 2.0,
    timeout: float = 3900.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    caller: dict[str, Any] | None = None,
) -> LakeResult:
    """Run a CloudTrail Lake SELECT and return every row (saved under ``evidence_dir`` if given).

    Polls ``DescribeQuery`` every ``poll_interval`` seconds until FINISHED,
    FAILED, TIMED_OUT or CANCELLED (Lake stops queries after about an hour, so
    ``timeout`` is a little longer). A TIMED_OUT query keeps its partial rows and
    says so; FAILED and CANCELLED raise ``AwsError`` with AWS's message.
    Example: ``lake_query("SELECT eventid, errorcode FROM <store-id> WHERE ...")``.
    """
    if not _SELECT.match(sql or ""):
        raise InputError(
            "CloudTrail Lake runs SELECT statements only; the query must start "
            f"with SELECT or WITH (got {sql[:40]!r})"
        )
    sess = session if session is not None else (None if client else ro_session(profile, region))
    ct = client or ro_client("cloudtrail", session=sess, region=region)
    region = region or ct.meta.region_name
    started = now_utc()
    query_id = _api(lambda: ct.start_query(QueryStatement=sql), "StartQuery", sleep)["QueryId"]
    shown = printable(query_id)  # AWS's text, in messages
    deadline = clock() + timeout
    polls = 0
    while True:
        described = _api(lambda: ct.describe_query(QueryId=query_id), "DescribeQuery", sleep)
        polls += 1
        status = described.get("QueryStatus")
        if status in TERMINAL:
            break
        if status not in ("QUEUED", "RUNNING"):
            raise AwsError(f"malformed DescribeQuery response for {shown}: QueryStatus {status!r}")
        if clock() >= deadline:
            raise AwsError(
                f"Lake query {shown} still {status} after {timeout:.0f}s; "
                f"fetch it later with get-query-results --query-id {shown}"
            )
        sleep(poll_interval)
    if status in ("FAILED", "CANCELLED"):
        raise AwsError(
            f"Lake query {shown} {status}: "
            f"{printable(described.get('ErrorMessage') or 'no message from AWS')}"
        )
    rows: list[list[dict[str, str]]] = []
    stats: dict[str, Any] = {}
    token, pages = None, 0
    while True:
        params = {
            "QueryId": query_id,
            "MaxQueryResults": MAX_QUERY_RESULTS,
            **({"NextToken": token} if token else {}),
        }
        page = _api(lambda params=params: ct.get_query_results(**params), "GetQueryResults", sleep)
        pages += 1
        page_rows = page.get("QueryResultRows")
        if page_rows is None and page.get("QueryStatus") not in TERMINAL:
            raise AwsError(
                f"malformed GetQueryResults response for {shown} (page {pages}): no QueryResultRows"
            )
        rows.extend(page_rows or [])
        stats = page.get("QueryStatistics") or stats
        token = page.get("NextToken")
        if not token:
            break
    result = LakeResult(query_id, status, rows, jsonable(stats), pages, polls)
    if evidence_dir is not None:
        who = caller if caller is not None else caller_identity(sess)
        body = {
            "QueryStatus": status,
            "QueryStatistics": result.statistics,
            "QueryResultRows": rows,
        }
        result.evidence = save(
            evidence_dir,
            "lake",
            f"get-query-results-{stamp(started)}-{query_id}",
            body,
            api="cloudtrail:StartQuery+GetQueryResults",
            request={"QueryStatement": sql, "QueryId": query_id},
            region=region,
            caller=who,
            started=started,
            extra={"pages": pages, "rows": len(rows), "partial": status == "TIMED_OUT"},
        )
    return result
