"""Progress of a long load (files, records, bytes, rate), in a terminal or in Jupyter.

``tqdm.auto`` picks the notebook widget under Jupyter and a text bar elsewhere,
so the same code serves both; ``enabled=False`` makes it silent.
"""

from __future__ import annotations

import time
from typing import Any


class Progress:
    """A byte-based bar whose postfix shows files and records per second."""

    def __init__(self, total_bytes: int, total_files: int, enabled: bool = True) -> None:
        self._bar: Any = None
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

    def advance(self, nbytes: int, records: int) -> None:
        self.files += 1
        if self._bar is None:
            return
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        self._bar.update(nbytes)
        self._bar.set_postfix(
            files=f"{self.files}/{self.total_files}",
            records=records,
            rate=f"{records / elapsed:,.0f} rec/s",
            refresh=False,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
