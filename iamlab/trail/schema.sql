-- The workspace schema: created once per workspace, safe to run again.
-- events: one row per CloudTrail record (event_id is the key; the loader keeps it
-- unique, except for conflicting ids (see conflicts), by deleting duplicates
-- after each load instead of with a PRIMARY KEY index, because DuckDB's ART
-- index made bulk loads 2x slower in our measurements and grows memory with N).
-- Rows live in event_records, with the nested parts as JSON columns. The raw record: for S3 log files (read by DuckDB in one parse) raw is
-- NULL and (source, source_position) point at it in the file, which stays where
-- it was loaded from (S3 objects: the workspace's evidence/ cache);
-- Workspace.raw(event_id) returns it exactly, top-level keys this schema does not
-- name included. Records decoded in Python (lookup-events, Lake, NDJSON, salvaged
-- files) store raw as minified JSON, because their source is not a stable place
-- to find one record again.

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
    event_id VARCHAR,  -- never NULL once a load commits (see reason)
    event_time TIMESTAMPTZ,  -- likewise
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
    user_identity JSON,
    request_parameters JSON,
    response_elements JSON,
    additional_event_data JSON,
    resources JSON,
    tls_details JSON,
    service_event_details JSON,
    addendum JSON,
    event_context JSON,
    edge_device_details JSON,
    raw JSON,
    source VARCHAR NOT NULL,
    source_position VARCHAR NOT NULL,
    load_id INTEGER NOT NULL,
    -- Only inside a load's transaction: why a record read is not kept (rejected,
    -- or outside the load's filter). The loader deletes those rows before it
    -- commits, so every committed row has reason NULL and an event_id and time.
    reason VARCHAR,
    -- true when the record had no eventID and event_id is 'derived-' || md5 of it
    event_id_derived BOOLEAN
);

-- Added after the first release: workspaces made before it get the column here.
ALTER TABLE event_records ADD COLUMN IF NOT EXISTS event_id_derived BOOLEAN;


-- The events contract: every stored column but the loader's reason (raw is
-- NULL for rows that point into an S3 log file; see above).
CREATE OR REPLACE VIEW events AS
SELECT * EXCLUDE (reason) FROM event_records;

-- Everything that could not be loaded: a whole file (position says where it
-- broke) or one record (position is its index or line).
CREATE TABLE IF NOT EXISTS rejected (
    load_id INTEGER NOT NULL,
    source VARCHAR NOT NULL,
    source_position VARCHAR,
    reason VARCHAR NOT NULL,
    snippet VARCHAR
);

-- Records that share an eventID but differ in content (time, name, source or
-- recipient account): not duplicates, so all of them are kept in events, and
-- this load's rows among them are listed here.
CREATE TABLE IF NOT EXISTS conflicts (
    load_id INTEGER NOT NULL,
    event_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    source_position VARCHAR NOT NULL
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
