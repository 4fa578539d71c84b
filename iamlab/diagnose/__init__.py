"""Diagnosis: every denial replayed against a snapshot, with its real cause and verdict.

``diagnose(con, snapshot)`` reads the denials of a workspace's DuckDB
connection, rebuilds each request (``request.rebuild``), replays it
(``verdict.diagnose_record``), proposes a fix proven by re-evaluation
(``fix.propose``), stores the rows in the ``diagnoses`` table and returns
them as a DataFrame. No AWS calls. ``pin.write_pins`` writes the cases that
pin each verified fix, for ``iamlab test``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from iamlab.denials.grammar import CAUSES
from iamlab.diagnose.request import Replay, rebuild
from iamlab.diagnose.sessions import SessionIndex, SessionPolicy
from iamlab.diagnose.verdict import VERDICTS, Diagnosis, diagnose_record
from iamlab.errors import InputError
from iamlab.snapshot.snapshot import Snapshot, load

__all__ = [
    "VERDICTS",
    "Diagnosis",
    "Replay",
    "SessionIndex",
    "SessionPolicy",
    "diagnose",
    "diagnose_all",
    "diagnose_record",
    "explain",
    "rebuild",
    "summary",
]


def diagnose_all(
    con: Any,
    snapshot: Snapshot | str | Path,
    since: Any = None,
    until: Any = None,
    principal: str | None = None,
    cause: str | None = None,
    fixes: bool = True,
    evidence_gaps: Callable[[dict[str, Any], SessionIndex], list[str]] | None = None,
) -> list[Diagnosis]:
    """Return the diagnosis of every denial in the workspace behind ``con``, oldest first.

    ``since``/``until``/``principal`` filter the denials as ``Workspace.denials``
    does; ``cause`` keeps diagnoses whose replayed (or, when unknown,
    reported) cause is that one. ``evidence_gaps(record, sessions)`` adds the
    missing evidence each answer depends on to its reasons (``Workspace.diagnose``
    passes ``iamlab.prevent.gaps_for``). Raises InputError for a bad filter and
    SnapshotError for an unreadable snapshot.
    """
    from iamlab.diagnose import store

    if cause is not None and cause not in CAUSES:
        raise InputError(f"cause={cause!r} is not a cause; use one of {', '.join(CAUSES)}.")
    snap = snapshot if isinstance(snapshot, Snapshot) else load(snapshot)
    records = store.denial_records(con, principal, since, until)
    sessions = SessionIndex(store.issuing_records(con, records))
    out = []
    for record, parsed in records:
        diag = diagnose_record(record, parsed, snap, sessions)
        if evidence_gaps is not None:  # what missing evidence this answer depends on
            diag.reasons += evidence_gaps(record, sessions)
        if cause is not None and (diag.cause or diag.reported_cause) != cause:
            continue
        out.append(diag)
    if fixes:
        from iamlab.diagnose.fix import propose_all

        propose_all(out, snap, con)
    return out


COLUMNS = ["event_id", "event_time", "principal", "action", "resource", "reported_cause",
           "cause", "verdict", "layer", "deciding", "near_miss", "missing_keys", "reasons",
           "reported", "fix"]  # fmt: skip


def diagnose(
    con: Any,
    snapshot: Snapshot | str | Path,
    since: Any = None,
    until: Any = None,
    principal: str | None = None,
    cause: str | None = None,
    save: bool = True,
):
    """Diagnose the denials, store them in ``diagnoses`` (unless ``save=False``); a DataFrame.

    One row per denial with the columns of ``Diagnosis.to_dict()``. ``Workspace.diagnose``
    replays on a read-only connection and saves on a short write connection instead.
    """
    from iamlab.diagnose import store

    snap = snapshot if isinstance(snapshot, Snapshot) else load(snapshot)
    rows = [d.to_dict() for d in diagnose_all(con, snap, since, until, principal, cause)]
    if save:
        store.save(con, rows, snap)
    return to_frame(rows)


def to_frame(rows: list[dict[str, Any]]):
    """The DataFrame of diagnosis rows (``Diagnosis.to_dict()``), one column per field."""
    import pandas as pd

    return pd.DataFrame(rows, columns=COLUMNS)


def explain(con: Any, snapshot: Snapshot | str | Path, event_id: str) -> Diagnosis:
    """Return the diagnosis of one denial event, with its fix (``render`` shows it as text).

    Raises InputError when ``event_id`` is not a denial of the workspace.
    """
    from iamlab.diagnose import store
    from iamlab.diagnose.fix import propose_all

    snap = snapshot if isinstance(snapshot, Snapshot) else load(snapshot)
    found = store.denial_records(con, event_id=event_id)
    if not found:
        raise InputError(
            f"No denial with event id {event_id!r} in this workspace; list them "
            "with `iamlab diagnose --json` or SELECT event_id FROM denials"
        )
    sessions = SessionIndex(store.issuing_records(con, found))
    diag = diagnose_record(*found[0], snap, sessions)
    propose_all([diag], snap, con)
    return diag


def summary(frame: Any) -> Any:
    """Count diagnoses (a ``diagnose`` DataFrame) by cause and verdict."""
    if frame.empty:
        return frame.assign(denials=[])[["cause", "verdict", "denials"]]
    table = frame.assign(cause=frame["cause"].fillna("(unknown)"))
    return (
        table.groupby(["cause", "verdict"])
        .size()
        .rename("denials")
        .reset_index()
        .sort_values(["denials", "cause"], ascending=[False, True])
    )
