"""Real CloudTrail files written by others load, and the broken one is rejected with its reason."""

from __future__ import annotations

import json
import re


def test_malformed_cloudgrappler_file_is_rejected_and_the_rest_loads(workspace, corpus):
    folder = corpus / "cloudgrappler"
    report = workspace.load(folder, progress=False)
    bad = str(folder / "bad_cloudtrail.json")
    rejected = workspace.sql("SELECT * FROM rejected WHERE source = $s", {"s": bad})
    assert len(rejected) == 1
    # the file is 965 bytes long and ends inside its first record, which starts at byte 13
    assert rejected.source_position[0] == "Records[0], byte 13"
    assert rejected.reason[0] == (
        "truncated: the file ends inside this record (952 bytes from byte 13 not loaded)"
    )
    loaded = workspace.sql(
        "SELECT source, count(*) AS n FROM events GROUP BY source ORDER BY source"
    )
    assert list(loaded.source) == [
        str(folder / "cloudtrail.json"),
        str(folder / "cloudtrail_singleline.json"),
    ]
    assert report.loaded == 2 and report.rejected_count == 1 and report.reconciles
    assert report.sources[0].files == 3


def test_logstash_ndjson_extra_keys_do_not_break_anything(workspace, corpus):
    path = corpus / "otrf" / "ec2_proxy_s3_exfiltration_2020-09-14011940.json"
    lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    report = workspace.load(path, progress=False)
    assert report.seen == len(lines) == 103
    assert report.loaded == len({x["eventID"] for x in lines})
    assert report.rejected_count == 0
    # Logstash moved eventTime into @timestamp: it becomes event_time, raw keeps every key
    first = lines[0]
    row = workspace.sql(
        "SELECT event_time, raw->>'$.\"@version\"' AS version, event_name, principal_arn "
        "FROM events WHERE event_id = $id",
        {"id": first["eventID"]},
    ).iloc[0]
    assert row.event_time.isoformat().startswith(first["@timestamp"][:19])
    assert row.version == first["@version"]
    assert row.event_name == first["eventName"]
    assert row.principal_arn == first["userIdentity"]["arn"]


def test_lookup_events_string_is_decoded(workspace, corpus):
    path = corpus / "eks-immersion-day" / "lookup_events_AssumeRoleForPodIdentity_denied.json"
    report = workspace.load(path, progress=False)
    assert report.loaded == 1
    row = workspace.sql("SELECT * FROM events").iloc[0]
    assert row.event_id == "d647586b-b713-46af-b7f9-512c7f5145dd"
    assert row.error_code == "AccessDenied"
    assert row.principal_type == "AssumedRole"
    assert row.session_issuer_arn.endswith(
        "role/eks-bootstrap-template-ws-EKSNodegroupRole-E1potkq4Auqa"
    )
    assert row.aws_region == "us-west-2" and bool(row.read_only) is True
    assert json.loads(row.tls_details)["tlsVersion"] == "TLSv1.3"
    assert row.source_position == "Events[0]"


def test_trailscraper_plain_and_gzip_hold_the_same_records(workspace, corpus):
    folder = corpus / "trailscraper"
    report = workspace.load(folder, progress=False)
    # two files with the same two events: two loaded, two duplicates
    assert (report.seen, report.loaded, report.duplicates) == (4, 2, 2)
    rows = workspace.sql(
        "SELECT event_id, event_time, source_position FROM events ORDER BY event_time"
    )
    assert list(rows.source_position) == ["Records[0]", "Records[1]"]
    assert str(rows.event_time[0]) == "2017-12-11 15:01:51+00:00"


ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def test_panther_ndjson_rejects_exactly_the_records_without_a_time(workspace, corpus):
    """Records without an eventID are loaded under a derived id; ids reused for other
    content (Panther's test events reuse "1", "1111", ...) are conflicts, both kept."""
    path = corpus / "panther" / "panther_all_test_events.ndjson"
    lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]

    def ok(r: dict) -> bool:
        # ISO 8601 as CloudTrail and Panther write it (nanosecond fractions too);
        # one upstream record has eventTime "redacted", another "...".
        return bool(ISO_TIME.match(str(r.get("eventTime"))))

    def content(r: dict) -> tuple:
        fields = ("eventTime", "eventName", "eventSource", "recipientAccountId")
        if not r.get("eventID"):
            return ("derived", json.dumps(r, sort_keys=True))
        return (r["eventID"], *(r.get(k) for k in fields))

    bad = [i for i, r in enumerate(lines, 1) if not ok(r)]
    good = [r for r in lines if ok(r)]
    kept = {content(r) for r in good}
    by_id: dict[str, set] = {}
    for key in kept:
        if key[0] != "derived":
            by_id.setdefault(key[0], set()).add(key)
    report = workspace.load(path, progress=False)
    assert report.seen == len(lines)
    assert report.rejected_count == len(bad)
    assert report.loaded == len(kept)
    assert report.duplicates == len(good) - len(kept)
    assert report.reconciles
    positions = set(workspace.sql("SELECT source_position FROM rejected").source_position)
    assert positions == {f"line {i}" for i in bad}
    derived = workspace.sql("SELECT event_id FROM events WHERE event_id_derived").event_id
    assert len(derived) == sum(1 for k in kept if k[0] == "derived")
    assert all(e.startswith("derived-") for e in derived)
    conflicts = set(workspace.sql("SELECT event_id FROM conflicts").event_id)
    assert conflicts == {i for i, keys in by_id.items() if len(keys) > 1}
    assert "a431f05e-67e1-11ea-bc55-0242ac130003" in conflicts


def test_whole_corpus_reconciles_with_the_tables(workspace, corpus):
    report = workspace.load(corpus, progress=False)
    assert report.reconciles
    events = workspace.sql("SELECT count(*) AS n FROM events").n[0]
    rejected = workspace.sql("SELECT count(*) AS n FROM rejected").n[0]
    assert events == report.loaded and rejected == report.rejected_count
    assert (
        report.seen == report.loaded + report.duplicates + report.rejected_count + report.filtered
    )
