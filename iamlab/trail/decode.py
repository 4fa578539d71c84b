"""Read one evidence file in Python, whatever its shape, salvaging what can be read.

This is the careful path: every format that is not a plain S3 log file (lookup-
events, console downloads, Lake results, arrays, single records), and any file
the fast DuckDB path could not read (truncated gzip, malformed JSON). It finds
the records, says exactly where a file or record is broken, and never raises
for bad bytes.
"""

from __future__ import annotations

import csv
import io
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from iamlab.trail.lake import record_from_columns, rows_from_query_results

SNIPPET = 200


@dataclass
class Decoded:
    """Records found in one file (as compact JSON text), and what was wrong with it."""

    raws: list[str] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)  # position, reason, snippet
    skipped: str | None = None  # reason the whole file is not event data

    def add(self, record: Any, position: str) -> None:
        self.raws.append(orjson.dumps(record).decode())
        self.positions.append(position)

    def reject(self, position: str, reason: str, snippet: bytes | str = b"") -> None:
        if isinstance(snippet, bytes):
            snippet = snippet[:SNIPPET].decode("utf-8", "replace")
        self.rejects.append((position, reason, snippet[:SNIPPET]))


def gunzip(data: bytes) -> tuple[bytes, str | None]:
    """Decompress (possibly multi-member) gzip; return what was read and an error, if any."""
    out = []
    total = 0
    while data:
        d = zlib.decompressobj(wbits=31)
        try:
            chunk = d.decompress(data)
        except zlib.error as exc:
            return b"".join(out), f"corrupt gzip data after {total} decompressed bytes ({exc})"
        out.append(chunk)
        total += len(chunk)
        if not d.eof:
            return b"".join(
                out
            ), f"truncated gzip: the stream ends after {total} decompressed bytes"
        data = d.unused_data
        if data and data[:2] != b"\x1f\x8b":
            break  # trailing garbage after the last member is ignored, as gzip -d does
    return b"".join(out), None


def decode_file(path: Path, max_object_bytes: int, data: bytes | None = None) -> Decoded:
    """Find the CloudTrail records in ``path``; never raises for bad content."""
    result = Decoded()
    try:
        if data is None:
            data = path.read_bytes()
    except OSError as exc:
        result.reject("file", f"cannot read file: {exc.strerror or exc}")
        return result
    gzip_error = None
    if data[:2] == b"\x1f\x8b":
        data, gzip_error = gunzip(data)
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        _decode_csv(data, result)
    else:
        _decode_json(data, result, max_object_bytes, truncated=gzip_error is not None)
    if gzip_error:
        result.reject(f"byte {len(data)} (decompressed)", gzip_error, data[-SNIPPET:])
    return result


def _decode_json(data: bytes, result: Decoded, max_object_bytes: int, truncated: bool) -> None:
    text = data.lstrip(b"\xef\xbb\xbf").strip()
    if not text:
        if not truncated:
            result.reject("file", "empty file: no JSON in it")
        return
    if len(text) > max_object_bytes and text[:1] in (b"{", b"["):
        first_line = text.split(b"\n", 1)[0]
        if len(first_line) > max_object_bytes or not _looks_ndjson(text):
            result.reject(
                "file",
                f"oversized object: {len(text)} bytes is more than the {max_object_bytes}-byte "
                "limit (raise max_object_bytes to read it)",
                text,
            )
            return
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if _looks_ndjson(text):
            _decode_ndjson(text, result, max_object_bytes, truncated)
        elif not truncated:  # a truncated stream is reported once, as truncated gzip
            result.reject(_where(exc), f"malformed JSON: {exc}", _around(text, exc.pos))
        return
    _decode_document(doc, result, text)


def _where(exc: orjson.JSONDecodeError) -> str:
    return f"line {exc.lineno} column {exc.colno} (byte {exc.pos})"


def _around(text: bytes, pos: int) -> bytes:
    return text[max(0, pos - SNIPPET // 2) : pos + SNIPPET // 2]


def _looks_ndjson(text: bytes) -> bool:
    first = text.split(b"\n", 1)
    if len(first) < 2:
        return False
    try:
        return isinstance(orjson.loads(first[0]), dict)
    except orjson.JSONDecodeError:
        return False


def _decode_ndjson(text: bytes, result: Decoded, max_object_bytes: int, truncated: bool) -> None:
    lines = text.split(b"\n")
    for lineno, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        if len(line) > max_object_bytes:
            result.reject(f"line {lineno}", f"oversized object: {len(line)} bytes", line)
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            if truncated and lineno == len(lines):
                continue  # the cut-off last line: reported once, as truncated gzip
            result.reject(f"line {lineno} column {exc.colno}", f"malformed JSON: {exc.msg}", line)
            continue
        result.add(record, f"line {lineno}")


def _decode_document(doc: Any, result: Decoded, text: bytes) -> None:
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            _add_item(item, f"[{i}]", result)
        return
    if not isinstance(doc, dict):
        result.reject(
            "file", _not_cloudtrail(f"the top level is a JSON {type(doc).__name__}"), text
        )
        return
    if "Records" in doc:
        records = doc["Records"]
        if not isinstance(records, list):
            result.reject("Records", _not_cloudtrail('"Records" is not a list'), text)
            return
        for i, record in enumerate(records):
            result.add(record, f"Records[{i}]")
        return
    if "Events" in doc:
        events = doc["Events"]
        if not isinstance(events, list):
            result.reject("Events", _not_cloudtrail('"Events" is not a list'), text)
            return
        for i, item in enumerate(events):
            _add_item(item, f"Events[{i}]", result)
        return
    if "QueryResultRows" in doc:
        for i, row in enumerate(rows_from_query_results(doc)):
            try:
                result.add(record_from_columns(row), f"QueryResultRows[{i}]")
            except orjson.JSONDecodeError as exc:
                result.reject(
                    f"QueryResultRows[{i}]", f"eventjson is malformed JSON: {exc}", str(row)
                )
        return
    if "digestStartTime" in doc or "logFiles" in doc:
        result.skipped = "digest file (integrity validation, not events)"
        return
    if "eventID" in doc or "eventTime" in doc or "eventVersion" in doc:
        result.add(doc, "record")
        return
    keys = ", ".join(list(doc)[:5]) or "no keys"
    result.reject("file", _not_cloudtrail(f"a JSON object with keys {keys}"), text)


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
            result.add(orjson.loads(inner), position)
        except orjson.JSONDecodeError as exc:
            result.reject(position, f"CloudTrailEvent is malformed JSON: {exc}", inner)
        return
    result.add(item, position)


def _not_cloudtrail(what: str) -> str:
    return (
        f'JSON that is not CloudTrail: {what}; expected {{"Records": [...]}}, lookup-events '
        '{"Events": [...]}, Lake {"QueryResultRows": [...]}, a list of records or one per line'
    )


def _decode_csv(data: bytes, result: Decoded) -> None:
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        result.reject("row 1", f"CSV without a header row ({exc or 'empty'})")
        return
    header = [h.strip().lower() for h in header]
    if "eventid" not in header and "eventjson" not in header:
        result.reject(
            "row 1",
            "CSV that is not a CloudTrail Lake result: no eventid or eventjson column "
            f"(columns: {', '.join(header[:8])})",
            ",".join(header),
        )
        return
    row_no = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row_no += 1
            result.reject(f"row {row_no}", f"malformed CSV: {exc}")
            continue
        row_no += 1
        if not row:
            continue
        if len(row) != len(header):
            result.reject(
                f"row {row_no}",
                f"CSV row has {len(row)} fields, header has {len(header)}",
                ",".join(row),
            )
            continue
        cells = {h: (v if v != "" else None) for h, v in zip(header, row, strict=True)}
        try:
            result.add(record_from_columns(cells), f"row {row_no}")
        except orjson.JSONDecodeError as exc:
            result.reject(f"row {row_no}", f"eventjson is malformed JSON: {exc}", ",".join(row))
