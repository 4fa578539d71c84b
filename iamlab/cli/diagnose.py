"""``iamlab diagnose`` (every denial replayed), ``iamlab explain`` (one denial, six steps) and
``iamlab lint`` (the mistakes behind missing-action and resource-arn, before they deny)."""

from __future__ import annotations

import argparse
import json

from iamlab.cli._options import add_workspace


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``diagnose`` and ``explain`` commands."""
    p = sub.add_parser(
        "diagnose",
        help="replay every denial against a snapshot: real cause, verdict, proven fix",
        description="Replay each denial of a workspace against an IAM snapshot and print the "
        "denials by diagnosed cause and verdict (stored in the workspace table `diagnoses`).",
    )
    add_workspace(p)
    p.add_argument("--snapshot", required=True, metavar="DIR", help="snapshot folder")
    p.add_argument("--principal", metavar="ARN", help="only this principal")
    p.add_argument("--since", help="UTC start, ISO 8601 (inclusive)")
    p.add_argument("--until", help="UTC end, ISO 8601 (exclusive)")
    p.add_argument("--cause", help="only this diagnosed cause")
    p.add_argument("--json", action="store_true", help="print one object per denial as JSON")
    p.set_defaults(func=run_diagnose)

    p = sub.add_parser(
        "explain",
        help="walk one denial through the six steps: who, what, layer, statement, fix, proof",
        description="Explain one denial event: who (and which credentials), what was denied "
        "and when, which layer, the statement, the fix, the proof and the new access.",
    )
    p.add_argument("event_id", help="the denial's CloudTrail eventID")
    add_workspace(p)
    p.add_argument("--snapshot", required=True, metavar="DIR", help="snapshot folder")
    p.set_defaults(func=run_explain)

    p = sub.add_parser(
        "lint",
        help="find the policy mistakes behind missing-action and resource-arn denials",
        description="Check a policy JSON file or every policy of a snapshot folder for "
        "bucket/object ARN mix-ups, S3 ARNs with a Region or account, DynamoDB ARNs without "
        "table/ or index, Lambda qualifiers, NotPrincipal with Allow, third-party trust "
        "without sts:ExternalId, actions missing from the IAM reference, resources of a type "
        "the action does not take, and (with --workspace) region-deny statements that deny "
        "Regions in use; suggests tag conditions for long ARN lists. Exit status 1 when there "
        "are findings (suggestions alone exit 0).",
    )
    p.add_argument("path", help="a policy JSON file or a snapshot folder")
    add_workspace(
        p, required=False, help="workspace whose successful calls give the Regions in use"
    )
    p.add_argument(
        "--aws",
        action="store_true",
        help="also ask IAM Access Analyzer's ValidatePolicy (read-only) and merge its "
        "findings, each marked with the tool that found it",
    )
    p.add_argument("--profile", help="AWS profile for --aws")
    p.add_argument("--region", help="AWS Region for --aws")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=run_lint)


def run_diagnose(args: argparse.Namespace) -> int:
    """Print the summary by cause and verdict, or every diagnosis as JSON."""
    from iamlab.diagnose import summary
    from iamlab.workspace import Workspace

    with Workspace(args.workspace, wait=args.wait) as ws:
        table = ws.diagnose(
            args.snapshot,
            since=args.since,
            until=args.until,
            principal=args.principal,
            cause=args.cause,
        )
    if args.json:
        rows = table.astype(object).where(table.notna(), None).to_dict(orient="records")
        print(json.dumps(rows, indent=2, default=str, allow_nan=False))
    elif table.empty:
        print("No denials match.")
    else:
        print(summary(table).to_string(index=False))  # causes and verdicts: our vocabulary
        print(f"\n{len(table)} denials; `iamlab explain EVENT_ID` walks one through.")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    """Print the six-step explanation of one denial."""
    from iamlab.diagnose.render import render
    from iamlab.workspace import Workspace

    with Workspace(args.workspace, read_only=True, wait=args.wait) as ws:
        diag = ws.explain(args.snapshot, args.event_id)
    print(render(diag))
    return 0


def run_lint(args: argparse.Namespace) -> int:
    """Print each finding (policy, statement, why, fix); 1 when there are any."""
    from iamlab.diagnose.lint import lint
    from iamlab.escape import printable

    regions = by_account = None
    if args.workspace:
        from iamlab.diagnose.lint_reference import regions_by_account, regions_in_use
        from iamlab.workspace import Workspace

        with Workspace(args.workspace, read_only=True, wait=args.wait) as ws, ws.connect() as con:
            regions, by_account = regions_in_use(con), regions_by_account(con)
    findings = lint(args.path, regions, by_account)
    if args.aws:
        findings = _with_access_analyzer(args, findings)
    if args.json:
        print(json.dumps([f.to_dict() for f in findings], indent=2))
    elif not findings:
        print("No findings.")
    for f in [] if args.json else findings:
        label = "" if f.kind == "finding" else f" ({f.kind})"
        tool = "" if f.tool == "iamlab" else f" [{f.tool}]"
        print(printable(f"{f.policy} {f.statement}: {f.check}{label}{tool}"))
        print(printable(f"  why: {f.why}"))
        print(printable(f"  fix: {f.fix}"))
    return 1 if any(f.kind == "finding" for f in findings) else 0


def _with_access_analyzer(args: argparse.Namespace, findings: list) -> list:
    """Add Access Analyzer's findings; without credentials say so in one line and go on."""
    import sys

    from iamlab.aws.validate import validate_policies
    from iamlab.diagnose.lint import documents
    from iamlab.diagnose.lint_validator import merge_validator
    from iamlab.errors import AwsError

    docs = documents(args.path)
    try:
        found = validate_policies(docs, region=args.region, profile=args.profile)
    except AwsError as exc:
        print(
            f"iamlab lint: Access Analyzer not consulted ({exc}); iamlab's lint alone",
            file=sys.stderr,
        )
        return findings
    return merge_validator(findings, found, docs)
