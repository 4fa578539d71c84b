"""The denial search, pushed down to where the trail lives: one SQL, three engines.

``denials.sql`` (DuckDB, as the workspace runs it over ``events``) is the one
source. A pushed-down query wraps it: an ``events`` CTE maps the CloudTrail
table's columns (AWS's Athena DDL, aws-facts 3.4, or a Lake event data store,
3.3) to the workspace's names, the two views become CTEs, and the columns a
record needs back are carried through them. The result is the *DuckDB twin*
(it runs on any relation shaped like the CloudTrail table, e.g. ``twin_table``
over a workspace) and, transpiled by sqlglot, Athena's and Lake's SQL (Trino).

Where DuckDB and Trino functions differ in meaning, ``_to_trino`` rewrites the
call into a Trino expression with DuckDB's meaning (the list is in its
docstring). Values (accounts, Regions, principals, times) are checked against
their AWS form first and then written as escaped literals: Lake takes no bound
parameters, and the checks leave no quote to escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlglot
from sqlglot import exp

from iamlab.denials.sql import render
from iamlab.errors import InputError
from iamlab.times import parse_time

# Columns of AWS's CloudTrail table for Athena (aws-facts 3.4) that rebuild a
# record; the struct ones come back as JSON text.
RECORD_COLUMNS = (
    "eventversion", "useridentity", "eventtime", "eventsource", "eventname", "awsregion",
    "sourceipaddress", "useragent", "errorcode", "errormessage", "requestparameters",
    "responseelements", "additionaleventdata", "requestid", "eventid", "resources", "eventtype",
    "apiversion", "readonly", "recipientaccountid", "serviceeventdetails", "sharedeventid",
    "vpcendpointid", "eventcategory", "tlsdetails",
)  # fmt: skip
STRUCT_COLUMNS = ("useridentity", "resources", "tlsdetails")
# The parsed message fields sent back with each denial (the bulk classifier's output).
PARSED_COLUMNS = ("cause", "action", "resource", "policy_type", "deny", "policy_arn")

# The workspace columns denials.sql reads, over the CloudTrail table (DuckDB dialect).
EVENTS_FROM_TABLE = {
    "event_id": "eventid",
    "event_time": "eventtime",
    "principal_arn": "useridentity.arn",
    "event_source": "eventsource",
    "event_name": "eventname",
    "aws_region": "awsregion",
    "account_id": "useridentity.accountid",
    "recipient_account_id": "recipientaccountid",
    "error_code": "errorcode",
    "error_message": "errormessage",
    "source": "CAST(NULL AS VARCHAR)",
    "source_position": "CAST(NULL AS VARCHAR)",
}

# Sessions are issued by these calls (their responseElements.credentials.accessKeyId
# is the session's userIdentity.accessKeyId; diagnose/sessions.py reads them the
# same way), at most 36 hours before the calls made with them.
ISSUING_EVENTS = (
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "GetFederationToken",
)
MAX_SESSION = timedelta(hours=36)
STS_HOME_REGION = "us-east-1"  # where the global STS endpoint records its calls

ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/-]{1,512}$")
ACCESS_KEY = re.compile(r"^[A-Z0-9]{16,128}$")
ENGINES = ("duckdb", "athena", "lake")
# Athena: [database.]table (Glue names); Lake: an event data store id (the ARN's last
# part), written as is, since Lake's own examples leave it unquoted (aws-facts 3.3).
TABLE_NAME = {
    "duckdb": re.compile(r"^[a-z_][a-z0-9_]*$"),
    "athena": re.compile(r"^[a-z0-9_]{1,255}(\.[a-z0-9_]{1,255})?$"),
    "lake": re.compile(r"^[A-Za-z0-9-]{1,128}$"),
}
_TABLE = "iamlab_source_table"  # stands for the table while sqlglot reads and writes the query


def _table(engine: str, table: str) -> str:
    if engine not in ENGINES:
        raise InputError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    if not TABLE_NAME[engine].match(table or ""):
        what = "an event data store id" if engine == "lake" else "a [database.]table name"
        raise InputError(f"{table!r} is not {what} for {engine}")
    return table


@dataclass(frozen=True)
class Scope:
    """What an investigation asks for: a window, and optionally accounts, Regions, principals.

    ``since`` is inclusive, ``until`` exclusive (as everywhere in iamlab).
    Accounts and Regions select partitions (the account whose trail recorded
    the event, and the Region); principals match the event's ARN or the one
    the message names, as ``Workspace.denials(principal=...)`` does.
    """

    since: datetime
    until: datetime
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    principals: tuple[str, ...] = ()

    def days(self) -> list[str]:
        """The ``yyyy/MM/dd`` partitions the window touches."""
        day = self.since.date()
        out = []
        while datetime(day.year, day.month, day.day, tzinfo=timezone.utc) < self.until:
            out.append(day.strftime("%Y/%m/%d"))
            day += timedelta(days=1)
        return out


def scope(
    since,
    until,
    accounts: Iterable[str] = (),
    regions: Iterable[str] = (),
    principals: Iterable[str] = (),
) -> Scope:
    """Return a checked ``Scope``; raise InputError naming any value not in its AWS form."""
    s, u = parse_time(since, "since"), parse_time(until, "until")
    if s is None or u is None:
        raise InputError(
            "a pushed-down search needs both since and until (a bounded window "
            "is what keeps the scan small), e.g. --since 2026-03-10 --until "
            "2026-03-17"
        )
    if s >= u:
        raise InputError(f"since ({s.isoformat()}) is not before until ({u.isoformat()})")
    checks = (
        (accounts, ACCOUNT, "account id", "12 digits"),
        (regions, REGION, "Region", "like eu-west-1"),
        (
            principals,
            PRINCIPAL,
            "principal ARN",
            "an IAM or STS ARN such as arn:aws:iam::111122223333:user/alice",
        ),
    )
    for values, pattern, what, form in checks:
        for v in values:
            if not pattern.match(str(v)):
                raise InputError(f"not an {what}: {str(v)[:80]!r}; expected {form}")
    return Scope(
        s,
        u,
        tuple(sorted(set(accounts))),
        tuple(sorted(set(regions))),
        tuple(sorted(set(principals))),
    )


@dataclass
class Pushdown:
    """One generated query: the DuckDB twin and the SQL the engine runs."""

    engine: str
    duckdb: str
    sql: str
    partitions: list[tuple[str, str, str]] = field(default_factory=list)  # account, region, day


# --- building ------------------------------------------------------------------------------------


def _lit(value: str) -> str:
    return exp.Literal.string(value).sql("duckdb")


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time_filter(engine: str, since: datetime, until: datetime) -> str:
    # Athena's eventtime is CloudTrail's ISO text (always ...Z), so text order is time
    # order; Lake's is a timestamp (aws-facts 3.3).
    if engine == "lake":
        fmt = "%Y-%m-%d %H:%M:%S"
        return (
            f"eventtime >= TIMESTAMP '{since.strftime(fmt)}' "
            f"AND eventtime < TIMESTAMP '{until.strftime(fmt)}'"
        )
    return f"eventtime >= {_lit(_iso(since))} AND eventtime < {_lit(_iso(until))}"


def _partition_filter(sc: Scope, days: list[str]) -> str:
    """Partition predicates for projection: account, region and timestamp (yyyy/MM/dd)."""
    parts = [f'"timestamp" IN ({", ".join(_lit(d) for d in days)})']
    if sc.accounts:
        parts.append(f"account IN ({', '.join(_lit(a) for a in sc.accounts)})")
    if sc.regions:
        parts.append(f"region IN ({', '.join(_lit(r) for r in sc.regions)})")
    return " AND ".join(parts)


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(_lit(v) for v in values)})"


def _source(engine: str, table: str, sc: Scope, carried: list[str]) -> str:
    """The ``events`` CTE: the table's rows in the window, with the workspace's names."""
    cols = [f"{expr} AS {name}" for name, expr in EVENTS_FROM_TABLE.items()] + carried
    where = [
        _time_filter(engine, sc.since, sc.until),
        "(errorcode IS NOT NULL OR errormessage IS NOT NULL)",
    ]
    if engine == "lake":
        if sc.accounts:
            where.append(_in("recipientaccountid", sc.accounts))
        if sc.regions:
            where.append(_in("awsregion", sc.regions))
    else:
        where.insert(0, _partition_filter(sc, sc.days()))
    return f"SELECT {', '.join(cols)} FROM {table} WHERE {' AND '.join(where)}"


def _carried(engine: str) -> tuple[list[str], list[str]]:
    """Columns carried through the views: (in the source CTE, in the final select)."""
    if engine == "lake":  # Lake keeps the original record (aws-facts 3.3)
        return ["eventjson"], ["eventjson"]
    # From memory (Trino's JSON functions page, not in aws-facts): Trino casts a ROW with
    # named fields to a JSON object and an ARRAY to a JSON array, so the structs come back
    # as JSON text that trail.lake reads; Trino's own ``{a=1}`` rendering is read as well.
    final = [f"CAST({c} AS JSON) AS {c}" if c in STRUCT_COLUMNS else c for c in RECORD_COLUMNS]
    return list(RECORD_COLUMNS), final


def _view_bodies() -> dict[str, exp.Expression]:
    bodies = {}
    for statement in render():
        tree = sqlglot.parse_one(statement, read="duckdb")
        bodies[tree.this.name] = tree.expression  # CREATE VIEW <name> AS <query>
    return bodies


def _carry(query: exp.Expression, columns: list[str]) -> exp.Expression:
    """Pass ``columns`` through every explicit projection list that passes ``source_position``."""
    for select in query.find_all(exp.Select):
        names = {e.alias_or_name for e in select.expressions}
        if "source_position" in names and not any(
            isinstance(e, exp.Star) for e in select.expressions
        ):
            for col in columns:
                if col not in names:
                    select.expressions.append(exp.column(col))
    return query


def denial_query(engine: str, table: str, sc: Scope) -> Pushdown:
    """Return the denial search over ``table`` for ``engine`` (duckdb, athena or lake).

    The query returns one row per denial in the scope: the columns that
    rebuild its record (Lake: ``eventjson``) and the parsed message fields
    (``PARSED_COLUMNS``). ``table`` comes from code or a checked name, never raw input.
    """
    table = _table(engine, table)
    inner, final = _carried(engine)
    bodies = _view_bodies()
    source = sqlglot.parse_one(_source(engine, _TABLE, sc, inner), read="duckdb")
    ctes = [("events", source)] + [(name, _carry(body, inner)) for name, body in bodies.items()]
    where = ""
    if sc.principals:
        where = f" WHERE {_in('principal_arn', sc.principals)} OR {_in('principal', sc.principals)}"
    outer = f"SELECT {', '.join(final + list(PARSED_COLUMNS))} FROM denials{where}"
    query: Any = sqlglot.parse_one(outer, read="duckdb")  # sqlglot's stubs lag its API
    for name, body in ctes:
        query = query.with_(name, as_=body)
    days = sc.days()
    parts = [(a, r, d) for a in sc.accounts for r in sc.regions for d in days]
    return _pushdown(engine, table, query, parts)


def _pushdown(engine: str, table: str, query: Any, parts: list) -> Pushdown:
    twin = query.sql("duckdb", pretty=True, comments=False).replace(_TABLE, table)
    return Pushdown(engine, twin, _trino(query, engine).replace(_TABLE, table), parts)


def context_query(
    engine: str, table: str, sc: Scope, denials: list[dict], minutes: int
) -> Pushdown | None:
    """The context of ``denials`` (CloudTrail records): None when there is none to fetch.

    Every call of the same principals within ``minutes`` of one of their
    denials, and the events that issued their sessions (matched on the access
    key id, up to ``MAX_SESSION`` before the window, in the session issuer's
    account and in the Regions searched plus us-east-1).
    """
    table = _table(engine, table)
    if minutes < 0:
        raise InputError(f"--context-minutes must be 0 or more (got {minutes})")
    pad = timedelta(minutes=minutes)
    windows: dict[str, list[tuple[datetime, datetime]]] = {}
    keys, issuers = set(), set()
    for record in denials:
        if not isinstance(record, dict):  # an unreadable row: nothing to follow
            continue
        found = record.get("userIdentity")
        ident: dict[str, Any] = found if isinstance(found, dict) else {}
        arn, key = ident.get("arn"), ident.get("accessKeyId")
        try:
            when = parse_time(record.get("eventTime"), "eventTime")
        except InputError:
            when = None
        if isinstance(arn, str) and PRINCIPAL.match(arn) and when is not None:
            windows.setdefault(arn, []).append((when - pad, when + pad))
        issuer = (ident.get("sessionContext") or {}).get("sessionIssuer") or {}
        issuer_account = issuer.get("accountId")
        if isinstance(key, str) and ACCESS_KEY.match(key) and key.startswith("ASIA"):
            keys.add(key)
            if isinstance(issuer_account, str) and ACCOUNT.match(issuer_account):
                issuers.add(issuer_account)
    if not windows and not keys:
        return None
    calls = []
    for arn, spans in sorted(windows.items()):
        merged = _merge(spans)
        times = " OR ".join(f"({_time_filter(engine, a, b)})" for a, b in merged)
        calls.append(f"(useridentity.arn = {_lit(arn)} AND ({times}))")
    start = min(a for spans in windows.values() for a, _ in spans) if windows else sc.since
    end = max(b for spans in windows.values() for _, b in spans) if windows else sc.until
    call_scope = Scope(start, end, sc.accounts, sc.regions)
    issue_scope = Scope(
        sc.since - MAX_SESSION,
        sc.until,
        tuple(sorted(issuers)) or sc.accounts,
        tuple(sorted(set(sc.regions) | {STS_HOME_REGION})) if sc.regions else (),
    )
    key_path = "'$.credentials.accessKeyId'"
    parts = []
    if calls:
        parts.append(f"({_scope_filter(engine, call_scope)} AND ({' OR '.join(calls)}))")
    if keys:
        parts.append(
            f"({_scope_filter(engine, issue_scope)} AND {_in('eventname', ISSUING_EVENTS)} AND "
            f"json_extract_string(responseelements, {key_path}) IN "
            f"({', '.join(_lit(k) for k in sorted(keys))}))"
        )
    inner, final = _carried(engine)
    if engine == "lake":
        # Lake's responseelements is a map<string,string> (aws-facts 3.3): read the key id
        # from the original record instead.
        parts = [
            p.replace("json_extract_string(responseelements,", "json_extract_string(eventjson,")
            for p in parts
        ]
        parts = [p.replace(key_path, "'$.responseElements.credentials.accessKeyId'") for p in parts]
    query: Any = sqlglot.parse_one(
        f"SELECT {', '.join(final)} FROM {_TABLE} WHERE " + " OR ".join(parts), read="duckdb"
    )
    days = sorted(set(call_scope.days()) | set(issue_scope.days() if keys else []))
    accounts = sorted(set(call_scope.accounts) | set(issue_scope.accounts))
    regions = sorted(set(call_scope.regions) | set(issue_scope.regions))
    parts_touched = [(a, r, d) for a in accounts for r in regions for d in days]
    return _pushdown(engine, table, query, parts_touched)


def _scope_filter(engine: str, sc: Scope) -> str:
    if engine == "lake":
        out = [_time_filter(engine, sc.since, sc.until)]
        if sc.accounts:
            out.append(_in("recipientaccountid", sc.accounts))
        if sc.regions:
            out.append(_in("awsregion", sc.regions))
        return " AND ".join(out)
    return _partition_filter(sc, sc.days()) + " AND " + _time_filter(engine, sc.since, sc.until)


def _merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


# --- DuckDB -> Trino ---------------------------------------------------------------------------


def _anon(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _to_trino(node: Any) -> Any:
    """Rewrite one DuckDB call whose Trino namesake means something else (or is missing).

    - ``contains(s, t)`` (a substring test; Trino's is for arrays): ``strpos(s, t) > 0``;
    - ``strlen(s)`` (bytes): ``length(to_utf8(s))``;
    - ``split_part(s, sep, -1)`` (Trino wants an index >= 1): ``element_at(split(s, sep), -1)``;
    - ``ends_with(s, t)`` (not in Trino): ``substr(s, -length(t)) = t`` (t is never empty here);
    - ``regexp_extract`` (DuckDB gives '' where Trino gives NULL, for no match or a group
      that took no part): NULL only for a NULL input, else coalesced to '';
    - ``regexp_full_match(s, re)``: ``regexp_like(s, '(?s)\\A(?:re)\\z')`` (the grammar's
      patterns put ``(?s)`` first and use no ``$``: grammar.py).

    sqlglot itself writes ``left`` as ``substr(s, 1, n)``, ``ltrim(s, chars)`` as
    ``trim(LEADING chars FROM s)`` and ``regexp_matches`` as ``regexp_like``. From memory
    (Trino's string and regexp function pages; no Trino runs here): ``element_at`` with a
    negative index counts from the end, ``trim(chars FROM s)`` removes any of ``chars``,
    and Trino's default regex library (Joni, Java syntax) reads ``\\A``, ``\\z`` and ``(?s)``.
    """
    if isinstance(node, exp.Contains):
        return exp.GT(
            this=_anon("STRPOS", node.this, node.expression), expression=exp.Literal.number(0)
        )
    if isinstance(node, exp.Anonymous) and node.name.upper() == "STRLEN":
        return _anon("LENGTH", _anon("TO_UTF8", *node.expressions))
    if isinstance(node, exp.SplitPart) and node.args["part_index"].sql() == "-1":
        return _anon(
            "ELEMENT_AT", _anon("SPLIT", node.this, node.args["delimiter"]), exp.Literal.number(-1)
        )
    if isinstance(node, exp.EndsWith):
        t = node.expression
        return exp.EQ(
            this=_anon("SUBSTR", node.this, exp.Neg(this=_anon("LENGTH", t.copy()))),
            expression=t.copy(),
        )
    if isinstance(node, exp.RegexpExtract):
        return exp.If(
            this=exp.Is(this=node.this.copy(), expression=exp.Null()),
            true=exp.Null(),
            false=exp.Coalesce(this=node.copy(), expressions=[exp.Literal.string("")]),
        )
    if isinstance(node, exp.RegexpFullMatch):
        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise ValueError("regexp_full_match needs a literal pattern to rewrite for Trino")
        text, flags = pattern.this, ""
        if text.startswith("(?s)"):
            flags, text = "(?s)", text[4:]
        return exp.RegexpLike(
            this=node.this, expression=exp.Literal.string(f"{flags}\\A(?:{text})\\z")
        )
    return node


def _trino(query: Any, engine: str) -> str:
    """The query in Trino's dialect (Athena engine 3, CloudTrail Lake), via ``_to_trino``."""
    if engine == "duckdb":
        return query.sql("duckdb", pretty=True, comments=False)
    tree = query.copy()
    for cte in tree.find_all(exp.CTE):
        cte.set("materialized", None)
    for node in reversed(list(tree.walk())):  # children first: a rewrite sees rewritten args
        new = _to_trino(node)
        if new is not node:
            node.replace(new)
    return tree.sql("trino", pretty=True, comments=False)


# The CloudTrail table for Athena (aws-facts 3.4) as a DuckDB view over a workspace's
# ``events``: what the twin queries run on. Partitions: account, region, timestamp.
_IDENTITY = (
    '{"type":"VARCHAR","principalId":"VARCHAR","arn":"VARCHAR","accountId":"VARCHAR",'
    '"accessKeyId":"VARCHAR","userName":"VARCHAR","invokedBy":"VARCHAR",'
    '"sessionContext":{"sessionIssuer":{"type":"VARCHAR","principalId":"VARCHAR",'
    '"arn":"VARCHAR","accountId":"VARCHAR","userName":"VARCHAR"},'
    '"attributes":{"creationDate":"VARCHAR","mfaAuthenticated":"VARCHAR"}}}'
)
TWIN_TABLE_SQL = f"""
CREATE OR REPLACE TEMP VIEW {{name}} AS
SELECT event_version AS eventversion,
       json_transform(user_identity, '{_IDENTITY}') AS useridentity,
       strftime(event_time AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS eventtime,
       event_source AS eventsource, event_name AS eventname, aws_region AS awsregion,
       source_ip AS sourceipaddress, user_agent AS useragent,
       error_code AS errorcode, error_message AS errormessage,
       request_parameters::VARCHAR AS requestparameters,
       response_elements::VARCHAR AS responseelements,
       additional_event_data::VARCHAR AS additionaleventdata,
       request_id AS requestid, event_id AS eventid,
       json_transform(resources, '[{{"ARN":"VARCHAR","accountId":"VARCHAR","type":"VARCHAR"}}]')
           AS resources,
       event_type AS eventtype, NULL::VARCHAR AS apiversion, read_only::VARCHAR AS readonly,
       recipient_account_id AS recipientaccountid,
       service_event_details::VARCHAR AS serviceeventdetails,
       shared_event_id AS sharedeventid, vpc_endpoint_id AS vpcendpointid,
       event_category AS eventcategory,
       json_transform(tls_details, '{{"tlsVersion":"VARCHAR","cipherSuite":"VARCHAR",
                                     "clientProvidedHostHeader":"VARCHAR"}}') AS tlsdetails,
       recipient_account_id AS account, aws_region AS region,
       strftime(event_time AT TIME ZONE 'UTC', '%Y/%m/%d') AS "timestamp"
FROM events
"""


def twin_table(con, name: str = "cloudtrail_twin") -> str:
    """Create a TEMP view ``name`` shaped like Athena's CloudTrail table over ``events``."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise InputError(f"not a table name: {name!r}")
    con.execute(TWIN_TABLE_SQL.replace("{name}", name))
    return name
