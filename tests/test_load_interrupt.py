"""Ctrl-C during a load: 'interrupted', exit 130, and a workspace that opens afterwards."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from conftest import SAMPLE_DATA

from iamlab.workspace import Workspace


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.9])
def test_sigint_at_any_moment_of_a_load_ends_cleanly(tmp_path, delay):
    ws_dir = tmp_path / "ws"
    proc = subprocess.Popen(
        [sys.executable, "-m", "iamlab", "load", str(SAMPLE_DATA / "cloudtrail"),
         str(SAMPLE_DATA / "lookup-events"), "-w", str(ws_dir), "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (ws_dir / "iamlab.duckdb").exists() and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(delay)  # from the moment the workspace exists: setup, discovery, the insert
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 0:  # the load had finished: nothing to interrupt
        assert "loaded" in out
    elif proc.returncode == -signal.SIGINT:
        # the signal came while the interpreter was shutting down (after main returned):
        # the default action killed it, silently, and the load had finished
        assert err == "" and "loaded" in out
    else:
        assert (proc.returncode, err) == (130, "interrupted\n")
    if ws_dir.exists():
        ws = Workspace(ws_dir)
        assert ws.sql("SELECT count(*) AS n FROM loads WHERE finished_at IS NULL").n[0] == 0
        assert not list(ws_dir.glob("loading-*"))
