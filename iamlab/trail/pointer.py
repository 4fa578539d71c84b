"""Find one raw record again from its pointer (source file + position).

Rows loaded from S3 log files keep no copy of the record's JSON (see
``schema.sql``): this re-reads the file with the careful decoder, which knows
every format and position convention the loader uses, so the record returned
is the original, every key included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from iamlab.errors import InputError
from iamlab.trail.decode import decode_file

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
    decoded = decode_file(path, MAX_FILE_BYTES)
    fallback = None
    for raw, pos in zip(decoded.raws, decoded.positions, strict=True):
        if pos != position and fallback is not None:
            continue
        record = orjson.loads(raw)
        if isinstance(record, dict) and str(record.get("eventID")) == event_id:
            if pos == position:
                return record
            fallback = fallback or record
    if fallback is not None:  # a file of several top-level objects repeats positions
        return fallback
    raise InputError(
        f"{source} no longer holds event {event_id!r} at {position}: the file changed after "
        "it was loaded; load it again to refresh the pointer"
    )
