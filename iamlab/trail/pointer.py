"""Find one raw record again from its pointer (source file + position).

Rows loaded from S3 log files keep no copy of the record's JSON (see
``schema.sql``): this re-reads the file with the careful decoder, which knows
every format and position convention the loader uses, so the record returned
is the original, every key included. The file is streamed: only the record
looked for is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from iamlab.errors import InputError
from iamlab.trail.decode import Decoded, decode_file

MAX_FILE_BYTES = 1 << 31


def record_at(path: Path, position: str, event_id: str, source: str) -> dict[str, Any]:
    """The record ``event_id`` at ``position`` in ``path`` (a local copy of ``source``).

    Raises InputError when the file is gone or no longer holds that record
    (it was moved or rewritten after the load), naming the file and what to do.
    """
    if not path.is_file():
        raise InputError(
            f"The source of event {event_id!r} is gone: {source} (looked for {path}); "
            "restore the file or load the evidence again"
        )
    found: dict[str, dict[str, Any]] = {}

    def look(raws: list[str], positions: list[str]) -> None:
        """Keep the record at ``position`` (else the first with the id), not the whole file."""
        for raw, pos in zip(raws, positions, strict=True):
            if "exact" in found or (pos != position and "fallback" in found):
                continue
            record = orjson.loads(raw)
            if isinstance(record, dict) and str(record.get("eventID")) == event_id:
                found["exact" if pos == position else "fallback"] = record

    decode_file(path, MAX_FILE_BYTES, Decoded(sink=look))
    if "exact" in found:
        return found["exact"]
    if "fallback" in found:  # a file of several top-level objects repeats positions
        return found["fallback"]
    raise InputError(
        f"{source} no longer holds event {event_id!r} at {position}: the file changed after "
        "it was loaded; load it again to refresh the pointer"
    )
