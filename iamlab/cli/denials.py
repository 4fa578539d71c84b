"""``iamlab why`` (explain one pasted error) and ``iamlab denials`` (summaries of a workspace)."""

from __future__ import annotations

import argparse
import json
import sys

from iamlab.cli._options import add_workspace

WHY_EPILOG = """exit status: 0 the text is an access denial, 1 it is not, 2 a usage error.
Pass '-' as the message to read it from standard input."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``why`` and ``denials`` commands."""
    p = sub.add_parser(
        "why",
        help="explain a pasted AccessDenied message and the next step",
        description="Parse an access-denied message (CloudTrail errorMessage or CLI/SDK "
        "output) and say who was denied what, which layer AWS blamed, and what to run next.",
        epilog=WHY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("message", help="the error message, or '-' for stdin")
    p.add_argument("--error-code", help="CloudTrail errorCode (default: read from CLI text)")
    p.add_argument(
        "--event-source",
        help="CloudTrail eventSource or SDK service name, e.g. s3.amazonaws.com (maps the "
        "pasted call to its IAM action when the message names none)",
    )
    p.add_argument(
        "--region",
        help="Region of the denied call (for decode/authz-details, and the replay's "
        "aws:RequestedRegion)",
    )
    p.add_argument("--snapshot", help="snapshot folder for the replay command")
    p.add_argument("--json", action="store_true", help="print the parsed fields as JSON")
    p.set_defaults(func=run_why)

    p = sub.add_parser(
        "denials",
        help="summarise the denials in a workspace",
        description="Count the workspace's denials by reported cause, principal, action or hour.",
    )
    add_workspace(p)
    p.add_argument("--by", choices=["cause", "principal", "action", "hour"], default="cause")
    p.add_argument("--principal", metavar="ARN", help="only this principal")
    p.add_argument("--since", help="UTC start, ISO 8601 (inclusive)")
    p.add_argument("--until", help="UTC end, ISO 8601 (exclusive)")
    p.add_argument("--cause", help="only this reported cause")
    p.add_argument("--json", action="store_true", help="print rows as JSON")
    p.set_defaults(func=run_denials)


def run_why(args: argparse.Namespace) -> int:
    """Print the advice (or the parsed fields); 0 for a denial, 1 otherwise."""
    from iamlab.denials import advise

    message = sys.stdin.read() if args.message == "-" else args.message
    advice = advise(
        args.error_code, message, args.event_source, region=args.region, snapshot=args.snapshot
    )
    if args.json:
        print(json.dumps(advice.denial.to_dict(), indent=2))
    else:
        print(advice.render())
    return 0 if advice.denial.is_denial else 1


def run_denials(args: argparse.Namespace) -> int:
    """Print one summary table of the workspace's denials."""
    from iamlab.escape import printable
    from iamlab.workspace import Workspace

    with Workspace(args.workspace, read_only=True, wait=args.wait) as ws:
        table = ws.denial_summary(
            args.by,
            principal=args.principal,
            since=args.since,
            until=args.until,
            cause=args.cause,
        )
    if args.json:
        print(table.to_json(orient="records", date_format="iso", indent=2))
    elif table.empty:
        print("No denials match.")
    else:  # principals, actions and causes come from events: shown, never acted on
        print(table.map(lambda v: printable(v) if isinstance(v, str) else v).to_string(index=False))
    return 0
