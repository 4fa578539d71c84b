"""``iamlab report``: one self-contained HTML report of a workspace's denials."""

from __future__ import annotations

import argparse

from iamlab.cli import _options as opt

EPILOG = """The file embeds plotly.js and opens with no network. --mask replaces account ids,
principal and resource names, IP addresses and key ids with keyed pseudonyms (a random key
per report; give --mask-key to make several reports use the same pseudonyms)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    p = opt.command(sub, "report", run_report, epilog=EPILOG)
    opt.add_workspace(p)
    p.add_argument("--out", "-o", required=True, metavar="FILE.html", help="the report file")
    opt.add_snapshot(p, "snapshot folder (quotes deciding statements; the organization's accounts)")
    opt.add_window(p)
    opt.add_principal(p)
    p.add_argument("--mask", action="store_true", help="pseudonymise identifying values")
    p.add_argument("--mask-key", metavar="TEXT", help="key of the pseudonyms (implies --mask)")


def run_report(args: argparse.Namespace) -> int:
    """write an HTML report of the denials (charts, findings, fixes, provenance)

    Write one self-contained HTML report: scope, KPI cards, denials over time by cause, evidence
    coverage (dark accounts and Regions, an account x day heatmap), findings with the deciding
    statement and proven fix (when the workspace was diagnosed), and provenance (evidence
    hashes, versions, SQL).
    """
    from iamlab.face.report import write_report

    scope = {"principal": args.principal, **opt.window(args)}
    mask = {"mask": args.mask or bool(args.mask_key), "mask_key": args.mask_key}
    with opt.open_workspace(args, read_only=True) as ws:
        path = write_report(ws, args.out, snapshot=args.snapshot, **scope, **mask)
    print(f"report written to {path}")
    return 0
