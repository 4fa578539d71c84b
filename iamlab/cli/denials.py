"""``iamlab why`` (explain one pasted error) and ``iamlab denials`` (summaries of a workspace)."""

from __future__ import annotations

import argparse
import sys

from iamlab.cli import _options as opt

WHY_EPILOG = """exit status: 0 the text is an access denial, 1 it is not, 2 a usage error.
Pass '-' as the message to read it from standard input."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``why`` and ``denials`` commands."""
    p = opt.command(sub, "why", run_why, epilog=WHY_EPILOG, raw=True)
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
    opt.add_snapshot(p, "snapshot folder for the replay command", metavar=None)
    opt.add_json(p, "print the parsed fields as JSON")

    p = opt.command(sub, "denials", run_denials)
    opt.add_workspace(p)
    p.add_argument("--by", choices=["cause", "principal", "action", "hour"], default="cause")
    opt.add_principal(p)
    opt.add_window(p)
    p.add_argument("--cause", help="only this reported cause")
    opt.add_json(p, "print rows as JSON")


def run_why(args: argparse.Namespace) -> int:
    """explain a pasted AccessDenied message and the next step

    Parse an access-denied message (CloudTrail errorMessage or CLI/SDK output) and say who was
    denied what, which layer AWS blamed, and what to run next.
    """
    from iamlab.denials import advise

    message = sys.stdin.read() if args.message == "-" else args.message
    advice = advise(
        args.error_code, message, args.event_source, region=args.region, snapshot=args.snapshot
    )
    if args.json:
        opt.print_json(advice.denial.to_dict())
    else:
        print(advice.render())
    return 0 if advice.denial.is_denial else 1


def run_denials(args: argparse.Namespace) -> int:
    """summarise the denials in a workspace

    Count the workspace's denials by reported cause, principal, action or hour.
    """
    from iamlab.escape import printable

    with opt.open_workspace(args, read_only=True) as ws:
        table = ws.denial_summary(args.by, args.principal, **opt.window(args), cause=args.cause)
    if args.json:
        print(table.to_json(orient="records", date_format="iso", indent=2))
    elif table.empty:
        print("No denials match.")
    else:  # principals, actions and causes come from events: shown, never acted on
        print(table.map(lambda v: printable(v) if isinstance(v, str) else v).to_string(index=False))
    return 0
