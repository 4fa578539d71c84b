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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from iamlab.errors import InputError
from iamlab.escape import printable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cases", help="run policy-evaluation test cases (JSON files)", description=__doc__
    )
    csub = p.add_subparsers(dest="cases_command", metavar="SUBCOMMAND")
    csub.required = True
    r = csub.add_parser(
        "run", help="evaluate every case and compare with its expect", description=__doc__
    )
    r.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="case files or folders of *.json"
    )
    r.add_argument(
        "--json", action="store_true", help="print {total, passed, failed, results} as JSON"
    )
    r.set_defaults(func=run)


def case_files(paths: list[Path]) -> list[Path]:
    """Every case file under ``paths`` (files as given, folders recursively, sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.rglob("*.json"))
            if not found:
                raise InputError(
                    f"no *.json case files under {p}; pass a case file or a folder that holds some"
                )
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"{p} does not exist; pass case files or folders of *.json")
    return out


def load_cases(paths: list[Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(where, case)`` for every case in the files, ``where`` = ``file#index``."""
    named = {p.resolve() for p in paths if p.is_file()}
    for f in case_files(paths):
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(
                f"{f}: not valid JSON ({exc}); a case file holds one case object or a list of them"
            ) from None
        items = data if isinstance(data, list) else [data]
        if f.resolve() not in named and not any(
            isinstance(c, dict) and ("request" in c or "expect" in c) for c in items
        ):
            continue  # found by a folder scan and not case-shaped at all (e.g. a rules index)
        for i, case in enumerate(items):
            yield f"{f}#{i}", case


def run(args: argparse.Namespace) -> int:
    from iamlab.policy.cases import run_cases

    report = run_cases(load_cases(args.paths))
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in report.results:
            if not r.passed:
                print(f"FAIL {printable(r.where)}: {printable(r.name)}")
                for p in r.problems:
                    print(f"  {printable(p)}")
                print("  " + r.explanation.replace("\n", "\n  "))
        print(f"{report.total} cases: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0
