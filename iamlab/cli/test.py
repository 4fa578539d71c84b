"""``iamlab test CASES... [--snapshot DIR] [--junit FILE]``: your policy expectations in CI.

Each CASES path is a case file or a folder of ``*.json`` case files (the
design's case format). A case may spell out its policies, or name a principal
and a resource of the snapshot and leave ``policies`` out (or say
``"snapshot": true``): with ``--snapshot`` its policy layers and derived
context come from the snapshot, as ``iamlab simulate`` would replay it.

A mismatch prints the case's name and the statement that decided; the exit
status is 1 when any case fails, 2 for a malformed case file (the error names
the file and the case). ``--junit FILE`` also writes JUnit XML, which GitHub
Actions, GitLab and Jenkins show as test results.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from iamlab.cli import _options as opt
from iamlab.errors import InputError
from iamlab.escape import printable

if TYPE_CHECKING:
    from iamlab.policy.cases import Resolver
    from iamlab.policy.request import PolicySet, Request


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``test`` command."""
    p = opt.command(sub, "test", run, description=__doc__, raw=True)
    p.add_argument(
        "paths", nargs="+", type=Path, metavar="CASES", help="case files or folders of *.json"
    )
    opt.add_snapshot(p, "snapshot folder supplying the policies of cases that name none", type=Path)
    p.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML here")


def run(args: argparse.Namespace) -> int:
    """check policy expectations (case files), e.g. in CI; JUnit XML output"""
    from iamlab.policy.cases import junit_xml, load_cases, run_cases

    resolve = _snapshot_resolver(args.snapshot) if args.snapshot else None
    report = run_cases(load_cases(args.paths), resolve)
    for r in report.results:
        if r.passed:
            continue
        if r.skipped:
            print(f"SKIP {printable(r.name)} ({printable(r.problems[0])})")
            continue
        print(f"FAIL {printable(r.name)} ({printable(r.where)})")
        for problem in r.problems:
            print(f"  {printable(problem)}")
        print(f"  deciding: {printable(r.deciding_text())}")
    if args.junit:
        try:
            args.junit.write_text(junit_xml(report), encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot write the JUnit report {args.junit}: {exc.strerror}; "
                "pass --junit a path in a folder that exists"
            ) from None
    print(
        f"{report.total} cases: {report.passed} passed, {report.failed} failed, "
        f"{report.skipped} skipped"
    )
    return 1 if report.failed else 0


def _snapshot_resolver(folder: Path) -> Resolver:
    """Request and policy layers of a snapshot case, replayed as ``iamlab simulate`` does."""
    from iamlab.snapshot import load, simulate

    snap = load(folder)

    def resolve(request: Request) -> tuple[Request, PolicySet]:
        sim = simulate(
            snap,
            request.principal,
            request.action,
            request.resource,
            request.context,
            request.resource_account,
        )
        return sim.request, sim.policies

    return resolve
