"""``Workspace``: the one object an investigation holds, a folder with ``iamlab.duckdb`` in it.

Opening needs no configuration and no network: the folder is created if it is
missing and the schema is set up once. A ``Workspace`` holds no database
connection between calls (``iamlab.database``), so a notebook, a terminal
and a second notebook can use one workspace at once: reads never block each
other, and a load waits for the file with one line on stderr instead of
failing. Evidence fetched live (S3 objects) is kept under ``<workspace>/evidence/``.

Example::

    from iamlab import Workspace
    ws = Workspace("investigation")
    print(ws.load("sample_data/cloudtrail", since="2026-03-01"))
    ws.sql("SELECT error_code, count(*) FROM events GROUP BY 1")
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from iamlab.database import DB_NAME, Database, database
from iamlab.errors import InputError
from iamlab.escape import printable
from iamlab.trail import load as loader
from iamlab.trail import schema
from iamlab.trail.report import LoadReport

__all__ = ["Workspace", "DB_NAME"]


def _fingerprint() -> str:
    from iamlab.denials.sql import render

    return schema.fingerprint(*render())


class Workspace:
    """A folder holding ``iamlab.duckdb`` (views ``events``, ``denials``; tables ``rejected``, ...).

    Parameters: ``path``, the folder (created if missing); ``read_only``
    never writes (no load, no migration of a workspace made by an older
    iamlab); ``wait``: when another process is writing the workspace, True
    waits (saying so once on stderr), a number waits that many seconds,
    False fails at once. Raises InputError when ``path`` is a file, or when
    ``read_only`` and there is no workspace there.
    """

    def __init__(self, path: str | Path, read_only: bool = False, wait: bool | float = True):
        self.path = Path(path).expanduser()
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"Workspace path {str(self.path)!r} is a file; pass a folder")
        if read_only and not (self.path / DB_NAME).exists():
            raise InputError(
                f"No workspace at {str(self.path)!r} (no {DB_NAME}); load evidence first"
            )
        self.evidence_dir = self.path / "evidence"
        self.read_only = read_only
        self.wait = wait
        self._db: Database = database(self.path)
        self._current = _fingerprint()
        self._views_stale = False
        if not self._is_current():
            if read_only:
                self._views_stale = True  # reads get temporary views of this version
            else:
                self._setup()
        elif not read_only:
            loader.remove_stale_scratch(self.path, holding_write_lock=False)

    def _is_current(self) -> bool:
        if not (self.path / DB_NAME).exists():
            return False
        with self._db.read(self.wait) as con:
            return (
                schema.stored_fingerprint(con) == self._current
                and schema.interrupted_loads(con) == 0
            )

    def _setup(self) -> None:
        """Create or migrate the file, repair interrupted loads, store the views."""
        from iamlab.denials.sql import install

        with self._db.write("setting up the workspace", self.wait) as con:
            schema.setup(con, self._current)
            try:
                install(con)
            except duckdb.BinderException:
                # A hand-made or very old events table without the columns the
                # views read: they are created (and fail with a clear error)
                # only when denials are asked for.
                pass
            loader.remove_stale_scratch(self.path)

    # --- connections ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a read-only DuckDB connection to the workspace, for work ``sql`` cannot do.

        Do not keep it past the ``with`` block: while any process holds a
        connection, loads in other processes wait.
        """
        with self._db.read(self.wait) as con:
            if self._views_stale:
                from iamlab.denials.sql import install

                install(con, temporary=True)
            yield con

    def close(self) -> None:
        """Let go of the workspace file now (it is let go a second after each call anyway)."""
        self._db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    # --- queries --------------------------------------------------------------------------------

    def sql(self, query: str, params: dict[str, Any] | list[Any] | None = None) -> pd.DataFrame:
        """Run ``query`` read-only with bound ``params`` ($name or ?); return a DataFrame.

        Raises InputError with DuckDB's message when the query cannot run.
        """
        with self.connect() as con:
            try:
                return con.execute(query, params).df()
            except duckdb.Error as exc:
                raise InputError(f"The query failed: {exc}") from None

    # --- loading --------------------------------------------------------------------------------

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
        aws_region: str | None = None,
        max_object_bytes: int = loader.MAX_OBJECT_BYTES,
        max_record_bytes: int = loader.MAX_RECORD_BYTES,
    ) -> LoadReport:
        """Load CloudTrail evidence into ``events``; return the reconciled ``LoadReport``.

        ``sources``: files, folders, globs, or ``s3://bucket/prefix`` (boto3's normal
        credential chain, or ``profile`` / a ``session``; ``aws_region`` for its API calls).
        ``since`` (inclusive) / ``until`` (exclusive; ISO-8601, UTC if no zone),
        ``accounts`` (the account whose trail recorded the event: ``recipientAccountId``)
        and ``regions`` keep only matching records and skip files whose S3 layout rules them
        out. ``max_object_bytes`` caps the content of one file (gzip counted decompressed),
        ``max_record_bytes`` one record (limits: ``iamlab.trail``'s docstring). Loading is
        idempotent on ``event_id`` and content (records that share an id with other content
        are both kept and listed in ``conflicts``). Bad files and records go to the
        ``rejected`` table; nothing raises for bad input data. While it runs, a
        ``loading-*`` folder in the workspace holds gzip log files bundled for DuckDB (about
        their own size on disk); it is removed at the end, or by the next load after a
        crash. The workspace file is taken for the load's duration: readers in other
        processes wait. Raises InputError for a missing path or bad option, AwsError when S3
        refuses, KeyboardInterrupt on Ctrl-C (what committed stays; the workspace opens).

        Example: ``ws.load("exports/AWSLogs", since="2026-03-01", regions=["us-east-1"])``
        """
        if self.read_only:
            raise InputError(f"Workspace {str(self.path)!r} was opened read_only; cannot load")
        with self._db.write("a load", self.wait) as con:
            report = loader.load(
                con, self.path, sources,
                since=since, until=until, accounts=accounts, regions=regions,
                progress=progress, profile=profile, session=session, aws_region=aws_region,
                max_object_bytes=max_object_bytes, max_record_bytes=max_record_bytes,
            )  # fmt: skip
        return report

    def load_from_athena(self, *args: Any, **kwargs: Any) -> tuple[Any, LoadReport | None]:
        """Find the denials in Athena and load them (``denials.remote.athena_search``'s args).

        Returns the search (SQL, estimate, query ids, bytes scanned, cost) and the
        LoadReport (None for a dry run). The queries run before the workspace is
        taken; the rows are loaded in one transaction.
        """
        from iamlab.denials import remote

        return self._load_search(remote.athena_search(*args, **kwargs))

    def load_from_lake(self, *args: Any, **kwargs: Any) -> tuple[Any, LoadReport | None]:
        """The same from a CloudTrail Lake event data store (``remote.lake_search``'s args)."""
        from iamlab.denials import remote

        return self._load_search(remote.lake_search(*args, **kwargs))

    def _load_search(self, search: Any) -> tuple[Any, LoadReport | None]:
        from iamlab.denials import remote

        if search.dry_run:
            return search, None
        if self.read_only:
            raise InputError(f"Workspace {str(self.path)!r} was opened read_only; cannot load")
        with self._db.write("a load", self.wait) as con:
            return search, remote.load(con, search)

    # --- records --------------------------------------------------------------------------------

    def raw(
        self, event_id: str, source: str | None = None, position: str | None = None
    ) -> dict[str, Any]:
        """The exact original record of ``event_id`` as a dict, every key included.

        Records decoded in Python keep their JSON in ``events.raw``; rows from S3
        log files point at their file instead (``source``, ``source_position``;
        S3 objects are re-read from this workspace's ``evidence/`` cache), so the
        file is read again. An id that several records hold with different
        content (table ``conflicts``) needs ``source`` and ``position`` to say
        which. Raises InputError for an unknown or ambiguous id, or a source
        file that is gone or changed since the load.
        """
        from iamlab.trail.pointer import record_at

        with self.connect() as con:
            rows = con.execute(
                "SELECT raw, source, source_position FROM event_records WHERE event_id = $id "
                "AND ($source IS NULL OR source = $source) "
                "AND ($position IS NULL OR source_position = $position) "
                "ORDER BY source, source_position LIMIT 6",
                {"id": event_id, "source": source, "position": position},
            ).fetchall()
            if not rows:
                raise InputError(
                    f"No event {printable(event_id)!r} in {self.path}; check the id with "
                    "SELECT event_id FROM events"
                )
            if len(rows) > 1:
                where = "; ".join(f"{printable(r[1])} {printable(r[2])}" for r in rows[:5])
                raise InputError(
                    f"{len(rows)}{'+' if len(rows) > 5 else ''} records hold event id "
                    f"{printable(event_id)!r} with different content ({where}); pass "
                    "source= and position= (see SELECT * FROM conflicts)"
                )
            raw, source, position = rows[0]
            if raw is not None:
                return json.loads(raw)
            if source.startswith("s3://"):
                from iamlab.trail.s3 import cache_path

                bucket, _, key = source[5:].partition("/")
                path = cache_path(self.evidence_dir / "s3", bucket, key)
                if not path.is_file():
                    hit = con.execute(
                        "SELECT local_path FROM s3_objects WHERE bucket = $b AND key = $k",
                        {"b": bucket, "k": key},
                    ).fetchone()
                    if hit:
                        path = Path(hit[0])
            else:
                path = Path(source)
        return record_at(path, position, event_id, source)

    # --- denials --------------------------------------------------------------------------------

    def denials(
        self,
        principal: str | None = None,
        since: Any = None,
        until: Any = None,
        cause: str | None = None,
    ) -> pd.DataFrame:
        """Return the denials as a DataFrame, oldest first (see ``iamlab.denials.frame``)."""
        from iamlab.denials import frame

        with self.connect() as con:
            return frame(con, principal=principal, since=since, until=until, cause=cause)

    def denial_summary(
        self,
        by: str = "cause",
        principal: str | None = None,
        since: Any = None,
        until: Any = None,
        cause: str | None = None,
    ) -> pd.DataFrame:
        """Return denial counts by ``cause``, ``principal``, ``action`` or ``hour``."""
        from iamlab.denials import summary

        with self.connect() as con:
            return summary(con, by, principal=principal, since=since, until=until, cause=cause)

    # --- diagnosis ----------------------------------------------------------------------------

    def diagnose(
        self,
        snapshot: Any,
        since: Any = None,
        until: Any = None,
        principal: str | None = None,
        cause: str | None = None,
    ) -> pd.DataFrame:
        """Replay every denial against ``snapshot``; store and return one row per denial.

        The replay reads the workspace (other processes may read meanwhile); the
        rows then replace the ``diagnoses`` table in one short write (not when
        opened ``read_only``). See ``iamlab.diagnose.diagnose_all`` for the fields.
        """
        from iamlab.diagnose import to_frame

        return to_frame(
            [d.to_dict() for d in self._diagnose(snapshot, since, until, principal, cause)]
        )

    def write_fix_cases(
        self,
        snapshot: Any,
        folder: str | Path,
        since: Any = None,
        until: Any = None,
        principal: str | None = None,
        cause: str | None = None,
    ):
        """Diagnose as ``diagnose`` does, and write the cases that pin each verified fix into
        ``folder`` (one file per fix; ``iamlab test FOLDER`` runs them). Returns a
        ``PinReport`` (files, case counts, fixes not pinned and why; ``.frame`` is the
        diagnosis table). See ``iamlab.diagnose.pin``.
        """
        from iamlab.diagnose.pin import prepare_folder, write_pins

        folder = prepare_folder(folder)  # a bad folder is refused before the replay
        found = self._diagnose(snapshot, since, until, principal, cause)
        where = getattr(snapshot, "root", snapshot)
        return write_pins(found, folder, f"workspace {self.path}, snapshot {where}")

    def _diagnose(self, snapshot, since, until, principal, cause) -> list:
        """The diagnoses (``iamlab.diagnose.Diagnosis``), stored unless opened read-only."""
        from iamlab.diagnose import diagnose_all, store
        from iamlab.prevent import coverage, gaps_for
        from iamlab.snapshot import Snapshot, load

        snap = snapshot if isinstance(snapshot, Snapshot) else load(snapshot)
        with self.connect() as con:
            cov = coverage(con, snap)
            found = diagnose_all(con, snap, since, until, principal, cause,
                                 evidence_gaps=lambda r, s: gaps_for(r, cov, s))  # fmt: skip
        if not self.read_only:
            with self._db.write("a diagnosis", self.wait) as con:
                store.save(con, [d.to_dict() for d in found], snap)
        return found

    def explain(self, snapshot: Any, event_id: str):
        """The diagnosis of one denial, with its fix (``iamlab.diagnose.render`` shows it)."""
        from iamlab.diagnose import explain

        with self.connect() as con:
            return explain(con, snapshot, event_id)
