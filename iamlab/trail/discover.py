"""Turn what the user passed (files, folders, globs) into the evidence files to read.

Folders are walked with pruning: a folder whose AWSLogs path proves it cannot
hold a record that passes the filter is not entered, so a narrow load of a big
export touches only the files it needs. Digest, Insights and Lake-saved files
are set aside with their reason.

Evidence folders are hostile too: symbolic links are followed, but no folder
(and no file) is read twice, so a link to itself or to an ancestor ends the
walk there instead of looping; dangling links, link loops, FIFOs, devices,
sockets and folders that cannot be listed are reported as skipped with a
reason. A source named explicitly that cannot be read is an InputError naming
it. Nothing here opens a file for reading (a FIFO would block).
"""

from __future__ import annotations

import errno
import glob
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from iamlab.errors import InputError
from iamlab.trail.layout import Filter, is_trail_log_name, path_may_match, skip_reason_for_name
from iamlab.trail.stream import kind_of, open_regular

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
    """What one source holds. A skipped folder's source ends with "/" (its reason counts
    the files in it)."""

    files: list[FileItem] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # source, reason
    pruned: int = 0  # files or folders not read because the filter excludes them
    rejects: list[tuple[str, str, str]] = field(default_factory=list)  # source, position, reason
    seen: set[tuple[int, int]] = field(default_factory=set)  # (device, inode) already walked


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
    """Files for one local source (a file, a folder, or a glob).

    Raises InputError when nothing matches, or when the source named is missing,
    a dangling link or link loop, a FIFO, device or socket, or cannot be read.
    """
    out = Discovered()
    expanded = os.path.expanduser(spec)
    if glob.has_magic(expanded) and not os.path.lexists(expanded):  # "case [1]/" is a name
        matches = sorted(glob.glob(expanded, recursive=True))
        if not matches:
            raise InputError(
                f"No files match {spec!r}; pass a file, a folder (e.g. one holding AWSLogs/) "
                "or a glob such as 'logs/**/*.json.gz'"
            )
        for m in matches:
            _add_path(m, arg, flt, out, explicit=os.path.isfile(m))
        return out
    if not os.path.lexists(expanded):
        raise InputError(
            f"No such file or folder: {spec!r}; pass a CloudTrail file, a folder that holds "
            "AWSLogs/ or exported JSON, or s3://bucket/prefix"
        )
    problem = unreadable(expanded)
    if problem:
        raise InputError(f"Cannot read {spec!r}: {problem}; pass a readable file or folder")
    _add_path(expanded, arg, flt, out, explicit=True)
    return out


def unreadable(path: str) -> str | None:
    """Why ``path`` cannot be read as evidence (a folder to list or a file), or None."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return _link_problem(path, exc) if os.path.islink(path) else _why(exc)
    if stat.S_ISDIR(st.st_mode):
        try:
            with os.scandir(path):
                pass
        except OSError as exc:
            return f"cannot list folder: {_why(exc)}"
        return None
    if not stat.S_ISREG(st.st_mode):
        return f"it is {kind_of(st.st_mode)}, not a file"
    try:
        os.close(open_regular(path))
    except OSError as exc:
        return _why(exc)
    return None


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _link_problem(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (it leads back to itself)"
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    if exc.errno == errno.ENOENT:
        return f"dangling symbolic link to {target!r} (it does not exist)"
    return f"symbolic link to {target!r} that cannot be followed: {_why(exc)}"


def _add_path(path: str, arg: int, flt: Filter, out: Discovered, explicit: bool) -> None:
    try:
        st = os.stat(path)
    except OSError as exc:
        out.skipped.append((os.path.abspath(path), _link_problem(path, exc)))
        return
    if stat.S_ISDIR(st.st_mode):
        out.seen.add((st.st_dev, st.st_ino))
        _walk(os.path.abspath(path), arg, flt, out)
    elif stat.S_ISREG(st.st_mode):
        if explicit or path.lower().endswith(EVIDENCE_SUFFIXES):
            p = os.path.abspath(path)
            if _first_time(st, out):
                classify(p, p, st.st_size, arg, out, flt)
    else:
        out.skipped.append((os.path.abspath(path), f"{kind_of(st.st_mode)}, not read"))


def _first_time(st: os.stat_result, out: Discovered) -> bool:
    """True the first time a file or folder is met (by device and inode)."""
    key = (st.st_dev, st.st_ino)
    if key in out.seen:
        return False
    out.seen.add(key)
    return True


def _walk(folder: str, arg: int, flt: Filter, out: Discovered) -> None:
    """Depth-first, sorted, not entering folders the layout rules out or already walked."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        out.skipped.append((folder + "/", f"cannot list folder: {_why(exc)}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            st = entry.stat(follow_symlinks=True)
        except OSError as exc:
            if entry.is_symlink():
                out.skipped.append((entry.path, _link_problem(entry.path, exc)))
            else:
                out.skipped.append((entry.path, f"cannot read: {_why(exc)}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            parts = _parts(entry.path)
            reason = skip_reason_for_name([*parts, ""])
            if reason:
                out.skipped.append((entry.path + "/", f"{reason}; {_count_files(entry.path)}"))
                continue
            if not path_may_match(parts, flt):
                out.pruned += 1
                continue
            if not _first_time(st, out):
                if entry.is_symlink():
                    out.skipped.append(
                        (entry.path + "/", "symbolic link to a folder already read (not again)")
                    )
                continue
            _walk(entry.path, arg, flt, out)
        elif stat.S_ISREG(st.st_mode):
            if not entry.name.lower().endswith(EVIDENCE_SUFFIXES):
                continue
            if _first_time(st, out):
                classify(entry.path, entry.path, st.st_size, arg, out, flt)
            else:
                out.skipped.append((entry.path, "another name of a file already read (a link)"))
        else:
            out.skipped.append((entry.path, f"{kind_of(st.st_mode)}, not read"))


def _count_files(folder: str) -> str:
    """How many files a skipped folder holds (links not followed), for the report."""
    n = sum(len(files) for _, _, files in os.walk(folder))
    return f"{n} file{'s' if n != 1 else ''} in it"
