"""The loader's SQL, as named constants (table and column names come from here, never from input).

Every statement, whatever format it reads, first turns its records into a
relation of ``(x RECORD, r JSON, source, source_position)`` where ``x`` is the
record typed with one explicit schema (``RECORD_TYPE``: no auto-detection).
``INSERT_RECORDS`` derives the columns and writes every record to
``event_records``, marking the ones to reject or filter out; the statements
after it move those to ``rejected`` or count them, and delete them. Values
(file lists, times, accounts) are always bound parameters.

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

# Top-level CloudTrail keys kept as text (times and booleans are cast in INSERT_RECORDS,
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
# and types each element of Records in the same pass. ``{reads}`` is one
# read_json per kind of input (READS below), joined by UNION ALL:
# - BUNDLE: gzip files that start the way CloudTrail writes them
#   ('{"Records":[' on one line) are concatenated, as gzip members, into a few
#   bundle files in which each line is {"f": <source>, "r": <the file>}
#   (engine.write_bundles). DuckDB binds its reader once per file it opens, so
#   one bundle instead of hundreds of small files was measured to cost 19%
#   fewer instructions per record.
# - COMPACT: other one-line files, read as newline-delimited JSON (18% fewer
#   instructions than DuckDB's 'unstructured' reader, measured);
# - ANY_LAYOUT: the rest (pretty-printed, say), with the 'unstructured' reader.
# The source of a file's rows is its name, or for a file of the workspace's S3
# cache ($s3_root + bucket/key) the s3:// URL it came from: a string expression
# rather than a join, because a join hides the scan's progress from
# ``query_progress``.
TRAIL_RECORDS = """
SELECT unnest(Records) AS x, NULL::JSON AS r, source,
       'Records[' || (generate_subscripts(Records, 1) - 1) || ']' AS source_position
FROM ({reads})
"""

BUNDLE = "bundle"
COMPACT = "newline_delimited"
ANY_LAYOUT = "unstructured"

_FILE_SOURCE = """CASE WHEN $s3_root <> '' AND starts_with(filename, $s3_root)
                THEN 's3://' || filename[length($s3_root) + 1:] ELSE filename END"""

READS = {
    BUNDLE: (
        """SELECT r.Records AS Records, f AS source
   FROM read_json($files_bundle, columns = {'f': 'VARCHAR', 'r': 'STRUCT("Records" """
        + RECORD_TYPE
        + """[])'}, format = 'newline_delimited', records = true, compression = 'gzip',
                  maximum_object_size = {max_object_size})"""
    ),
    **{
        fmt: (
            f"""SELECT Records, {_FILE_SOURCE} AS source
   FROM read_json($files_{fmt}, columns = {{'Records': '"""
            + RECORD_TYPE
            + f"""[]'}}, format = '{fmt}', records = true, compression = 'auto_detect',
                  maximum_object_size = {{max_object_size}}, filename = true)"""
        )
        for fmt in (COMPACT, ANY_LAYOUT)
    },
}

# {max_object_size} is an int computed by the engine from the largest file (a
# bundle's lines are whole files): DuckDB's reader cost grows with it (1 GiB:
# 0.81 cpu-s, 16 MiB: 0.43 for the same 400 files in our measurement).


def trail_records(kinds: list[str], max_object_size: int) -> str:
    """TRAIL_RECORDS over the given kinds of input (READS keys), buffer size in bytes (an int)."""
    reads = " UNION ALL ".join(
        READS[kind].replace("{max_object_size}", str(int(max_object_size))) for kind in kinds
    )
    return TRAIL_RECORDS.replace("{reads}", reads)


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

# Is a record inside the requested window/accounts/regions? (bound parameters;
# NULL = no filter). Reads the parsed record ``x``, ``u`` (userIdentity fields)
# and ``event_time``; coalesce: an unknown account or region is outside a filter.
IN_FILTER = """coalesce(
    ($since IS NULL OR event_time >= $since)
    AND ($until IS NULL OR event_time < $until)  -- since inclusive, until exclusive (as denials)
    AND ($accounts IS NULL OR list_contains($accounts, coalesce(x.recipientAccountId, u[4])))
    AND ($regions IS NULL OR list_contains($regions, x.awsRegion)), false)"""

# Markers in event_records.reason for rows a load reads but does not keep
# (any other non-NULL reason is why the record was rejected). They never
# outlive the statement's transaction: the engine counts and deletes them.
FILTERED = "(outside the load filter)"
INSIGHT = "(CloudTrail Insights record)"

# userIdentity fields, in the order INSERT_RECORDS reads them as u[1..8]
USER_IDENTITY_PATHS = (
    "arn", "type", "principalId", "accountId", "userName", "accessKeyId", "invokedBy",
    "sessionContext.sessionIssuer.arn",
)  # fmt: skip

EVENT_COLUMNS = (
    "event_id, event_time, event_version, event_source, event_name, aws_region, event_type, "
    "event_category, error_code, error_message, principal_arn, principal_type, principal_id, "
    "account_id, user_name, access_key_id, session_issuer_arn, invoked_by, recipient_account_id, "
    "source_ip, user_agent, request_id, shared_event_id, vpc_endpoint_id, vpc_endpoint_account_id, "
    "read_only, management_event, "
    + ", ".join(NESTED_KEYS.values())
    + ", raw, source, source_position, event_id_derived"
)

# eventTime must be an ISO-8601 instant (date, 'T' or a space, hours and minutes;
# DuckDB's cast does the rest, so 2026-02-30 fails) in [EARLIEST, LATEST):
# CloudTrail started in November 2013 and nothing real is dated 2100 or later;
# outside it are DuckDB's 'infinity', '-infinity' and 'epoch' (which would print
# as year -290308 or 1970 and match every window) and years like 99999.
TIME_SHAPE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"
EARLIEST = "2013-01-01"  # UTC midnight, inclusive
LATEST = "2100-01-01"  # UTC midnight, exclusive

# A record's size as DuckDB holds it: the text of every column it keeps (keys
# the schema does not name are not stored: Workspace.raw re-reads them). The
# careful path enforces the same limit on the record's whole JSON text.
RECORD_BYTES = (
    "("
    + " + ".join(
        [f'coalesce(strlen(x."{k}"), 0)' for k in SCALAR_KEYS]
        + [f'coalesce(strlen(x."{k}"::VARCHAR), 0)' for k in NESTED_KEYS]
    )
    + ")"
)

# Records without an eventID get a deterministic id, 'derived-' and the md5 of
# the record's fields as JSON (the same record gives the same id in every
# format, so loading it twice still adds nothing), and event_id_derived = true.
# Every record read goes straight into event_records, in one pass with no
# staging copy (the copy was a third of the load time): kept records with
# reason NULL, the others with their reason or a marker, which the engine then
# moves to ``rejected`` or counts, and deletes, before it commits.
# {records} is one of the relations above; {in_filter} is IN_FILTER (code, not
# input). The userIdentity fields come from one json_extract_string call with a
# list of paths (one parse of that JSON instead of eight).
INSERT_RECORDS = (
    f"""
INSERT INTO event_records ({EVENT_COLUMNS}, reason, load_id)
SELECT
    coalesce(id_text, 'derived-' || md5(to_json(x)::VARCHAR)), event_time, x.eventVersion,
    x.eventSource, x.eventName, x.awsRegion,
    x.eventType, x.eventCategory, x.errorCode, x.errorMessage,
    u[1], u[2], u[3], u[4], u[5], u[6], u[8], u[7],
    x.recipientAccountId, x.sourceIPAddress, x.userAgent, x.requestID, x.sharedEventID,
    x.vpcEndpointId, x.vpcEndpointAccountId,
    try_cast(x.readOnly AS BOOLEAN), try_cast(x.managementEvent AS BOOLEAN),
    """
    + ", ".join(f'x."{k}"' for k in NESTED_KEYS)
    + """,
    r, source, source_position, x IS NOT NULL AND id_text IS NULL,
    CASE
        WHEN x IS NULL THEN 'record is not a JSON object'
        WHEN record_bytes > $max_record_bytes
            THEN 'oversized record: ' || record_bytes || ' bytes is more than the '
                 || $max_record_bytes || '-byte per-record limit'
        WHEN time_text IS NULL THEN 'record has no eventTime'
        WHEN event_time IS NULL OR NOT regexp_matches(time_text, 'TIME_SHAPE')
            THEN 'eventTime is not an ISO-8601 time: ' || left(time_text, 60)
        WHEN NOT (event_time >= TIMESTAMPTZ 'EARLIEST 00:00:00+00'
                  AND event_time < TIMESTAMPTZ 'LATEST 00:00:00+00')
            THEN 'eventTime is outside EARLIEST..LATEST: ' || left(time_text, 60)
        WHEN x.eventType IS NOT DISTINCT FROM 'AwsCloudTrailInsight' THEN '{insight}'
        WHEN NOT {in_filter} THEN '{filtered}'
    END,
    $load_id
FROM (
    SELECT *, try_cast(time_text AS TIMESTAMPTZ) AS event_time
    FROM (
        SELECT x, r, source, source_position,
               coalesce(x.eventTime, x."@timestamp") AS time_text,
               nullif(x.eventID, '') AS id_text,
               RECORD_BYTES AS record_bytes,
               json_extract_string(x.userIdentity, U_PATHS) AS u
        FROM ({records})
    )
)
"""
).replace("U_PATHS", str(["$." + p for p in USER_IDENTITY_PATHS]))


def insert_records(records: str) -> str:
    """INSERT_RECORDS over one of the record relations above (code, never input)."""
    return (
        INSERT_RECORDS.replace("{records}", records)
        .replace("RECORD_BYTES", RECORD_BYTES)
        .replace("TIME_SHAPE", TIME_SHAPE)
        .replace("EARLIEST", EARLIEST)
        .replace("LATEST", LATEST)
        .replace("{in_filter}", IN_FILTER)
        .replace("{insight}", INSIGHT)
        .replace("{filtered}", FILTERED)
    )


# After each insert, in its transaction: what this statement read but does not
# keep (only its rows can carry a reason: earlier statements deleted theirs).
MARKED_COUNTS = f"""
SELECT source,
       count(*) FILTER (WHERE reason NOT IN ('{FILTERED}', '{INSIGHT}')) AS rejected,
       count(*) FILTER (WHERE reason IN ('{FILTERED}', '{INSIGHT}')) AS filtered
FROM event_records WHERE load_id = $load_id AND reason IS NOT NULL
GROUP BY source
"""

INSERT_REJECTED = f"""
INSERT INTO rejected
SELECT $load_id, source, source_position, reason,
       left(coalesce(raw::VARCHAR, json_object('eventID', event_id, 'eventSource', event_source,
                                               'eventName', event_name)::VARCHAR), 200)
FROM event_records
WHERE load_id = $load_id AND reason IS NOT NULL AND reason NOT IN ('{FILTERED}', '{INSIGHT}')
"""

REJECTED_OF_LOAD = """
SELECT source, source_position, reason FROM rejected
WHERE load_id = $load_id ORDER BY source, source_position LIMIT $n
"""

DELETE_MARKED = "DELETE FROM event_records WHERE load_id = $load_id AND reason IS NOT NULL"

SOURCES_OF_LOAD = "SELECT DISTINCT source FROM event_records WHERE load_id = $load_id"

# Idempotent on event_id, once per load after its inserts, instead of a PRIMARY
# KEY index (DuckDB's ART index made bulk loads 2x slower and grows memory with
# N): a record already loaded by an earlier load, or repeated within this one,
# is a duplicate and deleted. A duplicate has the same event_id *and* the same
# content (CONTENT: time, name, source, recipient account); records that share
# an event_id but differ in content are conflicting ids: both are kept and
# listed in ``conflicts`` (so event_id is unique except for those). Within a load
# the copy kept is one from an S3 log file if there is one (raw NULL: the
# complete record, pointed to in place), else the first by source and position,
# whatever order the files were read in. The two counts decide whether the
# costlier ranking is needed at all.
CONTENT = "event_time, event_name, event_source, recipient_account_id"

REPEATS_IN_LOAD = """
SELECT count(*) - count(DISTINCT event_id) FROM event_records WHERE load_id = $load_id
"""

OVERLAP_WITH_EARLIER = """
SELECT count(*) FROM event_records
WHERE load_id <> $load_id
  AND event_id IN (SELECT event_id FROM event_records WHERE load_id = $load_id)
"""

DUPLICATE_ROWS = f"""
CREATE OR REPLACE TEMP TABLE duplicate_rows AS
WITH mine AS (
    SELECT rowid AS rid, event_id, {CONTENT}, source, source_position,
           raw IS NOT NULL AS decoded
    FROM event_records WHERE load_id = $load_id
),
earlier AS (
    SELECT DISTINCT event_id, {CONTENT} FROM event_records
    WHERE load_id <> $load_id AND event_id IN (SELECT event_id FROM mine)
),
repeated AS (
    SELECT event_id FROM mine GROUP BY event_id HAVING count(*) > 1
)
SELECT rid, source FROM (
    SELECT m.rid, m.source, e.event_id IS NOT NULL AS known,
           row_number() OVER (
               PARTITION BY m.event_id, m.event_time, m.event_name, m.event_source,
                            m.recipient_account_id
               ORDER BY m.decoded, m.source, m.source_position
           ) AS n
    FROM mine m LEFT JOIN earlier e
      ON m.event_id = e.event_id
     AND m.event_time IS NOT DISTINCT FROM e.event_time
     AND m.event_name IS NOT DISTINCT FROM e.event_name
     AND m.event_source IS NOT DISTINCT FROM e.event_source
     AND m.recipient_account_id IS NOT DISTINCT FROM e.recipient_account_id
    WHERE m.event_id IN (SELECT event_id FROM earlier)
       OR m.event_id IN (SELECT event_id FROM repeated)
)
WHERE known OR n > 1
"""

DUPLICATES_BY_SOURCE = "SELECT source, count(*) FROM duplicate_rows GROUP BY source"

DELETE_DUPLICATES = (
    "DELETE FROM event_records WHERE rowid IN (SELECT rid FROM duplicate_rows); "
    "DROP TABLE duplicate_rows"
)

# After duplicates are gone, an event_id of this load held by more than one row
# (in this load or an earlier one) is a conflicting id: its rows of this load
# are listed, once.
INSERT_CONFLICTS = """
INSERT INTO conflicts
SELECT $load_id, event_id, source, source_position FROM event_records
WHERE load_id = $load_id AND event_id IN (
    SELECT event_id FROM event_records
    WHERE event_id IN (SELECT event_id FROM event_records WHERE load_id = $load_id)
    GROUP BY event_id HAVING count(*) > 1
)
"""

CONFLICTS_BY_SOURCE = (
    "SELECT source, count(*) FROM conflicts WHERE load_id = $load_id GROUP BY source"
)

CONFLICTS_OF_LOAD = """
SELECT event_id, source, source_position FROM conflicts
WHERE load_id = $load_id ORDER BY event_id, source, source_position LIMIT $n
"""

LOADED_BY_SOURCE = (
    "SELECT source, count(*) FROM event_records WHERE load_id = $load_id GROUP BY source"
)
