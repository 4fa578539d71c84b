"""``check()``: validate a sample folder and summarise its scenarios.

Checks what the loaders and the labels rely on: S3 key layout, every file
parses, unique event ids in the trail tree, digests that reference real
files with matching hashes, lookup-events and Lake rows that agree with the
trail records, and labels whose events exist and whose decisive statements
exist in the snapshot. The first problem raises InputError naming the file
and position.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import orjson

from iamlab.denials.grammar import CAUSES  # the design's vocabularies, from their owners
from iamlab.errors import InputError
from iamlab.policy.decision import LAYERS

_ORG = r"(?:o-[a-z0-9]{10,32}/)?"
_DATE = r"(\d{4})/(\d{2})/(\d{2})"
TRAIL_KEY = re.compile(
    rf"^AWSLogs/{_ORG}(\d{{12}})/CloudTrail/([a-z]{{2}}(?:-gov)?-[a-z]+-\d)/{_DATE}/"
    r"\1_CloudTrail_\2_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$"
)
DIGEST_KEY = re.compile(
    rf"^AWSLogs/{_ORG}(\d{{12}})/CloudTrail-Digest/([a-z]{{2}}-[a-z]+-\d)/{_DATE}/"
    r"\1_CloudTrail-Digest_\2_[A-Za-z0-9._-]+_[a-z]{2}-[a-z]+-\d_(\d{8}T\d{6}Z)\.json\.gz$"
)
INSIGHT_KEY = re.compile(
    rf"^AWSLogs/{_ORG}(\d{{12}})/CloudTrail-Insight/([a-z]{{2}}-[a-z]+-\d)/{_DATE}/"
    r"\1_CloudTrail-Insight_\2_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$"
)


def _load_gz(path: Path) -> Any:
    try:
        return orjson.loads(gzip.decompress(path.read_bytes()))
    except (OSError, EOFError, orjson.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: not a gzip JSON file ({exc}); regenerate the sample with `iamlab sample`"
        ) from exc


def _load_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON ({exc})") from exc


def _fail(where: str, problem: str) -> None:
    raise InputError(f"{where}: {problem}")


def _check_trail_file(
    path: Path,
    rel: str,
    m: re.Match,
    ids: set[str],
    wanted: set[str],
    found: dict[str, dict],
    stats: dict,
) -> None:
    account, region, y, mo, d, ts = m.groups()
    if ts[:8] != f"{y}{mo}{d}":
        _fail(rel, f"delivery time {ts} is not in the date folder {y}/{mo}/{d}")
    data = _load_gz(path)
    records = data.get("Records") if isinstance(data, dict) else None
    if not isinstance(records, list):
        _fail(rel, 'expected {"Records": [...]}')
    stamp = f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}T{ts[9:11]}:{ts[11:13]}:00Z"
    for i, rec in enumerate(records):
        where = f"{rel}: Records[{i}]"
        event_id = rec.get("eventID")
        if not isinstance(event_id, str):
            _fail(where, "no eventID")
        if event_id in ids:
            _fail(where, f"duplicate eventID {event_id} in the trail tree")
        ids.add(event_id)
        for key in (
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "eventVersion",
            "recipientAccountId",
        ):
            if not isinstance(rec.get(key), str):
                _fail(where, f"missing {key}")
        if rec["awsRegion"] != region:
            _fail(where, f"awsRegion {rec['awsRegion']} in a {region} file")
        if rec["recipientAccountId"] != account:
            _fail(where, f"recipientAccountId {rec['recipientAccountId']} under account {account}")
        if rec["eventTime"] > stamp:
            _fail(where, f"eventTime {rec['eventTime']} is after the file's delivery time {stamp}")
        major, minor = rec["eventVersion"].split(".")
        if major != "1" or not minor.isdigit():
            _fail(where, f"unexpected eventVersion {rec['eventVersion']}")
        stats["versions"].add(rec["eventVersion"])
        stats["accounts"].add(account)
        stats["regions"].add(region)
        stats["first"] = min(stats["first"] or rec["eventTime"], rec["eventTime"])
        stats["last"] = max(stats["last"] or rec["eventTime"], rec["eventTime"])
        if event_id in wanted:
            found[event_id] = rec
    stats["records"] += len(records)


def _check_digest(path: Path, rel: str, root: Path) -> None:
    digest = _load_gz(path)
    if not isinstance(digest, dict) or "logFiles" not in digest or "Records" in digest:
        _fail(rel, "not a CloudTrail digest (expected digestStartTime, logFiles and no Records)")
    if digest.get("digestS3Object") != rel:
        _fail(rel, f"digestS3Object says {digest.get('digestS3Object')}")
    for i, log in enumerate(digest["logFiles"]):
        target = root / log["s3Object"]
        if not target.is_file():
            _fail(f"{rel}: logFiles[{i}]", f"{log['s3Object']} does not exist")
        if hashlib.sha256(target.read_bytes()).hexdigest() != log["hashValue"]:
            _fail(f"{rel}: logFiles[{i}]", f"hash of {log['s3Object']} does not match")


def _scan_cloudtrail(root: Path, wanted: set[str]) -> tuple[dict[str, dict], dict]:
    if not root.is_dir():
        raise InputError(
            f"{root} is missing; a sample holds cloudtrail/AWSLogs/... (run `iamlab sample DIR`)"
        )
    ids: set[str] = set()
    found: dict[str, dict] = {}
    stats = {
        "records": 0,
        "trail_files": 0,
        "digest_files": 0,
        "insight_files": 0,
        "versions": set(),
        "accounts": set(),
        "regions": set(),
        "first": None,
        "last": None,
    }
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if m := TRAIL_KEY.match(rel):
            _check_trail_file(path, rel, m, ids, wanted, found, stats)
            stats["trail_files"] += 1
        elif DIGEST_KEY.match(rel):
            _check_digest(path, rel, root)
            stats["digest_files"] += 1
        elif INSIGHT_KEY.match(rel):
            data = _load_gz(path)
            if not all(
                r.get("eventType") == "AwsCloudTrailInsight" for r in data.get("Records", [])
            ):
                _fail(rel, "Insight file holds records that are not AwsCloudTrailInsight")
            stats["insight_files"] += 1
        else:
            _fail(
                rel,
                "file name does not follow the CloudTrail S3 layout "
                "(AWSLogs/[o-id/]<acct>/CloudTrail[-Digest|-Insight]/<region>/YYYY/MM/DD/<acct>_CloudTrail_...)",
            )
    stats["unique_ids"] = ids
    return found, stats


def _lookup(folder: Path) -> dict[str, dict]:
    events: dict[str, dict] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = _load_json(path)
        for i, item in enumerate(data.get("Events", [])):
            where = f"{path}: Events[{i}]"
            try:
                rec = json.loads(item["CloudTrailEvent"])
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"{where}: CloudTrailEvent is not a JSON string ({exc})") from exc
            if rec.get("eventID") != item.get("EventId") or not isinstance(
                item.get("EventTime"), (int, float)
            ):
                _fail(where, "EventId/EventTime do not match the CloudTrailEvent")
            events[item["EventId"]] = rec
    return events


def _lake(folder: Path) -> dict[str, dict]:
    path = folder / "get-query-results.json"
    if not path.is_file():
        return {}
    data = _load_json(path)
    if data.get("QueryStatus") != "FINISHED":
        _fail(str(path), f"QueryStatus {data.get('QueryStatus')}")
    events: dict[str, dict] = {}
    order = []
    for i, row in enumerate(data.get("QueryResultRows", [])):
        where = f"{path}: QueryResultRows[{i}]"
        cells = {}
        for cell in row:
            if (
                not isinstance(cell, dict)
                or len(cell) != 1
                or not all(isinstance(v, str) for v in cell.values())
            ):
                _fail(where, "each cell must be a one-key object with a string value")
            cells.update(cell)
        rec = json.loads(cells["eventjson"])
        if rec["eventID"] != cells.get("eventid"):
            _fail(where, "eventid differs from eventjson")
        events[rec["eventID"]] = rec
        order.append(rec["eventID"])
    csv_path = folder / "result_0.csv.gz"
    if csv_path.is_file():
        reader = csv.DictReader(io.StringIO(gzip.decompress(csv_path.read_bytes()).decode()))
        if [r["eventid"] for r in reader] != order:
            _fail(str(csv_path), "rows differ from get-query-results.json")
    return events


def _auth(snapshot: Path, account: str) -> dict:
    path = snapshot / "accounts" / account / "authorization-details.json"
    if not path.is_file():
        raise InputError(f"{path} is missing")
    return _load_json(path)


def _sids(doc: Any) -> set[str]:
    if isinstance(doc, str):
        doc = json.loads(doc)
    statements = doc.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    return {s.get("Sid") for s in statements if s.get("Sid")}


def _decisive_document(
    snapshot: Path, decisive: dict, scenario: dict, evidence: dict[str, dict]
) -> Any:
    layer, policy, account = decisive["layer"], decisive["policy"], decisive["account"]
    if layer in ("scp", "rcp"):
        path = snapshot / "organization" / "policies" / f"{policy}.json"
        if not path.is_file():
            raise InputError(f"{path} is missing (decisive {layer} {policy})")
        return _load_json(path)["Policy"]["Content"]
    if layer in ("resource", "vpc_endpoint"):
        for path in sorted(
            (snapshot / "accounts" / account / "resource-policies").glob("*/*.json")
        ):
            data = _load_json(path)
            if data.get("Arn") == policy:
                return data["Policy"]
        raise InputError(
            f"no resource policy for {policy} under {snapshot}/accounts/{account}/resource-policies"
        )
    if layer == "session":
        for event_id in scenario.get("context_event_ids", []):
            rec = evidence.get(event_id, {})
            session_policy = (rec.get("requestParameters") or {}).get("policy")
            if session_policy:
                return session_policy
        raise InputError(
            f"scenario {scenario['id']}: no AssumeRole event with a session policy "
            "in context_event_ids"
        )
    auth = _auth(snapshot, account)
    if policy.split(":")[5].startswith("policy/"):
        for entry in auth["Policies"]:
            if entry["Arn"] == policy:
                return next(
                    v["Document"] for v in entry["PolicyVersionList"] if v["IsDefaultVersion"]
                )
        raise InputError(
            f"managed policy {policy} is not in accounts/{account}/authorization-details.json"
        )
    for kind, plist in (
        ("RoleDetailList", "RolePolicyList"),
        ("UserDetailList", "UserPolicyList"),
        ("GroupDetailList", "GroupPolicyList"),
    ):
        for entity in auth[kind]:
            if entity["Arn"] != policy:
                continue
            if layer == "trust":
                return entity["AssumeRolePolicyDocument"]
            for inline in entity[plist]:
                if inline["PolicyName"] == decisive["policy_name"]:
                    return inline["PolicyDocument"]
    raise InputError(
        f"{policy} ({decisive.get('policy_name')}) is not in "
        f"accounts/{account}/authorization-details.json"
    )


def _check_labels(folder: Path, labels: dict, evidence: dict[str, dict]) -> dict:
    snapshot = folder / "snapshot"
    by_cause: dict[str, int] = {}
    events_by_cause: dict[str, int] = {}
    for i, scenario in enumerate(labels.get("scenarios", [])):
        where = f"{folder / 'labels.json'}: scenarios[{i}] ({scenario.get('id')})"
        cause = scenario.get("cause")
        if cause not in (*CAUSES, "not-denial"):
            _fail(where, f"unknown cause {cause!r}")
        by_cause[cause] = by_cause.get(cause, 0) + 1
        events_by_cause[cause] = events_by_cause.get(cause, 0) + len(scenario.get("event_ids", []))
        if not scenario.get("event_ids"):
            _fail(where, "no event_ids")
        arns = set()
        for event_id in [*scenario["event_ids"], *scenario.get("context_event_ids", [])]:
            if event_id not in evidence:
                _fail(where, f"event {event_id} is not in the evidence")
        for event_id in scenario["event_ids"]:
            rec = evidence[event_id]
            if scenario.get("error_code") and rec.get("errorCode") != scenario["error_code"]:
                _fail(
                    where,
                    f"event {event_id} has errorCode {rec.get('errorCode')}, "
                    f"label says {scenario['error_code']}",
                )
            if rec.get("userIdentity", {}).get("arn"):
                arns.add(rec["userIdentity"]["arn"])
        if arns and scenario.get("principal") and scenario["principal"] not in arns:
            _fail(
                where,
                f"principal {scenario['principal']} is not the caller of its events "
                f"({sorted(arns)})",
            )
        decisive = scenario.get("decisive")
        if cause == "not-denial":
            continue
        if not decisive or decisive.get("layer") not in LAYERS:
            _fail(where, "a denial needs decisive.layer, one of " + ", ".join(LAYERS))
        sids = _sids(_decisive_document(snapshot, decisive, scenario, evidence))
        for key in ("sid", "near_miss_sid"):
            if decisive.get(key) and decisive[key] not in sids:
                _fail(
                    where,
                    f"{key} {decisive[key]!r} is not a statement of {decisive['policy']} "
                    f"(has {sorted(sids)})",
                )
    missing = [c for c in CAUSES if c not in by_cause]
    if missing:
        _fail(str(folder / "labels.json"), f"no scenario for cause(s) {', '.join(missing)}")
    for event_id in labels.get("hostile_event_ids", []):
        if event_id not in evidence:
            _fail(str(folder / "labels.json"), f"hostile event {event_id} is not in the evidence")
    return {
        "by_cause": dict(sorted(by_cause.items())),
        "events_by_cause": dict(sorted(events_by_cause.items())),
    }


def check(directory: str | Path) -> dict:
    """Validate a sample folder; return its scenario summary.

    Raises InputError naming the file and position of the first problem.
    """
    folder = Path(directory)
    labels_path = folder / "labels.json"
    if not labels_path.is_file():
        raise InputError(f"{labels_path} is missing; pass a folder written by `iamlab sample DIR`")
    labels = _load_json(labels_path)
    for path in sorted((folder / "snapshot").rglob("*.json")):
        _load_json(path)
    lookup = _lookup(folder / "lookup-events")
    lake = _lake(folder / "lake")
    wanted = {
        e
        for s in labels.get("scenarios", [])
        for e in [*s.get("event_ids", []), *s.get("context_event_ids", [])]
    }
    wanted |= set(labels.get("hostile_event_ids", [])) | set(lookup) | set(lake)
    found, stats = _scan_cloudtrail(folder / "cloudtrail", wanted)
    for name, view in (("lookup-events", lookup), ("lake", lake)):
        for event_id, rec in view.items():
            if found.get(event_id) != rec:
                _fail(
                    f"{folder / name}",
                    f"event {event_id} differs from (or is missing in) the trail files",
                )
    summary = _check_labels(folder, labels, found)
    return {
        "dir": str(folder),
        "scenarios": len(labels.get("scenarios", [])),
        "scenarios_by_cause": summary["by_cause"],
        "denial_events_by_cause": {
            k: v for k, v in summary["events_by_cause"].items() if k != "not-denial"
        },
        "events": {"s3_export": stats["records"], "lookup_events": len(lookup), "lake": len(lake)},
        "files": {
            "trail": stats["trail_files"],
            "digest": stats["digest_files"],
            "insight": stats["insight_files"],
        },
        "accounts": sorted(stats["accounts"]),
        "regions": sorted(stats["regions"]),
        "event_versions": sorted(stats["versions"], key=lambda v: int(v.split(".")[1])),
        "time_span": [stats["first"], stats["last"]],
        "hostile_event_ids": len(labels.get("hostile_event_ids", [])),
    }
