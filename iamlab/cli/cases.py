"""``iamlab cases run PATH... [--json]``: run evaluation test cases given as data.

Each PATH is a case file or a folder searched recursively for ``*.json``; a
file holds one case or a list of cases (the design's test-case format). Folder
scans skip JSON files with no case-shaped object at all (e.g. a rules index). The
exit status is 1 when any case fails, 2 for a malformed case file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from iamlab.cli import _options as opt
from iamlab.escape import printable

CASES = "run policy-evaluation test cases (JSON files)"  # its line in ``iamlab --help``


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``cases`` (run)."""
    cases = opt.verbs(
        opt.command(sub, "cases", None, CASES, description=__doc__), "cases_command", "SUBCOMMAND"
    )
    r = opt.command(cases, "run", run, description=__doc__)
    r.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="case files or folders of *.json"
    )
    opt.add_json(r, "print {total, passed, failed, results} as JSON")


def run(args: argparse.Namespace) -> int:
    """evaluate every case and compare with its expect"""
    from iamlab.policy.cases import load_cases, run_cases

    report = run_cases(load_cases(args.paths))
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in report.results:
            if r.skipped:
                why = printable(r.problems[0])
                print(f"SKIP {printable(r.where)}: {printable(r.name)} ({why})")
            elif not r.passed:
                print(f"FAIL {printable(r.where)}: {printable(r.name)}")
                for p in r.problems:
                    print(f"  {printable(p)}")
                print("  " + r.explanation.replace("\n", "\n  "))
        print(
            f"{report.total} cases: {report.passed} passed, {report.failed} failed"
            + (f", {report.skipped} skipped" if report.skipped else "")
        )
    return 1 if report.failed else 0
