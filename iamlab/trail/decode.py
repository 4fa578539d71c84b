"""Read one evidence file in Python, whatever its shape, salvaging what can be read.

This is the careful path: every format that is not a plain S3 log file (lookup-
events, console downloads, Lake results, arrays, single records), and any file
the fast DuckDB path could not read (truncated gzip, malformed JSON, too big for
it). It reads in bounded memory (``stream.py``: a chunk plus one record), parses
one record at a time, says exactly where a file or record is broken (the byte
offset, counted in decompressed bytes for gzip), keeps every complete record
around a bad one, and never raises for bad bytes.

Limits (both documented in ``iamlab/trail/__init__.py``):
- ``max_object_bytes``: content bytes read per file (gzip decompressed, all
  members together); past it the rest of the file is one rejected row. Plain
  NDJSON and CSV files are not capped: they hold no amplification and are read
  a line at a time.
- ``MAX_RECORD_BYTES`` (2 MiB): one record's JSON text. CloudTrail documents at
  most 100 KB for requestParameters and for responseElements, 28 KB for
  additionalEventData and 1 MB per CloudTrail Lake event (aws-facts.md 2.1);
  a longer record was not written by CloudTrail and is rejected with its size.

Invalid UTF-8: a record holding bytes that are not UTF-8 is rejected with the
offset of the first bad byte, never loaded altered (no U+FFFD): CloudTrail
writes UTF-8, and an analyst must be able to trust that a loaded value is what
the file said.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from iamlab.trail.lake import record_from_columns, row_columns
from iamlab.trail.stream import ByteSource, Scanner, Value, open_regular

SNIPPET = 200
MAX_RECORD_BYTES = 2 << 20
FLUSH_RECORDS = 10_000  # a sink gets records in batches of about this many
FLUSH_BYTES = 32 << 20  # ... or of this many bytes of JSON text
# Rejected rows listed one by one per file; past this, one row counts the rest, so
# a file of a million bad lines costs bounded memory (and the rejected table a row).
MAX_REJECTS_PER_FILE = 10_000
LINE_FORMATS = (".csv", ".csv.gz", ".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
_CONTAINERS = ("Records", "Events", "QueryResultRows")
_BOM = b"\xef\xbb\xbf"
_NEVER_CAPPED = (".csv", ".ndjson", ".jsonl")  # plain line formats (gzip ones are capped)
# orjson reads integers past 64 bits as doubles (123456789012345678901234567890
# would be stored as 1.2345678901234568e+29): a record with 19 digits in a row
# is read again with Python's json, which keeps every digit.
_LONG_DIGITS = re.compile(rb"\d{19}")

# Python's csv module refuses fields over 128 KiB by default, but a Lake result's
# eventjson column holds a whole record. The limit is process-wide; raising it
# to the per-record limit only lets other readers in the process take larger fields.
if csv.field_size_limit() < MAX_RECORD_BYTES:
    csv.field_size_limit(MAX_RECORD_BYTES)


@dataclass
class Decoded:
    """Records found in one file (as compact JSON text), and what was wrong with it.

    ``sink``: when set, records are handed to it in batches as they are found
    (so a big file is never held whole) instead of kept in ``raws``.
    """

    raws: list[str] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)  # position, reason, snippet
    skipped: str | None = None  # reason the whole file is not event data
    sink: Callable[[list[str], list[str]], None] | None = None
    _bytes: int = 0
    _cut: tuple[str, int, int] | None = None  # position, offset, bytes of a value cut off
    _unlisted: list = field(default_factory=list)  # [count, first position] past the limit

    def add(self, record: Any, position: str) -> None:
        try:
            raw = orjson.dumps(record).decode()
        except orjson.JSONEncodeError as exc:  # nested deeper than 254 levels, or a long integer
            try:
                if "64-bit" not in str(exc):
                    raise ValueError(str(exc)) from exc
                raw = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            except (ValueError, RecursionError) as why:
                self.reject(position, f"record cannot be stored: {why}")
                return
        self.raws.append(raw)
        self.positions.append(position)
        self._bytes += len(raw)
        if self.sink is not None and (
            len(self.raws) >= FLUSH_RECORDS or self._bytes >= FLUSH_BYTES
        ):
            self.flush()

    def flush(self) -> None:
        if self.sink is not None and self.raws:
            self.sink(self.raws, self.positions)
            self.raws, self.positions, self._bytes = [], [], 0

    def reject(
        self, position: str, reason: str, snippet: bytes | str = b"", always: bool = False
    ) -> None:
        if len(self.rejects) >= MAX_REJECTS_PER_FILE and not always:
            if not self._unlisted:
                self._unlisted = [0, position]
            self._unlisted[0] += 1
            return
        if isinstance(snippet, bytes):
            snippet = snippet[:SNIPPET].decode("utf-8", "replace")
        self.rejects.append((position, reason, snippet[:SNIPPET]))

    def cut(self, position: str, offset: int, size: int) -> None:
        """The content ended inside a value (a truncated file): reported once, at the end."""
        self._cut = (position, offset, size)


def decode_file(
    path: Path,
    max_object_bytes: int,
    result: Decoded | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Decoded:
    """Find the CloudTrail records in ``path``; never raises for bad content.

    A file that cannot be opened (gone, unreadable, a FIFO or device: never
    opened for reading) is one rejected row at position ``file``.
    """
    result = result if result is not None else Decoded()
    try:
        fd = open_regular(path)
    except OSError as exc:
        result.reject("file", f"cannot read file: {exc.strerror or exc}")
        return result
    name = path.name.lower()
    src = ByteSource(fd, None if name.endswith(_NEVER_CAPPED) else max_object_bytes)
    try:
        sc = Scanner(src.read, max_record_bytes)
        if name.endswith((".csv", ".csv.gz")):
            _decode_csv(sc, result)
        else:
            _decode_json(
                sc,
                result,
                src.error is not None,
                name.endswith((".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")),
            )
    except OSError as exc:  # the file went away or became unreadable while read
        result.reject("file", f"cannot read file: {exc.strerror or exc}")
    finally:
        src.close()
    result.flush()
    _report_end(src, result)
    if result._unlisted:
        n, first = result._unlisted
        result.rejects.append(
            (first, f"and {n} more bad records from here on, not listed one by one", "")
        )
    return result


def _report_end(src: ByteSource, result: Decoded) -> None:
    """One rejected row for how the content ended early: cap, broken gzip, or cut off."""
    unit = "decompressed byte" if src.compressed else "byte"
    if src.over_cap:
        result.reject(
            f"{unit} {src.total}",
            f"oversized object: more than the {src.cap}-byte limit of content per file; "
            "the records after it are not loaded (raise max_object_bytes to read it)",
            always=True,
        )
    elif result._cut is not None:
        position, offset, size = result._cut
        why = src.error or "truncated: the file ends"
        what = (
            f"inside this record ({size} bytes from {unit} {offset} not loaded)"
            if size
            else "before the list is closed (every record before it is loaded)"
        )
        result.reject(f"{position}, {unit} {offset}", f"{why} {what}", always=True)
    elif src.error:
        result.reject(f"{unit} {src.total}", src.error, always=True)


# --- JSON -----------------------------------------------------------------------------------------


def parse(text: bytes) -> Any:
    """The JSON value in ``text`` (orjson.JSONDecodeError if it is not JSON), digits kept."""
    value = orjson.loads(text)
    if _LONG_DIGITS.search(text):
        value = json.loads(text)
    return value


def _decode_json(sc: Scanner, result: Decoded, empty_ok: bool, named_ndjson: bool) -> None:
    c = sc.peek()
    if c is not None and sc.prefix(3) == _BOM:
        sc.skip(3)
        c = sc.peek()
    if c is None:
        if not empty_ok:
            result.reject("file", "empty file: no JSON in it")
        return
    if c == ord("{") and _looks_ndjson(sc, named_ndjson):
        _decode_ndjson(sc, result)
        return
    if c == ord("["):
        sc.skip()
        _array(sc, "", result)
    elif c == ord("{"):
        _object(sc, result)
    else:
        v = sc.value()
        assert v is not None
        try:
            doc = orjson.loads(v.data) if v.data is not None else None
        except orjson.JSONDecodeError as exc:
            result.reject(f"byte {v.start}", _malformed(exc, v), v.data or b"")
            return
        what = f"the top level is a JSON {type(doc).__name__}" if v.data else "a long value"
        result.reject("file", _not_cloudtrail(what), v.data or b"")
        return
    if result._cut is None and sc.peek() is not None:
        result.reject(
            f"byte {sc.offset}",
            "content after the end of the JSON document (not read)",
            sc.prefix(SNIPPET),
        )


def _looks_ndjson(sc: Scanner, named_ndjson: bool) -> bool:
    """True when the first line is a whole JSON object and more follows it.

    A file named .ndjson or .jsonl is taken as one whenever more than one line
    holds something (its first line may be too long to try, or broken).
    """
    head = sc.prefix(sc.limit + 2)
    nl = head.find(b"\n")
    if nl < 0:
        return named_ndjson and len(head) > sc.limit
    if not head[nl:].strip():
        return False
    if named_ndjson:
        return True
    try:
        return isinstance(orjson.loads(head[:nl]), dict)
    except orjson.JSONDecodeError:
        return False


def _decode_ndjson(sc: Scanner, result: Decoded) -> None:
    lineno = 0
    while (v := sc.line()) is not None:
        lineno += 1
        if v.data is None:
            result.reject(f"line {lineno}, byte {v.start}", _oversized(v, sc))
            continue
        line = v.data.strip()
        if not line:
            continue
        try:
            record = parse(line)
        except orjson.JSONDecodeError as exc:
            if not v.complete:  # the last line, with no newline after it: cut off
                result.cut(f"line {lineno}", v.start, v.size)
                continue
            result.reject(f"line {lineno} column {exc.colno}", _malformed(exc, v), line)
            continue
        result.add(record, f"line {lineno}")


def _object(sc: Scanner, result: Decoded) -> None:
    """A top-level object: a container of records (streamed), or one record or digest."""
    start = sc.offset
    sc.skip()
    members: list[tuple[str, Value]] = []
    containers = False
    while True:
        c = sc.peek()
        if c == ord("}"):
            sc.skip()
            break
        k = sc.value() if c is not None else None
        if k is None or not k.complete:
            result.cut("file", start, sc.offset - start)
            return
        key = _key(k)
        if key is None:
            result.reject(f"byte {k.start}", "malformed JSON: expected a key (a string)", k.data)
            return
        c = sc.peek()
        if c != ord(":"):
            if c is None:
                result.cut("file", start, sc.offset - start)
            else:
                result.reject(f"byte {sc.offset}", "malformed JSON: expected ':' after a key")
            return
        sc.skip()
        if key in _CONTAINERS and sc.peek() == ord("["):
            sc.skip()
            containers = True
            if not _array(sc, key, result):
                return
        else:
            v = sc.value()
            if v is None or not v.complete:
                result.cut("file", start, sc.offset - start)
                return
            members.append((key, v))
        c = sc.peek()
        if c == ord(","):
            sc.skip()
        elif c == ord("}"):
            sc.skip()
            break
        elif c is None:
            result.cut("file", start, sc.offset - start)
            return
        else:
            result.reject(f"byte {sc.offset}", "malformed JSON: expected ',' or '}'")
            return
    if containers:
        for key, _ in members:
            if key in _CONTAINERS:
                result.reject(key, _not_cloudtrail(f'"{key}" is not a list'))
        return
    size = sum(v.size for _, v in members)
    if size > sc.limit or any(v.data is None for _, v in members):
        result.reject(
            "record",
            f"oversized record: {size} bytes is more than the {sc.limit}-byte per-record limit",
        )
        return
    doc: dict[str, Any] = {}
    for key, v in members:
        try:
            doc[key] = parse(v.data)  # type: ignore[arg-type]
        except orjson.JSONDecodeError as exc:
            result.reject(f"byte {v.start}", _malformed(exc, v), v.data or b"")
            return
    _decode_document(doc, result)


def _key(k: Value) -> str | None:
    if k.data is None or k.data[:1] != b'"':
        return None
    try:
        key = orjson.loads(k.data)
    except orjson.JSONDecodeError:
        return None
    return key if isinstance(key, str) else None


def _array(sc: Scanner, ctx: str, result: Decoded) -> bool:
    """The elements of a list, one at a time; False when the content ended inside it."""
    i = 0
    while True:
        c = sc.peek()
        if c is None:
            result.cut(f"{ctx}[{i}]", sc.offset, 0)
            return False
        if c == ord("]"):
            sc.skip()
            return True
        v = sc.value()
        assert v is not None
        position = f"{ctx}[{i}]"
        i += 1
        if not v.complete:
            result.cut(position, v.start, v.size)
            return False
        if v.data is None:
            result.reject(f"{position}, byte {v.start}", _oversized(v, sc))
        else:
            _element(v, position, ctx, result)
        if sc.peek() == ord(","):
            sc.skip()


def _element(v: Value, position: str, ctx: str, result: Decoded) -> None:
    try:
        item = parse(v.data)  # type: ignore[arg-type]
    except orjson.JSONDecodeError as exc:
        result.reject(f"{position}, byte {v.start}", _malformed(exc, v), v.data or b"")
        return
    if ctx == "Records":
        result.add(item, position)
    elif ctx == "QueryResultRows":
        try:
            result.add(record_from_columns(row_columns(item)), position)
        except orjson.JSONDecodeError as exc:
            result.reject(position, f"eventjson is malformed JSON: {exc}", str(item))
    else:
        _add_item(item, position, result)


def _malformed(exc: orjson.JSONDecodeError, v: Value) -> str:
    """Why a value does not parse, naming the first bad byte when it is not UTF-8."""
    try:
        (v.data or b"").decode("utf-8")
    except UnicodeDecodeError as bad:
        return (
            f"invalid UTF-8 at byte {v.start + bad.start}: the record is not loaded "
            "(CloudTrail writes UTF-8; nothing is loaded altered)"
        )
    return f"malformed JSON at byte {v.start + exc.pos}: {exc.msg}"


def _oversized(v: Value, sc: Scanner) -> str:
    return f"oversized record: {v.size} bytes is more than the {sc.limit}-byte per-record limit"


def _decode_document(doc: dict[str, Any], result: Decoded) -> None:
    """A whole top-level object that holds no list of records: one record, a digest, or not ours."""
    if "digestStartTime" in doc or "logFiles" in doc:
        result.skipped = "digest file (integrity validation, not events)"
        return
    if "eventID" in doc or "eventTime" in doc or "eventVersion" in doc:
        result.add(doc, "record")
        return
    keys = ", ".join(k[:40] for k in list(doc)[:5]) or "no keys"
    result.reject("file", _not_cloudtrail(f"a JSON object with keys {keys}"))


def _add_item(item: Any, position: str, result: Decoded) -> None:
    """One element of a list: a record, or a lookup-events entry holding one as a string."""
    if isinstance(item, dict) and "CloudTrailEvent" in item:
        inner = item["CloudTrailEvent"]
        if isinstance(inner, dict):
            result.add(inner, position)
            return
        if not isinstance(inner, str):
            result.reject(
                position, "CloudTrailEvent is neither a JSON string nor an object", str(inner)
            )
            return
        try:
            result.add(parse(inner.encode("utf-8", "surrogatepass")), position)
        except orjson.JSONDecodeError as exc:
            result.reject(position, f"CloudTrailEvent is malformed JSON: {exc}", inner)
        return
    result.add(item, position)


def _not_cloudtrail(what: str) -> str:
    return (
        f'JSON that is not CloudTrail: {what}; expected {{"Records": [...]}}, lookup-events '
        '{"Events": [...]}, Lake {"QueryResultRows": [...]}, a list of records or one per line'
    )


# --- CSV (CloudTrail Lake result files) ---------------------------------------------------------


def _decode_csv(sc: Scanner, result: Decoded) -> None:
    """Rows of a Lake result CSV, one logical row at a time (a quoted field may span lines)."""
    header: list[str] | None = None
    row_no = 0
    pending: bytes | None = None
    pending_start = 0
    while (v := sc.line()) is not None:
        if v.data is None:
            row_no += 1
            result.reject(f"row {row_no}, byte {v.start}", _oversized(v, sc))
            pending = None
            continue
        if pending is None:
            text, pending_start = v.data, v.start
        else:
            text = pending + b"\n" + v.data
        if text.count(b'"') % 2:  # inside a quoted field: the row goes on
            pending = text
            if len(pending) > sc.limit:
                row_no += 1
                result.reject(
                    f"row {row_no}, byte {pending_start}",
                    _oversized(Value(pending_start, len(pending), None, True), sc),
                )
                pending = None
            continue
        pending = None
        row_no += 1
        if header is None and row_no == 1 and text.startswith(_BOM):
            text = text[3:]
        try:
            line = text.decode("utf-8")
        except UnicodeDecodeError as bad:
            result.reject(
                f"row {row_no}, byte {pending_start + bad.start}",
                "invalid UTF-8: the row is not loaded (nothing is loaded altered)",
                text,
            )
            if header is None:
                return
            continue
        try:
            cells = next(csv.reader([line.removesuffix("\r")]), [])
        except csv.Error as exc:
            result.reject(f"row {row_no}", f"malformed CSV: {exc}", text)
            if header is None:
                return
            continue
        if header is None:
            header = [h.strip().lower() for h in cells]
            if "eventid" not in header and "eventjson" not in header:
                result.reject(
                    "row 1",
                    "CSV that is not a CloudTrail Lake result: no eventid or eventjson column "
                    f"(columns: {', '.join(h[:40] for h in header[:8])})",
                    ",".join(header),
                )
                return
            continue
        if not cells:
            continue
        if len(cells) != len(header):
            result.reject(
                f"row {row_no}",
                f"CSV row has {len(cells)} fields, header has {len(header)}",
                ",".join(cells),
            )
            continue
        values = {h: (c if c != "" else None) for h, c in zip(header, cells, strict=True)}
        try:
            result.add(record_from_columns(values), f"row {row_no}")
        except orjson.JSONDecodeError as exc:
            result.reject(f"row {row_no}", f"eventjson is malformed JSON: {exc}", ",".join(cells))
    if pending is not None:
        result.cut(f"row {row_no + 1}", pending_start, len(pending))
    elif header is None and row_no == 0:
        result.reject("row 1", "CSV without a header row (empty)")
