"""Rows of a pushed-down query (Athena, CloudTrail Lake) into ``events``, in one transaction.

The rows become CloudTrail records (``lake.record_from_columns``: Lake's
``eventjson`` as is, Athena's columns mapped back to CloudTrail's keys) and go
through the loader's own statements (``sql.insert_records``, duplicate and
conflict handling), so they get the same columns, checks and idempotence as
any file. Unlike a file load, everything happens in one transaction: a
failure leaves the workspace as it was. The ``loads`` row keeps the
provenance (query ids, SQL, bytes scanned) in ``options`` and ``report``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from iamlab.trail import sql
from iamlab.trail.decode import MAX_RECORD_BYTES
from iamlab.trail.lake import record_from_columns
from iamlab.trail.report import LoadReport, SourceCounts


def record_of(row: Mapping[str, str | None], skip: Iterable[str] = ()) -> dict[str, Any] | str:
    """One result row (column -> text) as a CloudTrail record, without the ``skip`` columns.

    A row whose ``eventjson`` is not JSON comes back as that text: the load
    rejects it (not a JSON object) with its row number, as it would in a file.
    """
    dropped = set(skip)
    try:
        return record_from_columns({k: v for k, v in row.items() if k not in dropped})
    except orjson.JSONDecodeError:
        return str(row.get("eventjson"))


def load_rows(
    con: duckdb.DuckDBPyConnection, batches: list[tuple[str, list[Any]]], options: dict[str, Any]
) -> LoadReport:
    """Load ``batches`` of (source, records) into ``events`` in one transaction.

    ``source`` names where the rows came from (``athena://<workgroup>/<query id>``);
    each record's position is its row number. ``options`` is stored in ``loads``
    (and repeated in the report with the counts). Raises whatever DuckDB raises,
    after a rollback.
    """
    started = datetime.now(timezone.utc)
    raws, sources, positions = [], [], []
    for source, records in batches:
        for i, record in enumerate(records):
            raws.append(orjson.dumps(record).decode())
            sources.append(source)
            positions.append(f"row {i + 1}")
    con.execute("BEGIN TRANSACTION")
    try:
        load_id = con.execute("SELECT nextval('load_ids')").fetchone()[0]
        ids = {"load_id": load_id}
        con.execute(
            "INSERT INTO loads (load_id, started_at, sources, options) VALUES ($id, $t, $s, $o)",
            {
                "id": load_id,
                "t": started,
                "s": json.dumps([s for s, _ in batches]),
                "o": json.dumps(options),
            },
        )
        con.register(
            "decoded_batch",
            pa.table(
                {
                    "r": pa.array(raws, pa.string()),
                    "source": pa.array(sources, pa.string()),
                    "source_position": pa.array(positions, pa.string()),
                }
            ),
        )
        try:
            con.execute(
                sql.insert_records(sql.DECODED_RECORDS),
                {
                    "since": None,
                    "until": None,
                    "accounts": None,
                    "regions": None,
                    "max_record_bytes": MAX_RECORD_BYTES,
                    **ids,
                },
            )
        finally:
            con.unregister("decoded_batch")
        marked = {s: (r, f) for s, r, f in con.execute(sql.MARKED_COUNTS, ids).fetchall()}
        con.execute(sql.INSERT_REJECTED, ids)
        con.execute(sql.DELETE_MARKED, ids)
        con.execute(sql.DUPLICATE_ROWS, ids)
        duplicates = dict(con.execute(sql.DUPLICATES_BY_SOURCE).fetchall())
        con.execute(sql.DELETE_DUPLICATES)
        con.execute(sql.INSERT_CONFLICTS, ids)
        conflicts = dict(con.execute(sql.CONFLICTS_BY_SOURCE, ids).fetchall())
        loaded = dict(con.execute(sql.LOADED_BY_SOURCE, ids).fetchall())
        counts = []
        for source, records in batches:
            rejected, filtered = marked.get(source, (0, 0))
            counts.append(
                SourceCounts(
                    source=source,
                    seen=len(records),
                    loaded=loaded.get(source, 0),
                    duplicates=duplicates.get(source, 0),
                    rejected=rejected,
                    filtered=filtered,
                    conflicts=conflicts.get(source, 0),
                )
            )
        report = LoadReport(
            load_id=load_id,
            sources=counts,
            rejected=con.execute(sql.REJECTED_OF_LOAD, {**ids, "n": 1000}).fetchall(),
        )
        report.seconds = (datetime.now(timezone.utc) - started).total_seconds()
        con.execute(
            "UPDATE loads SET finished_at = $t, report = $r WHERE load_id = $id",
            {
                "t": datetime.now(timezone.utc),
                "r": json.dumps({**report.to_dict(), "query": options}),
                "id": load_id,
            },
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report
