"""The sample's evidence follows AWS's layouts and every file parses."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from pathlib import Path

import pytest

from iamlab.errors import InputError
from iamlab.sample import check, generate

TRAIL = re.compile(
    r"^AWSLogs/(?:o-[a-z0-9]{10}/)?(\d{12})/CloudTrail/([a-z]{2}-[a-z]+-\d)/(\d{4})/(\d{2})/(\d{2})/"
    r"\1_CloudTrail_\2_(\d{8})T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$"
)
DIGEST = re.compile(
    r"^AWSLogs/(?:o-[a-z0-9]{10}/)?(\d{12})/CloudTrail-Digest/([a-z]{2}-[a-z]+-\d)/\d{4}/\d{2}/\d{2}/"
    r"\1_CloudTrail-Digest_\2_[\w.-]+_[a-z]{2}-[a-z]+-\d_\d{8}T\d{6}Z\.json\.gz$"
)
INSIGHT = re.compile(
    r"^AWSLogs/(?:o-[a-z0-9]{10}/)?(\d{12})/CloudTrail-Insight/([a-z]{2}-[a-z]+-\d)/\d{4}/\d{2}/\d{2}/"
    r"\1_CloudTrail-Insight_\2_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$"
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "s"
    generate(out, events=2500)
    return out


def _trail_files(root: Path):
    for path in sorted((root / "cloudtrail").rglob("*")):
        if path.is_file():
            yield path.relative_to(root / "cloudtrail").as_posix(), path


def test_every_key_follows_the_s3_layout(sample):
    kinds = {"trail": 0, "digest": 0, "insight": 0}
    for key, _ in _trail_files(sample):
        if m := TRAIL.match(key):
            assert m.group(6) == m.group(3) + m.group(4) + m.group(5)  # date folder = delivery date
            kinds["trail"] += 1
        elif DIGEST.match(key):
            kinds["digest"] += 1
        elif INSIGHT.match(key):
            kinds["insight"] += 1
        else:
            pytest.fail(f"unexpected key {key}")
    assert kinds["trail"] > 50 and kinds["digest"] > 5 and kinds["insight"] == 1


def test_account_and_organization_prefixes_both_used(sample):
    keys = [k for k, _ in _trail_files(sample) if "/CloudTrail/" in k]
    assert any(k.startswith("AWSLogs/o-7kq2m9xw4r/") for k in keys)
    assert any(re.match(r"AWSLogs/\d{12}/CloudTrail/", k) for k in keys)
    digests = [k for k, _ in _trail_files(sample) if "/CloudTrail-Digest/" in k]
    assert all(k.startswith("AWSLogs/o-7kq2m9xw4r/") for k in digests)


def test_trail_files_parse_and_ids_are_unique(sample):
    seen: set[str] = set()
    versions: set[str] = set()
    identity_types: set[str] = set()
    for key, path in _trail_files(sample):
        if not TRAIL.match(key):
            continue
        account, region = TRAIL.match(key).group(1, 2)
        records = json.loads(gzip.decompress(path.read_bytes()))["Records"]
        assert records, key
        for rec in records:
            assert rec["eventID"] not in seen
            seen.add(rec["eventID"])
            assert rec["awsRegion"] == region and rec["recipientAccountId"] == account
            versions.add(rec["eventVersion"])
            identity_types.add(rec["userIdentity"].get("type", "(service event)"))
    assert {"1.05", "1.06", "1.07", "1.08", "1.09", "1.10", "1.11"} <= versions
    assert {
        "Root",
        "IAMUser",
        "AssumedRole",
        "Role",
        "FederatedUser",
        "AWSAccount",
        "AWSService",
        "IdentityCenterUser",
        "SAMLUser",
        "WebIdentityUser",
        "Unknown",
    } <= identity_types


def test_fields_newer_than_the_event_version_are_absent(sample):
    for key, path in _trail_files(sample):
        if not TRAIL.match(key):
            continue
        for rec in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            minor = int(rec["eventVersion"].split(".")[1])
            if minor < 6:
                assert "managementEvent" not in rec
            if minor < 7:
                assert "eventCategory" not in rec
            if minor < 8:
                assert "tlsDetails" not in rec


def test_records_are_not_sorted_within_files(sample):
    unordered = 0
    for key, path in _trail_files(sample):
        if TRAIL.match(key):
            times = [
                r["eventTime"] for r in json.loads(gzip.decompress(path.read_bytes()))["Records"]
            ]
            unordered += times != sorted(times)
    assert unordered > 10


def test_digests_reference_existing_files_with_their_hashes(sample):
    for key, path in _trail_files(sample):
        if not DIGEST.match(key):
            continue
        digest = json.loads(gzip.decompress(path.read_bytes()))
        assert "Records" not in digest and digest["digestS3Object"] == key
        for log in digest["logFiles"]:
            target = sample / "cloudtrail" / log["s3Object"]
            assert hashlib.sha256(target.read_bytes()).hexdigest() == log["hashValue"]


def test_lookup_events_shape(sample):
    files = sorted((sample / "lookup-events").glob("*.json"))
    assert [f.name for f in files] == [
        "264830159726-eu-west-1.json",
        "264830159726-us-east-1.json",
        "731926485017-eu-west-1.json",
    ]
    for f in files:
        events = json.loads(f.read_text())["Events"]
        assert events
        times = [e["EventTime"] for e in events]
        assert times == sorted(times, reverse=True)  # newest first, like the API
        for e in events:
            rec = json.loads(e["CloudTrailEvent"])  # a JSON string, parsed a second time
            assert rec["eventID"] == e["EventId"] and e["ReadOnly"] in ("true", "false")
            assert rec.get("eventCategory", "Management") == "Management"
            assert f.name.startswith(rec["recipientAccountId"] + "-" + rec["awsRegion"])


def test_lake_results_shape(sample):
    data = json.loads((sample / "lake" / "get-query-results.json").read_text())
    assert data["QueryStatus"] == "FINISHED"
    rows = data["QueryResultRows"]
    assert data["QueryStatistics"]["ResultsCount"] == len(rows) > 20
    for row in rows:
        assert all(len(cell) == 1 and isinstance(next(iter(cell.values())), str) for cell in row)
        cells = {k: v for cell in row for k, v in cell.items()}
        assert json.loads(cells["eventjson"])["eventID"] == cells["eventid"]
        assert cells["errorcode"]
    text = gzip.decompress((sample / "lake" / "result_0.csv.gz").read_bytes()).decode()
    csv_rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["eventid"] for r in csv_rows] == [
        next(c["eventid"] for c in row if "eventid" in c) for row in rows
    ]


def test_snapshot_files_have_cli_shapes(sample):
    snap = sample / "snapshot"
    for path in snap.rglob("*.json"):
        json.loads(path.read_text())
    auth = json.loads((snap / "accounts/731926485017/authorization-details.json").read_text())
    assert set(auth) == {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}
    roles = {r["RoleName"]: r for r in auth["RoleDetailList"]}
    sso = next(r for n, r in roles.items() if n.startswith("AWSReservedSSO_DataEngineer_"))
    assert sso["Path"].startswith("/aws-reserved/sso.amazonaws.com/") and sso["RoleId"].startswith(
        "AROA"
    )
    assert isinstance(sso["AssumeRolePolicyDocument"], dict)  # the CLI prints documents as objects
    assert (
        roles["AWSServiceRoleForAutoScaling"]["Path"]
        == "/aws-service-role/autoscaling.amazonaws.com/"
    )
    assert roles["analytics-etl"]["PermissionsBoundary"]["PermissionsBoundaryType"] == "Policy"
    policy = next(p for p in auth["Policies"] if p["PolicyName"] == "LegacyReportingAccess")
    assert sum(v["IsDefaultVersion"] for v in policy["PolicyVersionList"]) == 1
    for name in ("FullAWSAccess", "RCPFullAWSAccess"):
        pid = f"p-{name}"
        data = json.loads((snap / f"organization/policies/{pid}.json").read_text())
        assert data["Policy"]["PolicySummary"]["Name"] == name
        assert {"TargetId": "r-7kq2"}.items() <= data["Targets"][0].items()
        json.loads(data["Policy"]["Content"])  # Content is a JSON string
    kinds = {
        json.loads(p.read_text())["Policy"]["PolicySummary"]["Type"]
        for p in (snap / "organization/policies").glob("*.json")
    }
    assert kinds == {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
    services = {p.parent.name for p in snap.glob("accounts/*/resource-policies/*/*.json")}
    assert {"s3", "kms", "lambda", "sqs", "sns", "secretsmanager"} <= services


def test_check_accepts_the_sample_and_rejects_damage(sample, tmp_path):
    summary = check(sample)
    assert summary["events"]["s3_export"] > 2500
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(sample, broken)
    victim = next(p for k, p in _trail_files(broken) if TRAIL.match(k))
    victim.rename(victim.with_name("not-a-cloudtrail-name.json.gz"))
    with pytest.raises(InputError, match="not-a-cloudtrail-name"):
        check(broken)


def test_check_names_a_duplicate_event(sample, tmp_path):
    import shutil

    broken = tmp_path / "dup"
    shutil.copytree(sample, broken)
    files = [p for k, p in _trail_files(broken) if TRAIL.match(k)]
    first = json.loads(gzip.decompress(files[0].read_bytes()))
    second = json.loads(gzip.decompress(files[1].read_bytes()))
    dup = dict(second["Records"][0], eventID=first["Records"][0]["eventID"])
    second["Records"][0] = dup
    files[1].write_bytes(gzip.compress(json.dumps(second).encode()))
    for d in broken.rglob("*_CloudTrail-Digest_*.json.gz"):
        d.unlink()  # the edited file no longer matches its digest hash
    with pytest.raises(InputError, match="duplicate eventID"):
        check(broken)


def test_check_rejects_a_label_whose_statement_is_not_in_the_snapshot(sample, tmp_path):
    import shutil

    broken = tmp_path / "labels"
    shutil.copytree(sample, broken)
    labels = json.loads((broken / "labels.json").read_text())
    target = next(s for s in labels["scenarios"] if s["id"] == "org-policy-scp-region")
    target["decisive"]["sid"] = "NoSuchStatement"
    (broken / "labels.json").write_text(json.dumps(labels))
    with pytest.raises(InputError, match="NoSuchStatement"):
        check(broken)
    labels["scenarios"] = [s for s in labels["scenarios"] if s["cause"] != "vpc-endpoint"]
    target["decisive"]["sid"] = "DenyOutsideApprovedRegions"
    (broken / "labels.json").write_text(json.dumps(labels))
    with pytest.raises(InputError, match="vpc-endpoint"):
        check(broken)
