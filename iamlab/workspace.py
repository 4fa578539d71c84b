"""``Workspace``: the one object an investigation holds, a folder with ``iamlab.duckdb`` in it.

Opening needs no configuration and no network: the folder is created if it is
missing, and the schema (``trail/schema.sql``) is applied idempotently. Evidence
fetched live (S3 objects) is kept under ``<workspace>/evidence/``.

Example::

    from iamlab import Workspace
    with Workspace("investigation") as ws:
        print(ws.load("sample_data/cloudtrail", since="2026-03-01"))
        ws.sql("SELECT error_code, count(*) FROM events GROUP BY 1")
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from iamlab.errors import InputError
from iamlab.times import parse_time
from iamlab.trail.discover import Discovered, discover_local
from iamlab.trail.engine import Engine
from iamlab.trail.layout import Filter
from iamlab.trail.progress import Progress
from iamlab.trail.report import LoadReport, SourceCounts

DB_NAME = "iamlab.duckdb"
MAX_OBJECT_BYTES = 512 * 1024 * 1024
LOAD_MEMORY_LIMIT = "800MB"
RECONNECT_RECORDS = 125_000  # after a load this big, reopen to give its memory back
_ACCOUNT = re.compile(r"^\d{12}$")


def _schema_sql() -> str:
    return resources.files("iamlab.trail").joinpath("schema.sql").read_text()


def _apply_load_settings(con: duckdb.DuckDBPyConnection) -> None:
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


_LOAD_SETTINGS = (
    "preserve_insertion_order", "checkpoint_threshold", "max_vacuum_tasks", "memory_limit",
    "enable_progress_bar_print", "progress_bar_time",
)  # fmt: skip


class Workspace:
    """A folder holding ``iamlab.duckdb`` (tables ``events``, ``rejected``, ``loads``, ...).

    Parameters: ``path``, the folder (created if missing); ``read_only`` opens
    the database without write access (several readers may share it).
    Raises InputError when ``path`` exists and is not a folder.
    """

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path).expanduser()
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"Workspace path {str(self.path)!r} is a file; pass a folder")
        if not read_only:
            self.path.mkdir(parents=True, exist_ok=True)
        elif not (self.path / DB_NAME).exists():
            raise InputError(
                f"No workspace at {str(self.path)!r} (no {DB_NAME}); load evidence first"
            )
        self.evidence_dir = self.path / "evidence"
        self.read_only = read_only
        self.con: duckdb.DuckDBPyConnection = self._connect()
        if not read_only:
            self._migrate()
            self.con.execute(_schema_sql())
            self._finish_interrupted_loads()

    def _migrate(self) -> None:
        """Bring a workspace made by an older iamlab up to the current schema.

        Older workspaces stored every record's raw JSON and derived the nested
        parts from it in the events view (the columns are added and filled
        once), and kept rejected records out of event_records with NOT NULL
        constraints (now the loader's ``reason`` column).
        """
        from iamlab.trail.sql import NESTED_KEYS

        have = {
            r[0]
            for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'event_records'"
            ).fetchall()
        }
        if not have or "reason" in have:
            return
        self.con.execute("DROP VIEW IF EXISTS events")
        if "user_identity" not in have:
            for key, column in NESTED_KEYS.items():
                # column and key come from code (sql.NESTED_KEYS), never from input
                self.con.execute(f"ALTER TABLE event_records ADD COLUMN {column} JSON")
                self.con.execute(
                    f"UPDATE event_records SET {column} = json_extract(raw, $path)",
                    {"path": f'$."{key}"'},
                )
            self.con.execute("ALTER TABLE event_records ALTER COLUMN raw DROP NOT NULL")
        self.con.execute("ALTER TABLE event_records ALTER COLUMN event_id DROP NOT NULL")
        self.con.execute("ALTER TABLE event_records ALTER COLUMN event_time DROP NOT NULL")
        self.con.execute("ALTER TABLE event_records ADD COLUMN reason VARCHAR")

    def _finish_interrupted_loads(self) -> None:
        """Remove the duplicates a load left when it stopped before its end (Ctrl-C, a crash).

        Each statement of a load commits on its own, and duplicates are removed
        once at the end (``engine.remove_duplicates``), so an interrupted load
        keeps what it read but may hold records loaded twice until this runs.
        """
        from iamlab.trail.engine import remove_duplicates

        for (load_id,) in self.con.execute(
            "SELECT load_id FROM loads WHERE finished_at IS NULL ORDER BY load_id"
        ).fetchall():
            removed = remove_duplicates(self.con, load_id)
            self.con.execute(
                "UPDATE loads SET finished_at = $t, report = $r WHERE load_id = $id",
                {
                    "t": datetime.now(timezone.utc),
                    "r": json.dumps(
                        {"interrupted": True, "duplicates_removed": sum(removed.values())}
                    ),
                    "id": load_id,
                },
            )

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(self.path / DB_NAME), read_only=self.read_only)
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")  # load() shows its own
        return con

    def _reconnect(self) -> duckdb.DuckDBPyConnection:
        """Close and reopen the database connection after a big load.

        DuckDB's allocator keeps the memory of a bulk load until its connection
        closes (measured: 455 MB -> 120 MB after a close), and reopening also
        drops the load's settings. Temporary views and registrations on ``con``
        do not survive it.
        """
        self.con.close()
        self.con = self._connect()
        return self.con

    # --- context manager ----------------------------------------------------------------------

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection (safe to call twice)."""
        if self.con is not None:
            self.con.close()
            self.con = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    # --- queries ------------------------------------------------------------------------------

    def sql(self, query: str, params: dict[str, Any] | list[Any] | None = None):
        """Run ``query`` with bound ``params`` ($name or ?) and return a pandas DataFrame."""
        return self.con.execute(query, params).df()

    # --- loading ------------------------------------------------------------------------------

    def load(
        self,
        *sources: str | Path,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        accounts: Iterable[str] | None = None,
        regions: Iterable[str] | None = None,
        progress: bool = True,
        profile: str | None = None,
        session: Any = None,
        max_object_bytes: int = MAX_OBJECT_BYTES,
    ) -> LoadReport:
        """Load CloudTrail evidence into ``events``; return the reconciled ``LoadReport``.

        ``sources``: files, folders, globs, or ``s3://bucket/prefix`` (boto3's
        normal credential chain, or ``profile`` / a ``session``). ``since`` /
        ``until`` (ISO-8601, UTC if no zone), ``accounts`` (the account whose
        trail recorded the event: ``recipientAccountId``) and ``regions`` keep
        only matching records and skip files whose S3 layout rules them out.
        Loading is idempotent on ``event_id``. Bad files and records go to the
        ``rejected`` table; nothing raises for bad input data. While it runs, a
        ``loading-*`` folder in the workspace holds gzip log files bundled for
        DuckDB (about their own size on disk); it is removed at the end. Raises
        InputError for a missing path or bad option, AwsError when S3 refuses.

        Example: ``ws.load("exports/AWSLogs", since="2026-03-01", regions=["us-east-1"])``
        """
        if not sources:
            raise InputError("load needs at least one source: a file, folder, glob or s3:// URL")
        flt = self._filter(since, until, accounts, regions)
        started = time.perf_counter()
        self._finish_interrupted_loads()
        found: list[Discovered] = []
        downloaded = 0
        client = None
        for arg, spec in enumerate(sources):
            spec = str(spec)
            if spec.startswith("s3://"):
                from iamlab.trail import s3

                if client is None:
                    client = s3.make_client(session=session, profile=profile)
                d, n = s3.fetch(spec, arg, flt, self.evidence_dir / "s3", self.con, client)
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
        load_id = self.con.execute("SELECT nextval('load_ids')").fetchone()[0]
        options = {
            "since": flt.since.isoformat() if flt.since else None,
            "until": flt.until.isoformat() if flt.until else None,
            "accounts": sorted(flt.accounts) if flt.accounts else None,
            "regions": sorted(flt.regions) if flt.regions else None,
        }
        self.con.execute(
            "INSERT INTO loads (load_id, started_at, sources, options) VALUES ($id, $t, $s, $o)",
            {
                "id": load_id,
                "t": datetime.now(timezone.utc),
                "s": json.dumps([str(s) for s in sources]),
                "o": json.dumps(options),
            },
        )
        bar = Progress(sum(f.size for f in files), len(files), enabled=progress)
        _apply_load_settings(self.con)
        scratch = Path(tempfile.mkdtemp(prefix="loading-", dir=self.path))
        engine = Engine(
            self.con,
            load_id,
            flt,
            max_object_bytes,
            bar,
            s3_root=str(self.evidence_dir / "s3"),
            scratch=scratch,
        )
        try:
            for d in found:
                for source, position, reason in d.rejects:
                    engine.record_reject(source, position, reason, "")
            result = engine.run(files)
            self.con.execute("CHECKPOINT")
        finally:
            bar.close()
            shutil.rmtree(scratch, ignore_errors=True)
            try:
                self.con.execute("ROLLBACK")  # only if a statement was cut short
            except duckdb.Error:
                pass
            if engine.records >= RECONNECT_RECORDS:
                self._reconnect()
            else:
                self.con.execute("SET enable_progress_bar = false")
                for name in _LOAD_SETTINGS:
                    self.con.execute(f"RESET {name}")  # names from code, not input
        report = self._report(load_id, [str(s) for s in sources], found, files, result)
        report.seconds = time.perf_counter() - started
        report.downloaded = downloaded
        for source, reason in report.skipped:
            self.con.execute(
                "INSERT INTO files_skipped VALUES ($id, $s, $r)",
                {"id": load_id, "s": source, "r": reason},
            )
        self.con.execute(
            "UPDATE loads SET finished_at = $t, report = $r WHERE load_id = $id",
            {"t": datetime.now(timezone.utc), "r": json.dumps(report.to_dict()), "id": load_id},
        )
        return report

    @staticmethod
    def _filter(since: Any, until: Any, accounts: Any, regions: Any) -> Filter:
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

    @staticmethod
    def _report(load_id, specs, found, files, result) -> LoadReport:
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
            c.duplicates += counts.seen - counts.rejected - counts.filtered - loaded
        return LoadReport(
            load_id=load_id,
            sources=per_arg,
            skipped=skipped,
            rejected=result.rejected,
            files_read=result.files_read,
        )

    def raw(self, event_id: str) -> dict[str, Any]:
        """The exact original record of ``event_id`` as a dict, every key included.

        Records decoded in Python keep their JSON in ``events.raw``; rows from S3
        log files point at their file instead (``source``, ``source_position``;
        S3 objects are re-read from this workspace's ``evidence/`` cache), so the
        file is read again. Raises InputError for an unknown id or a source file
        that is gone or changed since the load.
        """
        from iamlab.trail.pointer import record_at

        row = self.con.execute(
            "SELECT raw, source, source_position FROM event_records WHERE event_id = $id LIMIT 1",
            {"id": event_id},
        ).fetchone()
        if row is None:
            raise InputError(
                f"No event {event_id!r} in {self.path}; check the id with "
                "SELECT event_id FROM events"
            )
        raw, source, position = row
        if raw is not None:
            return json.loads(raw)
        if source.startswith("s3://"):
            bucket, _, key = source[5:].partition("/")
            path = self.evidence_dir / "s3" / bucket / key
            if not path.is_file():
                hit = self.con.execute(
                    "SELECT local_path FROM s3_objects WHERE bucket = $b AND key = $k",
                    {"b": bucket, "k": key},
                ).fetchone()
                if hit:
                    path = Path(hit[0])
        else:
            path = Path(source)
        return record_at(path, position, event_id, source)

    # --- denials ------------------------------------------------------------------------------

    def denials(
        self,
        principal: str | None = None,
        since: Any = None,
        until: Any = None,
        cause: str | None = None,
    ):
        """Return the denials as a pandas DataFrame (see ``iamlab.denials.frame``)."""
        from iamlab.denials import frame

        return frame(self.con, principal=principal, since=since, until=until, cause=cause)

    # --- diagnosis ----------------------------------------------------------------------------

    def diagnose(
        self,
        snapshot: Any,
        since: Any = None,
        until: Any = None,
        principal: str | None = None,
        cause: str | None = None,
    ):
        """Replay every denial against ``snapshot``; store and return one row per denial.

        See ``iamlab.diagnose.diagnose``: a DataFrame, also written to the ``diagnoses`` table.
        """
        from iamlab.diagnose import diagnose

        return diagnose(self.con, snapshot, since=since, until=until, principal=principal,
                        cause=cause, save=not self.read_only)
