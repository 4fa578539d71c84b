"""The ``iamlab`` command: a thin skin over the library.

Each command lives in its own module here with a ``register(subparsers)``
function that adds its parser (``_options.command``) and its options; the
function that runs it carries its help as its docstring (first line: its line
in ``iamlab --help``; then its description). What several commands share (the
workspace, snapshot, window, principal, AWS and JSON options, opening the
workspace, printing JSON) has one owner, ``_options``. A command parses
options, calls one public library function and renders what it returns;
library errors (``IamlabError``) become one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from iamlab.errors import IamlabError

# Command modules, in the order ``iamlab --help`` lists them.
COMMAND_MODULES = [
    "iamlab.cli.demo",
    "iamlab.cli.load",
    "iamlab.cli.denials",
    "iamlab.cli.diagnose",
    "iamlab.cli.coverage",
    "iamlab.cli.privilege",
    "iamlab.cli.simulate",
    "iamlab.cli.cases",
    "iamlab.cli.test",
    "iamlab.cli.sample",
    "iamlab.cli.aws",
    "iamlab.cli.report",
    "iamlab.cli.athena",
    "iamlab.cli.lab",
]


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every command registered."""
    from iamlab import __version__

    parser = argparse.ArgumentParser(
        prog="iamlab",
        description="Why was this AWS request denied, and what exactly fixes it?",
    )
    parser.add_argument("--version", action="version", version=f"iamlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the process exit status."""
    try:
        parser = build_parser()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
    except IamlabError as exc:
        print(f"iamlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``iamlab denials ... | head``): stop quietly, and
        # point stdout at /dev/null so Python's own flush at exit does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # what a Unix tool killed by SIGPIPE reports
    return 0 if status is None else int(status)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
