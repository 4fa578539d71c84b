-- The workspace schema: created once per workspace, safe to run again.
-- events: one row per CloudTrail record (event_id is the key; the loader keeps it
-- unique with a semi-join per batch instead of a PRIMARY KEY index, because
-- DuckDB's ART index made bulk loads 2x slower in our measurements and grows
-- memory with N). Rows live in event_records; the view events adds the nested
-- parts, read from raw, so each record's JSON is stored once, compactly
-- (minified), and nothing in the input is lost.

CREATE SEQUENCE IF NOT EXISTS load_ids START 1;

CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    sources JSON,
    options JSON,
    report JSON
);

CREATE TABLE IF NOT EXISTS event_records (
    event_id VARCHAR NOT NULL,
    event_time TIMESTAMPTZ NOT NULL,
    event_version VARCHAR,
    event_source VARCHAR,
    event_name VARCHAR,
    aws_region VARCHAR,
    event_type VARCHAR,
    event_category VARCHAR,
    error_code VARCHAR,
    error_message VARCHAR,
    principal_arn VARCHAR,
    principal_type VARCHAR,
    principal_id VARCHAR,
    account_id VARCHAR,
    user_name VARCHAR,
    access_key_id VARCHAR,
    session_issuer_arn VARCHAR,
    invoked_by VARCHAR,
    recipient_account_id VARCHAR,
    source_ip VARCHAR,
    user_agent VARCHAR,
    request_id VARCHAR,
    shared_event_id VARCHAR,
    vpc_endpoint_id VARCHAR,
    vpc_endpoint_account_id VARCHAR,
    read_only BOOLEAN,
    management_event BOOLEAN,
    raw JSON NOT NULL,
    source VARCHAR NOT NULL,
    source_position VARCHAR NOT NULL,
    load_id INTEGER NOT NULL
);


-- The events contract: every stored column plus the nested parts as JSON,
-- extracted from raw when read (DuckDB's VIRTUAL columns made inserts 3x slower).
CREATE OR REPLACE VIEW events AS
SELECT *,
    json_extract(raw, '$.userIdentity') AS user_identity,
    json_extract(raw, '$.requestParameters') AS request_parameters,
    json_extract(raw, '$.responseElements') AS response_elements,
    json_extract(raw, '$.additionalEventData') AS additional_event_data,
    json_extract(raw, '$.resources') AS resources,
    json_extract(raw, '$.tlsDetails') AS tls_details
FROM event_records;

-- Everything that could not be loaded: a whole file (position says where it
-- broke) or one record (position is its index or line).
CREATE TABLE IF NOT EXISTS rejected (
    load_id INTEGER NOT NULL,
    source VARCHAR NOT NULL,
    source_position VARCHAR,
    reason VARCHAR NOT NULL,
    snippet VARCHAR
);

-- Files a load looked at and why it did not read some of them (digest, ...).
CREATE TABLE IF NOT EXISTS files_skipped (
    load_id INTEGER NOT NULL,
    source VARCHAR NOT NULL,
    reason VARCHAR NOT NULL
);

-- The local copy of every S3 object fetched, keyed by ETag so reruns are free.
CREATE TABLE IF NOT EXISTS s3_objects (
    bucket VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    etag VARCHAR NOT NULL,
    size BIGINT,
    local_path VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (bucket, key)
);
