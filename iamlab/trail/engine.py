"""Move evidence files into the ``events`` table in batches, losing nothing.

Why this shape: Python loops over records were far too slow for millions of
events, so S3 log files go to DuckDB in batches of files: it gunzips and parses
them in C++ on both cores, typing each element of ``Records`` with an explicit
schema in that one parse (``sql.TRAIL_RECORDS``, ``sql.STAGE``). A batch that
fails is split until the bad file is found; that file, and every file in another
format, goes through the careful Python decoder (``decode.py``), which says where
it broke and salvages what it can. Each batch is one transaction, so memory stays flat and an
interrupted load keeps what it committed.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from iamlab.trail import sql
from iamlab.trail.decode import Decoded, decode_file
from iamlab.trail.discover import FileItem
from iamlab.trail.layout import Filter

# Decompressed bytes per DuckDB batch. A batch larger than one DuckDB row group
# (122,880 rows; about 170 MB of typical records) is written straight to the
# database file at insert instead of through the WAL and again at checkpoint:
# measured 200k events in 1 batch 4.6 s vs 8 batches 8.0 s. Peak memory grows
# with it (2M events: about 1.1 GB peak at 256 MiB).
BATCH_BYTES = 256 * 1024 * 1024
BATCH_FILES = 8192
DECODED_CHUNK = 50_000  # records per staged chunk on the Python path
MAX_REPORTED_REJECTS = 1000
RECONNECT_RECORDS = 125_000  # reopen (and so checkpoint) this often; see Workspace._reconnect
_FILE_IN_ERROR = re.compile(r'in file "([^"]+)"')


@dataclass
class FileCounts:
    seen: int = 0
    rejected: int = 0
    filtered: int = 0
    insights: int = 0
    skipped: str | None = None


@dataclass
class EngineResult:
    counts: dict[str, FileCounts] = field(default_factory=lambda: defaultdict(FileCounts))
    loaded: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)
    files_read: list[str] = field(default_factory=list)


def estimated_size(item: FileItem) -> int | None:
    """Decompressed size from the gzip trailer (ISIZE), or None when that is implausible.

    Deflate cannot expand more than about 1032:1, so a larger ISIZE means the
    trailer is not a trailer (a truncated or corrupt file): the careful path
    then reads it and says what is wrong.
    """
    if not item.path.endswith(".gz"):
        return item.size
    if item.size < 18:
        return None
    try:
        with open(item.path, "rb") as f:
            if f.read(2) != b"\x1f\x8b":
                return None
            f.seek(-4, os.SEEK_END)
            isize = int.from_bytes(f.read(4), "little")
    except OSError:
        return None
    return isize if isize <= item.size * 1032 else None


class Engine:
    """Loads files for one load id; ``run`` returns per-file tallies."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        load_id: int,
        flt: Filter,
        max_object_bytes: int,
        progress: Any = None,
        reconnect: Callable[[], duckdb.DuckDBPyConnection] | None = None,
    ) -> None:
        self.con = con
        self.reconnect = reconnect
        self._since_reconnect = 0
        self.load_id = load_id
        self.flt = flt
        self.max_object_bytes = max_object_bytes
        self.progress = progress
        self.result = EngineResult()
        self._pending: Decoded = Decoded()
        self._pending_sources: list[str] = []
        self.records = 0

    # --- public -------------------------------------------------------------------------------

    def run(self, files: list[FileItem]) -> EngineResult:
        fast: list[tuple[FileItem, int]] = []
        careful: list[FileItem] = []
        for item in files:
            size = estimated_size(item) if item.fast else None
            if size is not None:
                if size > self.max_object_bytes:
                    self._file_reject(
                        item,
                        "file",
                        f"oversized object: about {size} bytes decompressed is more than the "
                        f"{self.max_object_bytes}-byte limit (raise max_object_bytes to read it)",
                    )
                    self._tick(item, 0)
                    continue
                fast.append((item, size))
            else:
                careful.append(item)
        batch: list[FileItem] = []
        batch_bytes = 0
        for item, size in fast:
            item.expanded = size
            batch.append(item)
            batch_bytes += size
            if batch_bytes >= BATCH_BYTES or len(batch) >= BATCH_FILES:
                self._fast_batch(batch)
                batch, batch_bytes = [], 0
        if batch:
            self._fast_batch(batch)
        for item in careful:
            self._careful(item)
        self._flush_decoded()
        self.result.loaded = dict(
            self.con.execute(sql.LOADED_BY_SOURCE, {"load_id": self.load_id}).fetchall()
        )
        return self.result

    # --- fast path ----------------------------------------------------------------------------

    def _fast_batch(self, batch: list[FileItem]) -> None:
        params = {
            "files": [i.path for i in batch],
            "paths": [i.path for i in batch],
            "sources": [i.source for i in batch],
        }
        biggest = max(i.expanded or i.size for i in batch)
        buffer = 1 << max(24, (2 * biggest).bit_length())  # a power of two >= 16 MiB
        try:
            staged = self._stage_and_insert(sql.trail_records(buffer), params)
        except duckdb.Error as exc:
            self._rollback()
            bad = self._blame(batch, str(exc))
            if bad is not None:
                rest = [i for i in batch if i is not bad]
                self._careful(bad)
                if rest:
                    self._fast_batch(rest)
            elif len(batch) == 1:
                self._careful(batch[0])
            else:
                mid = len(batch) // 2
                self._fast_batch(batch[:mid])
                self._fast_batch(batch[mid:])
            return
        for item in batch:
            self.result.files_read.append(item.source)
            if item.source not in staged:
                # no record came out: an empty file, a digest, or not CloudTrail at all
                self._careful(item, count_read=False)
            else:
                self._tick(item, 0)
        self._maybe_reconnect()

    @staticmethod
    def _blame(batch: list[FileItem], message: str) -> FileItem | None:
        m = _FILE_IN_ERROR.search(message)
        if m:
            for item in batch:
                if item.path == m.group(1):
                    return item
        return None

    # --- careful path -------------------------------------------------------------------------

    def _careful(self, item: FileItem, count_read: bool = True) -> None:
        if count_read:
            self.result.files_read.append(item.source)
        if item.size > self.max_object_bytes and not item.path.lower().endswith(
            (".csv", ".csv.gz", ".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
        ):
            self._file_reject(
                item,
                "file",
                f"oversized object: {item.size} bytes is more than the "
                f"{self.max_object_bytes}-byte "
                "limit (raise max_object_bytes to read it)",
            )
            self._tick(item, 0)
            return
        decoded = decode_file(Path(item.path), self.max_object_bytes)
        counts = self.result.counts[item.source]
        if decoded.skipped:
            counts.skipped = decoded.skipped
        for position, reason, snippet in decoded.rejects:
            self.record_reject(item.source, position, reason, snippet)
        self._pending.raws.extend(decoded.raws)
        self._pending.positions.extend(decoded.positions)
        self._pending_sources.extend([item.source] * len(decoded.raws))
        if len(self._pending.raws) >= DECODED_CHUNK:
            self._flush_decoded()
        self._tick(item, 0)

    def _flush_decoded(self) -> None:
        if not self._pending.raws:
            return
        table = pa.table(
            {
                "r": pa.array(self._pending.raws, pa.string()),
                "source": pa.array(self._pending_sources, pa.string()),
                "source_position": pa.array(self._pending.positions, pa.string()),
            }
        )
        self._pending = Decoded()
        self._pending_sources = []
        self.con.register("decoded_batch", table)
        try:
            self._stage_and_insert(sql.DECODED_RECORDS, {})
        finally:
            self.con.unregister("decoded_batch")
        self._maybe_reconnect()

    # --- shared -------------------------------------------------------------------------------

    def _stage_and_insert(self, records_sql: str, params: dict[str, Any]) -> set[str]:
        """Stage, reject, insert and tally one batch in one transaction; return its sources."""
        flt = {
            "since": self.flt.since,
            "until": self.flt.until,
            "accounts": sorted(self.flt.accounts) if self.flt.accounts else None,
            "regions": sorted(self.flt.regions) if self.flt.regions else None,
        }
        con = self.con
        con.execute("BEGIN TRANSACTION")
        con.execute(sql.stage(records_sql), {**params, **flt})
        con.execute(sql.INSERT_REJECTED, {"load_id": self.load_id})
        con.execute(sql.EXISTING_IDS)
        existing = con.execute("SELECT count(*) FROM existing_ids").fetchone()[0]
        repeats = con.execute(sql.REPEATS_IN_BATCH).fetchone()[0]
        insert = sql.INSERT_NEW_EVENTS if existing or repeats else sql.INSERT_EVENTS
        con.execute(insert, {"load_id": self.load_id})
        rows = con.execute(sql.STAGE_COUNTS).fetchall()
        if len(self.result.rejected) < MAX_REPORTED_REJECTS:
            self.result.rejected.extend(
                con.execute(
                    "SELECT source, source_position, reason FROM stage WHERE reason IS NOT NULL "
                    "ORDER BY source, source_position LIMIT $n",
                    {"n": MAX_REPORTED_REJECTS - len(self.result.rejected)},
                ).fetchall()
            )
        con.execute("COMMIT")
        con.execute("DROP TABLE IF EXISTS stage; DROP TABLE IF EXISTS existing_ids")
        n = 0
        for source, seen, rejected, filtered, insights in rows:
            c = self.result.counts[source]
            c.seen += seen
            c.rejected += rejected
            c.filtered += filtered
            c.insights += insights
            n += seen
        self.records += n
        self._since_reconnect += n
        return {row[0] for row in rows}

    def _maybe_reconnect(self) -> None:
        """Between batches (nothing registered, no transaction open), now and then."""
        if self.reconnect is not None and self._since_reconnect >= RECONNECT_RECORDS:
            self.con = self.reconnect()
            self._since_reconnect = 0

    def _rollback(self) -> None:
        try:
            self.con.execute("ROLLBACK")
        except duckdb.Error:
            pass

    def record_reject(self, source: str, position: str, reason: str, snippet: str) -> None:
        self.con.execute(
            "INSERT INTO rejected VALUES ($load_id, $source, $position, $reason, $snippet)",
            {
                "load_id": self.load_id,
                "source": source,
                "position": position,
                "reason": reason,
                "snippet": snippet,
            },
        )
        c = self.result.counts[source]
        c.seen += 1
        c.rejected += 1
        if len(self.result.rejected) < MAX_REPORTED_REJECTS:
            self.result.rejected.append((source, position, reason))

    def _file_reject(self, item: FileItem, position: str, reason: str) -> None:
        self.result.files_read.append(item.source)
        self.record_reject(item.source, position, reason, "")

    def _tick(self, item: FileItem, _records: int) -> None:
        if self.progress is not None:
            self.progress.advance(item.size, self.records)
