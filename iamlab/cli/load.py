"""``iamlab load SOURCE... --workspace DIR``: load CloudTrail evidence and print the report."""

from __future__ import annotations

import argparse
import json

from iamlab.cli._options import add_workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "load",
        help="load CloudTrail evidence (files, folders, globs, s3://) into a workspace",
        description=(
            "Load CloudTrail evidence into the workspace's events table and print what was "
            "loaded per source (seen = loaded + duplicates + rejected + filtered). Sources: "
            "S3 export trees, lookup-events output, console Event history JSON, CloudTrail Lake "
            "results (JSON or CSV), NDJSON, JSON arrays, or s3://bucket/prefix."
        ),
    )
    p.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="file, folder, glob or s3://bucket/prefix"
    )
    add_workspace(p, help="workspace folder (created if missing)")
    p.add_argument(
        "--since", metavar="ISO", help="only records at or after this time (UTC if no zone)"
    )
    p.add_argument(
        "--until", metavar="ISO", help="only records before this time (exclusive; UTC if no zone)"
    )
    p.add_argument(
        "--account", action="append", metavar="ID", help="only this trail account (repeatable)"
    )
    p.add_argument(
        "--event-region", action="append", metavar="R",
        help="only events of this region (awsRegion; repeatable)",
    )  # fmt: skip
    p.add_argument("--profile", metavar="P", help="AWS profile for s3:// sources")
    p.add_argument("--region", metavar="R", help="AWS Region of the API calls for s3:// sources")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from iamlab.workspace import Workspace

    with Workspace(args.workspace, wait=args.wait) as ws:
        report = ws.load(
            *args.sources,
            since=args.since,
            until=args.until,
            accounts=args.account,
            regions=args.event_region,
            profile=args.profile,
            aws_region=args.region,
            progress=not args.quiet,
        )
    print(json.dumps(report.to_dict(), indent=2) if args.json else report)
    return 0
