"""The loader's SQL, as named constants (table and column names come from here, never from input).

Every batch, whatever format it came from, is first turned into a relation of
``(x RECORD, r JSON, is_object BOOLEAN, source, source_position)`` where ``x``
is the record typed with one explicit schema (``RECORD_TYPE``: no
auto-detection). ``STAGE`` then derives the columns, marks records it must
reject or filter, and the inserts move it on. Values (file lists, times,
accounts) are always bound parameters.

S3 log files are parsed once: ``read_json`` with ``records = true`` types each
``Records`` element straight into ``RECORD_TYPE`` (measured 7x faster than
the same schema without ``records``, and about 3x faster than the earlier
read_json_objects + json_extract + json_transform, which parsed every record
three times). Their ``r`` is NULL: the events table keeps a pointer (``source``,
``source_position``) instead of the raw text, and ``Workspace.raw`` re-reads
it, including top-level keys that RECORD_TYPE does not name. Records decoded
in Python (lookup-events, Lake, NDJSON, salvaged files) keep their raw JSON.
"""

from __future__ import annotations

# Top-level CloudTrail keys kept as text (times and booleans are cast in STAGE,
# so a wrong type becomes a reason or a NULL rather than a failed batch), and
# the nested parts, kept as JSON (minified) in their own columns.
# "@timestamp": Logstash exports (the OTRF corpus) move eventTime into it.
SCALAR_KEYS = (
    "eventID", "eventTime", "@timestamp", "eventVersion", "eventSource", "eventName",
    "awsRegion", "eventType", "eventCategory", "errorCode", "errorMessage",
    "recipientAccountId", "sourceIPAddress", "userAgent", "requestID", "sharedEventID",
    "vpcEndpointId", "vpcEndpointAccountId", "readOnly", "managementEvent",
)  # fmt: skip
NESTED_KEYS = {  # CloudTrail key -> column
    "userIdentity": "user_identity",
    "requestParameters": "request_parameters",
    "responseElements": "response_elements",
    "additionalEventData": "additional_event_data",
    "resources": "resources",
    "tlsDetails": "tls_details",
    "serviceEventDetails": "service_event_details",
    "addendum": "addendum",
    "eventContext": "event_context",
    "edgeDeviceDetails": "edge_device_details",
}
RECORD_TYPE = (
    "STRUCT("
    + ", ".join([f'"{k}" VARCHAR' for k in SCALAR_KEYS] + [f'"{k}" JSON' for k in NESTED_KEYS])
    + ")"
)
_SHAPE = (
    "{"
    + ", ".join(
        [f'"{k}": "VARCHAR"' for k in SCALAR_KEYS] + [f'"{k}": "JSON"' for k in NESTED_KEYS]
    )
    + "}"
)

# The S3 log-file fast path: DuckDB reads and gunzips the files (both cores)
# and types each element of Records in the same pass. A file whose Records is
# not a list of objects (or that is not JSON) fails the batch; the engine then
# finds it and reads it on the careful path.
TRAIL_RECORDS = (
    """
SELECT unnest(recs) AS x, NULL::JSON AS r, source,
       'Records[' || (generate_subscripts(recs, 1) - 1) || ']' AS source_position
FROM (
    SELECT f.Records AS recs, m.s AS source
    FROM read_json($files, columns = {'Records': '"""
    + RECORD_TYPE
    + """[]'}, format = 'unstructured', records = true, compression = 'auto_detect',
                   maximum_object_size = {max_object_size}, filename = true) f
    JOIN (SELECT unnest($paths) AS p, unnest($sources) AS s) m ON m.p = f.filename
)
"""
)

# {max_object_size} is an int computed by the engine from the batch's largest
# file: DuckDB's reader cost grows with it (1 GiB: 0.81 cpu-s, 16 MiB: 0.43 for
# the same 400 files in our measurement), so it is sized per batch.


def trail_records(max_object_size: int) -> str:
    """TRAIL_RECORDS with its reader buffer sized for the batch (an int, never input)."""
    return TRAIL_RECORDS.replace("{max_object_size}", str(int(max_object_size)))


# Records decoded in Python, from an Arrow table registered as ``decoded_batch``.
# r is minified JSON (orjson wrote it), so an object starts with '{': a prefix
# test instead of json_type, which would parse every record once more.
DECODED_RECORDS = (
    """
SELECT CASE WHEN starts_with(r, '{') THEN json_transform(r, '"""
    + _SHAPE
    + """') END AS x,
       r::JSON AS r, source, source_position
FROM decoded_batch
"""
)

# Records outside the requested window/accounts/regions (bound parameters; NULL = no filter).
IN_FILTER = """(
    ($since IS NULL OR event_time >= $since)
    AND ($until IS NULL OR event_time <= $until)
    AND ($accounts IS NULL OR list_contains($accounts, coalesce(recipient_account_id, account_id)))
    AND ($regions IS NULL OR list_contains($regions, aws_region))
)"""


# userIdentity fields, in the order STAGE reads them as u[1..8]
USER_IDENTITY_PATHS = (
    "arn", "type", "principalId", "accountId", "userName", "accessKeyId", "invokedBy",
    "sessionContext.sessionIssuer.arn",
)  # fmt: skip

# {records} is one of the relations above; {in_filter} is IN_FILTER (code, not input).
# The userIdentity fields come from one json_extract_string call with a list of
# paths (one parse of that JSON instead of eight).
STAGE = (
    """
CREATE OR REPLACE TEMP TABLE stage AS
SELECT *, reason IS NULL AND NOT insight AND {in_filter} AS wanted
FROM (SELECT
    x.eventID AS event_id,
    try_cast(coalesce(x.eventTime, x."@timestamp") AS TIMESTAMPTZ) AS event_time,
    x.eventVersion AS event_version,
    x.eventSource AS event_source,
    x.eventName AS event_name,
    x.awsRegion AS aws_region,
    x.eventType AS event_type,
    x.eventCategory AS event_category,
    x.errorCode AS error_code,
    x.errorMessage AS error_message,
    u[1] AS principal_arn,
    u[2] AS principal_type,
    u[3] AS principal_id,
    u[4] AS account_id,
    u[5] AS user_name,
    u[6] AS access_key_id,
    u[8] AS session_issuer_arn,
    u[7] AS invoked_by,
    x.recipientAccountId AS recipient_account_id,
    x.sourceIPAddress AS source_ip,
    x.userAgent AS user_agent,
    x.requestID AS request_id,
    x.sharedEventID AS shared_event_id,
    x.vpcEndpointId AS vpc_endpoint_id,
    x.vpcEndpointAccountId AS vpc_endpoint_account_id,
    try_cast(x.readOnly AS BOOLEAN) AS read_only,
    try_cast(x.managementEvent AS BOOLEAN) AS management_event,
    """
    + ",\n    ".join(f'x."{k}" AS {c}' for k, c in NESTED_KEYS.items())
    + """,
    r AS raw,
    source,
    source_position,
    CASE
        WHEN x IS NULL THEN 'record is not a JSON object'
        WHEN coalesce(x.eventID, '') = '' THEN 'record has no eventID'
        WHEN coalesce(x.eventTime, x."@timestamp") IS NULL THEN 'record has no eventTime'
        WHEN try_cast(coalesce(x.eventTime, x."@timestamp") AS TIMESTAMPTZ) IS NULL
            THEN 'eventTime is not an ISO-8601 time: '
                 || left(coalesce(x.eventTime, x."@timestamp"), 60)
    END AS reason,
    x.eventType IS NOT DISTINCT FROM 'AwsCloudTrailInsight' AS insight
FROM (
    SELECT x, r, source, source_position,
           json_extract_string(x.userIdentity, U_PATHS) AS u
    FROM ({records})
))
"""
).replace("U_PATHS", str(["$." + p for p in USER_IDENTITY_PATHS]))

INSERT_REJECTED = """
INSERT INTO rejected
SELECT $load_id, source, source_position, reason,
       left(coalesce(raw::VARCHAR, json_object('eventID', event_id, 'eventSource', event_source,
                                               'eventName', event_name)::VARCHAR), 200)
FROM stage WHERE reason IS NOT NULL
"""

EVENT_COLUMNS = (
    "event_id, event_time, event_version, event_source, event_name, aws_region, event_type, "
    "event_category, error_code, error_message, principal_arn, principal_type, principal_id, "
    "account_id, user_name, access_key_id, session_issuer_arn, invoked_by, recipient_account_id, "
    "source_ip, user_agent, request_id, shared_event_id, vpc_endpoint_id, vpc_endpoint_account_id, "
    "read_only, management_event, "
    + ", ".join(NESTED_KEYS.values())
    + ", raw, source, source_position"
)

# Idempotent on event_id, in three cheap steps instead of a PRIMARY KEY index:
# which ids of the batch are already loaded (a semi-join that builds its hash
# table on the small batch and scans only event_records.event_id), whether the batch
# repeats an id, and the insert, which pays for anti-join and de-duplication
# only when those found something.
EXISTING_IDS = """
CREATE OR REPLACE TEMP TABLE existing_ids AS
SELECT DISTINCT event_id FROM event_records
WHERE event_id IN (SELECT event_id FROM stage WHERE wanted)
"""

REPEATS_IN_BATCH = """
SELECT count(*) - count(DISTINCT event_id) FROM stage WHERE wanted
"""

INSERT_EVENTS = f"""
INSERT INTO event_records ({EVENT_COLUMNS}, load_id)
SELECT {EVENT_COLUMNS}, $load_id FROM stage WHERE wanted
"""

INSERT_NEW_EVENTS = f"""
INSERT INTO event_records ({EVENT_COLUMNS}, load_id)
SELECT {EVENT_COLUMNS}, $load_id
FROM stage s
WHERE wanted AND s.event_id NOT IN (SELECT event_id FROM existing_ids)
  AND s.rowid IN (
      SELECT arg_min(rowid, source || ' ' || source_position)
      FROM stage WHERE wanted GROUP BY event_id
  )
"""

# Per-file tallies of one batch.
STAGE_COUNTS = """
SELECT source,
       count(*) AS seen,
       count(*) FILTER (WHERE reason IS NOT NULL) AS rejected,
       count(*) FILTER (WHERE reason IS NULL AND NOT wanted) AS filtered,
       count(*) FILTER (WHERE insight AND reason IS NULL) AS insights
FROM stage GROUP BY source
"""

LOADED_BY_SOURCE = (
    "SELECT source, count(*) FROM event_records WHERE load_id = $load_id GROUP BY source"
)


def stage(records: str) -> str:
    """STAGE over one of the record relations above (code, never input)."""
    return STAGE.replace("{records}", records).replace("{in_filter}", IN_FILTER)
