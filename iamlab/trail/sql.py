"""The loader's SQL, as named constants (table and column names come from here, never from input).

Every batch, whatever format it came from, is first turned into a relation of
``(r JSON, source VARCHAR, source_position VARCHAR)``; ``STAGE`` then types it in
one pass inside DuckDB (``json_transform`` with an explicit schema: no
auto-detection), marks records it must reject or filter, and the inserts move
it on. Values (file lists, times, accounts) are always bound parameters.
"""

from __future__ import annotations

# The S3 log-file fast path: DuckDB reads and gunzips the files (both cores),
# and splits each {"Records": [...]} into one JSON value per record.
TRAIL_RECORDS = """
SELECT unnest(recs) AS r, source,
       'Records[' || (generate_subscripts(recs, 1) - 1) || ']' AS source_position
FROM (
    SELECT json_extract(f.json, '$.Records[*]') AS recs, m.s AS source
    FROM read_json_objects($files, format = 'unstructured', compression = 'auto_detect',
                           maximum_object_size = {max_object_size}, filename = true) f
    JOIN (SELECT unnest($paths) AS p, unnest($sources) AS s) m ON m.p = f.filename
)
"""

# {max_object_size} is an int computed by the engine from the batch's largest
# file: DuckDB's reader cost grows with it (1 GiB: 0.81 cpu-s, 16 MiB: 0.43 for
# the same 400 files in our measurement), so it is sized per batch.


def trail_records(max_object_size: int) -> str:
    """TRAIL_RECORDS with its reader buffer sized for the batch (an int, never input)."""
    return TRAIL_RECORDS.replace("{max_object_size}", str(int(max_object_size)))


# Records decoded in Python (lookup-events, Lake, NDJSON, salvaged files), from
# an Arrow table registered as ``decoded_batch``.
DECODED_RECORDS = """
SELECT r::JSON AS r, source, source_position FROM decoded_batch
"""

_SHAPE = """{
  "eventID": "VARCHAR", "eventTime": "VARCHAR", "@timestamp": "VARCHAR", "eventVersion": "VARCHAR",
  "eventSource": "VARCHAR", "eventName": "VARCHAR", "awsRegion": "VARCHAR",
  "eventType": "VARCHAR", "eventCategory": "VARCHAR", "errorCode": "VARCHAR",
  "errorMessage": "VARCHAR",
  "userIdentity": {"arn": "VARCHAR", "type": "VARCHAR", "principalId": "VARCHAR",
                   "accountId": "VARCHAR", "userName": "VARCHAR", "accessKeyId": "VARCHAR",
                   "invokedBy": "VARCHAR",
                   "sessionContext": {"sessionIssuer": {"arn": "VARCHAR"}}},
  "recipientAccountId": "VARCHAR", "sourceIPAddress": "VARCHAR", "userAgent": "VARCHAR",
  "requestID": "VARCHAR", "sharedEventID": "VARCHAR", "vpcEndpointId": "VARCHAR",
  "vpcEndpointAccountId": "VARCHAR", "readOnly": "VARCHAR", "managementEvent": "VARCHAR"
}"""

# Records outside the requested window/accounts/regions (bound parameters; NULL = no filter).
IN_FILTER = """(
    ($since IS NULL OR event_time >= $since)
    AND ($until IS NULL OR event_time <= $until)
    AND ($accounts IS NULL OR list_contains($accounts, coalesce(recipient_account_id, account_id)))
    AND ($regions IS NULL OR list_contains($regions, aws_region))
)"""


# r is minified JSON (DuckDB or orjson wrote it), so an object starts with '{':
# a prefix test instead of json_type, which would parse every record once more.
# Logstash exports (the OTRF corpus) move eventTime into "@timestamp"; it is the
# fallback for event_time, and the raw record keeps both as they were.
# {records} is one of the relations above; {in_filter} is IN_FILTER (code, not input).
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
    x.userIdentity.arn AS principal_arn,
    x.userIdentity.type AS principal_type,
    x.userIdentity.principalId AS principal_id,
    x.userIdentity.accountId AS account_id,
    x.userIdentity.userName AS user_name,
    x.userIdentity.accessKeyId AS access_key_id,
    x.userIdentity.sessionContext.sessionIssuer.arn AS session_issuer_arn,
    x.userIdentity.invokedBy AS invoked_by,
    x.recipientAccountId AS recipient_account_id,
    x.sourceIPAddress AS source_ip,
    x.userAgent AS user_agent,
    x.requestID AS request_id,
    x.sharedEventID AS shared_event_id,
    x.vpcEndpointId AS vpc_endpoint_id,
    x.vpcEndpointAccountId AS vpc_endpoint_account_id,
    try_cast(x.readOnly AS BOOLEAN) AS read_only,
    try_cast(x.managementEvent AS BOOLEAN) AS management_event,
    r AS raw,
    source,
    source_position,
    CASE
        WHEN is_object IS NOT TRUE THEN 'record is not a JSON object'
        WHEN coalesce(x.eventID, '') = '' THEN 'record has no eventID'
        WHEN coalesce(x.eventTime, x."@timestamp") IS NULL THEN 'record has no eventTime'
        WHEN try_cast(coalesce(x.eventTime, x."@timestamp") AS TIMESTAMPTZ) IS NULL
            THEN 'eventTime is not an ISO-8601 time: '
                 || left(coalesce(x.eventTime, x."@timestamp"), 60)
    END AS reason,
    x.eventType IS NOT DISTINCT FROM 'AwsCloudTrailInsight' AS insight
FROM (
    SELECT CASE WHEN is_object THEN json_transform(r, '"""
    + _SHAPE.replace("\n", " ")
    + """') END AS x, r, is_object, source, source_position
    FROM (SELECT r, starts_with(r::VARCHAR, '{') AS is_object, source, source_position
          FROM ({records}))
))
"""
)

INSERT_REJECTED = """
INSERT INTO rejected
SELECT $load_id, source, source_position, reason, left(raw::VARCHAR, 200)
FROM stage WHERE reason IS NOT NULL
"""

EVENT_COLUMNS = (
    "event_id, event_time, event_version, event_source, event_name, aws_region, event_type, "
    "event_category, error_code, error_message, principal_arn, principal_type, principal_id, "
    "account_id, user_name, access_key_id, session_issuer_arn, invoked_by, recipient_account_id, "
    "source_ip, user_agent, request_id, shared_event_id, vpc_endpoint_id, vpc_endpoint_account_id, "
    "read_only, management_event, raw, source, source_position"
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
