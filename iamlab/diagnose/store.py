"""The workspace side of diagnosis: read denials and issuing events, write ``diagnoses``.

SQL lives here as named constants with bound parameters; table and column
names come from this code, never from input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from iamlab.denials import FIELDS, ParsedDenial, frame
from iamlab.diagnose.sessions import ISSUING_EVENTS

# events column -> CloudTrail record key (the parts a replay reads)
RECORD_COLUMNS = {
    "event_id": "eventID",
    "event_time": "eventTime",
    "event_source": "eventSource",
    "event_name": "eventName",
    "aws_region": "awsRegion",
    "error_code": "errorCode",
    "error_message": "errorMessage",
    "source_ip": "sourceIPAddress",
    "recipient_account_id": "recipientAccountId",
    "vpc_endpoint_id": "vpcEndpointId",
    "vpc_endpoint_account_id": "vpcEndpointAccountId",
}
JSON_COLUMNS = {
    "user_identity": "userIdentity",
    "request_parameters": "requestParameters",
    "response_elements": "responseElements",
    "resources": "resources",
    "tls_details": "tlsDetails",
}
_COLUMNS = ", ".join([*RECORD_COLUMNS, *JSON_COLUMNS])

RECORDS_SQL = f"""
SELECT {_COLUMNS}, source, source_position FROM events
WHERE event_id IN (SELECT unnest($ids))
"""
ISSUING_SQL = f"""
SELECT {_COLUMNS} FROM events
WHERE event_name IN (SELECT unnest($names)) AND error_code IS NULL
  AND (json_extract_string(response_elements, '$.credentials.accessKeyId')
           IN (SELECT unnest($keys))
       OR coalesce(json_extract_string(response_elements, '$.assumedRoleUser.arn'),
                   json_extract_string(response_elements, '$.federatedUser.arn'))
           IN (SELECT unnest($arns)))
ORDER BY event_time, event_id
"""  # event_id breaks ties: a cross-account AssumeRole is logged twice at the same second

CREATE_SQL = """
CREATE TABLE IF NOT EXISTS diagnoses (
    event_id VARCHAR,
    event_time TIMESTAMPTZ,
    principal VARCHAR,
    action VARCHAR,
    resource VARCHAR,
    reported_cause VARCHAR,
    cause VARCHAR,
    verdict VARCHAR,
    layer VARCHAR,
    deciding JSON,
    near_miss JSON,
    missing_keys JSON,
    fix JSON,
    reasons JSON,
    snapshot VARCHAR,
    snapshot_caller VARCHAR,
    snapshot_time TIMESTAMPTZ,
    diagnosed_at TIMESTAMPTZ
)
"""
# The denials with the cause their latest replay found (iamlab.denials reads it
# when present: `iamlab denials --cause resource-arn`).
VIEW_SQL = """
CREATE OR REPLACE VIEW diagnosed_denials AS
WITH latest AS (
    SELECT event_id, cause AS diagnosed_cause, verdict
    FROM diagnoses
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY diagnosed_at DESC) = 1
)
SELECT d.* EXCLUDE (cause), coalesce(l.diagnosed_cause, d.cause) AS cause,
       d.cause AS reported_cause, l.verdict
FROM denials d LEFT JOIN latest l USING (event_id)
"""
DELETE_SQL = """
DELETE FROM diagnoses WHERE snapshot = $snapshot AND event_id IN (SELECT unnest($ids))
"""
INSERT_SQL = """
INSERT INTO diagnoses SELECT event_id, event_time, principal, action, resource, reported_cause,
    cause, verdict, layer, deciding::JSON, near_miss::JSON, missing_keys::JSON, fix::JSON,
    reasons::JSON, snapshot, snapshot_caller, snapshot_time, diagnosed_at
FROM rows
"""


def _record(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, key in RECORD_COLUMNS.items():
        value = row.get(column)
        if isinstance(value, datetime):
            value = value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out[key] = value
    for column, key in JSON_COLUMNS.items():
        value = row.get(column)
        try:
            out[key] = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            out[key] = None  # a column DuckDB stored as JSON always parses; kept defensive
    return out


def _rows(con: Any, sql: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    while True:
        batch = cursor.fetchmany(10_000)
        if not batch:
            return
        for values in batch:
            yield dict(zip(names, values, strict=True))


def denial_records(
    con: Any,
    principal: Any = None,
    since: Any = None,
    until: Any = None,
    event_id: str | None = None,
) -> list[tuple[dict[str, Any], ParsedDenial]]:
    """Return (CloudTrail record, parsed message) for every denial matching the filters."""
    found = frame(con, principal=principal, since=since, until=until)
    if "reported_cause" in found.columns:
        # A workspace diagnosed before: `cause` is the last diagnosis's, not the message's.
        found["cause"] = found["reported_cause"]
    if event_id is not None:
        found = found[found["event_id"] == event_id]
    # Keyed by record, not event id: records that share an id with other content
    # (the loader's conflicts) are two denials.
    parsed: dict[tuple[str, str, str], ParsedDenial] = {}
    for row in found[["event_id", "source", "source_position", *FIELDS]].itertuples(index=False):
        values = row._asdict()
        fields: dict[str, Any] = {f: (None if _missing(values[f]) else values[f]) for f in FIELDS}
        fields["is_denial"] = True
        key = (values["event_id"], values["source"], values["source_position"])
        parsed[key] = ParsedDenial(**fields)
    records = {
        (row["event_id"], row["source"], row["source_position"]): _record(row)
        for row in _rows(con, RECORDS_SQL, {"ids": sorted({k[0] for k in parsed})})
    }
    return [(records[k], parsed[k]) for k in parsed if k in records]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def issuing_records(
    con: Any, records: list[tuple[dict[str, Any], Any]]
) -> Iterator[dict[str, Any]]:
    """Yield the successful AssumeRole*/GetFederationToken records that issued the sessions
    of ``records`` (matched by access key id or session ARN)."""
    keys, arns = set(), set()
    for record, _parsed in records:
        ui = record.get("userIdentity")
        if isinstance(ui, dict):
            if isinstance(ui.get("accessKeyId"), str):
                keys.add(ui["accessKeyId"])
            if isinstance(ui.get("arn"), str):
                arns.add(ui["arn"])
    params = {"names": list(ISSUING_EVENTS), "keys": sorted(keys), "arns": sorted(arns)}
    for row in _rows(con, ISSUING_SQL, params):
        yield _record(row)


EVIDENCE_SQL = """
SELECT DISTINCT event_source, event_name, aws_region,
       coalesce(json_extract_string(resources, '$[0].ARN'),
                CASE WHEN event_source = 's3.amazonaws.com'
                          AND json_extract_string(request_parameters, '$.bucketName') IS NOT NULL
                     THEN 'arn:aws:s3:::'
                          || json_extract_string(request_parameters, '$.bucketName')
                          || coalesce('/' || json_extract_string(request_parameters, '$.key'), '')
                END) AS resource
FROM events
WHERE event_source IS NOT NULL AND event_name IS NOT NULL
"""
PRINCIPALS_SQL = "SELECT DISTINCT principal_arn FROM events WHERE principal_arn IS NOT NULL"


def evidence(con: Any) -> tuple[list[tuple[str, str, str | None, str]], list[str]]:
    """Return the distinct (source, name, region, resource ARN) calls and principal ARNs seen."""
    calls = con.execute(EVIDENCE_SQL).fetchall()
    principals = [r[0] for r in con.execute(PRINCIPALS_SQL).fetchall()]
    return calls, principals


def save(con: Any, rows: list[dict[str, Any]], snapshot: Any) -> None:
    """Store ``Diagnosis.to_dict()`` rows, replacing earlier ones for the same snapshot."""
    import pandas as pd

    con.execute(CREATE_SQL)
    con.execute(VIEW_SQL)
    manifest = snapshot.manifest
    caller = manifest.get("caller")
    caller = caller.get("Arn") if isinstance(caller, dict) else caller
    created = manifest.get("created")
    now = datetime.now(timezone.utc)
    table = pd.DataFrame(
        [
            {
                **{
                    k: r[k]
                    for k in (
                        "event_id",
                        "principal",
                        "action",
                        "resource",
                        "reported_cause",
                        "cause",
                        "verdict",
                        "layer",
                    )
                },
                "event_time": r["event_time"],
                "deciding": json.dumps(r["deciding"]),
                "near_miss": json.dumps(r["near_miss"]),
                "missing_keys": json.dumps(r["missing_keys"]),
                "fix": json.dumps(r["fix"]),
                "reasons": json.dumps(r["reasons"]),
                "snapshot": str(snapshot.root),
                "snapshot_caller": None if caller is None else str(caller),
                "snapshot_time": created,
                "diagnosed_at": now,
            }
            for r in rows
        ],
        columns=[
            "event_id",
            "principal",
            "action",
            "resource",
            "reported_cause",
            "cause",
            "verdict",
            "layer",
            "event_time",
            "deciding",
            "near_miss",
            "missing_keys",
            "fix",
            "reasons",
            "snapshot",
            "snapshot_caller",
            "snapshot_time",
            "diagnosed_at",
        ],
    )
    table["event_time"] = pd.to_datetime(table["event_time"], utc=True)
    table["snapshot_time"] = pd.to_datetime(table["snapshot_time"], utc=True, errors="coerce")
    con.execute(DELETE_SQL, {"snapshot": str(snapshot.root), "ids": list(table["event_id"])})
    con.register("rows", table)
    try:
        con.execute(INSERT_SQL)
    finally:
        con.unregister("rows")
