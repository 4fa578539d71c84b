"""Benchmark: how long `iamlab lab --no-browser` takes to serve notebook 00 on the sample.

Each run starts the command as a process in a fresh folder and polls
JupyterLab's contents API (with the token the command printed) until notebook
00 is served. Printed, in the same run:

- the first start (builds ./iamlab-lab/workspace from the bundled sample),
- a second start (the workspace and notebook copies exist),
- the baseline: plain `python -m jupyterlab` on a folder holding notebook 00.

The figure to reach (issue 15): the first start under 10 s.

    python benchmarks/lab.py [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from iamlab.lab import Server, command, free_port
from iamlab.notebook import NOTEBOOKS

URL = re.compile(r"http://127\.0\.0\.1:(\d+)/\S+token=(\w+)")


def _served(process: subprocess.Popen, port: int, token: str, started: float) -> float:
    server = Server(process, port, token)
    while not server.serves_first_notebook():
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        time.sleep(0.05)
    return time.monotonic() - started


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def time_lab(folder: Path) -> float:
    """Seconds from starting `iamlab lab --no-browser` in ``folder`` to notebook 00 served."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "iamlab", "lab", "--no-browser",
                                "--quiet", "--port", str(free_port(9100))], cwd=folder,
                               stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        for line in process.stdout:
            found = URL.search(line)
            if found:
                return _served(process, int(found[1]), found[2], started)
        raise SystemExit("iamlab lab printed no URL")
    finally:
        _stop(process)


def time_plain_jupyterlab(folder: Path) -> float:
    """Seconds from starting JupyterLab itself on ``folder`` to notebook 00 served."""
    shutil.copy(NOTEBOOKS / "00-start-here.ipynb", folder)
    port, token = free_port(9200), "benchmark"
    started = time.monotonic()
    process = subprocess.Popen(
        command(folder, port, token, browser=False),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return _served(process, port, token, started)
    finally:
        _stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            (tmp / "lab").mkdir()
            (tmp / "plain").mkdir()
            first = time_lab(tmp / "lab")
            again = time_lab(tmp / "lab")
            plain = time_plain_jupyterlab(tmp / "plain")
        print(
            f"run {run}: iamlab lab first start {first:5.2f} s, second start {again:5.2f} s; "
            f"baseline plain jupyterlab {plain:5.2f} s"
        )


if __name__ == "__main__":
    main()
