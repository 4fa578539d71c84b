"""Options shared by every command, spelled one way everywhere."""

from __future__ import annotations

import argparse


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
