"""The loader: sources in, ``events`` filled, a reconciled ``LoadReport`` out.

It finds the files each source names (``discover``, ``s3``), runs the
``engine`` over them with DuckDB's load settings, and adds up what happened
per source (``report``). It is given a write connection and the workspace
folder by ``Workspace.load`` and owns neither.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from iamlab.errors import InputError
from iamlab.times import parse_time
from iamlab.trail.decode import MAX_RECORD_BYTES
from iamlab.trail.discover import Discovered, discover_local
from iamlab.trail.engine import Engine
from iamlab.trail.layout import Filter
from iamlab.trail.progress import Progress
from iamlab.trail.report import LoadReport, SourceCounts

MAX_OBJECT_BYTES = 512 * 1024 * 1024  # content bytes per file (see iamlab.trail's docstring)
LOAD_MEMORY_LIMIT = "800MB"
SCRATCH_PREFIX = "loading-"
_ACCOUNT = re.compile(r"^\d{12}$")


def apply_load_settings(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB settings for a bulk load (the connection is closed after it)."""
    # DuckDB's own compression choice: with raw JSON no longer stored for S3 log
    # files it wrote as fast as forced zstd (which had helped while raw was the
    # bulk of the data) and made the file 2x smaller (200k events: 25 vs 55 MB).
    # No automatic checkpoint after each statement's commit, and no vacuum at
    # checkpoint: merging the row groups that a parallel insert leaves cost about
    # 2 s per 500k events, for a few percent of file size.
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET checkpoint_threshold = '16GB'")
    con.execute("SET max_vacuum_tasks = 0")
    # Bound DuckDB's buffer pool during a load (it spills to disk past it): with
    # it, 2M events peaked at 0.85 GB; a statement that needs more fails and is
    # split (engine), down to the careful Python path.
    con.execute(f"SET memory_limit = '{LOAD_MEMORY_LIMIT}'")
    # query_progress() (the load's bar) needs DuckDB's progress tracking, not its printing.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    con.execute("SET progress_bar_time = 0")


def make_filter(since: Any, until: Any, accounts: Any, regions: Any) -> Filter:
    """The load's window (``since`` inclusive, ``until`` exclusive), accounts and regions."""
    s, u = parse_time(since, "since"), parse_time(until, "until")
    if s and u and s > u:
        raise InputError(f"since ({s.isoformat()}) is after until ({u.isoformat()})")
    accts = None
    if accounts:
        accts = frozenset(
            str(a).strip() for a in ([accounts] if isinstance(accounts, str) else accounts)
        )
        bad = [a for a in accts if not _ACCOUNT.match(a)]
        if bad:
            raise InputError(f"Not an AWS account id: {bad[0]!r}; an account id has 12 digits")
    regs = None
    if regions:
        regs = frozenset(
            str(r).strip() for r in ([regions] if isinstance(regions, str) else regions)
        )
    return Filter(since=s, until=u, accounts=accts, regions=regs)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_stale_scratch(folder: Path, holding_write_lock: bool = True) -> int:
    """Delete the ``loading-<pid>-*`` folders that killed loads left; return how many.

    With the write lock held no load can be running, so every such folder is
    stale; without it (opening a workspace), only those of dead processes are.
    """
    removed = 0
    for path in folder.glob(SCRATCH_PREFIX + "*"):
        if not path.is_dir() or path.is_symlink():
            continue
        pid = path.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
        if holding_write_lock or not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _interrupted(exc: BaseException) -> bool:
    """DuckDB reports Ctrl-C inside a statement as its own error, not KeyboardInterrupt."""
    if isinstance(exc, KeyboardInterrupt):
        return True
    interrupt = getattr(duckdb, "InterruptException", None)
    if interrupt is not None and isinstance(exc, interrupt):
        return True
    return isinstance(exc, (RuntimeError, duckdb.Error)) and "interrupt" in str(exc).lower()


def load(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    sources: Iterable[str | Path],
    *,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    accounts: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    progress: bool = True,
    profile: str | None = None,
    session: Any = None,
    aws_region: str | None = None,
    max_object_bytes: int = MAX_OBJECT_BYTES,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> LoadReport:
    """Load ``sources`` into the workspace at ``folder`` through ``con`` (see ``Workspace.load``).

    Raises KeyboardInterrupt when interrupted (the statements that committed
    stay; the next open removes the duplicates they may hold).
    """
    sources = [str(s) for s in sources]
    if not sources:
        raise InputError("load needs at least one source: a file, folder, glob or s3:// URL")
    flt = make_filter(since, until, accounts, regions)
    started = time.perf_counter()
    evidence_dir = folder / "evidence"
    remove_stale_scratch(folder)
    found: list[Discovered] = []
    downloaded = 0
    client = None
    for arg, spec in enumerate(sources):
        if spec.startswith("s3://"):
            from iamlab.trail import s3

            if client is None:
                client = s3.make_client(session=session, profile=profile, region=aws_region)
            d, n = s3.fetch(spec, arg, flt, evidence_dir / "s3", con, client)
            downloaded += n
        else:
            d = discover_local(spec, arg, flt)
        found.append(d)
    files, seen_paths = [], set()
    for d in found:
        for item in d.files:
            if item.path not in seen_paths:
                seen_paths.add(item.path)
                files.append(item)
    load_id = con.execute("SELECT nextval('load_ids')").fetchone()[0]
    options = {
        "since": flt.since.isoformat() if flt.since else None,
        "until": flt.until.isoformat() if flt.until else None,
        "accounts": sorted(flt.accounts) if flt.accounts else None,
        "regions": sorted(flt.regions) if flt.regions else None,
    }
    con.execute(
        "INSERT INTO loads (load_id, started_at, sources, options) VALUES ($id, $t, $s, $o)",
        {"id": load_id, "t": datetime.now(timezone.utc), "s": json.dumps(sources),
         "o": json.dumps(options)},
    )  # fmt: skip
    bar = Progress(sum(f.size for f in files), len(files), enabled=progress)
    apply_load_settings(con)
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=folder))
    engine = Engine(
        con, load_id, flt, max_object_bytes, bar,
        s3_root=str(evidence_dir / "s3"), scratch=scratch, max_record_bytes=max_record_bytes,
    )  # fmt: skip
    try:
        for d in found:
            for source, position, reason in d.rejects:
                engine.record_reject(source, position, reason, "")
        result = engine.run(files)
        con.execute("CHECKPOINT")
    except BaseException as exc:
        if _interrupted(exc):
            raise KeyboardInterrupt from None
        raise
    finally:
        bar.close()
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            con.execute("ROLLBACK")  # only if a statement was cut short
        except duckdb.Error:
            pass
        con.execute("SET enable_progress_bar = false")
    report = build_report(load_id, sources, found, files, result)
    report.seconds = time.perf_counter() - started
    report.downloaded = downloaded
    for source, reason in report.skipped:
        con.execute(
            "INSERT INTO files_skipped VALUES ($id, $s, $r)",
            {"id": load_id, "s": source, "r": reason},
        )
    con.execute(
        "UPDATE loads SET finished_at = $t, report = $r WHERE load_id = $id",
        {"t": datetime.now(timezone.utc), "r": json.dumps(report.to_dict()), "id": load_id},
    )
    return report


def build_report(load_id, specs, found, files, result) -> LoadReport:
    """Add up the engine's per-file counts per source given to ``load``."""
    per_arg = [SourceCounts(source=s) for s in specs]
    skipped: list[tuple[str, str]] = []
    for arg, d in enumerate(found):
        per_arg[arg].files_pruned += d.pruned
        per_arg[arg].files_skipped += len(d.skipped)
        skipped.extend(d.skipped)
    owner = {}
    for item in files:
        owner[item.source] = item.arg
        c = per_arg[item.arg]
        c.files += 1
        c.bytes += item.size
    for source, counts in result.counts.items():
        arg = owner.get(source)
        if arg is None:  # an S3 object that failed before it became a file
            arg = next(
                (i for i, d in enumerate(found) if any(r[0] == source for r in d.rejects)), 0
            )
            per_arg[arg].files += 1
        c = per_arg[arg]
        if counts.skipped:
            c.files_skipped += 1
            skipped.append((source, counts.skipped))
        loaded = result.loaded.get(source, 0)
        c.seen += counts.seen
        c.rejected += counts.rejected
        c.filtered += counts.filtered
        c.loaded += loaded
        c.conflicts += counts.conflicts
        c.duplicates += counts.seen - counts.rejected - counts.filtered - loaded
    return LoadReport(
        load_id=load_id,
        sources=per_arg,
        skipped=skipped,
        rejected=result.rejected,
        conflicts=result.conflicts,
        files_read=result.files_read,
    )
