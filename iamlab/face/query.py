"""What the charts, widgets and report read from a workspace: one ``Scope``, a few named queries.

Every view of an investigation (chart, table, report) is drawn from the same
scope (principal, time window, causes, accounts, regions), so a control that
changes it changes them all. Values only ever reach DuckDB as bound
parameters; the SQL is in the constants below.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pandas as pd

from iamlab.denials.grammar import CAUSES
from iamlab.errors import InputError
from iamlab.times import parse_time

__all__ = [
    "POLICY_CHANGE_EVENTS",
    "Scope",
    "denial_events",
    "diagnoses",
    "evidence_window",
    "has_diagnoses",
    "only_principal",
    "policy_changes",
    "principal_calls",
]

# CloudTrail events that change a policy a later request is judged by (from
# memory of the IAM, Organizations, S3, KMS and other APIs' operation names).
POLICY_CHANGE_EVENTS = (
    "PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy",
    "PutUserPolicy", "DeleteUserPolicy", "AttachUserPolicy", "DetachUserPolicy",
    "PutGroupPolicy", "DeleteGroupPolicy", "AttachGroupPolicy", "DetachGroupPolicy",
    "CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion",
    "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
    "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary",
    "UpdateAssumeRolePolicy", "UpdatePolicy", "AttachPolicy", "DetachPolicy",
    "PutBucketPolicy", "DeleteBucketPolicy", "PutKeyPolicy", "PutResourcePolicy",
    "DeleteResourcePolicy", "AddPermission", "RemovePermission", "SetQueueAttributes",
)  # fmt: skip


@dataclass(frozen=True)
class Scope:
    """The part of the evidence every view shows: who, when (``since <= t < until``), what.

    Empty tuples mean "all". Times are aware UTC datetimes (``Scope.of`` parses text).
    """

    principal: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    causes: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = field(default=())

    @classmethod
    def of(
        cls,
        principal: str | None = None,
        since: Any = None,
        until: Any = None,
        causes: Any = (),
        accounts: Any = (),
        regions: Any = (),
    ) -> Scope:
        """Return a checked Scope from user values (ISO text or datetimes; one value or several).

        Raises InputError for a time that is not one, an unknown cause, or ``since >= until``.
        """
        causes = _tuple(causes)
        bad = [c for c in causes if c not in CAUSES]
        if bad:
            raise InputError(f"cause {bad[0]!r} is not a cause; use one of {', '.join(CAUSES)}.")
        start, end = parse_time(since, "since"), parse_time(until, "until")
        if start is not None and end is not None and start >= end:
            raise InputError(f"since={start.isoformat()} is not before until={end.isoformat()}.")
        return cls(principal or None, start, end, causes, _tuple(accounts), _tuple(regions))

    def but(self, **changes: Any) -> Scope:
        """Return a copy with ``changes`` applied (checked like ``Scope.of``)."""
        values = {f: getattr(self, f) for f in self.__dataclass_fields__}
        values.update(changes)
        return Scope.of(**values) if changes else replace(self)

    def params(self) -> dict[str, Any]:
        """The bound parameters of the queries below."""
        return {
            "principal": self.principal,
            "since": self.since,
            "until": self.until,
            "causes": list(self.causes),
            "accounts": list(self.accounts),
            "regions": list(self.regions),
        }

    def describe(self) -> str:
        """One line for a title or a report: who, when, which causes/accounts/regions."""
        parts = [self.principal or "every principal"]
        since = self.since.strftime("%Y-%m-%d %H:%M") if self.since else "the start"
        until = self.until.strftime("%Y-%m-%d %H:%M") if self.until else "the end"
        parts.append(f"{since} to {until} UTC")
        for name in ("causes", "accounts", "regions"):
            if getattr(self, name):
                parts.append(f"{name}: {', '.join(getattr(self, name))}")
        return "; ".join(parts)


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


# The principal a view groups by: the caller's ARN, else the one the message
# names, else the account (cross-account and network events).
WHO = "coalesce(d.principal_arn, d.principal, 'account ' || d.account_id, '(unknown)')"

_SCOPE_WHERE = f"""
WHERE ($principal IS NULL OR {WHO} = $principal OR d.principal_arn = $principal
       OR d.principal = $principal)
  AND ($since IS NULL OR d.event_time >= $since)
  AND ($until IS NULL OR d.event_time < $until)
  AND (len($causes) = 0 OR list_contains($causes, d.cause))
  AND (len($accounts) = 0 OR list_contains($accounts, d.account_id))
  AND (len($regions) = 0 OR list_contains($regions, d.aws_region))
"""

DENIAL_EVENTS_SQL = f"""
SELECT d.event_id, d.event_time, {WHO} AS who, d.principal_arn, d.principal, d.action,
       d.resource, d.cause, d.event_source, d.event_name, d.account_id, d.aws_region,
       d.error_code, d.error_message, d.policy_type, d.deny, d.policy_arn,
       d.authorization_id, e.user_agent, e.source_ip, e.access_key_id
FROM denials d JOIN events e ON e.event_id = d.event_id
{_SCOPE_WHERE}
ORDER BY d.event_time, d.event_id
"""

# A principal's own calls, its denials first so that the limit never drops one.
PRINCIPAL_CALLS_SQL = """
SELECT event_id, event_time, event_source, event_name, aws_region, error_code, error_message,
       user_agent, source_ip
FROM events
WHERE (principal_arn = $principal OR session_issuer_arn = $principal
       OR list_contains($denials, event_id))
  AND ($since IS NULL OR event_time >= $since)
  AND ($until IS NULL OR event_time < $until)
ORDER BY list_contains($denials, event_id) DESC, event_time, event_id
LIMIT $limit
"""

POLICY_CHANGES_SQL = """
SELECT event_id, event_time, event_source, event_name, principal_arn, account_id, aws_region,
       CAST(request_parameters AS VARCHAR) AS request_parameters
FROM events
WHERE list_contains($names, event_name) AND error_code IS NULL
  AND ($since IS NULL OR event_time >= $since)
  AND ($until IS NULL OR event_time < $until)
ORDER BY event_time, event_id
"""

WINDOW_SQL = """
SELECT min(event_time) AS first, max(event_time) AS last, count(*) AS events FROM events
"""

HAS_TABLE_SQL = "SELECT count(*) FROM information_schema.tables WHERE table_name = $name"

HAS_COLUMN_SQL = """
SELECT count(*) FROM information_schema.columns WHERE table_name = $table AND column_name = $name
"""

# A denial diagnosed against several snapshots has a row for each: the latest wins.
DIAGNOSES_SQL = """
SELECT g.event_id, g.reported_cause, g.cause, g.verdict, g.layer,
       CAST(g.deciding AS VARCHAR) AS deciding, CAST(g.missing_keys AS VARCHAR) AS missing_keys,
       CAST(g.fix AS VARCHAR) AS fix
FROM diagnoses g
WHERE list_contains($ids, g.event_id)
QUALIFY row_number() OVER (PARTITION BY g.event_id ORDER BY {order} DESC) = 1
"""


def denial_events(ws: Any, scope: Scope | None = None) -> pd.DataFrame:
    """Return the denials in ``scope`` with what the views show (user agent, source IP, key id).

    One row per denial, oldest first; ``who`` is the principal the views group by.
    """
    return ws.sql(DENIAL_EVENTS_SQL, (scope or Scope()).params())


def only_principal(frame: pd.DataFrame, principal: str | None) -> pd.DataFrame:
    """Return the rows of a ``denial_events`` frame for ``principal`` (all for None), like SQL."""
    if not principal:
        return frame
    keep = (
        (frame["who"] == principal) | (frame["principal_arn"] == principal)
        | (frame["principal"] == principal)
    )  # fmt: skip
    return frame[keep]


def principal_calls(
    ws: Any,
    principal: str,
    scope: Scope | None = None,
    denials: pd.DataFrame | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Return up to ``limit`` calls by ``principal`` in the scope's window, oldest first.

    Calls are the principal's own (its ARN, or a role's ARN for its sessions)
    and the denials that name it in their message (a cross-account call is
    also logged by the owner's trail, without the caller's ARN); ``cause`` is
    set for the denials, which the limit never drops. ``denials``: the
    ``denial_events`` of the same window with no other filter, when the caller
    has them already (widgets keep them).
    """
    scope = scope or Scope()
    window = Scope(since=scope.since, until=scope.until)
    if denials is None:
        denials = denial_events(ws, window)
    mine = only_principal(denials, principal)[["event_id", "cause"]]
    params = {"principal": principal, "since": scope.since, "until": scope.until,
              "denials": list(mine["event_id"]), "limit": limit}  # fmt: skip
    calls = ws.sql(PRINCIPAL_CALLS_SQL, params).merge(mine, on="event_id", how="left")
    return calls.sort_values(["event_time", "event_id"], ignore_index=True)


def policy_changes(ws: Any, scope: Scope | None = None) -> pd.DataFrame:
    """Return the successful policy-changing calls (``POLICY_CHANGE_EVENTS``) in the window."""
    scope = scope or Scope()
    params = {"names": list(POLICY_CHANGE_EVENTS), "since": scope.since, "until": scope.until}
    return ws.sql(POLICY_CHANGES_SQL, params)


def evidence_window(ws: Any) -> tuple[datetime | None, datetime | None]:
    """Return the first and last event time in the workspace (None, None when empty)."""
    row = ws.sql(WINDOW_SQL).iloc[0]
    if row["events"] == 0:
        return None, None
    return row["first"].to_pydatetime(), row["last"].to_pydatetime()


def has_diagnoses(ws: Any) -> bool:
    """True when the workspace holds a ``diagnoses`` table (``iamlab diagnose`` ran)."""
    return bool(ws.sql(HAS_TABLE_SQL, {"name": "diagnoses"}).iloc[0, 0])


def diagnoses(ws: Any, event_ids: list[str]) -> pd.DataFrame:
    """Return the stored diagnoses of ``event_ids`` (JSON columns as text); empty without any."""
    columns = ["event_id", "reported_cause", "cause", "verdict", "layer", "deciding",
               "missing_keys", "fix"]  # fmt: skip
    if not event_ids or not has_diagnoses(ws):
        return pd.DataFrame(columns=columns)
    latest = ws.sql(HAS_COLUMN_SQL, {"table": "diagnoses", "name": "diagnosed_at"}).iloc[0, 0]
    order = "g.diagnosed_at" if latest else "g.event_id"  # column names from this code only
    return ws.sql(DIAGNOSES_SQL.format(order=order), {"ids": list(event_ids)})
