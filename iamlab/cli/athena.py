"""Find the denials where the trail lives: ``iamlab athena setup|denials``, ``iamlab lake denials``.

Each parses options, calls one library function (``aws.athena.setup_table``,
``Workspace.load_from_athena``, ``Workspace.load_from_lake``) and renders what
it returns. The SQL is printed before anything runs when asked (``--show-sql``),
and ``--dry-run`` prints it with the scan estimate and runs nothing.
"""

from __future__ import annotations

import argparse
from typing import Any

from iamlab.cli import _options as opt
from iamlab.escape import printable

# The commands that only hold verbs: their line in ``iamlab --help``, then their description.
ATHENA = """find denials with Athena over the organization trail

Create the CloudTrail table (setup), then send the denial search to Athena and load only the
denials (denials)."""
LAKE = """find denials in a CloudTrail Lake event data store

The denial search through Lake's StartQuery and GetQueryResults, for existing event data stores.
"""


def _add_scope(p: argparse.ArgumentParser) -> None:
    since, until = "UTC start, inclusive (2026-03-10)", "UTC end, exclusive (2026-03-17)"
    opt.add_window(p, since, until, required=True)
    p.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="ID",
        help="account whose trail recorded the events (repeat)",
    )
    p.add_argument(
        "--event-region",
        action="append",
        default=[],
        metavar="R",
        help="Region of the events (repeat)",
    )
    p.add_argument(
        "--principal",
        action="append",
        default=[],
        metavar="ARN",
        help="principal ARN, as the event or the message names it (repeat)",
    )
    p.add_argument(
        "--context-minutes",
        type=int,
        metavar="N",
        help="also fetch the same principals' calls within N minutes of each "
        "denial, and the AssumeRole events that issued their sessions",
    )
    p.add_argument("--show-sql", action="store_true", help="print the SQL before it runs")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the SQL (and the scan estimate) and run nothing",
    )
    opt.add_aws(p, "AWS Region of Athena / the event data store")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``athena`` (setup, denials) and ``lake`` (denials)."""
    athena_verbs = opt.verbs(opt.command(sub, "athena", None, ATHENA), "verb", "VERB")
    s = opt.command(athena_verbs, "setup", run_setup)
    s.add_argument("--bucket", required=True, help="the trail's S3 bucket")
    s.add_argument("--prefix", default="", help="key prefix before AWSLogs/")
    s.add_argument("--org-id", help="organization id (o-...) of an organization trail")
    s.add_argument("--database", required=True, help="Glue database (created if missing)")
    s.add_argument("--table", default="cloudtrail_logs", help="table name")
    s.add_argument("--workgroup", required=True, help="Athena workgroup")
    s.add_argument("--yes", action="store_true", help="create it (without: show the DDL only)")
    opt.add_aws(s, "AWS Region of Athena and Glue")

    d = opt.command(athena_verbs, "denials", run_athena_denials)
    opt.add_workspace(d)
    d.add_argument("--database", required=True, help="Glue database of the table")
    d.add_argument("--table", default="cloudtrail_logs", help="the CloudTrail table")
    d.add_argument("--workgroup", required=True, help="Athena workgroup")
    _add_scope(d)
    d.add_argument(
        "--max-scan",
        type=int,
        metavar="BYTES",
        help="refuse a query estimated to scan more (unless --yes)",
    )
    d.add_argument(
        "--partition-bytes",
        type=int,
        metavar="BYTES",
        help="typical bytes of one account-Region-day (default: measured in S3)",
    )
    d.add_argument("--yes", action="store_true", help="run even above --max-scan")

    lake_verbs = opt.verbs(opt.command(sub, "lake", None, LAKE), "verb", "VERB")
    d = opt.command(lake_verbs, "denials", run_lake_denials)
    opt.add_workspace(d)
    d.add_argument("--store", required=True, help="event data store id (the ARN's last part)")
    _add_scope(d)


def run_setup(args: argparse.Namespace) -> int:
    """create or reuse the CloudTrail table (shows the DDL)

    Read the trail's account and Region folders, show the CREATE EXTERNAL TABLE with partition
    projection, and create it with --yes: the one write iamlab makes, only to your Glue Data
    Catalog.
    """
    from iamlab.aws.athena import TrailLayout, setup_table

    layout = TrailLayout(args.bucket, args.prefix, args.org_id)
    done = setup_table(
        layout,
        args.database,
        args.table,
        args.workgroup,
        confirm=args.yes,
        region=args.region,
        profile=args.profile,
    )
    print(done.ddl)
    print(
        f"-- {len(done.accounts)} account(s), {len(done.regions)} Region(s) under "
        f"{printable(layout.root)}"
    )
    if done.existed:
        print(f"table {args.database}.{args.table} already exists with this location: reused")
    elif done.created:
        print(
            f"created {args.database}.{args.table} (queries "
            f"{', '.join(printable(q) for q in done.query_ids)})"
        )
    else:
        print(
            "nothing written: pass --yes to create it (iamlab's one write, to your Glue "
            "Data Catalog only)"
        )
    return 0


def _scope_args(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "since": args.since,
        "until": args.until,
        "accounts": args.account,
        "regions": args.event_region,
        "principals": args.principal,
        "context_minutes": args.context_minutes,
        "dry_run": args.dry_run,
        "region": args.region,
        "profile": args.profile,
    }


def _render(search: Any, report: Any, show_sql: bool) -> int:
    for query in search.queries:
        if show_sql or search.dry_run:
            print(f"-- {query.what} query ({search.engine})")
            print(query.sql + ";")
        if query.estimate is not None:
            print(
                f"-- estimate: {query.estimate.bytes:,} bytes, ${query.estimate.cost:.4f} "
                f"({printable(query.estimate.how)})"
            )
    if search.dry_run:
        print("dry run: nothing was run")
        return 0
    for query in search.queries:
        print(
            f"{query.what}: query {printable(query.query_id or '-')}, {len(query.records)} "
            f"rows, {query.bytes_scanned:,} bytes scanned"
        )
    cost = f", ${search.cost:.4f} at $5.00/TB" if search.engine == "athena" else ""
    print(
        f"scanned {search.bytes_scanned:,} bytes{cost}; loaded {report.loaded} "
        f"({report.duplicates} already there, {report.rejected_count} rejected)"
    )
    for cause, n in search.causes.most_common():
        print(f"  {n:>6}  {printable(cause)}")
    return 0


def run_athena_denials(args: argparse.Namespace) -> int:
    """find the denials in Athena, load them

    Run the denial search in Athena (partition-pruned), load the denials (and their context)
    into the workspace in one transaction; report rows, bytes scanned, cost.
    """
    from iamlab.denials.remote import athena_search

    common = {
        "max_scan": args.max_scan,
        "confirm": args.yes,
        "partition_bytes": args.partition_bytes,
        **_scope_args(args),
    }
    table = (args.database, args.table, args.workgroup)
    if args.dry_run:  # touches no workspace
        return _render(athena_search(*table, **common), None, True)
    search, report = opt.open_workspace(args).load_from_athena(*table, **common)
    return _render(search, report, args.show_sql)


def run_lake_denials(args: argparse.Namespace) -> int:
    """find the denials in Lake, load them

    Run the denial search in an event data store and load the denials (and their context) in one
    transaction.
    """
    from iamlab.denials.remote import lake_search

    if args.dry_run:
        return _render(lake_search(args.store, **_scope_args(args)), None, True)
    search, report = opt.open_workspace(args).load_from_lake(args.store, **_scope_args(args))
    return _render(search, report, args.show_sql)
