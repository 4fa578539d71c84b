"""The lab folder: a workspace, copies of the guided notebooks next to it, and JupyterLab on it.

``prepare`` builds the folder (the bundled sample when no workspace is given)
and ``serve`` starts JupyterLab there on notebook 00, on loopback, with a
token it chose, so the URL it prints is the one that works. The installed
package's notebooks (``iamlab/notebooks/``) are only ever read: the copies
are the analyst's to edit, and a copy that exists is never overwritten.

    root, workspace = prepare(None)          # ./iamlab-lab with the sample
    with serve(root, port=8888) as server:   # JupyterLab until the block ends
        print(server.url)
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from iamlab.errors import IamlabError, InputError
from iamlab.notebook import NAMES, NOTEBOOKS

__all__ = ["DEFAULT_ROOT", "Server", "copy_notebooks", "free_port", "prepare", "serve"]

DEFAULT_ROOT = Path("iamlab-lab")
FIRST = f"{NAMES[0]}.ipynb"
LOG = "jupyterlab.log"  # in the lab folder: what JupyterLab printed
START_TIMEOUT = 60.0  # seconds JupyterLab may take to answer before we give up


def prepare(
    workspace: str | Path | None, root: str | Path = DEFAULT_ROOT, progress: bool = True
) -> tuple[Path, Path]:
    """Return (lab folder, workspace) ready to serve; build and copy what is missing.

    ``workspace`` None: ``<root>/workspace`` holds the bundled sample, loaded
    and (when the diagnose room is installed) diagnosed. A given workspace
    must exist; the notebooks go into the folder that holds it. Raises
    InputError for a workspace that is not one.
    """
    from iamlab.notebook import sample_workspace
    from iamlab.workspace import DB_NAME

    if workspace is None:
        lab = Path(root)
        ws_path = lab / "workspace"
        if not (ws_path / DB_NAME).exists():
            sample_workspace(ws_path, progress=progress)
    else:
        ws_path = Path(workspace).expanduser()
        if not (ws_path / DB_NAME).is_file():
            raise InputError(
                f"No workspace at {str(ws_path)!r} (no {DB_NAME}); load evidence "
                "first (iamlab load), or run `iamlab lab` alone for the sample"
            )
        lab = ws_path.resolve().parent
    copy_notebooks(lab, ws_path.resolve().relative_to(lab.resolve()))
    return lab, ws_path


def copy_notebooks(folder: Path, workspace: Path) -> list[Path]:
    """Copy the guided notebooks into ``folder`` (existing copies kept); return the new ones.

    In the copies, the parameters cell's ``workspace`` names ``workspace``
    (relative to ``folder``), so the notebooks open it when run as they are.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in NAMES:
        target = folder / f"{name}.ipynb"
        if target.exists():
            continue
        nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text("utf-8"))
        for cell in nb["cells"]:
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                cell["source"] = [_workspace_line(line, workspace)
                                  for line in _lines(cell["source"])]  # fmt: skip
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", "utf-8")
        written.append(target)
    return written


def _lines(source: str | list[str]) -> list[str]:
    return source.splitlines(keepends=True) if isinstance(source, str) else list(source)


def _workspace_line(line: str, workspace: Path) -> str:
    if not line.startswith("workspace = "):
        return line
    comment = line.split("#", 1)[1].strip() if "#" in line else ""
    new = f"workspace = {json.dumps(workspace.as_posix())}" + (f"  # {comment}" if comment else "")
    return new + ("\n" if line.endswith("\n") else "")


def free_port(start: int = 8888, tries: int = 50) -> int:
    """Return the first port from ``start`` that nothing listens on at 127.0.0.1."""
    for port in range(start, start + tries):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise InputError(f"No free port in {start}-{start + tries - 1}; pass --port")


@dataclass
class Server:
    """A running JupyterLab: its process, port, token and the URL of notebook 00."""

    process: subprocess.Popen
    port: int
    token: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{FIRST}?token={self.token}"

    def serves_first_notebook(self) -> bool:
        """True when JupyterLab answers with notebook 00's content."""
        api = f"http://127.0.0.1:{self.port}/api/contents/{FIRST}?content=0"
        request = urllib.request.Request(api, headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=2) as reply:
                return reply.status == 200
        except (urllib.error.URLError, OSError):
            return False


def command(root: Path, port: int, token: str, browser: bool) -> list[str]:
    """Return the JupyterLab command line for ``root`` (loopback only, opening notebook 00)."""
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.root_dir={root.resolve()}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--LabApp.default_url=/lab/tree/{FIRST}",
    ]
    if not browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers run as root; JupyterLab refuses it otherwise
    return argv


@contextlib.contextmanager
def serve(
    root: str | Path, port: int | None = None, browser: bool = False, timeout: float = START_TIMEOUT
) -> Iterator[Server]:
    """Start JupyterLab on ``root``; yield the Server once notebook 00 is served; stop it after.

    Raises IamlabError when JupyterLab exits or does not answer in ``timeout`` seconds.
    """
    root = Path(root)
    server = Server(None, port or free_port(), secrets.token_hex(24))  # type: ignore[arg-type]
    log = root / LOG
    with log.open("ab") as sink:  # a pipe nobody reads would fill and stop the server
        server.process = subprocess.Popen(
            command(root, server.port, server.token, browser), stdout=sink, stderr=sink
        )
    try:
        deadline = time.monotonic() + timeout
        while not server.serves_first_notebook():
            if server.process.poll() is not None:
                raise IamlabError(
                    f"JupyterLab exited ({server.process.returncode}) on port "
                    f"{server.port}; its log: {log}"
                )
            if time.monotonic() > deadline:
                raise IamlabError(f"JupyterLab did not answer within {timeout:.0f} s")
            time.sleep(0.1)
        yield server
    finally:
        if server.process.poll() is None:
            server.process.terminate()
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
