"""What commands share, with one owner each: the parser of a command, the options spelled
one way everywhere (workspace, snapshot, window, principal, AWS, JSON), opening the
workspace, and printing JSON. A command module keeps only what is its own."""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iamlab.workspace import Workspace

Run = Callable[[argparse.Namespace], int]

# What the option helpers say unless a command says otherwise.
SINCE = "UTC start, ISO 8601 (inclusive)"
UNTIL = "UTC end, ISO 8601 (exclusive)"
EVIDENCE = "save evidence into this workspace (and load it)"


def command(
    sub: argparse._SubParsersAction,
    name: str,
    run: Run | None,
    doc: str | None = None,
    **texts: Any,
) -> argparse.ArgumentParser:
    """Return the parser of command ``name``, which ``run`` runs (None: it has verbs).

    As in click, ``run``'s docstring (or ``doc``) is the command's help: its first
    line is the command's line in ``iamlab --help``, the paragraphs after it the
    description (each paragraph one line, for ``raw`` parsers). ``texts`` may give
    the ``description`` instead, and an ``epilog``; with ``raw=True`` the description
    and epilog keep their line breaks.
    """
    summary, _, rest = inspect.cleandoc(doc or (run and run.__doc__) or "").partition("\n\n")
    paragraphs = (" ".join(p.split()) for p in rest.split("\n\n"))
    texts = {"help": summary, "description": "\n\n".join(paragraphs) or None, **texts}
    if texts.pop("raw", False):
        texts["formatter_class"] = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(name, **texts)
    if run is not None:
        p.set_defaults(func=run)
    return p


def verbs(p: argparse.ArgumentParser, dest: str, metavar: str) -> argparse._SubParsersAction:
    """Return the required sub-commands of ``p`` (``iamlab athena setup|denials``)."""
    found = p.add_subparsers(dest=dest, metavar=metavar)
    found.required = True
    return found


def add_workspace(p: argparse.ArgumentParser, *, required: bool = True, help: str = "") -> None:
    """``--workspace/-w DIR`` and ``--no-wait`` (fail at once when another process writes it)."""
    p.add_argument(
        "--workspace", "-w", required=required, metavar="DIR",
        help=help or "workspace folder",
    )  # fmt: skip
    p.add_argument(
        "--no-wait", dest="wait", action="store_false",
        help="if another process is writing the workspace, fail at once instead of waiting",
    )  # fmt: skip


def add_snapshot(
    p: argparse.ArgumentParser,
    help: str = "snapshot folder",
    *,
    required: bool = False,
    metavar: str | None = "DIR",
    type: Callable[[str], Any] | None = None,
) -> None:
    """``--snapshot DIR``: the IAM snapshot folder to replay against."""
    typed: dict[str, Any] = {} if type is None else {"type": type}
    p.add_argument("--snapshot", required=required, metavar=metavar, help=help, **typed)


def add_window(
    p: argparse.ArgumentParser,
    since: str = SINCE,
    until: str = UNTIL,
    *,
    required: bool = False,
    metavar: str | None = None,
) -> None:
    """``--since`` (inclusive) and ``--until`` (exclusive), with their help texts."""
    p.add_argument("--since", required=required, metavar=metavar, help=since)
    p.add_argument("--until", required=required, metavar=metavar, help=until)


def add_principal(
    p: argparse._ActionsContainer,  # a parser, or a group of options that exclude each other
    help: str = "only this principal",
    *,
    required: bool = False,
    metavar: str | None = "ARN",
) -> None:
    """``--principal ARN``: the user, role or session the command is about."""
    p.add_argument("--principal", required=required, metavar=metavar, help=help)


def add_json(p: argparse.ArgumentParser, help: str) -> None:
    """``--json``: print what the command found as JSON (``help`` says what)."""
    p.add_argument("--json", action="store_true", help=help)


def add_aws(p: argparse.ArgumentParser, region: str) -> None:
    """``--region`` (``region`` is its help) and ``--profile``: where and as whom to ask AWS."""
    p.add_argument("--region", help=region)
    p.add_argument("--profile", help="AWS profile")


def add_evidence(p: argparse.ArgumentParser, json_help: str) -> None:
    """The tail of a command that asks AWS: where to save the answer, the profile, ``--json``."""
    add_workspace(p, required=False, help=EVIDENCE)
    p.add_argument("--profile", help="AWS profile")
    add_json(p, json_help)


def add_quiet(p: argparse.ArgumentParser, *names: str, help: str = "no progress bars") -> None:
    """``--quiet`` (and ``names``, e.g. ``-q``): no progress bars on stderr."""
    p.add_argument("--quiet", *names, action="store_true", help=help)


def open_workspace(args: argparse.Namespace, read_only: bool = False) -> Workspace:
    """Return the workspace of ``--workspace``, waiting for a writer unless ``--no-wait``."""
    from iamlab.workspace import Workspace

    return Workspace(args.workspace, read_only=read_only, wait=args.wait)


def window(args: argparse.Namespace) -> dict[str, Any]:
    """Return ``--since`` and ``--until`` as keyword arguments."""
    return {"since": args.since, "until": args.until}


def print_json(value: Any, sort_keys: bool = False) -> None:
    """Print ``value`` as indented JSON (dates and other values as their text)."""
    print(json.dumps(value, indent=2, sort_keys=sort_keys, default=str))
