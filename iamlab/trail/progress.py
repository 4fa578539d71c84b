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

# Bytes of evidence per CloudTrail record before a load has counted any: gzip S3
# log files of the sample's shape hold about 130 bytes per record (2,000,124
# records in 260 MB). Once records are counted, the load's own ratio is used.
BYTES_PER_RECORD = 130


def people(n: float) -> str:
    """A count as people read it: 950, 12.3k, 1.25M."""
    if n < 1000:
        return f"{n:.0f}"
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}"  # pragma: no cover


class Progress:
    """A byte-based bar whose postfix shows files, records and records per second.

    While one long DuckDB statement runs, only its bytes are known: records are
    then estimated from them (``~1.2M``) and corrected when the statement ends.
    """

    def __init__(self, total_bytes: int, total_files: int, enabled: bool = True) -> None:
        self._bar: Any = None
        self._lock = threading.Lock()
        self.bytes = 0
        self.files = 0
        self.total_files = total_files
        self._counted = (0, 0)  # records counted, and the bytes they came from
        self.shown = "0"
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

    def update(self, nbytes: int, files: int, records: int, estimate: bool = False) -> None:
        """Set the figures done so far (never moves back).

        With ``estimate``, ``records`` are those counted before the running
        statement, and the statement's share is estimated from its bytes.
        """
        with self._lock:
            moved = nbytes > self.bytes or files > self.files
            if not moved and (estimate or (records, self.bytes) == self._counted):
                return
            step = max(nbytes - self.bytes, 0)
            self.bytes = max(nbytes, self.bytes)
            self.files = max(files, self.files)
            if not estimate:
                self._counted = (records, self.bytes)
            if estimate:
                counted, counted_bytes = self._counted
                per = counted_bytes / counted if counted else BYTES_PER_RECORD
                records = counted + int((self.bytes - counted_bytes) / max(per, 1))
                shown = "~" + people(records)
            else:
                shown = people(records) if records >= 10_000 else f"{records:,}"
            self.shown = shown  # what the bar says of records
            if self._bar is None:
                return
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            self._bar.update(step)
            self._bar.set_postfix(
                files=f"{self.files:,}/{self.total_files:,}",
                records=shown,
                rate=f"{people(records / elapsed)} rec/s",
                refresh=False,
            )

    def advance(self, nbytes: int, records: int) -> None:
        """One more file of ``nbytes`` done."""
        self.update(self.bytes + nbytes, self.files + 1, records)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
