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
    # Always (re)create: a workspace may hold views written by an older iamlab,
    # and CREATE OR REPLACE VIEW costs milliseconds.
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

FRAME_SQL = "SELECT * FROM denials" + _WHERE + "ORDER BY event_time, event_id"

SUMMARY_SQL = {
    "cause": """
        SELECT cause, count(*) AS denials,
               count(DISTINCT coalesce(principal_arn, principal)) AS principals,
               count(DISTINCT action) AS actions,
               min(event_time) AS first_seen, max(event_time) AS last_seen
        FROM denials {where}
        GROUP BY cause ORDER BY denials DESC, cause""",
    "principal": """
        -- cross-account and network events may name only the caller's account
        SELECT coalesce(principal_arn, principal, 'account ' || account_id, '(unknown)')
                   AS principal,
               count(*) AS denials, count(DISTINCT action) AS actions,
               string_agg(DISTINCT cause, ', ' ORDER BY cause) AS causes,
               min(event_time) AS first_seen, max(event_time) AS last_seen
        FROM denials {where}
        GROUP BY 1 ORDER BY denials DESC, principal""",
    "action": """
        SELECT coalesce(action, '(not in message) ' || coalesce(event_source, '?')
                        || ' ' || coalesce(event_name, '?')) AS action,
               count(*) AS denials,
               count(DISTINCT coalesce(principal_arn, principal)) AS principals,
               string_agg(DISTINCT cause, ', ' ORDER BY cause) AS causes,
               min(event_time) AS first_seen, max(event_time) AS last_seen
        FROM denials {where}
        GROUP BY 1 ORDER BY denials DESC, action""",
    # epoch arithmetic keeps the hour in UTC whatever the session TimeZone is
    "hour": """
        SELECT to_timestamp(floor(epoch(event_time) / 3600) * 3600) AS hour,
               cause, count(*) AS denials
        FROM denials {where}
        GROUP BY 1, 2 ORDER BY hour, cause""",
}


def frame(
    con: Any, principal: Any = None, since: Any = None, until: Any = None, cause: str | None = None
):
    """Return the denials as a pandas DataFrame, oldest first.

    ``principal`` matches the event's ``principal_arn`` or the principal named
    in the message; ``since <= event_time < until`` (naive times are UTC);
    ``cause`` is one of ``CAUSES``. Raises ``InputError`` for a bad filter.

    >>> frame(con, cause="org-policy")  # doctest: +SKIP
    """
    params = _params(principal, since, until, cause)
    _ensure(con)
    return con.execute(FRAME_SQL, params).df()


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
    """
    if by not in SUMMARY_SQL:
        raise InputError(f"by={by!r} is not a summary; use one of {', '.join(SUMMARY_BY)}.")
    params = _params(principal, since, until, cause)
    _ensure(con)
    return con.execute(SUMMARY_SQL[by].format(where=_WHERE), params).df()
