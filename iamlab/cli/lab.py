"""``iamlab lab``: the guided notebooks in JupyterLab, on the bundled sample or a workspace."""

from __future__ import annotations

import argparse

from iamlab.cli import _options as opt


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``lab`` command."""
    p = opt.command(sub, "lab", run_lab)
    p.add_argument("workspace", nargs="?", metavar="WORKSPACE", help="an existing workspace")
    p.add_argument(
        "--no-browser",
        dest="browser",
        action="store_false",
        help="print the URL instead of opening a browser",
    )
    p.add_argument(
        "--port",
        type=int,
        metavar="N",
        help="port to listen on (default: the first free one from 8888)",
    )
    opt.add_quiet(p)


def run_lab(args: argparse.Namespace) -> int:
    """open the guided notebooks in JupyterLab (on the bundled sample by default)

    Without WORKSPACE: build ./iamlab-lab/workspace from the bundled sample (loaded and, when
    iamlab can diagnose, diagnosed). Copy the guided notebooks next to the workspace (copies
    that exist are kept) and start JupyterLab there on notebook 00, listening on 127.0.0.1 only.
    Ctrl-C stops it.
    """
    from iamlab.lab import prepare, serve

    root, workspace = prepare(args.workspace, progress=not args.quiet)
    print(f"lab folder {root} (workspace {workspace})", flush=True)
    with serve(root, port=args.port, browser=args.browser) as server:
        print(f"JupyterLab is serving notebook 00 at {server.url}", flush=True)
        server.process.wait()
    return 0
