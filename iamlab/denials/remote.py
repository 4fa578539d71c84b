"""Find the denials where the trail lives (Athena, CloudTrail Lake) and bring back only those.

``athena_search`` and ``lake_search`` plan the pushed-down queries
(``pushdown``), estimate what Athena will scan, refuse a scan above the
analyst's limit, run the denial query and then the context query, and return
the rows as CloudTrail records; nothing is written until every query has
succeeded. ``load`` then puts them into the workspace in one transaction
(``trail.athena.load_rows``). ``Workspace.load_from_athena`` and
``Workspace.load_from_lake`` do both.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from iamlab.aws import athena as aws_athena
from iamlab.denials.pushdown import (
    PARSED_COLUMNS,
    Pushdown,
    Scope,
    context_query,
    denial_query,
    scope,
)
from iamlab.errors import InputError
from iamlab.trail.athena import load_rows, record_of
from iamlab.trail.report import LoadReport


@dataclass
class Query:
    """One query run (or planned): its SQL, id, rows, and what it scanned."""

    what: str  # "denials" or "context"
    pushdown: Pushdown
    estimate: aws_athena.Estimate | None = None
    query_id: str | None = None
    bytes_scanned: int = 0
    records: list[Any] = field(default_factory=list)  # records; unreadable rows as text

    @property
    def sql(self) -> str:
        return self.pushdown.sql


@dataclass
class Search:
    """A pushed-down search: its queries (run unless ``dry_run``), the denials by cause."""

    engine: str
    source: str  # athena://<workgroup>/<database.table> or lake://<event data store id>
    scope: Scope
    queries: list[Query] = field(default_factory=list)
    causes: Counter = field(default_factory=Counter)
    dry_run: bool = False

    @property
    def bytes_scanned(self) -> int:
        return sum(q.bytes_scanned for q in self.queries)

    @property
    def cost(self) -> float:
        """Dollars at Athena's price (``aws.athena.PRICE_PER_TB``), per query billed."""
        return sum(aws_athena.price(q.bytes_scanned) for q in self.queries if q.query_id)

    def provenance(self) -> dict[str, Any]:
        """What the ``loads`` row keeps: engine, scope, each query's id, SQL and bytes."""
        sc = self.scope
        return {
            "engine": self.engine,
            "source": self.source,
            "since": sc.since.isoformat(),
            "until": sc.until.isoformat(),
            "accounts": list(sc.accounts) or None,
            "regions": list(sc.regions) or None,
            "principals": list(sc.principals) or None,
            "queries": [
                {
                    "what": q.what,
                    "query_id": q.query_id,
                    "sql": q.sql,
                    "bytes_scanned": q.bytes_scanned,
                    "rows": len(q.records),
                }
                for q in self.queries
            ],
            "bytes_scanned": self.bytes_scanned,
            "cost_usd": round(self.cost, 6) if self.engine == "athena" else None,
        }


def _guard(est: aws_athena.Estimate, max_scan: int | None, confirm: bool, what: str) -> None:
    if max_scan is not None and est.bytes > max_scan and not confirm:
        raise InputError(
            f"the {what} query would scan about {est.bytes:,} bytes "
            f"(${est.cost:.2f} at ${aws_athena.PRICE_PER_TB:.2f}/TB; {est.how}), above "
            f"--max-scan {max_scan:,}; narrow --since/--until, --account or --event-region, "
            "or pass --yes to run it anyway"
        )


def athena_search(
    database: str,
    table: str,
    workgroup: str,
    since: Any,
    until: Any,
    accounts: Iterable[str] = (),
    regions: Iterable[str] = (),
    principals: Iterable[str] = (),
    *,
    context_minutes: int | None = None,
    max_scan: int | None = None,
    confirm: bool = False,
    partition_bytes: int | None = None,
    dry_run: bool = False,
    region: str | None = None,
    profile: str | None = None,
    session: Any = None,
    clients: dict[str, Any] | None = None,
    timeout: float = 900.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Search:
    """Plan, estimate, guard and run the denial search (and its context) in Athena.

    Without ``accounts`` or ``regions`` the table's projected values (Glue) are
    used. ``dry_run`` runs nothing: with accounts, Regions and ``partition_bytes``
    given it needs no credentials. ``max_scan`` (bytes): a query estimated above
    it is refused unless ``confirm``. Raises InputError (bad value, scan above
    the limit) or AwsError (workgroup missing, query failed or timed out).
    """
    sc = scope(since, until, accounts, regions, principals)
    name = f"{database}.{table}"
    planned = sc.accounts and sc.regions and partition_bytes is not None  # Glue not needed
    c = clients or ({} if planned and dry_run else _clients(session, profile, region))
    layout = None
    if not planned:
        meta = aws_athena.glue_table(c["glue"], database, table)
        if meta is None:
            raise InputError(
                f"no table {name} in the Glue Data Catalog; create it with iamlab athena setup"
            )
        params = meta.get("Parameters") or {}
        sc = Scope(
            sc.since,
            sc.until,
            sc.accounts or _values(params, "account"),
            sc.regions or _values(params, "region"),
            sc.principals,
        )
        layout = _layout_of(params.get("storage.location.template") or "")
    search = Search("athena", f"athena://{workgroup}/{name}", sc, dry_run=dry_run)
    first = Query("denials", denial_query("athena", name, sc))
    first.estimate = aws_athena.estimate(
        first.pushdown.partitions, partition_bytes=partition_bytes, layout=layout, s3=c.get("s3")
    )
    search.queries.append(first)
    if dry_run:
        return search
    _guard(first.estimate, max_scan, confirm, "denial")
    aws_athena.check_workgroup(c["athena"], workgroup)
    run = _athena_runner(c["athena"], workgroup, database, timeout, sleep, clock)
    run(first)
    if context_minutes is not None and first.records:
        ctx = context_query("athena", name, sc, first.records, context_minutes)
        if ctx is not None:
            second = Query("context", ctx)
            second.estimate = aws_athena.estimate(
                ctx.partitions, partition_bytes=partition_bytes, layout=layout, s3=c.get("s3")
            )
            _guard(second.estimate, max_scan, confirm, "context")
            run(second)
            search.queries.append(second)
    search.causes = _causes(first.records)
    return search


def _causes(records: list[Any]) -> Counter:
    """Denials by the cause the engine parsed (taken off the records before they load)."""
    return Counter(
        (r.pop("_cause", None) if isinstance(r, dict) else None) or "unreadable" for r in records
    )


def _athena_runner(
    athena: Any,
    workgroup: str,
    database: str,
    timeout: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
):
    def run(query: Query) -> None:
        result = aws_athena.run_query(
            query.sql,
            workgroup,
            database=database,
            client=athena,
            timeout=timeout,
            sleep=sleep,
            clock=clock,
        )
        query.query_id, query.bytes_scanned = result.query_id, result.bytes_scanned
        query.records = [_record(row) for row in result.rows]

    return run


def _record(row: Mapping[str, str | None]) -> dict[str, Any] | str:
    record = record_of(row, PARSED_COLUMNS)
    if row.get("cause") and isinstance(record, dict):
        record["_cause"] = row["cause"]  # taken off before loading
    return record


def lake_search(
    store: str,
    since: Any,
    until: Any,
    accounts: Iterable[str] = (),
    regions: Iterable[str] = (),
    principals: Iterable[str] = (),
    *,
    context_minutes: int | None = None,
    dry_run: bool = False,
    region: str | None = None,
    profile: str | None = None,
    client: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Search:
    """The same search in a CloudTrail Lake event data store (``store``: the ARN's id part).

    Runs through ``aws.lake.lake_query`` (StartQuery, DescribeQuery,
    GetQueryResults); Lake returns each event's original record (``eventjson``).
    """
    from iamlab.aws.lake import lake_query

    sc = scope(since, until, accounts, regions, principals)
    search = Search("lake", f"lake://{store}", sc, dry_run=dry_run)
    first = Query("denials", denial_query("lake", store, sc))
    search.queries.append(first)
    if dry_run:
        return search

    def run(query: Query) -> None:
        result = lake_query(
            query.sql, region, profile=profile, client=client, sleep=sleep, clock=clock
        )
        if result.status != "FINISHED":
            raise InputError(
                f"Lake query {result.query_id} ended {result.status}: not "
                "loading partial results (narrow the window)"
            )
        query.query_id = result.query_id
        query.bytes_scanned = int(result.statistics.get("BytesScanned") or 0)
        query.records = [_record(row) for row in result.records()]

    run(first)
    if context_minutes is not None and first.records:
        ctx = context_query("lake", store, sc, first.records, context_minutes)
        if ctx is not None:
            second = Query("context", ctx)
            run(second)
            search.queries.append(second)
    search.causes = _causes(first.records)
    return search


def load(con: Any, search: Search) -> LoadReport:
    """Load every query's records into ``events`` in one transaction (see ``load_rows``)."""
    if search.dry_run:
        raise InputError("a dry run fetched nothing to load")
    batches = [(f"{search.source}/{q.query_id}", q.records) for q in search.queries]
    return load_rows(con, batches, search.provenance())


def _values(params: dict[str, str], column: str) -> tuple[str, ...]:
    text = params.get(f"projection.{column}.values") or ""
    return tuple(sorted(v.strip() for v in text.split(",") if v.strip()))


def _layout_of(template: str) -> aws_athena.TrailLayout | None:
    """The layout a table's ``storage.location.template`` points at (None: not iamlab's form)."""
    tail = "${account}/CloudTrail/${region}/${timestamp}"
    if not template.startswith("s3://") or not template.endswith(tail):
        return None
    bucket, _, key = template[5 : -len(tail)].partition("/")
    parts = [p for p in key.strip("/").split("/") if p]
    org = parts.pop() if parts and parts[-1].startswith("o-") else None
    if parts and parts[-1] == "AWSLogs":
        parts.pop()
    try:
        return aws_athena.TrailLayout(bucket, "/".join(parts), org)
    except InputError:
        return None


def _clients(session: Any, profile: str | None, region: str | None) -> dict[str, Any]:
    return aws_athena.clients(session, profile, region)
