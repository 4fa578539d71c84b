"""``iamlab diagnose`` (every denial replayed), ``iamlab explain`` (one denial, six steps) and
``iamlab lint`` (the mistakes behind missing-action and resource-arn, before they deny)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import TYPE_CHECKING, TextIO

from iamlab.cli import _options as opt

if TYPE_CHECKING:
    from iamlab.diagnose.pin import PinReport


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``diagnose``, ``explain`` and ``lint`` commands."""
    p = opt.command(sub, "diagnose", run_diagnose)
    opt.add_workspace(p)
    opt.add_snapshot(p, required=True)
    opt.add_principal(p)
    opt.add_window(p)
    p.add_argument("--cause", help="only this diagnosed cause")
    opt.add_json(p, "print one object per denial as JSON")
    p.add_argument(
        "--write-cases",
        metavar="DIR",
        help="also write, per verified fix, the cases that pin it (must now be allowed; must "
        "stay denied) into DIR, for `iamlab test DIR`",
    )

    p = opt.command(sub, "explain", run_explain)
    p.add_argument("event_id", help="the denial's CloudTrail eventID")
    opt.add_workspace(p)
    opt.add_snapshot(p, required=True)

    p = opt.command(sub, "lint", run_lint)
    p.add_argument("path", help="a policy JSON file or a snapshot folder")
    opt.add_workspace(
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
    opt.add_json(p, "print the findings as JSON")


def run_diagnose(args: argparse.Namespace) -> int:
    """replay every denial against a snapshot: real cause, verdict, proven fix

    Replay each denial of a workspace against an IAM snapshot and print the denials by diagnosed
    cause and verdict (stored in the workspace table `diagnoses`).
    """
    from iamlab.diagnose import summary

    filters = {**opt.window(args), "principal": args.principal, "cause": args.cause}
    pinned = None
    with opt.open_workspace(args) as ws:
        if args.write_cases:
            pinned = ws.write_fix_cases(args.snapshot, args.write_cases, **filters)
            table = pinned.frame
        else:
            table = ws.diagnose(args.snapshot, **filters)
    if args.json:
        rows = table.astype(object).where(table.notna(), None).to_dict(orient="records")
        print(json.dumps(rows, indent=2, default=str, allow_nan=False))
    elif table.empty:
        print("No denials match.")
    else:
        print(summary(table).to_string(index=False))  # causes and verdicts: our vocabulary
        print(f"\n{len(table)} denials; `iamlab explain EVENT_ID` walks one through.")
    if pinned is not None:
        _print_pinned(pinned, sys.stderr if args.json else sys.stdout)
    return 0


def _print_pinned(pinned: PinReport, out: TextIO) -> None:
    """What --write-cases wrote, the fixes it could not pin (why), and how to run the cases."""
    from iamlab.escape import printable

    print(
        f"\nWrote {pinned.cases} cases ({pinned.allowed} must now be allowed, "
        f"{pinned.stay_denied} must stay denied) in {len(pinned.files)} files, one per "
        f"verified fix, into {printable(pinned.folder)}",
        file=out,
    )
    for event_id, cause, why in pinned.not_pinned:
        print(
            f"  no cases for event {printable(event_id)} ({printable(cause)}): {printable(why)}",
            file=out,
        )
    if pinned.files:
        print(f"Run them: iamlab test {printable(shlex.quote(str(pinned.folder)))}", file=out)


def run_explain(args: argparse.Namespace) -> int:
    """walk one denial through the six steps: who, what, layer, statement, fix, proof

    Explain one denial event: who (and which credentials), what was denied and when, which
    layer, the statement, the fix, the proof and the new access.
    """
    from iamlab.diagnose.render import render

    with opt.open_workspace(args, read_only=True) as ws:
        diag = ws.explain(args.snapshot, args.event_id)
    print(render(diag))
    return 0


def run_lint(args: argparse.Namespace) -> int:
    """find the policy mistakes behind missing-action and resource-arn denials

    Check a policy JSON file or every policy of a snapshot folder for bucket/object ARN mix-ups,
    S3 ARNs with a Region or account, DynamoDB ARNs without table/ or index, Lambda qualifiers,
    NotPrincipal with Allow, third-party trust without sts:ExternalId, actions missing from the
    IAM reference, resources of a type the action does not take, and (with --workspace)
    region-deny statements that deny Regions in use; suggests tag conditions for long ARN lists.
    Exit status 1 when there are findings (suggestions alone exit 0).
    """
    from iamlab.diagnose.lint import lint
    from iamlab.escape import printable

    regions = by_account = None
    if args.workspace:
        from iamlab.diagnose.lint_reference import regions_by_account, regions_in_use

        with opt.open_workspace(args, read_only=True) as ws, ws.connect() as con:
            regions, by_account = regions_in_use(con), regions_by_account(con)
    findings = lint(args.path, regions, by_account)
    if args.aws:
        findings = _with_access_analyzer(args, findings)
    if args.json:
        opt.print_json([f.to_dict() for f in findings])
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
