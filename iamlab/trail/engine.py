"""Move evidence files into ``event_records``, losing nothing.

Why this shape: Python loops over records were far too slow for millions of
events, so S3 log files go to DuckDB, which gunzips and parses them in C++ on
both cores and types each element of ``Records`` with an explicit schema in
that one parse. Gzip log files are first concatenated into a few bundles
(``write_bundles``: DuckDB pays a fixed cost per file it opens). All of them
are read by one INSERT statement, which writes every record straight to
``event_records`` (``sql.INSERT_RECORDS``): records to reject or filter out are
written with a reason, then counted, copied to ``rejected`` and deleted in the
same transaction. Measured on 2,000,000 events, one statement with no staging
table took about 60% of the time of 256 MiB batches through a staging table,
and kept peak memory under DuckDB's limit.

A statement that fails is retried without the file DuckDB names (or split in
halves when it names none; a bundle it names is read again file by file); that
file, and every file in another format, goes through the careful Python decoder
(``decode.py``), which says where it broke and salvages what it can.
Duplicates (by event_id) are removed once per load, after its inserts
(``remove_duplicates``).
"""

from __future__ import annotations

import gzip
import os
import re
import threading
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from iamlab.trail import sql
from iamlab.trail.decode import LINE_FORMATS, MAX_RECORD_BYTES, Decoded, decode_file
from iamlab.trail.discover import FileItem
from iamlab.trail.layout import Filter
from iamlab.trail.stream import GZIP_MAGIC, ByteSource, open_regular

DECODED_CHUNK = 50_000  # records per statement on the Python path
DECODED_BYTES = 64 << 20  # ... or this many bytes of JSON text, whichever comes first
# Files DuckDB reads whole (a bundle line, or its read buffer, is a whole file):
# bigger ones go to the careful path, which reads a record at a time. Measured
# (benchmarks/hostile.py): a 32 MiB file of one record peaks under the loader's
# DuckDB memory limit; CloudTrail log files are rarely above a few MiB.
FAST_FILE_BYTES = 32 << 20
# A single gzip member whose ISIZE trailer (the size mod 2**32) could hide 4 GiB
# more needs at least 2**32 / 1032 compressed bytes (deflate's best ratio).
_ISIZE_EXACT_BELOW = 2**32 // 1032
_MEMBER_HEAD = GZIP_MAGIC + b"\x08"  # the start of every gzip member (deflate)
_PAST_FAST = FAST_FILE_BYTES + 1  # a size counted only up to FAST_FILE_BYTES: more than that
MAX_REPORTED_REJECTS = 1000
RETRY_CHUNKS = 8  # after a failure, the rest is read in this many statements
PROGRESS_EVERY = 0.25  # seconds between looks at a running statement's progress
_FILE_IN_ERROR = re.compile(r'in file "([^"]+)"')
_GLOB_CHARS = re.compile(r"[*?\[\]{}]")  # DuckDB would expand these in a file name
# How CloudTrail writes a log file: one line (spaces, as json.dumps adds, are fine).
_COMPACT_HEAD = re.compile(rb'\{[ \t]*"Records"[ \t]*:[ \t]*\[')
_HEAD_BYTES = 64  # decompressed bytes looked at; a line break among them is not compact
BUNDLE_BYTES = 8 << 20  # gzip bytes per bundle: a few dozen bundles keep both cores busy
_BUNDLE_END = gzip.compress(b"}\n", mtime=0)


@dataclass
class FileCounts:
    """What one source file gave: ``seen`` is set when the load ends (see ``Engine.run``)."""

    seen: int = 0
    rejected: int = 0
    filtered: int = 0
    duplicates: int = 0
    conflicts: int = 0  # loaded records whose eventID another record holds with other content
    skipped: str | None = None


@dataclass
class EngineResult:
    counts: dict[str, FileCounts] = field(default_factory=lambda: defaultdict(FileCounts))
    loaded: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # event_id, source, pos
    files_read: list[str] = field(default_factory=list)


@dataclass
class Bundle:
    """Gzip log files concatenated (as gzip members) into one file, a line per file.

    Each line is ``{"f": <source>, "r": <the file's JSON>}``: a gzip member
    holding the prefix, the file's own bytes unchanged, and a member holding
    ``}\\n``. DuckDB reads it as newline-delimited JSON (``sql.BUNDLE``).
    """

    path: str
    members: list[FileItem] = field(default_factory=list)
    size: int = 0
    expanded: int = 0  # the largest member, decompressed: the longest line
    fmt: str = sql.BUNDLE


Unit = FileItem | Bundle


def members(unit: Unit) -> list[FileItem]:
    return unit.members if isinstance(unit, Bundle) else [unit]


def write_bundles(items: list[FileItem], folder: Path) -> tuple[list[Bundle], list[FileItem]]:
    """Concatenate compact gzip log files into bundles in ``folder``; return them and the rest."""
    bundles: list[Bundle] = []
    rest: list[FileItem] = []
    out = None
    try:
        for item in items:
            if item.fmt != sql.COMPACT or not item.path.endswith(".gz"):
                rest.append(item)
                continue
            try:
                with open(item.path, "rb") as f:
                    data = f.read()
            except OSError:
                rest.append(item)  # the per-file reader will say what is wrong
                continue
            if out is None or bundles[-1].size >= BUNDLE_BYTES:
                if out is not None:
                    out.close()
                bundles.append(Bundle(str(folder / f"bundle-{len(bundles):05d}.ndjson.gz")))
                out = open(bundles[-1].path, "wb")
            head = b'{"f":' + orjson.dumps(item.source) + b',"r":'
            out.write(gzip.compress(head, compresslevel=1, mtime=0))
            out.write(data)
            out.write(_BUNDLE_END)
            b = bundles[-1]
            b.members.append(item)
            b.size += item.size
            b.expanded = max(b.expanded, (item.expanded or 0) + len(head) + 2)
    finally:
        if out is not None:
            out.close()
    return bundles, rest


def inspect(item: FileItem) -> tuple[int | None, str]:
    """The decompressed size of a log file and the read_json format that fits its first bytes.

    The size must be exact before DuckDB reads a file (its bound on memory and
    on content bytes per object): for gzip it is the trailer's ISIZE when that
    provably is the whole size, i.e. the file holds one member (no other member
    header in it) and is too small to hide another 4 GiB; otherwise the file is
    decompressed once, counting, without keeping it (``_counted_size``). None
    when the trailer is implausible (deflate cannot expand more than about
    1032:1) or the stream is broken: the careful path then reads it and says
    what is wrong. A file that starts the way CloudTrail writes one is read as
    one JSON line (``sql.COMPACT``); any other layout (pretty-printed, say)
    with DuckDB's general reader. A file that only starts like one line is
    found out when DuckDB fails on it, and read again with the general reader.
    """
    if item.path.endswith(".gz") and item.size > FAST_FILE_BYTES:
        return None, sql.ANY_LAYOUT  # too big for DuckDB whatever it holds: never read whole
    try:
        fd = open_regular(item.path)
        with os.fdopen(fd, "rb") as f:
            if not item.path.endswith(".gz"):
                return item.size, _layout(f.read(_HEAD_BYTES))
            data = f.read()
    except OSError:
        return None, sql.ANY_LAYOUT
    if len(data) < 18 or data[:2] != GZIP_MAGIC:
        return None, sql.ANY_LAYOUT
    isize = int.from_bytes(data[-4:], "little")
    if isize > len(data) * 1032:
        return None, sql.ANY_LAYOUT
    try:
        start = zlib.decompressobj(wbits=31).decompress(data[:4096], _HEAD_BYTES)
    except zlib.error:
        return None, sql.ANY_LAYOUT
    if data.find(_MEMBER_HEAD, 10) >= 0 or len(data) >= _ISIZE_EXACT_BELOW:
        return _counted_size(item), _layout(start)
    return isize, _layout(start)


def _counted_size(item: FileItem) -> int | None:
    """The whole decompressed size of a gzip file (all members), read once and not kept.

    Counting stops past FAST_FILE_BYTES (``_PAST_FAST``: the file goes to the
    careful path, which applies the per-object cap); None for a broken stream.
    """
    try:
        src = ByteSource(open_regular(item.path), FAST_FILE_BYTES)
    except OSError:
        return None
    try:
        while src.read():
            pass
    except OSError:
        return None
    finally:
        src.close()
    if src.error:
        return None
    return _PAST_FAST if src.over_cap else src.total


def _layout(start: bytes) -> str:
    compact = _COMPACT_HEAD.match(start) and b"\n" not in start
    return sql.COMPACT if compact else sql.ANY_LAYOUT


class Engine:
    """Loads files for one load id; ``run`` returns per-file tallies.

    ``s3_root``: the folder of the workspace's S3 cache (files under it are
    named by their s3:// URL in ``events.source``). ``scratch``: an empty
    folder for bundles (None: read every file on its own).
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        load_id: int,
        flt: Filter,
        max_object_bytes: int,
        progress: Any = None,
        s3_root: str = "",
        scratch: Path | None = None,
        max_record_bytes: int = MAX_RECORD_BYTES,
    ) -> None:
        self.con = con
        self.max_record_bytes = max_record_bytes
        self.load_id = load_id
        self.flt = flt
        self.max_object_bytes = max_object_bytes
        self.progress = progress
        self.s3_root = s3_root.rstrip("/") + "/" if s3_root else ""
        self.scratch = scratch
        self.result = EngineResult()
        self._pending: Decoded = Decoded()
        self._pending_sources: list[str] = []
        self._pending_bytes = 0
        self.records = 0

    # --- public -------------------------------------------------------------------------------

    def run(self, files: list[FileItem]) -> EngineResult:
        fast: list[FileItem] = []
        careful: list[FileItem] = []
        for item in files:
            size, fmt = inspect(item) if self._fast_eligible(item) else (None, "")
            if size is None:
                careful.append(item)
            elif size > self.max_object_bytes and size != _PAST_FAST:
                self._file_reject(
                    item,
                    "file",
                    f"oversized object: about {size} bytes decompressed is more than the "
                    f"{self.max_object_bytes}-byte limit (raise max_object_bytes to read it)",
                )
                self._tick(item)
            elif size > FAST_FILE_BYTES:
                careful.append(item)  # read a record at a time, in bounded memory
            else:
                item.expanded, item.fmt = size, fmt
                fast.append(item)
        if fast:
            self._fast(fast)
        for item in careful:
            self._careful(item)
        self._flush_decoded()
        duplicates, conflicts = dedupe(self.con, self.load_id)
        for source, n in duplicates.items():
            self.result.counts[source].duplicates += n
        for source, n in conflicts.items():
            self.result.counts[source].conflicts += n
        if conflicts:
            self.result.conflicts = self.con.execute(
                sql.CONFLICTS_OF_LOAD, {"load_id": self.load_id, "n": MAX_REPORTED_REJECTS}
            ).fetchall()
        self.result.loaded = dict(
            self.con.execute(sql.LOADED_BY_SOURCE, {"load_id": self.load_id}).fetchall()
        )
        for source, loaded in self.result.loaded.items():
            self.result.counts[source].seen = loaded
        for c in self.result.counts.values():
            c.seen += c.duplicates + c.rejected + c.filtered
        self.result.rejected = self.con.execute(
            sql.REJECTED_OF_LOAD, {"load_id": self.load_id, "n": MAX_REPORTED_REJECTS}
        ).fetchall()
        return self.result

    # --- fast path ----------------------------------------------------------------------------

    def _fast_eligible(self, item: FileItem) -> bool:
        """An S3 log file DuckDB can open by name and whose source its SQL can derive."""
        if not item.fast or _GLOB_CHARS.search(item.path):
            return False
        if self.s3_root and item.path.startswith(self.s3_root):
            return item.source == "s3://" + item.path[len(self.s3_root) :]
        return item.source == item.path

    def _fast(self, items: list[FileItem]) -> None:
        units: list[Unit] = list(items)
        if self.scratch is not None:
            bundles, rest = write_bundles(items, self.scratch)
            units = [*bundles, *rest]
        queue = [units]
        while queue:
            batch = queue.pop(0)
            before = (self.progress.bytes, self.progress.files) if self.progress else (0, 0)
            try:
                produced = self._insert_files(batch)
            except duckdb.Error as exc:
                self._rollback()
                if isinstance(exc, duckdb.InterruptException):
                    raise
                queue[:0] = self._after_failure(batch, str(exc))
                continue
            files = [item for unit in batch for item in members(unit)]
            for item in files:
                self.result.files_read.append(item.source)
                if item.source not in produced:
                    # no record came out: an empty file, a digest, or not CloudTrail at all
                    self._careful(item, count_read=False, tick=False)
            if self.progress is not None:
                self.progress.update(
                    before[0] + sum(i.size for i in files), before[1] + len(files), self.records
                )

    def _after_failure(self, batch: list[Unit], message: str) -> list[list[Unit]]:
        """What to read next after ``batch`` failed: the rest, in smaller statements."""
        bad = self._blame(batch, message)
        if bad is None:
            if len(batch) == 1:
                for item in members(batch[0]):
                    self._careful(item)
                return []
            mid = len(batch) // 2
            return [batch[:mid], batch[mid:]]
        rest = [u for u in batch if u is not bad]
        if isinstance(bad, Bundle):  # read its files one by one to find the bad one
            rest.extend(bad.members)
        elif bad.fmt == sql.COMPACT:  # perhaps a line break inside: try the general reader
            bad.fmt = sql.ANY_LAYOUT
            rest.append(bad)
        else:
            self._careful(bad)
        if not rest:
            return []
        size = -(-len(rest) // RETRY_CHUNKS)
        return [rest[i : i + size] for i in range(0, len(rest), size)]

    def _insert_files(self, batch: list[Unit]) -> set[str]:
        kinds = [
            k for k in (sql.BUNDLE, sql.COMPACT, sql.ANY_LAYOUT) if any(u.fmt == k for u in batch)
        ]
        params: dict[str, Any] = {
            f"files_{k}": [u.path for u in batch if u.fmt == k] for k in kinds
        }
        if sql.COMPACT in kinds or sql.ANY_LAYOUT in kinds:
            params["s3_root"] = self.s3_root
        biggest = max(u.expanded or u.size for u in batch)
        buffer = 1 << max(24, (2 * biggest).bit_length())  # a power of two >= 16 MiB
        files = [item for unit in batch for item in members(unit)]
        return self._insert(
            sql.trail_records(kinds, buffer),
            params,
            sum(i.size for i in files),
            len(files),
            want_sources=True,
        )

    @staticmethod
    def _blame(batch: list[Unit], message: str) -> Unit | None:
        m = _FILE_IN_ERROR.search(message)
        if m:
            for unit in batch:
                if unit.path == m.group(1):
                    return unit
        return None

    # --- careful path -------------------------------------------------------------------------

    def _careful(self, item: FileItem, count_read: bool = True, tick: bool = True) -> None:
        if count_read:
            self.result.files_read.append(item.source)
        if item.size > self.max_object_bytes and not item.path.lower().endswith(LINE_FORMATS):
            self._file_reject(
                item,
                "file",
                f"oversized object: {item.size} bytes is more than the "
                f"{self.max_object_bytes}-byte "
                "limit (raise max_object_bytes to read it)",
            )
            self._tick(item)
            return
        source = item.source

        def take(raws: list[str], positions: list[str]) -> None:
            self._pending.raws.extend(raws)
            self._pending.positions.extend(positions)
            self._pending_sources.extend([source] * len(raws))
            self._pending_bytes += sum(len(r) for r in raws)
            if len(self._pending.raws) >= DECODED_CHUNK or self._pending_bytes >= DECODED_BYTES:
                self._flush_decoded()

        decoded = decode_file(
            Path(item.path), self.max_object_bytes, Decoded(sink=take), self.max_record_bytes
        )
        counts = self.result.counts[item.source]
        if decoded.skipped:
            counts.skipped = decoded.skipped
        self._record_rejects(item.source, decoded.rejects)
        if tick:
            self._tick(item)

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
        self._pending_bytes = 0
        self.con.register("decoded_batch", table)
        try:
            self._insert(sql.DECODED_RECORDS, {}, 0, 0, want_sources=False)
        finally:
            self.con.unregister("decoded_batch")

    # --- shared -------------------------------------------------------------------------------

    def _insert(
        self, records_sql: str, params: dict[str, Any], nbytes: int, nfiles: int, want_sources: bool
    ) -> set[str]:
        """Insert, tally, reject and delete what is not kept, in one transaction.

        Returns the sources that gave at least one record (when ``want_sources``).
        """
        flt = {
            "since": self.flt.since,
            "until": self.flt.until,
            "accounts": sorted(self.flt.accounts) if self.flt.accounts else None,
            "regions": sorted(self.flt.regions) if self.flt.regions else None,
        }
        ids = {"load_id": self.load_id}
        limits = {"max_record_bytes": self.max_record_bytes}
        con = self.con
        con.execute("BEGIN TRANSACTION")
        inserted = self._execute_watched(
            sql.insert_records(records_sql), {**params, **flt, **ids, **limits}, nbytes, nfiles
        )
        marked = con.execute(sql.MARKED_COUNTS, ids).fetchall()
        produced = set()
        if want_sources:
            produced = {r[0] for r in con.execute(sql.SOURCES_OF_LOAD, ids).fetchall()}
        if marked:
            con.execute(sql.INSERT_REJECTED, ids)
            con.execute(sql.DELETE_MARKED, ids)
        con.execute("COMMIT")
        for source, rejected, filtered in marked:
            c = self.result.counts[source]
            c.rejected += rejected
            c.filtered += filtered
        self.records += inserted
        return produced

    def _execute_watched(self, query: str, params: dict[str, Any], nbytes: int, nfiles: int) -> int:
        """Run the insert; while it runs, move the bar by DuckDB's own progress estimate."""
        if self.progress is None or not self.progress.enabled or not nbytes:
            return self.con.execute(query, params).fetchone()[0]
        done = threading.Event()
        start_bytes, start_files = self.progress.bytes, self.progress.files

        def watch() -> None:
            while not done.wait(PROGRESS_EVERY):
                pct = self.con.query_progress()
                if pct > 0:
                    share = min(pct, 99.0) / 100
                    self.progress.update(
                        start_bytes + int(share * nbytes),
                        start_files + int(share * nfiles),
                        self.records,
                        estimate=True,
                    )

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            return self.con.execute(query, params).fetchone()[0]
        finally:
            done.set()
            watcher.join()

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
        self.result.counts[source].rejected += 1

    def _record_rejects(self, source: str, rows: list[tuple[str, str, str]]) -> None:
        """Many rejected rows of one file in one statement (one INSERT each took 4 ms)."""
        if len(rows) < 8:
            for position, reason, snippet in rows:
                self.record_reject(source, position, reason, snippet)
            return
        positions, reasons, snippets = (list(c) for c in zip(*rows, strict=True))
        table = pa.table(
            {
                "source_position": pa.array(positions, pa.string()),
                "reason": pa.array(reasons, pa.string()),
                "snippet": pa.array(snippets, pa.string()),
            }
        )
        self.con.register("rejected_batch", table)
        try:
            self.con.execute(
                "INSERT INTO rejected SELECT $load_id, $source, source_position, reason, snippet "
                "FROM rejected_batch",
                {"load_id": self.load_id, "source": source},
            )
        finally:
            self.con.unregister("rejected_batch")
        self.result.counts[source].rejected += len(rows)

    def _file_reject(self, item: FileItem, position: str, reason: str) -> None:
        self.result.files_read.append(item.source)
        self.record_reject(item.source, position, reason, "")

    def _tick(self, item: FileItem) -> None:
        if self.progress is not None:
            self.progress.advance(item.size, self.records)


def remove_duplicates(con: duckdb.DuckDBPyConnection, load_id: int) -> dict[str, int]:
    """Delete the records of ``load_id`` already loaded before or repeated in it; count by source.

    A duplicate has the same event_id and the same content (``sql.CONTENT``);
    see ``dedupe``, which also lists conflicting ids.
    """
    return dedupe(con, load_id)[0]


def dedupe(con: duckdb.DuckDBPyConnection, load_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Remove ``load_id``'s duplicates and list its conflicting ids; both counted by source.

    Cheap counts first: a load with no repeated event_id and none loaded
    before (the usual case) costs one aggregate over its event ids.
    """
    ids = {"load_id": load_id}
    repeats = con.execute(sql.REPEATS_IN_LOAD, ids).fetchone()[0]
    earlier = con.execute(
        "SELECT count(*) FROM event_records WHERE load_id <> $load_id", ids
    ).fetchone()[0]
    overlap = con.execute(sql.OVERLAP_WITH_EARLIER, ids).fetchone()[0] if earlier else 0
    if not repeats and not overlap:
        return {}, {}
    con.execute("BEGIN TRANSACTION")
    con.execute(sql.DUPLICATE_ROWS, ids)
    by_source = dict(con.execute(sql.DUPLICATES_BY_SOURCE).fetchall())
    con.execute(sql.DELETE_DUPLICATES)
    con.execute("DELETE FROM conflicts WHERE load_id = $load_id", ids)
    con.execute(sql.INSERT_CONFLICTS, ids)
    conflicts = dict(con.execute(sql.CONFLICTS_BY_SOURCE, ids).fetchall())
    con.execute("COMMIT")
    return by_source, conflicts
