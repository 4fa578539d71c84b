"""Denials in bulk: the ``denials`` view over ``events``, filtered frames and summaries.

The parsing itself is in ``denials.sql`` (DuckDB regexes, vectorised), never a
row-by-row Python function. Values from callers only ever reach DuckDB as
bound parameters.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from iamlab.denials import grammar as g
from iamlab.denials.actions import event_action
from iamlab.errors import InputError
from iamlab.times import parse_time

VIEWS = ("error_events", "denials")
SUMMARY_BY = ("cause", "principal", "action", "hour")


def _literal(text: str) -> str:
    """Return ``text`` as a DuckDB string literal (for code constants only)."""
    return "'" + text.replace("'", "''") + "'"


def _policy_type_case() -> str:
    whens = " ".join(
        f"WHEN starts_with(phrase, {_literal(phrase)}) THEN {_literal(kind)}"
        for phrase, kind in g.POLICY_TYPE_PHRASES
    )
    return f"(CASE {whens} END)"


def render(temporary: bool = False) -> list[str]:
    """Return the statements of ``denials.sql`` with the grammar constants filled in."""
    template = resources.files("iamlab.denials").joinpath("denials.sql").read_text("utf-8")
    values = {
        "TEMP": "TEMP" if temporary else "",
        "POLICY_TYPE_CASE": _policy_type_case(),
        "MAX_MESSAGE": str(int(g.MAX_MESSAGE)),
        "TRUST_MATCH": "("
        + " OR ".join(f"contains(zone, {_literal(phrase)})" for phrase, _ in g.TRUST_PHRASES)
        + ")",
    }
    for name in ("QUOTE_ENDS", "CTX_STARTS", "ARTICLES"):  # tuples: NAME_1, NAME_2, ...
        for i, text in enumerate(getattr(g, name), 1):
            values[f"{name[:-1]}_{i}"] = _literal(text)

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        constant = getattr(g, name)
        if not isinstance(constant, str):
            raise TypeError(f"grammar.{name} is not a string")
        return _literal(constant)

    body = "\n".join(line for line in template.splitlines() if not line.startswith("--"))
    statements = [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]
    return [re.sub(r"\{\{([A-Z_0-9]+)\}\}", fill, s) for s in statements]


def _exists(con: Any, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def install(con: Any, temporary: bool = False) -> None:
    """Create or replace the ``error_events`` and ``denials`` views over ``events``.

    Idempotent. On a read-only connection the views are created as TEMP views.
    Raises ``InputError`` when the connection has no ``events`` table.
    """
    if not _exists(con, "events"):
        raise InputError(
            "No 'events' table in this DuckDB database; load CloudTrail first "
            "(iamlab load / Workspace.load) and then look for denials."
        )
    try:
        for statement in render(temporary):
            con.execute(statement)
    except Exception as exc:  # duckdb raises its own error types
        if temporary or "read-only" not in str(exc).lower():
            raise
        for statement in render(True):
            con.execute(statement)


def _ensure(con: Any) -> None:
    # A workspace stores the views of the iamlab that set it up (Workspace
    # replaces them when its version differs); a bare DuckDB file gets them here.
    if not _exists(con, "denials"):
        install(con)


def _params(principal: Any, since: Any, until: Any, cause: Any) -> dict[str, Any]:
    if cause is not None and cause not in g.CAUSES:
        raise InputError(f"cause={cause!r} is not a cause; use one of {', '.join(g.CAUSES)}.")
    return {
        "principal": None if principal in (None, "") else str(principal),
        "since": parse_time(since, "since"),
        "until": parse_time(until, "until"),
        "cause": cause,
    }


# Filters shared by frame() and summary(): since <= event_time < until.
_WHERE = """
WHERE ($principal IS NULL OR principal_arn = $principal OR principal = $principal)
  AND ($since IS NULL OR event_time >= $since)
  AND ($until IS NULL OR event_time < $until)
  AND ($cause IS NULL OR cause = $cause)
"""

FRAME_SQL = "SELECT * FROM {rel}" + _WHERE + "ORDER BY event_time, event_id"

# Once a workspace holds diagnoses (iamlab.diagnose writes the view), a denial's
# cause is the one its replay found (resource-arn, the real cause of an
# undetailed message), and the reported one stays beside it.
DIAGNOSED = "diagnosed_denials"

# Who and what, also where the message does not say: the event's principal ARN,
# else the one in the message, else the caller's account (cross-account and
# network events may name only that); the action in the message, else the one
# the event's call needs ($call_*: eventSource + eventName -> actions.event_action,
# computed in Python and bound as lists).
_CALLS = """
WITH calls AS (
    SELECT unnest($call_sources::VARCHAR[]) AS call_source,
           unnest($call_names::VARCHAR[]) AS call_name,
           unnest($call_actions::VARCHAR[]) AS call_action
), named AS (
    SELECT d.*, coalesce(d.action, c.call_action) AS what,
           coalesce(d.principal_arn, d.principal, 'account ' || d.account_id) AS who
    FROM {rel} d
    LEFT JOIN calls c
      ON c.call_source IS NOT DISTINCT FROM d.event_source
     AND c.call_name IS NOT DISTINCT FROM d.event_name
)
"""

SUMMARY_SQL = {
    "cause": _CALLS
    + """
        SELECT cause, count(*) AS denials,
               count(DISTINCT who) AS principals,
               count(DISTINCT what) AS actions,
               min(event_time) AS first_seen, max(event_time) AS last_seen
        FROM named {where}
        GROUP BY cause ORDER BY denials DESC, cause""",
    "principal": _CALLS
    + """
        SELECT coalesce(who, '(unknown)') AS principal,
               count(*) AS denials, count(DISTINCT what) AS actions,
               string_agg(DISTINCT cause, ', ' ORDER BY cause) AS causes,
               min(event_time) AS first_seen, max(event_time) AS last_seen
        FROM named {where}
        GROUP BY 1 ORDER BY denials DESC, principal""",
    "action": _CALLS
    + """
        SELECT coalesce(what, '(unknown)') AS action,
               count(*) AS denials,
               count(*) FILTER (WHERE action IS NULL) AS from_call,
               count(DISTINCT who) AS principals,
               string_agg(DISTINCT cause, ', ' ORDER BY cause) AS causes,
               min(event_time) AS first_seen, max(event_time) AS last_seen
        FROM named {where}
        GROUP BY 1 ORDER BY denials DESC, action""",
    # epoch arithmetic keeps the hour in UTC whatever the session TimeZone is
    "hour": """
        SELECT to_timestamp(floor(epoch(event_time) / 3600) * 3600) AS hour,
               cause, count(*) AS denials
        FROM {rel} {where}
        GROUP BY 1, 2 ORDER BY hour, cause""",
}
# Every call that failed (a superset of the denials' calls, read without parsing).
CALLS_SQL = (
    "SELECT DISTINCT event_source, event_name FROM events "
    "WHERE error_code IS NOT NULL OR error_message IS NOT NULL"
)


def _calls(con: Any) -> dict[str, list]:
    """Bound lists mapping each failed call (eventSource, eventName) to its IAM action."""
    rows = con.execute(CALLS_SQL).fetchall()
    return {
        "call_sources": [source for source, _ in rows],
        "call_names": [name for _, name in rows],
        "call_actions": [event_action(source, name) for source, name in rows],
    }


def frame(
    con: Any, principal: Any = None, since: Any = None, until: Any = None, cause: str | None = None
):
    """Return the denials as a pandas DataFrame, oldest first.

    ``principal`` matches the event's ``principal_arn`` or the principal named
    in the message; ``since <= event_time < until`` (naive times are UTC);
    ``cause`` is one of ``CAUSES``: the diagnosed cause where the workspace
    holds a diagnosis (then ``reported_cause`` and ``verdict`` are columns too),
    else the reported one. Raises ``InputError`` for a bad filter.

    >>> frame(con, cause="org-policy")  # doctest: +SKIP
    """
    params = _params(principal, since, until, cause)
    _ensure(con)
    return con.execute(FRAME_SQL.format(rel=_relation(con)), params).df()


def _relation(con: Any) -> str:
    """``diagnosed_denials`` when the workspace holds diagnoses, else ``denials``."""
    return DIAGNOSED if _exists(con, DIAGNOSED) else "denials"


def summary(
    con: Any,
    by: str = "cause",
    principal: Any = None,
    since: Any = None,
    until: Any = None,
    cause: str | None = None,
):
    """Return denial counts grouped ``by`` cause, principal, action or hour (DataFrame).

    Same filters as ``frame``. ``by="hour"`` gives one row per UTC hour and cause.
    Principals are counted by ARN, else the caller's account; actions by the
    message's action, else the one the event's call needs (``eventSource`` +
    ``eventName``, ``actions.event_action``); ``by="action"`` says in
    ``from_call`` how many of its denials named no action in the message.
    """
    if by not in SUMMARY_SQL:
        raise InputError(f"by={by!r} is not a summary; use one of {', '.join(SUMMARY_BY)}.")
    params = _params(principal, since, until, cause)
    _ensure(con)
    if "$call_" in SUMMARY_SQL[by]:
        params |= _calls(con)
    sql = SUMMARY_SQL[by].replace("{rel}", _relation(con)).format(where=_WHERE)
    return con.execute(sql, params).df()
