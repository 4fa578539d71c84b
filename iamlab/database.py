"""The workspace's DuckDB file, shared by a notebook, a terminal and a second notebook.

DuckDB lets one process write a file or many processes read it, never both
at once, and a process holding any connection keeps the others out. So no
``Workspace`` keeps a connection between calls: a read opens a read-only
connection (kept for ``HOLD_SECONDS`` after its last use, because opening one
costs about 15 ms: see ``benchmarks/connections.py``), and a write (a load, a
diagnosis) takes the file for just as long as it runs. A process that finds
the file taken waits, after one line on stderr naming who holds it and why,
instead of failing with DuckDB's lock error.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from iamlab.errors import InputError

DB_NAME = "iamlab.duckdb"
BUSY_NAME = "iamlab.busy"  # who writes now: {"pid", "what", "since"}
WANT_NAME = "iamlab.want-write"  # a writer waits: readers let go after each use
HOLD_SECONDS = 1.0
_LOCK_HELD = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")


class WorkspaceBusy(InputError):
    """The workspace is being written by another process and ``wait`` was false."""


def _locked(exc: BaseException) -> re.Match[str] | None:
    return _LOCK_HELD.search(str(exc)) if isinstance(exc, duckdb.Error) else None


_SHARED: dict[str, Database] = {}
_SHARED_LOCK = threading.Lock()


def database(folder: Path) -> Database:
    """Return this process's one ``Database`` for ``folder``.

    DuckDB refuses a read-write connection to a file that the same process
    has open read-only, so every ``Workspace`` on one folder shares one.
    """
    key = str(folder.resolve())
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = Database(folder)
        return _SHARED[key]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Database:
    """Short connections to one workspace file; see the module docstring.

    ``wait`` (of ``read``/``write``): True waits for a busy workspace as long
    as it takes, a number waits that many seconds, False fails at once with
    ``WorkspaceBusy``. ``notify`` receives the one line said while waiting.
    """

    def __init__(self, folder: Path, notify=_stderr) -> None:
        self.folder = folder
        self.path = folder / DB_NAME
        self.notify = notify
        self._lock = threading.RLock()
        self._reader: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self._timer: threading.Timer | None = None

    # --- opening, with one line while the file is busy ------------------------------------------

    def _open(self, read_only: bool, wait: bool | float) -> duckdb.DuckDBPyConnection:
        told = False
        deadline = None if wait is True else time.monotonic() + float(wait or 0)
        pause = 0.05
        try:
            while True:
                try:
                    con = duckdb.connect(str(self.path), read_only=read_only)
                    break
                except duckdb.Error as exc:
                    held = _locked(exc)
                    if held is None:
                        raise InputError(
                            f"Cannot open the workspace database {str(self.path)!r}: {exc}"
                        ) from None
                    who = self._holder(int(held.group(2)))
                    if deadline is not None and time.monotonic() >= deadline:
                        raise WorkspaceBusy(
                            f"Workspace {str(self.folder)!r} is busy: {who}. Try again when "
                            "it ends, or let iamlab wait for it (the default; the CLI's "
                            "--no-wait turns it off)."
                        ) from None
                    if not told:
                        self.notify(f"workspace busy: {who}; waiting (Ctrl-C to stop)")
                        told = True
                        if not read_only:
                            self._announce(True)
                    time.sleep(pause)
                    pause = min(pause * 2, 0.5)
        finally:
            if told and not read_only:
                self._announce(False)
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")  # loads show their own
        return con

    def _announce(self, waiting: bool) -> None:
        """Tell readers in other processes that a write waits, so they stop holding the file."""
        want = self.folder / WANT_NAME
        with contextlib.suppress(OSError):
            if waiting:
                want.write_text(str(os.getpid()), "utf-8")
            elif want.read_text("utf-8").strip() == str(os.getpid()):
                want.unlink()

    def _writer_waiting(self) -> bool:
        """True while another live process waits to write (a stale announcement is removed)."""
        want = self.folder / WANT_NAME
        try:
            pid = int(want.read_text("utf-8").strip())
        except (OSError, ValueError):
            return False
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                want.unlink()
            return False
        except OSError:
            pass  # alive, owned by someone else
        return True

    def _holder(self, pid: int) -> str:
        """Say who holds the file: 'a load is running in PID n' or 'PID n has it open'."""
        with contextlib.suppress(OSError, ValueError):
            busy = json.loads((self.folder / BUSY_NAME).read_text("utf-8"))
            if int(busy.get("pid", -1)) == pid:
                return f"{busy.get('what', 'a write')} is running in PID {pid}"
        return f"PID {pid} has it open"

    # --- reads: a shared read-only connection, closed soon after its last use -------------------

    @contextlib.contextmanager
    def read(self, wait: bool | float = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a read-only connection (several processes may read at once)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._reader is None:
                pause = 0.02
                while self._writer_waiting():  # let the waiting load in first
                    time.sleep(pause)
                    pause = min(pause * 2, 0.5)
                self._reader = self._open(read_only=True, wait=wait)
            self._users += 1
            con = self._reader
        try:
            yield con
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._reader is not None and self._writer_waiting():
                    self._close_reader()
                elif self._users == 0 and self._reader is not None:
                    self._timer = threading.Timer(HOLD_SECONDS, self._release_idle)
                    self._timer.daemon = True
                    self._timer.start()

    def _release_idle(self) -> None:
        with self._lock:
            if self._users == 0:
                self._close_reader()

    def _close_reader(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    # --- writes: the file for as long as the write runs ---------------------------------------

    @contextlib.contextmanager
    def write(
        self, what: str = "a write", wait: bool | float = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a read-write connection; ``what`` names the job for waiting processes."""
        with self._lock:
            if self._users:
                raise InputError(
                    "Cannot write to the workspace while one of its query results is still "
                    "being read in this process; finish reading first."
                )
            self._close_reader()
            self.folder.mkdir(parents=True, exist_ok=True)
            con = self._open(read_only=False, wait=wait)
            busy = self.folder / BUSY_NAME
            with contextlib.suppress(OSError):
                busy.write_text(
                    json.dumps({"pid": os.getpid(), "what": what, "since": time.time()}),
                    "utf-8",
                )
            try:
                yield con
            finally:
                with contextlib.suppress(OSError):
                    busy.unlink()
                con.close()

    def close(self) -> None:
        """Close the held read-only connection now (safe to call twice)."""
        with self._lock:
            self._close_reader()
