"""``iamlab load SOURCE... --workspace DIR``: load CloudTrail evidence and print the report."""

from __future__ import annotations

import argparse
import json

from iamlab.cli import _options as opt


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``load`` command."""
    p = opt.command(sub, "load", run)
    p.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="file, folder, glob or s3://bucket/prefix"
    )
    opt.add_workspace(p, help="workspace folder (created if missing)")
    opt.add_window(
        p,
        "only records at or after this time (UTC if no zone)",
        "only records before this time (exclusive; UTC if no zone)",
        metavar="ISO",
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
    opt.add_quiet(p, "-q", help="no progress bar")
    opt.add_json(p, "print the report as JSON")


def run(args: argparse.Namespace) -> int:
    """load CloudTrail evidence (files, folders, globs, s3://) into a workspace

    Load CloudTrail evidence into the workspace's events table and print what was loaded per
    source (seen = loaded + duplicates + rejected + filtered). Sources: S3 export trees,
    lookup-events output, console Event history JSON, CloudTrail Lake results (JSON or CSV),
    NDJSON, JSON arrays, or s3://bucket/prefix.
    """
    where = {"accounts": args.account, "regions": args.event_region, **opt.window(args)}
    aws = {"profile": args.profile, "aws_region": args.region}
    with opt.open_workspace(args) as ws:
        report = ws.load(*args.sources, **where, **aws, progress=not args.quiet)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report)
    return 0
