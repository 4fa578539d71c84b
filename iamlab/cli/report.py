"""``iamlab report``: one self-contained HTML report of a workspace's denials."""

from __future__ import annotations

import argparse

from iamlab.cli._options import add_workspace

EPILOG = """The file embeds plotly.js and opens with no network. --mask replaces account ids,
principal and resource names, IP addresses and key ids with keyed pseudonyms (a random key
per report; give --mask-key to make several reports use the same pseudonyms)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    p = sub.add_parser(
        "report",
        help="write an HTML report of the denials (charts, findings, fixes, provenance)",
        description="Write one self-contained HTML report: scope, KPI cards, denials over "
        "time by cause, findings with the deciding statement and proven fix (when the "
        "workspace was diagnosed), and provenance (evidence hashes, versions, SQL).",
        epilog=EPILOG,
    )
    add_workspace(p)
    p.add_argument("--out", "-o", required=True, metavar="FILE.html", help="the report file")
    p.add_argument("--snapshot", metavar="DIR", help="snapshot folder (quotes deciding statements)")
    p.add_argument("--since", help="UTC start, ISO 8601 (inclusive)")
    p.add_argument("--until", help="UTC end, ISO 8601 (exclusive)")
    p.add_argument("--principal", metavar="ARN", help="only this principal")
    p.add_argument("--mask", action="store_true", help="pseudonymise identifying values")
    p.add_argument("--mask-key", metavar="TEXT", help="key of the pseudonyms (implies --mask)")
    p.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    """Write the report and print where it is."""
    from iamlab.face.report import write_report
    from iamlab.workspace import Workspace

    with Workspace(args.workspace, read_only=True, wait=args.wait) as ws:
        path = write_report(
            ws, args.out, snapshot=args.snapshot, since=args.since, until=args.until,
            principal=args.principal, mask=args.mask or bool(args.mask_key),
            mask_key=args.mask_key,
        )  # fmt: skip
    print(f"report written to {path}")
    return 0
