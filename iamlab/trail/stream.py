"""Read an evidence file in bounded memory: a capped gunzip and a JSON value splitter.

Evidence is hostile: a 1 MB gzip can expand to 1 GiB, one record can hold a
45 MB field, a file can stop in the middle of a record. ``open_bytes`` gives a
file's bytes a chunk at a time (gzip, multi-member included, decompressed as
one whole), never more than a cap; ``Scanner`` finds where each JSON value or
line starts and ends without parsing it, keeping at most one value of up to
``limit`` bytes. So the decoder (``decode.py``) parses one record at a time,
and memory stays at about a chunk plus one record, whatever the file holds.
"""

from __future__ import annotations

import os
import re
import stat
import zlib
from collections.abc import Callable
from dataclasses import dataclass

CHUNK = 1 << 20  # bytes read (and at most decompressed) per step
GZIP_MAGIC = b"\x1f\x8b"
_WS = re.compile(rb"[ \t\r\n]*")
# A bracket, or a string: complete (group 1 is the closing quote) or cut off by
# the end of the buffer (group 1 is empty or a lone backslash that starts an escape).
_TOKEN = re.compile(rb'[][{}]|"[^"\\]*(?:\\.[^"\\]*)*("|\\?\Z)', re.S)
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*("|\\?\Z)', re.S)
_SCALAR = re.compile(rb"[^,\]}\s]*")


def open_regular(path: str | os.PathLike) -> int:
    """An OS file descriptor for reading ``path``; OSError unless it is a regular file.

    Opened with O_NONBLOCK so that a FIFO never blocks the open, then checked
    with fstat: FIFOs, devices and sockets are refused before a byte is read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(f"not a regular file ({kind_of(mode)})")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def kind_of(mode: int) -> str:
    """A word for what a non-regular file is (for reasons shown to the user)."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


class ByteSource:
    """A file's content a chunk at a time: gunzipped when it starts with the gzip magic.

    ``cap``: the most content bytes given (None: no cap); past it, reading stops
    and ``over_cap`` is set. ``error`` says why the gzip stream ended early
    (truncated or corrupt). Multi-member gzip is read member after member, the
    cap counting them together; bytes after the last member that are not a gzip
    member are ignored, as ``gzip -d`` does.
    """

    def __init__(self, fd: int, cap: int | None) -> None:
        self._f = os.fdopen(fd, "rb", buffering=0)
        self.cap = cap
        self.total = 0
        self.over_cap = False
        self.error: str | None = None
        self._done = False
        head = self._f.read(CHUNK)
        self.compressed = head[:2] == GZIP_MAGIC
        self._feed = head
        self._d = zlib.decompressobj(wbits=31) if self.compressed else None

    def close(self) -> None:
        self._f.close()

    def read(self) -> bytes:
        """The next chunk of content; b"" at the end (or at the cap, or at a gzip error)."""
        if self._done:
            return b""
        out = self._inflate() if self.compressed else self._raw()
        if not out:
            self._done = True
            return b""
        if self.cap is not None and self.total + len(out) > self.cap:
            out = out[: self.cap - self.total]
            self.over_cap = True
            self._done = True
        self.total += len(out)
        return out

    def _raw(self) -> bytes:
        data, self._feed = self._feed, b""
        return data or self._f.read(CHUNK)

    def _inflate(self) -> bytes:
        d = self._d
        assert d is not None
        while True:
            if d.eof:  # a member ended: another may follow
                rest = d.unused_data or self._feed or self._f.read(CHUNK)
                self._feed = b""
                if len(rest) < 2:
                    rest += self._f.read(CHUNK)
                if rest[:2] != GZIP_MAGIC:
                    return b""  # the end, or trailing bytes that are not gzip
                d = self._d = zlib.decompressobj(wbits=31)
                self._feed = rest
                continue
            data = d.unconsumed_tail or self._feed or self._f.read(CHUNK)
            self._feed = b""
            if not data:
                self.error = (
                    f"truncated gzip: the stream ends after {self.total} decompressed bytes"
                )
                return b""
            try:
                out = d.decompress(data, CHUNK)
            except zlib.error as exc:
                self.error = f"corrupt gzip data after {self.total} decompressed bytes ({exc})"
                return b""
            if out:
                return out


@dataclass
class Value:
    """Where one JSON value (or line) is: ``data`` is None when it was longer than the limit."""

    start: int
    size: int
    data: bytes | None
    complete: bool  # False: the content ended inside it


class Scanner:
    """Finds JSON values and lines in a stream of chunks, holding at most one of them.

    It does not parse: it follows strings and brackets only, so that each value
    can be parsed on its own (``orjson``) and a bad one rejected alone. A value
    longer than ``limit`` is skipped to its end and returned without its data.
    """

    def __init__(self, read: Callable[[], bytes], limit: int) -> None:
        self._read = read
        self.limit = limit
        self.buf = b""
        self.base = 0  # absolute offset of buf[0]
        self.pos = 0  # index into buf
        self.eof = False

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def _more(self, keep: int) -> bool:
        """Read a chunk, dropping what is before absolute offset ``keep``; False at the end."""
        if self.eof:
            return False
        chunk = self._read()
        if not chunk:
            self.eof = True
            return False
        drop = keep - self.base
        self.buf = self.buf[drop:] + chunk
        self.base = keep
        self.pos -= drop
        return True

    def peek(self) -> int | None:
        """The next byte that is not white space (not consumed); None at the end."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more(self.offset):
                return None

    def skip(self, n: int = 1) -> None:
        self.pos += n

    def prefix(self, n: int) -> bytes:
        """Up to ``n`` bytes from the current position (reading more if needed), not consumed."""
        while len(self.buf) - self.pos < n and self._more(self.base):
            pass
        return self.buf[self.pos : self.pos + n]

    def value(self) -> Value | None:
        """The next JSON value (object, array, string or scalar); None at the end."""
        c = self.peek()
        if c is None:
            return None
        start = self.offset
        i = self.pos
        if c in b"]}:,":  # a stray closer or separator: one byte, for the caller to reject
            return self._take(start, i + 1, False)
        if c not in b'{["':  # a number, true, false, null (or junk): up to , ] } or space
            at = start
            while True:
                end = _SCALAR.match(self.buf, at - self.base).end()
                if end < len(self.buf):
                    return self._take(start, end, False)
                at = self.base + end
                if not self._more(at if at - start > self.limit else start):
                    return self._take(start, len(self.buf), False)
        depth = 0
        in_string = False
        oversized = False
        while True:
            if in_string:
                m = _STRING_REST.match(self.buf, i)
                if m.group(1) == b'"':
                    in_string = False
                    i = m.end()
                    if depth == 0:
                        return self._take(start, i, oversized)
                else:
                    i = m.end() - len(m.group(1))
            if not in_string:
                for m in _TOKEN.finditer(self.buf, i):
                    t = self.buf[m.start()]
                    if t == 0x22:  # '"'
                        if m.group(1) != b'"':
                            in_string = True
                            i = m.start() + 1
                            break
                        if depth == 0:
                            return self._take(start, m.end(), oversized)
                    elif t in b"{[":
                        depth += 1
                    else:
                        depth -= 1
                        if depth <= 0:
                            return self._take(start, m.end(), oversized)
                else:
                    i = len(self.buf)
            oversized = oversized or self.base + len(self.buf) - start > self.limit
            at = self.base + i
            if not self._more(at if oversized else start):
                self.pos = len(self.buf)
                return Value(start, self.base + len(self.buf) - start, None, False)
            i = at - self.base

    def line(self) -> Value | None:
        """The next line (without its newline; ``complete`` False when none ends it); None at
        the end."""
        if self.pos >= len(self.buf) and not self._more(self.offset):
            return None
        start = self.offset
        i = self.pos
        oversized = False
        while True:
            nl = self.buf.find(b"\n", i)
            if nl >= 0:
                v = self._take(start, nl, oversized)
                self.pos += 1
                return v
            i = len(self.buf)
            oversized = oversized or self.base + i - start > self.limit
            at = self.base + i
            if not self._more(at if oversized else start):
                v = self._take(start, len(self.buf), oversized)
                v.complete = False  # the last line, with no newline after it
                return v
            i = at - self.base

    def _take(self, start: int, end: int, oversized: bool) -> Value:
        """The value from absolute ``start`` to buffer index ``end``; consumes it."""
        size = self.base + end - start
        oversized = oversized or size > self.limit or start < self.base
        data = None if oversized else self.buf[start - self.base : end]
        self.pos = end
        return Value(start, size, data, True)
