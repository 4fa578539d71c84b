"""Writing evidence the way AWS lays it out: trail files in S3 key layout,
hourly digest files, an Insights file, lookup-events and Lake outputs.

Every gzip member is written with mtime=0 and no file name so the same
records always give the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
import random
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from iamlab.sample.traffic.records import iso, new_id, token
from iamlab.sample.world.accounts import (
    ACCOUNT_TRAIL,
    ACCOUNT_TRAIL_REGION,
    LOG_BUCKET,
    ORG_ID,
    ORG_TRAIL,
    ORG_TRAIL_REGION,
    ORG_TRAIL_START,
    UTC,
)


def parse_time(text: str) -> datetime:
    """Parse CloudTrail's YYYY-MM-DDTHH:MM:SSZ (fast path for the generator's own output)."""
    return datetime(
        int(text[0:4]),
        int(text[5:7]),
        int(text[8:10]),
        int(text[11:13]),
        int(text[14:16]),
        int(text[17:19]),
        tzinfo=UTC,
    )


def gzip_bytes(data: bytes, level: int = 6) -> bytes:
    """Deterministic gzip (no name, mtime 0)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=level) as gz:
        gz.write(data)
    return buf.getvalue()


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_json(path: Path, value: object, indent: int | None = 2) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    write_bytes(path, (text + "\n").encode())


def trail_prefix(account: str, when: datetime, kind: str = "CloudTrail") -> tuple[str, str]:
    """(trail kind, key prefix up to the account) for a delivery time."""
    if when >= ORG_TRAIL_START:
        return "org", f"AWSLogs/{ORG_ID}/{account}/{kind}"
    return "account", f"AWSLogs/{account}/{kind}"


def slot_minutes(n_records: int) -> int:
    """Delivery window: 5 minutes when busy (large samples), up to 2 hours when quiet.

    Real trails deliver about every 5 minutes; the small committed sample
    uses longer windows (~150 records a file) to keep its file count low.
    """
    files_per_day = max(1.0, n_records / 150)
    return int(min(120, max(5, 5 * math.ceil(1440 / files_per_day / 5))))


def write_trail_files(
    root: Path,
    seed: int,
    account: str,
    region: str,
    chunk: str,
    records: list[dict],
    level: int = 6,
) -> list[dict]:
    """Group records into delivery files and write them; return one metadata dict per file.

    ``level`` is the gzip level (large benchmark samples use 1 for speed).
    """
    rng = random.Random(f"{seed}:deliver:{chunk}")
    slot = timedelta(minutes=slot_minutes(len(records)))
    groups: dict[datetime, list[dict]] = {}
    for rec in records:
        delivered = parse_time(rec["eventTime"]) + timedelta(seconds=rng.randint(60, 540))
        base = datetime(delivered.year, delivered.month, delivered.day, tzinfo=UTC)
        n = math.ceil((delivered - base) / slot)
        groups.setdefault(base + n * slot, []).append(rec)
    meta = []
    for ts in sorted(groups):
        recs = groups[ts]
        rng.shuffle(recs)  # CloudTrail does not order records within a file
        kind, prefix = trail_prefix(account, ts)
        name = f"{account}_CloudTrail_{region}_{ts:%Y%m%dT%H%MZ}_{token(rng, 16)}.json.gz"
        key = f"{prefix}/{region}/{ts:%Y/%m/%d}/{name}"
        data = gzip_bytes(orjson.dumps({"Records": recs}), level)
        write_bytes(root / key, data)
        times = sorted(r["eventTime"] for r in recs)
        meta.append(
            {
                "kind": kind,
                "account": account,
                "region": region,
                "delivered": ts.isoformat(),
                "key": key,
                "sha256": hashlib.sha256(data).hexdigest(),
                "oldest": times[0],
                "newest": times[-1],
                "records": len(recs),
                "bytes": len(data),
            }
        )
    return meta


def write_digests(root: Path, seed: int, files: list[dict]) -> int:
    """Hourly CloudTrail-Digest files of the org trail (for every hour that delivered log files)."""
    rng = random.Random(f"{seed}:digest")
    by_stream: dict[tuple[str, str, str], dict[datetime, list[dict]]] = {}
    for f in files:
        delivered = datetime.fromisoformat(f["delivered"])
        hour = delivered.replace(minute=0, second=0)
        by_stream.setdefault((f["kind"], f["account"], f["region"]), {}).setdefault(
            hour, []
        ).append(f)
    written = 0
    for (kind, account, region), hours in sorted(by_stream.items()):
        if kind != "org":
            continue  # the per-account trails ran without log file validation
        previous = None
        trail, trail_region = (
            (ORG_TRAIL, ORG_TRAIL_REGION)
            if kind == "org"
            else (ACCOUNT_TRAIL, ACCOUNT_TRAIL_REGION)
        )
        for hour in sorted(hours):
            logs = sorted(hours[hour], key=lambda f: f["key"])
            end = hour + timedelta(hours=1, seconds=rng.randint(5, 50))
            start = previous["end"] if previous else end - timedelta(hours=1)
            prefix = (
                f"AWSLogs/{ORG_ID}/{account}" if kind == "org" else f"AWSLogs/{account}"
            ) + "/CloudTrail-Digest"
            key = (
                f"{prefix}/{region}/{end:%Y/%m/%d}/"
                f"{account}_CloudTrail-Digest_{region}_{trail}_{trail_region}_{end:%Y%m%dT%H%M%SZ}.json.gz"
            )
            digest = {
                "awsAccountId": account,
                "digestStartTime": iso(start),
                "digestEndTime": iso(end),
                "digestS3Bucket": LOG_BUCKET,
                "digestS3Object": key,
                "digestPublicKeyFingerprint": token(rng, 32, "0123456789abcdef"),
                "digestSignatureAlgorithm": "SHA256withRSA",
                "newestEventTime": max(f["newest"] for f in logs),
                "oldestEventTime": min(f["oldest"] for f in logs),
                "previousDigestS3Bucket": LOG_BUCKET if previous else None,
                "previousDigestS3Object": previous["key"] if previous else None,
                "previousDigestHashValue": previous["hash"] if previous else None,
                "previousDigestHashAlgorithm": "SHA-256" if previous else None,
                "previousDigestSignature": previous["signature"] if previous else None,
                "logFiles": [
                    {
                        "s3Bucket": LOG_BUCKET,
                        "s3Object": f["key"],
                        "hashValue": f["sha256"],
                        "hashAlgorithm": "SHA-256",
                        "newestEventTime": f["newest"],
                        "oldestEventTime": f["oldest"],
                    }
                    for f in logs
                ],
            }
            data = gzip_bytes(json.dumps(digest, separators=(",", ":")).encode())
            write_bytes(root / key, data)
            previous = {
                "key": key,
                "end": end,
                "hash": hashlib.sha256(data).hexdigest(),
                "signature": token(rng, 512, "0123456789abcdef"),
            }
            written += 1
    return written


def write_insight(
    root: Path,
    seed: int,
    account: str,
    region: str,
    start: datetime,
    end: datetime,
    source: str,
    name: str,
    error_code: str,
    baseline: float,
    observed: float,
) -> str:
    """One CloudTrail-Insight file (an ApiErrorRateInsight Start/End pair)."""
    rng = random.Random(f"{seed}:insight")
    shared = new_id(rng)
    records = []
    for state, when in (("Start", start), ("End", end)):
        details = {
            "state": state,
            "eventSource": source,
            "eventName": name,
            "insightType": "ApiErrorRateInsight",
            "errorCode": error_code,
            "insightContext": {
                "statistics": {"baseline": {"average": baseline}, "insight": {"average": observed}},
                "attributions": [
                    {
                        "attribute": "userIdentityArn",
                        "insight": [{"value": "see events", "average": observed}],
                        "baseline": [],
                    }
                ],
            },
        }
        if state == "End":
            details["insightContext"]["statistics"]["insightDuration"] = int(
                (end - start).total_seconds() // 60
            )
        records.append(
            {
                "eventVersion": "1.08",
                "eventTime": iso(when),
                "awsRegion": region,
                "eventID": new_id(rng),
                "eventType": "AwsCloudTrailInsight",
                "recipientAccountId": account,
                "sharedEventID": shared,
                "insightDetails": details,
                "eventCategory": "Insight",
            }
        )
    ts = end + timedelta(minutes=5)
    _, prefix = trail_prefix(account, ts, "CloudTrail-Insight")
    key = (
        f"{prefix}/{region}/{ts:%Y/%m/%d}/"
        f"{account}_CloudTrail-Insight_{region}_{ts:%Y%m%dT%H%MZ}_{token(rng, 16)}.json.gz"
    )
    write_bytes(
        root / key, gzip_bytes(json.dumps({"Records": records}, separators=(",", ":")).encode())
    )
    return key


def _lookup_resources(rec: dict) -> list[dict]:
    return [
        {"ResourceType": r.get("type"), "ResourceName": r.get("ARN")}
        for r in rec.get("resources") or []
    ]


def _username(ident: dict) -> str | None:
    if ident.get("type") == "Root":
        return "root"
    if ident.get("userName"):
        return ident["userName"]
    arn = ident.get("arn") or ""
    if ":assumed-role/" in arn or ":federated-user/" in arn:
        return arn.rsplit("/", 1)[1]
    return None


def lookup_events(records: list[dict]) -> dict:
    """`aws cloudtrail lookup-events` output: newest first, CloudTrailEvent as a JSON string."""
    events = []
    for rec in sorted(records, key=lambda r: (r["eventTime"], r["eventID"]), reverse=True):
        ident = rec.get("userIdentity") or {}
        item = {
            "EventId": rec["eventID"],
            "EventName": rec["eventName"],
            "ReadOnly": "true" if rec.get("readOnly") else "false",
        }
        if ident.get("accessKeyId"):
            item["AccessKeyId"] = ident["accessKeyId"]
        item["EventTime"] = float(parse_time(rec["eventTime"]).timestamp())
        item["EventSource"] = rec["eventSource"]
        username = _username(ident)
        if username:
            item["Username"] = username
        item["Resources"] = _lookup_resources(rec)
        item["CloudTrailEvent"] = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
        events.append(item)
    return {"Events": events}


LAKE_COLUMNS = (
    "eventid",
    "eventtime",
    "eventversion",
    "eventsource",
    "eventname",
    "awsregion",
    "sourceipaddress",
    "useragent",
    "errorcode",
    "errormessage",
    "eventtype",
    "eventcategory",
    "recipientaccountid",
    "eventjson",
)
LAKE_QUERY = (
    "SELECT eventid, eventtime, eventversion, eventsource, eventname, awsregion, "
    "sourceipaddress, useragent,\n"
    "       errorcode, errormessage, eventtype, eventcategory, recipientaccountid, eventjson\n"
    "FROM 3f1c9a2e-7b4d-4e8a-9c61-5d2f0b7a8e43\n"
    "WHERE errorcode IS NOT NULL\n"
    "  AND eventtime >= '2026-03-09 00:00:00' AND eventtime < '2026-03-13 00:00:00'\n"
    "ORDER BY eventtime, eventid\n"
)


def lake_rows(records: list[dict]) -> list[list[tuple[str, str]]]:
    """Rows as (column, string value) pairs; columns absent from a record are left out."""
    rows = []
    for rec in sorted(records, key=lambda r: (r["eventTime"], r["eventID"])):
        values = {
            "eventid": rec["eventID"],
            "eventtime": parse_time(rec["eventTime"]).strftime("%Y-%m-%d %H:%M:%S.000"),
            "eventversion": rec["eventVersion"],
            "eventsource": rec["eventSource"],
            "eventname": rec["eventName"],
            "awsregion": rec["awsRegion"],
            "sourceipaddress": rec.get("sourceIPAddress"),
            "useragent": rec.get("userAgent"),
            "errorcode": rec.get("errorCode"),
            "errormessage": rec.get("errorMessage"),
            "eventtype": rec.get("eventType"),
            "eventcategory": rec.get("eventCategory"),
            "recipientaccountid": rec.get("recipientAccountId"),
            "eventjson": json.dumps(rec, separators=(",", ":"), ensure_ascii=False),
        }
        rows.append([(c, values[c]) for c in LAKE_COLUMNS if values[c] is not None])
    return rows


def write_lake(root: Path, records: list[dict]) -> int:
    """lake/get-query-results.json, lake/result_0.csv.gz and the query text."""
    rows = lake_rows(records)
    data_bytes = sum(len(v) for row in rows for _, v in row)
    write_json(
        root / "lake" / "get-query-results.json",
        {
            "QueryStatus": "FINISHED",
            "QueryStatistics": {
                "ResultsCount": len(rows),
                "TotalResultsCount": len(rows),
                "BytesScanned": data_bytes * 37,
            },
            "QueryResultRows": [[{c: v} for c, v in row] for row in rows],
        },
    )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(LAKE_COLUMNS)
    for row in rows:
        values = dict(row)
        writer.writerow([values.get(c, "") for c in LAKE_COLUMNS])
    write_bytes(root / "lake" / "result_0.csv.gz", gzip_bytes(buf.getvalue().encode()))
    write_bytes(root / "lake" / "query.sql", LAKE_QUERY.encode())
    return len(rows)
