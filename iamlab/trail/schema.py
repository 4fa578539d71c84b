"""The workspace's tables: created, migrated from older iamlab versions, repaired after a crash.

``schema.sql`` is applied idempotently. ``fingerprint()`` names the current
schema so that a workspace opened read-only can tell whether it was written
by this iamlab (``workspace_meta``) without writing anything.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from importlib import resources

import duckdb


def schema_sql() -> str:
    """The statements of ``schema.sql``."""
    return resources.files("iamlab.trail").joinpath("schema.sql").read_text("utf-8")


def fingerprint(*more_sql: str) -> str:
    """A short hash of the schema (and of the views a caller adds on top)."""
    digest = hashlib.sha256(schema_sql().encode("utf-8"))
    for text in more_sql:
        digest.update(b"\0" + text.encode("utf-8"))
    return digest.hexdigest()[:16]


def stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint the workspace was last set up with (None: never, or an older iamlab)."""
    try:
        row = con.execute("SELECT value FROM workspace_meta WHERE key = 'fingerprint'").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def interrupted_loads(con: duckdb.DuckDBPyConnection) -> int:
    """How many loads stopped before their end (none can be running: we could open the file)."""
    try:
        return con.execute("SELECT count(*) FROM loads WHERE finished_at IS NULL").fetchone()[0]
    except duckdb.CatalogException:
        return 0


def setup(con: duckdb.DuckDBPyConnection, fingerprint_value: str) -> None:
    """Bring the file to the current schema and repair interrupted loads (a write connection)."""
    migrate(con)
    con.execute(schema_sql())
    con.execute(
        "CREATE TABLE IF NOT EXISTS workspace_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
    )
    finish_interrupted_loads(con)
    con.execute(
        "INSERT OR REPLACE INTO workspace_meta VALUES ('fingerprint', $v)",
        {"v": fingerprint_value},
    )


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a workspace made by an older iamlab up to the current schema.

    Older workspaces stored every record's raw JSON and derived the nested
    parts from it in the events view (the columns are added and filled
    once), and kept rejected records out of event_records with NOT NULL
    constraints (now the loader's ``reason`` column).
    """
    from iamlab.trail.sql import NESTED_KEYS

    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'event_records'"
        ).fetchall()
    }
    if not have or "reason" in have:
        return
    con.execute("DROP VIEW IF EXISTS events")
    if "user_identity" not in have:
        for key, column in NESTED_KEYS.items():
            # column and key come from code (sql.NESTED_KEYS), never from input
            con.execute(f"ALTER TABLE event_records ADD COLUMN {column} JSON")
            con.execute(
                f"UPDATE event_records SET {column} = json_extract(raw, $path)",
                {"path": f'$."{key}"'},
            )
        con.execute("ALTER TABLE event_records ALTER COLUMN raw DROP NOT NULL")
    con.execute("ALTER TABLE event_records ALTER COLUMN event_id DROP NOT NULL")
    con.execute("ALTER TABLE event_records ALTER COLUMN event_time DROP NOT NULL")
    con.execute("ALTER TABLE event_records ADD COLUMN reason VARCHAR")


def finish_interrupted_loads(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the duplicates a load left when it stopped before its end (Ctrl-C, a crash).

    Each statement of a load commits on its own, and duplicates are removed
    once at the end (``engine.remove_duplicates``), so an interrupted load
    keeps what it read but may hold records loaded twice until this runs.
    """
    from iamlab.trail.engine import remove_duplicates

    for (load_id,) in con.execute(
        "SELECT load_id FROM loads WHERE finished_at IS NULL ORDER BY load_id"
    ).fetchall():
        removed = remove_duplicates(con, load_id)
        con.execute(
            "UPDATE loads SET finished_at = $t, report = $r WHERE load_id = $id",
            {
                "t": datetime.now(timezone.utc),
                "r": json.dumps({"interrupted": True, "duplicates_removed": sum(removed.values())}),
                "id": load_id,
            },
        )
