"""One workspace, several processes: a notebook holding a Workspace, the CLI, a second reader.

Each "other" side is a real process (DuckDB's file lock is per process), so
these tests show what an analyst sees with JupyterLab and a terminal open.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA

from iamlab.cli import main
from iamlab.database import WorkspaceBusy
from iamlab.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]


def _python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


def _hold_write(folder: Path, what: str, seconds: float) -> subprocess.Popen:
    """Another process that holds the workspace's write lock for ``seconds`` (started)."""
    started = folder.parent / "write-started"
    writer = _python(
        """
        import sys, time
        from pathlib import Path
        from iamlab.database import database
        with database(Path(sys.argv[1])).write(sys.argv[2]):
            Path(sys.argv[3]).touch()
            time.sleep(float(sys.argv[4]))
        """,
        str(folder), what, str(started), str(seconds),
    )  # fmt: skip
    _wait_for(started)
    return writer


@pytest.fixture(scope="module")
def loaded_once(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("once") / "case"
    with Workspace(folder) as ws:
        ws.load(SAMPLE_DATA / "cloudtrail", progress=False)
    return folder


@pytest.fixture
def sample_ws(loaded_once, tmp_path) -> Path:
    """A copy of a workspace holding the sample's S3 export (each test may change it)."""
    folder = tmp_path / "case"
    shutil.copytree(loaded_once, folder)
    return folder


def test_a_notebook_holding_a_workspace_does_not_lock_out_the_terminal(sample_ws, capsys):
    ready = sample_ws.parent / "notebook-ready"
    notebook = _python(
        """
        import sys, time
        from pathlib import Path
        from iamlab import Workspace
        ws = Workspace(sys.argv[1])          # held for the whole session, like a notebook's
        counts = []
        Path(sys.argv[2]).touch()
        done = Path(sys.argv[3])
        while not done.exists():
            counts.append(int(ws.sql("SELECT count(*) AS n FROM events").n[0]))
            ws.denials()
            time.sleep(0.05)
        print(min(counts), max(counts))
        """,
        str(sample_ws),
        str(ready),
        str(sample_ws.parent / "terminal-done"),
    )
    try:
        _wait_for(ready)
        before = Workspace(sample_ws).sql("SELECT count(*) AS n FROM events").n[0]
        assert main(["denials", "--workspace", str(sample_ws), "--by", "cause"]) == 0
        assert main(["load", str(SAMPLE_DATA / "lookup-events"), "--workspace", str(sample_ws),
                     "--quiet"]) == 0  # fmt: skip
        assert main(["denials", "--workspace", str(sample_ws), "--by", "principal"]) == 0
        after = Workspace(sample_ws).sql("SELECT count(*) AS n FROM events").n[0]
        time.sleep(0.3)  # one more round of the notebook's loop after the load
        (sample_ws.parent / "terminal-done").touch()
        out, err = notebook.communicate(timeout=60)
    finally:
        notebook.kill()
    assert notebook.returncode == 0, err
    assert "lock" not in err.lower() and "Traceback" not in err
    low, high = map(int, out.split())
    assert (low, high) == (before, after)  # the notebook saw the load land, and nothing else
    captured = capsys.readouterr()
    assert "Conflicting lock" not in captured.err and "Traceback" not in captured.err


def test_a_reader_waits_for_a_running_load_with_one_line_saying_so(sample_ws, capsys):
    writer = _hold_write(sample_ws, "a load", seconds=2)
    try:
        assert main(["denials", "--workspace", str(sample_ws), "--by", "cause"]) == 0
    finally:
        writer.communicate(timeout=60)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    busy = f"workspace busy: a load is running in PID {writer.pid}; waiting (Ctrl-C to stop)"
    assert lines == [busy]
    assert writer.returncode == 0


def test_without_waiting_a_busy_workspace_is_one_clear_error(sample_ws, capsys):
    writer = _hold_write(sample_ws, "a diagnosis", seconds=3)
    try:
        with pytest.raises(WorkspaceBusy, match=rf"a diagnosis is running in PID {writer.pid}"):
            Workspace(sample_ws, wait=False).sql("SELECT 1")
        status = main(["denials", "--workspace", str(sample_ws), "--no-wait"])
        assert status == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "is busy: a diagnosis is running" in err[0]
    finally:
        writer.communicate(timeout=60)


def test_views_live_in_the_file_for_any_duckdb_client(sample_ws):
    import duckdb

    with duckdb.connect(str(sample_ws / "iamlab.duckdb"), read_only=True) as con:
        names = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        denials = con.execute("SELECT count(*) FROM denials").fetchone()[0]
    assert {"events", "denials", "error_events"} <= names
    assert denials == Workspace(sample_ws).sql("SELECT count(*) AS n FROM denials").n[0] > 0


def test_a_workspace_object_can_be_read_while_another_in_the_process_loads(sample_ws):
    reader, writer = Workspace(sample_ws), Workspace(sample_ws)
    before = reader.sql("SELECT count(*) AS n FROM events").n[0]  # keeps a reader briefly open
    report = writer.load(SAMPLE_DATA / "lookup-events", progress=False)
    assert reader.sql("SELECT count(*) AS n FROM events").n[0] == before + report.loaded


def test_stale_scratch_folders_of_a_killed_load_are_removed_by_the_next_load(sample_ws):
    stale = sample_ws / "loading-killed"
    (stale / "bundles").mkdir(parents=True)
    (stale / "bundles" / "b0.json.gz").write_bytes(b"x" * 1000)
    Workspace(sample_ws).load(SAMPLE_DATA / "lookup-events", progress=False)
    assert not stale.exists()
    assert not list(sample_ws.glob("loading-*"))


def test_opening_removes_the_scratch_of_a_dead_load_but_not_of_a_live_one(sample_ws):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    stale, live = sample_ws / f"loading-{dead}-abc", sample_ws / f"loading-{os.getpid()}-def"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "b0.json.gz").write_bytes(b"x")
    Workspace(sample_ws)
    assert not stale.exists() and live.exists()
