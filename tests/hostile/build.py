"""The hostile-evidence corpus: inputs an attacker can write, built into a folder at run time.

Evidence is written by the people being investigated (issue 10). ``build(root)``
writes one item per kind of hostile input under ``root`` and returns, for each,
what a load must say about it: the reason (a substring of a ``rejected`` or
skipped reason for a file of the item) and how many records must load from it.
Nothing large is committed: bombs and huge records are generated here, at the
sizes asked for (``Sizes``): small ones for the test suite
(``tests/test_load_hostile.py``), the real ones (1 GiB bombs, 64 MB records)
for ``benchmarks/hostile.py``, which loads each item alone in a fresh process.

Run it by hand: ``python tests/hostile/build.py DIR`` writes the test-size corpus.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

EVIL = "\x1b]0;pwned\x07\x1b[31m<script>alert(1)</script>\u202e"  # OSC title, SGR, HTML, bidi
ACCOUNT = "111122223333"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Sizes:
    """How big the generated items are."""

    bomb: int = 64 << 20  # decompressed bytes of each gzip bomb (zeros)
    record: int = 3 << 20  # the long field of each oversized record


TEST_SIZES = Sizes()
REAL_SIZES = Sizes(bomb=1 << 30, record=64 << 20)


@dataclass
class Item:
    """One hostile input: where it is, and what a load must make of it."""

    name: str
    paths: list[Path]
    says: str = ""  # a reason the load must give for it ("" : it loads clean)
    loads: int = 0  # records that must load from it
    duplicates: int = 0
    conflicts: int = 0  # event ids it must list in ``conflicts``
    skipped: bool = False  # the reason is in the skipped list (not ``rejected``)
    notes: list[str] = field(default_factory=list)


def record(**fields) -> dict:
    """A plausible CloudTrail record with a fresh eventID; ``fields`` override keys."""
    n = next(_ids)
    rec = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
            "accountId": ACCOUNT,
            "userName": "mallory",
        },
        "eventTime": "2026-03-02T10:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"bucketName": "reports", "key": f"q{n}.csv"},
        "responseElements": None,
        "requestID": f"req-{n:08d}",
        "eventID": f"hostile-{n:08d}",
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }
    rec.update(fields)
    return rec


def trail_name(root: Path, minute: int, suffix: str = ".json.gz") -> Path:
    """An S3-export path that DuckDB's fast path takes (aws-facts.md 3.1)."""
    folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2026" / "03" / "02"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{ACCOUNT}_CloudTrail_us-east-1_20260302T10{minute:02d}Z_Hostile{minute:04d}{suffix}"
    return folder / name


def gzip_zeros(path: Path, n: int, tail: bytes = b"") -> Path:
    """Write gzip of ``n`` zero bytes (then ``tail`` as more gzip members), in bounded memory."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    with open(path, "wb") as f:
        left = n
        while left:
            f.write(z.compress(chunk[: min(left, len(chunk))]))
            left -= min(left, len(chunk))
        f.write(z.flush())
        f.write(tail)
    return path


def _doc(records: list) -> bytes:
    return json.dumps({"Records": records}).encode()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def build(root: Path, sizes: Sizes = TEST_SIZES, only: str | None = None) -> list[Item]:
    """Write every item (or the one named ``only``) under ``root``; return what each must give."""
    root.mkdir(parents=True, exist_ok=True)
    items: list[Item] = []
    for name, make in _MAKERS.items():
        if only is not None and name != only:
            continue
        folder = root / name
        folder.mkdir()
        item = make(folder, sizes)
        if item is not None:
            item.name = name
            items.append(item)
    return items


# --- the items ------------------------------------------------------------------------------------


def _zip_bomb_plain(d: Path, s: Sizes) -> Item:
    return Item("", [gzip_zeros(d / "export.json.gz", s.bomb)], says="oversized object")


def _zip_bomb_trail(d: Path, s: Sizes) -> Item:
    return Item("", [gzip_zeros(trail_name(d, 1), s.bomb)], says="oversized object")


def _multi_member_bomb(d: Path, s: Sizes) -> Item:
    tail = gzip.compress(_doc([record()]))  # its trailer claims a few hundred bytes
    return Item("", [gzip_zeros(trail_name(d, 2), s.bomb, tail)], says="oversized object")


def _huge(shape: str):
    def make(d: Path, s: Sizes) -> Item:
        big, ok = record(userAgent="x" * s.record), record()
        if shape == "s3-log":
            path = _write(trail_name(d, 3), _doc([big, ok]))
        elif shape == "ndjson":
            path = _write(d / "big.ndjson", (json.dumps(big) + "\n" + json.dumps(ok)).encode())
        elif shape == "lookup-events":
            events = [{"CloudTrailEvent": json.dumps(r)} for r in (big, ok)]
            path = _write(d / "lookup.json", json.dumps({"Events": events}).encode())
        elif shape == "lake-json":
            rows = [[{"eventjson": json.dumps(r)}] for r in (big, ok)]
            path = _write(d / "lake.json", json.dumps({"QueryResultRows": rows}).encode())
        else:
            cells = ['"' + json.dumps(r).replace('"', '""') + '"' for r in (big, ok)]
            path = _write(d / "result_1.csv.gz", ("eventjson\n" + "\n".join(cells)).encode())
        return Item("", [path], says="oversized record", loads=1)

    return make


def _bad_utf8(d: Path, s: Sizes) -> Item:
    texts = [json.dumps(record()) for _ in range(10)]
    texts[4] = texts[4].replace("aws-cli", "aws\udcffcli")
    data = ('{"Records": [' + ", ".join(texts) + "]}").encode("utf-8", "surrogateescape")
    return Item("", [_write(trail_name(d, 4, ".json"), data)], says="invalid UTF-8", loads=9)


def _bad_record_in_the_middle(d: Path, s: Sizes) -> Item:
    texts = [json.dumps(record()) for _ in range(4)]
    texts.insert(2, '{"eventID": "x",, "eventTime": }')
    data = ('{"Records": [' + ", ".join(texts) + "]}").encode()
    return Item("", [_write(trail_name(d, 5, ".json"), data)], says="malformed JSON", loads=4)


def _truncated_file(d: Path, s: Sizes) -> Item:
    recs = [record() for _ in range(5)]
    data = _doc(recs)
    cut = data.index(json.dumps(recs[4]).encode()) + 30
    path = _write(trail_name(d, 6, ".json"), data[:cut])
    return Item("", [path], says="truncated: the file ends inside this record", loads=4)


def _truncated_gzip(d: Path, s: Sizes) -> Item:
    recs = [record() for _ in range(300)]
    data = _doc(recs)
    whole = gzip.compress(data)
    cut = whole[: len(whole) * 3 // 4]
    prefix = zlib.decompressobj(wbits=31).decompress(cut)
    complete = sum(
        1 for r in recs if data.index(json.dumps(r).encode()) + len(json.dumps(r)) <= len(prefix)
    )
    path = trail_name(d, 7)
    path.write_bytes(cut)
    return Item("", [path], says="truncated gzip", loads=complete)


def _bad_times(d: Path, s: Sizes) -> Item:
    values = [
        "infinity",
        "-infinity",
        "epoch",
        "99999-01-01T00:00:00Z",
        "2026-02-30T10:00:00Z",
        "1970-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
        f"2026-03-02T10:00:00Z{EVIL}",
    ]
    lines = [json.dumps(record(eventTime=v)) for v in values] + [json.dumps(record())]
    path = _write(d / "times.ndjson", "\n".join(lines).encode())
    return Item("", [path], says="eventTime is", loads=1)


def _symlink_loops(d: Path, s: Sizes) -> Item:
    (d / "a.json").symlink_to(d / "b.json")
    (d / "b.json").symlink_to(d / "a.json")
    (d / "self.json").symlink_to(d / "self.json")
    return Item(
        "", [d / "a.json", d / "b.json", d / "self.json"], says="symbolic link loop", skipped=True
    )


def _folder_links(d: Path, s: Sizes) -> Item:
    _write(d / "inner" / "ok.json", _doc([record()]))
    (d / "inner" / "itself").symlink_to(d / "inner")
    (d / "inner" / "up").symlink_to(d)
    return Item(
        "", [d / "inner"], says="symbolic link to a folder already read", loads=1, skipped=True
    )


def _dangling_link(d: Path, s: Sizes) -> Item:
    (d / "gone.json").symlink_to(d / "nowhere.json")
    return Item("", [d / "gone.json"], says="dangling symbolic link", skipped=True)


def _fifo(d: Path, s: Sizes) -> Item:
    os.mkfifo(d / "pipe.json")
    return Item("", [d / "pipe.json"], says="a FIFO, not read", skipped=True)


def _unreadable_folder(d: Path, s: Sizes) -> Item | None:
    if os.geteuid() == 0:
        return None  # root lists a folder whatever its mode: nothing to test
    _write(d / "locked" / "x.json", _doc([record()]))
    (d / "locked").chmod(0)
    return Item("", [d / "locked"], says="cannot list folder", skipped=True)


def _control_characters_in_names(d: Path, s: Sizes) -> Item:
    path = _write(d / f"evil{EVIL}.json", json.dumps({"hello": "world"}).encode())
    return Item("", [path], says="not CloudTrail")


def _control_characters_in_json_keys(d: Path, s: Sizes) -> Item:
    path = _write(d / "keys.json", json.dumps({f"key{EVIL}": 1, "k" * (1 << 20): 2}).encode())
    return Item("", [path], says="not CloudTrail")


def _control_characters_in_values(d: Path, s: Sizes) -> Item:
    recs = [
        record(userAgent=f"ua{EVIL}", errorCode="AccessDenied", errorMessage=f"no{EVIL}"),
        record(requestParameters={f"k{EVIL}": f"v{EVIL}"}),
    ]
    return Item("", [_write(trail_name(d, 8), _doc(recs))], loads=2)


def _control_characters_in_csv_header(d: Path, s: Sizes) -> Item:
    path = _write(d / "result_2.csv", f"col{EVIL},other\n1,2\n".encode())
    return Item("", [path], says="not a CloudTrail Lake result")


def _duplicate_ids(d: Path, s: Sizes) -> Item:
    rec = record()
    return Item("", [_write(d / "dups.json", _doc([rec, rec]))], loads=1, duplicates=1)


def _conflicting_ids(d: Path, s: Sizes) -> Item:
    rec = record()
    other = {**rec, "eventName": "DeleteObject"}
    return Item("", [_write(trail_name(d, 9), _doc([rec, other]))], loads=2, conflicts=1)


def _missing_ids(d: Path, s: Sizes) -> Item:
    a, b = record(), record(eventName="PutObject")
    del a["eventID"], b["eventID"]
    lines = "\n".join(json.dumps(r) for r in (a, b, a))
    return Item("", [_write(d / "noid.ndjson", lines.encode())], loads=2, duplicates=1)


def _deep_nesting(d: Path, s: Sizes) -> Item:
    deep = "[" * 100_000 + "]" * 100_000
    text = json.dumps(record())[:-1] + f', "requestParameters": {deep}}}'
    a = _write(trail_name(d, 10, ".json"), ('{"Records": [' + text + "]}").encode())
    b = _write(d / "deep.ndjson", (text + "\n" + json.dumps(record())).encode())
    return Item("", [a, b], says="depth limit exceeded", loads=1)


def _huge_numbers(d: Path, s: Sizes) -> Item:
    text = json.dumps(record())[:-1] + ', "requestParameters": {"n": 1e999999}}'
    ok = json.dumps(record())[:-1] + ', "requestParameters": {"n": 123456789012345678901234567890}}'
    data = ('{"Records": [' + text + ", " + ok + "]}").encode()
    return Item("", [_write(trail_name(d, 11, ".json"), data)], says="number is infinity", loads=1)


def _long_json_key(d: Path, s: Sizes) -> Item:
    text = json.dumps(record())[:-1] + f', "{"k" * (1 << 20)}": 1}}'
    return Item(
        "", [_write(d / "longkey.ndjson", (text + "\n" + text).encode())], loads=1, duplicates=1
    )


def _nul_bytes(d: Path, s: Sizes) -> Item:
    escaped = json.dumps(record(userAgent="a\u0000b"))  # \u0000: valid JSON, kept
    raw = json.dumps(record(userAgent="ab")).replace("ab", "a\x00b")  # a raw NUL: not JSON
    path = _write(d / "nul.ndjson", (escaped + "\n" + raw + "\n").encode())
    return Item("", [path], says="control character", loads=1)


_MAKERS = {
    "zip-bomb-plain": _zip_bomb_plain,
    "zip-bomb-trail": _zip_bomb_trail,
    "multi-member-bomb": _multi_member_bomb,
    "huge-record-s3-log": _huge("s3-log"),
    "huge-record-ndjson": _huge("ndjson"),
    "huge-record-lookup-events": _huge("lookup-events"),
    "huge-record-lake-json": _huge("lake-json"),
    "huge-record-lake-csv": _huge("lake-csv"),
    "bad-utf8": _bad_utf8,
    "bad-record-in-the-middle": _bad_record_in_the_middle,
    "truncated-file": _truncated_file,
    "truncated-gzip": _truncated_gzip,
    "bad-times": _bad_times,
    "symlink-loops": _symlink_loops,
    "folder-links": _folder_links,
    "dangling-link": _dangling_link,
    "fifo": _fifo,
    "unreadable-folder": _unreadable_folder,
    "control-characters-in-names": _control_characters_in_names,
    "control-characters-in-json-keys": _control_characters_in_json_keys,
    "control-characters-in-values": _control_characters_in_values,
    "control-characters-in-csv-header": _control_characters_in_csv_header,
    "duplicate-ids": _duplicate_ids,
    "conflicting-ids": _conflicting_ids,
    "missing-ids": _missing_ids,
    "deep-nesting": _deep_nesting,
    "huge-numbers": _huge_numbers,
    "long-json-key": _long_json_key,
    "nul-bytes": _nul_bytes,
}
NAMES = list(_MAKERS)

if __name__ == "__main__":
    for item in build(Path(sys.argv[1])):
        print(f"{item.name}: {', '.join(str(p) for p in item.paths)}")
