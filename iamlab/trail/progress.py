"""Progress of a long load (files, records, bytes, rate), in a terminal or in Jupyter.

``tqdm.auto`` picks the notebook widget under Jupyter and a text bar elsewhere,
so the same code serves both; ``enabled=False`` makes it silent. The engine
reports absolute figures (``update``), also from a thread that watches a long
DuckDB statement, so the bar only ever moves forward.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class Progress:
    """A byte-based bar whose postfix shows files, records and records per second."""

    def __init__(self, total_bytes: int, total_files: int, enabled: bool = True) -> None:
        self._bar: Any = None
        self._lock = threading.Lock()
        self.bytes = 0
        self.files = 0
        self.total_files = total_files
        self.started = time.perf_counter()
        if enabled and total_files:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total_bytes,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc="loading",
                leave=True,
                dynamic_ncols=True,
            )

    @property
    def enabled(self) -> bool:
        return self._bar is not None

    def update(self, nbytes: int, files: int, records: int) -> None:
        """Set the figures done so far (never moves back)."""
        with self._lock:
            if nbytes <= self.bytes and files <= self.files:
                return
            step = max(nbytes - self.bytes, 0)
            self.bytes = max(nbytes, self.bytes)
            self.files = max(files, self.files)
            if self._bar is None:
                return
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            self._bar.update(step)
            self._bar.set_postfix(
                files=f"{self.files}/{self.total_files}",
                records=records,
                rate=f"{records / elapsed:,.0f} rec/s",
                refresh=False,
            )

    def advance(self, nbytes: int, records: int) -> None:
        """One more file of ``nbytes`` done."""
        self.update(self.bytes + nbytes, self.files + 1, records)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
