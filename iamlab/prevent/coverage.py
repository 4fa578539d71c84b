"""Evidence coverage: where the workspace cannot see, so a diagnosis does not over-claim.

"You cannot debug what you cannot see": organization accounts with no
CloudTrail event in the window, (account, Region) pairs that are dark while the
organization works in that Region (successful calls in some account), stretches
of hours in which an account delivered nothing, denials by role sessions whose
issuing AssumeRole is missing (their session policy cannot be known), and,
when the snapshot holds ``accounts/<id>/trails.json``, trails that are not
multi-Region or not logging. Dark means "no evidence here", not "not logged":
an account may simply not use a Region. No AWS calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from iamlab.diagnose import store
from iamlab.diagnose.sessions import SessionIndex
from iamlab.snapshot.files import read_json
from iamlab.snapshot.snapshot import Snapshot
from iamlab.times import parse_time

__all__ = ["Coverage", "account_days", "coverage", "gaps_for"]

HOUR = dt.timedelta(hours=1)
_ACCOUNT = "coalesce(recipient_account_id, account_id)"
_WINDOW = "event_time >= $since AND event_time < $until"
SPAN_SQL = "SELECT min(event_time), max(event_time) FROM events"
PAIRS_SQL = f"""
SELECT {_ACCOUNT} AS account, aws_region, count(*) AS events,
       count(*) FILTER (WHERE error_code IS NULL) AS succeeded
FROM events WHERE {_WINDOW} AND aws_region IS NOT NULL GROUP BY ALL
"""
HOURS_SQL = f"""
SELECT DISTINCT {_ACCOUNT} AS account, date_trunc('hour', event_time) AS hour
FROM events WHERE {_WINDOW} ORDER BY account, hour
"""
DAYS_SQL = f"""
SELECT {_ACCOUNT} AS account, CAST(date_trunc('day', event_time) AS DATE) AS day,
       count(*) AS events
FROM events WHERE {_WINDOW} GROUP BY ALL
"""


@dataclass(frozen=True)
class Coverage:
    """What the evidence of one window covers, and where it is dark (see the module doc)."""

    since: dt.datetime
    until: dt.datetime
    accounts: tuple[str, ...]  # accounts expected: organization, snapshot, and evidence
    dark_accounts: tuple[str, ...]
    dark_regions: tuple[tuple[str, str], ...]  # (account, Region)
    silent: tuple[tuple[str, dt.datetime, dt.datetime], ...]  # (account, from, until)
    missing_sessions: tuple[tuple[str, str], ...]  # (denial event id, session ARN)
    trails: tuple[tuple[str, str, str], ...]  # (account, trail, problem)
    notes: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not (
            self.dark_accounts
            or self.dark_regions
            or self.silent
            or self.missing_sessions
            or self.trails
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["complete"] = self.complete
        return out


def _window(con: Any, since: Any, until: Any) -> tuple[dt.datetime, dt.datetime]:
    start, end = parse_time(since, "since"), parse_time(until, "until")
    if start is None or end is None:
        first, last = con.execute(SPAN_SQL).fetchone()
        first = first or dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        start = start or first.astimezone(dt.timezone.utc).replace(
            minute=0, second=0, microsecond=0
        )
        end = end or (
            last.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0) + HOUR
            if last
            else start
        )
    return start, end


def account_days(
    con: Any, since: Any = None, until: Any = None, accounts: tuple[str, ...] = ()
) -> Any:
    """Return the account x day matrix of event counts as a DataFrame (0 where dark).

    Rows are accounts (``accounts`` first, so organization accounts without any
    event appear as rows of zeros), columns are the UTC days of the window.
    Chart code plots it as a heatmap; nothing here draws.
    """
    import pandas as pd

    start, end = _window(con, since, until)
    counts = con.execute(DAYS_SQL, {"since": start, "until": end}).df()
    days = pd.date_range(start.date(), (end - dt.timedelta(microseconds=1)).date(), freq="D")
    rows = list(dict.fromkeys([*accounts, *sorted(counts["account"].dropna())]))
    matrix = (
        counts.pivot_table(
            index="account", columns="day", values="events", aggfunc="sum", fill_value=0
        )
        if len(counts)
        else pd.DataFrame()
    )
    matrix.columns = pd.to_datetime(matrix.columns)
    matrix = matrix.reindex(index=rows, columns=days, fill_value=0).astype("int64")
    matrix.index.name, matrix.columns.name = "account", "day"
    return matrix


def _silent(
    con: Any, start: dt.datetime, end: dt.datetime, accounts: set[str], min_hours: int
) -> list[tuple[str, dt.datetime, dt.datetime]]:
    seen: dict[str, list[dt.datetime]] = {}
    for account, hour in con.execute(HOURS_SQL, {"since": start, "until": end}).fetchall():
        if account in accounts:
            seen.setdefault(account, []).append(hour.astimezone(dt.timezone.utc))
    out = []
    for account, hours in sorted(seen.items()):
        edges = [start - HOUR, *hours, end]
        for before, after in zip(edges[:-1], edges[1:], strict=True):
            gap_from, gap_to = max(before + HOUR, start), after
            if gap_to - gap_from >= min_hours * HOUR:
                out.append((account, gap_from, gap_to))
    return out


def _missing_sessions(
    con: Any,
    start: dt.datetime,
    end: dt.datetime,
) -> tuple[list[tuple[str, str]], SessionIndex]:
    records = store.denial_records(con, None, start, end)
    sessions = SessionIndex(store.issuing_records(con, records))
    out = []
    for record, _parsed in records:
        session = _session_arn(record)
        if session and sessions.find(_key(record), session, record.get("eventTime")) is None:
            out.append((str(record.get("eventID")), session))
    return out, sessions


def _session_arn(record: Mapping[str, Any]) -> str | None:
    ui = record.get("userIdentity")
    if isinstance(ui, dict) and ui.get("type") == "AssumedRole" and isinstance(ui.get("arn"), str):
        return ui["arn"]
    return None


def _key(record: Mapping[str, Any]) -> str | None:
    ui = record.get("userIdentity")
    key = ui.get("accessKeyId") if isinstance(ui, dict) else None
    return key if isinstance(key, str) else None


def trail_problems(snap: Snapshot) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return (account, trail, problem) for trails not multi-Region or not logging, and notes.

    Reads ``accounts/<id>/trails.json`` (``aws cloudtrail describe-trails``) and
    ``accounts/<id>/trail-status/<name>.json`` (``aws cloudtrail
    get-trail-status --name <name>``). An organization trail covers every member.
    """
    problems, notes, org_trail = [], [], False
    collected = [a for a in snap.accounts if (snap.root / "accounts" / a / "trails.json").is_file()]
    for account in collected:
        folder = snap.root / "accounts" / account
        data = read_json(folder / "trails.json")
        trails = data.get("trailList") if isinstance(data, dict) else None
        for trail in trails if isinstance(trails, list) else []:
            if not isinstance(trail, dict) or trail.get("HomeRegion") is None:
                continue
            name = str(trail.get("Name") or trail.get("TrailARN"))
            status_path = folder / "trail-status" / f"{name}.json"
            status = read_json(status_path) if status_path.is_file() else None
            logging = status.get("IsLogging") if isinstance(status, dict) else None
            if not trail.get("IsMultiRegionTrail"):
                problems.append(
                    (
                        account,
                        name,
                        f"single-Region trail (home "
                        f"{trail.get('HomeRegion')}): other Regions are not logged",
                    )
                )
            if logging is False:
                problems.append((account, name, "not logging (get-trail-status IsLogging false)"))
            elif logging is None:
                notes.append(f"trail {name} of {account}: no trail-status; logging unknown")
            org_trail |= bool(
                trail.get("IsOrganizationTrail") and logging and trail.get("IsMultiRegionTrail")
            )
        if not trails:
            problems.append((account, "-", "no trail in describe-trails"))
    if org_trail:
        problems = [p for p in problems if p[1] != "-"]
    missing = sorted(set(snap.accounts) - set(collected))
    if missing:
        notes.append(f"trails not in the snapshot for {', '.join(missing)}: not checked")
    return problems, notes


def coverage(
    con: Any,
    snapshot: Snapshot | None = None,
    since: Any = None,
    until: Any = None,
    min_silent_hours: int = 6,
) -> Coverage:
    """Return the coverage of the workspace behind ``con`` in the window.

    ``since``/``until`` default to the first and last event's hours. Without a
    snapshot the organization's accounts and trails are unknown (said in
    ``notes``). ``min_silent_hours`` is the shortest stretch without events
    reported per account. Raises InputError for a bad time.
    """
    start, end = _window(con, since, until)
    pairs = con.execute(PAIRS_SQL, {"since": start, "until": end}).fetchall()
    seen = {a for a, *_ in pairs if a}
    expected: set[str] = set(seen)
    notes: list[str] = []
    trails: list[tuple[str, str, str]] = []
    if snapshot is None:
        notes.append("no snapshot: the organization's accounts and trails are unknown")
    else:
        org = snapshot.organization
        members = {n for n in (org.parents if org else {}) if n.isdigit()}
        expected |= members | set(snapshot.accounts)
        trails, trail_notes = trail_problems(snapshot)
        notes += trail_notes
    working = {r for _a, r, _n, ok in pairs if ok}
    present = {(a, r) for a, r, *_ in pairs}
    dark_regions = sorted((a, r) for a in seen & expected for r in working if (a, r) not in present)
    missing, _ = _missing_sessions(con, start, end)
    return Coverage(
        since=start,
        until=end,
        accounts=tuple(sorted(expected)),
        dark_accounts=tuple(sorted(expected - seen)),
        dark_regions=tuple(dark_regions),
        silent=tuple(_silent(con, start, end, expected, min_silent_hours)),
        missing_sessions=tuple(missing),
        trails=tuple(trails),
        notes=tuple(notes),
    )


def gaps_for(record: Mapping[str, Any], cov: Coverage, sessions: SessionIndex) -> list[str]:
    """Return what missing evidence a diagnosis of ``record`` depends on (empty: none).

    Meant for the diagnosis (``diagnose_all`` would add these to each
    Diagnosis's reasons): the issuing AssumeRole of its session, a silent
    stretch around it in its account, and its account's trail problems.
    """
    out = []
    session = _session_arn(record)
    if session and sessions.find(_key(record), session, record.get("eventTime")) is None:
        out.append(
            f"the AssumeRole that issued {session} is not in the evidence: a session "
            "policy it may have passed is unknown"
        )
    when = parse_time(record.get("eventTime"), "eventTime")
    account = record.get("recipientAccountId") or (record.get("userIdentity") or {}).get(
        "accountId"
    )
    for acct, gap_from, gap_to in cov.silent:
        if acct == account and when and gap_from - HOUR <= when <= gap_to + HOUR:
            out.append(
                f"account {acct} delivered no events {gap_from:%Y-%m-%d %H:%M} to "
                f"{gap_to:%Y-%m-%d %H:%M} UTC: context events may be missing"
            )
    out += [
        f"trail {name} of {acct}: {problem}"
        for acct, name, problem in cov.trails
        if acct == account
    ]
    return out
