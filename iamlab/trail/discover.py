"""Turn what the user passed (files, folders, globs) into the evidence files to read.

Folders are walked with pruning: a folder whose AWSLogs path proves it cannot
hold a record that passes the filter is not entered, so a narrow load of a big
export touches only the files it needs. Digest, Insights and Lake-saved files
are set aside with their reason.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

from iamlab.errors import InputError
from iamlab.trail.layout import Filter, is_trail_log_name, path_may_match, skip_reason_for_name

# Extensions a folder walk picks up; a file named explicitly is read whatever its name.
EVIDENCE_SUFFIXES = (
    ".json",
    ".json.gz",
    ".ndjson",
    ".ndjson.gz",
    ".jsonl",
    ".jsonl.gz",
    ".csv",
    ".csv.gz",
    ".gz",
)


@dataclass
class FileItem:
    """One file to read: where it is, what to call it, and which reader fits."""

    path: str
    source: str  # what goes in events.source: the path, or the s3:// URL it came from
    size: int
    fast: bool  # an S3 log file {"Records": [...]}: read by DuckDB (engine)
    arg: int  # index of the load() source it came from
    expanded: int | None = None  # decompressed size, when known (gzip trailer)
    fmt: str = ""  # the read_json format for the fast path (engine.inspect)


@dataclass
class Discovered:
    files: list[FileItem] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # source, reason
    pruned: int = 0  # files or folders not read because the filter excludes them
    rejects: list[tuple[str, str, str]] = field(default_factory=list)  # source, position, reason


def _parts(path: str) -> list[str]:
    return [p for p in Path(path).parts if p not in ("/", "")]


def classify(path: str, source: str, size: int, arg: int, out: Discovered, flt: Filter) -> None:
    """Add one file to ``out``: as a file to read, skipped (with reason), or pruned."""
    parts = source[5:].split("/") if source.startswith("s3://") else _parts(path)
    reason = skip_reason_for_name(parts)
    if reason:
        out.skipped.append((source, reason))
        return
    if not path_may_match(parts, flt):
        out.pruned += 1
        return
    out.files.append(FileItem(path, source, size, is_trail_log_name(parts[-1]), arg))


def discover_local(spec: str, arg: int, flt: Filter) -> Discovered:
    """Files for one local source (a file, a folder, or a glob); InputError if none exist."""
    out = Discovered()
    expanded = os.path.expanduser(spec)
    if glob.has_magic(expanded) and not os.path.exists(expanded):  # "case [1]/" is a name
        matches = sorted(glob.glob(expanded, recursive=True))
        if not matches:
            raise InputError(
                f"No files match {spec!r}; pass a file, a folder (e.g. one holding AWSLogs/) "
                "or a glob such as 'logs/**/*.json.gz'"
            )
        for m in matches:
            _add_path(m, arg, flt, out, explicit=os.path.isfile(m))
        return out
    if not os.path.exists(expanded):
        raise InputError(
            f"No such file or folder: {spec!r}; pass a CloudTrail file, a folder that holds "
            "AWSLogs/ or exported JSON, or s3://bucket/prefix"
        )
    _add_path(expanded, arg, flt, out, explicit=True)
    return out


def _add_path(path: str, arg: int, flt: Filter, out: Discovered, explicit: bool) -> None:
    if os.path.isdir(path):
        _walk(os.path.abspath(path), arg, flt, out)
    elif os.path.isfile(path):
        if explicit or path.lower().endswith(EVIDENCE_SUFFIXES):
            p = os.path.abspath(path)
            classify(p, p, os.path.getsize(p), arg, out, flt)


def _walk(folder: str, arg: int, flt: Filter, out: Discovered) -> None:
    """Depth-first, sorted, not entering folders the layout rules out."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        out.skipped.append((folder, f"cannot list folder: {exc.strerror or exc}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=True):
            parts = _parts(entry.path)
            reason = skip_reason_for_name([*parts, ""])
            if reason:
                out.skipped.append((entry.path, reason))
                continue
            if not path_may_match(parts, flt):
                out.pruned += 1
                continue
            _walk(entry.path, arg, flt, out)
        elif entry.is_file(follow_symlinks=True) and entry.name.lower().endswith(EVIDENCE_SUFFIXES):
            classify(entry.path, entry.path, entry.stat().st_size, arg, out, flt)
