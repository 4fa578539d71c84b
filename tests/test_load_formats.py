"""Every evidence format lands in the same events table, and every broken input is explained."""

from __future__ import annotations

import csv
import gzip
import io
import json

from conftest import make_record, trail_path, utc, write_trail_file


def _events(ws):
    return ws.sql("SELECT * FROM events ORDER BY event_id")


def _rejected(ws):
    return ws.sql("SELECT * FROM rejected ORDER BY source, source_position")


def test_s3_export_plain_and_org_trail_gzip_and_plain(workspace, tmp_path):
    a = [make_record(account="111122223333") for _ in range(3)]
    b = [make_record(account="444455556666", region="eu-west-1") for _ in range(2)]
    write_trail_file(trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)), a)
    write_trail_file(
        trail_path(
            tmp_path,
            "444455556666",
            "eu-west-1",
            utc(2026, 3, 2, 11, 0),
            org="o-abcdefghij",
            suffix=".json",
        ),
        b,
    )
    report = workspace.load(tmp_path / "AWSLogs", progress=False)
    assert (report.seen, report.loaded, report.rejected_count) == (5, 5, 0)
    ev = _events(workspace)
    assert set(ev.event_id) == {r["eventID"] for r in a + b}
    row = ev[ev.event_id == b[1]["eventID"]].iloc[0]
    assert row.recipient_account_id == "444455556666" and row.aws_region == "eu-west-1"
    assert row.source.endswith(".json") and row.source_position == "Records[1]"
    # S3 log files keep a pointer, not a copy: raw() re-reads the exact record
    assert row.raw is None
    assert workspace.raw(b[1]["eventID"]) == b[1]  # nothing in the input is lost
    assert json.loads(row.user_identity) == b[1]["userIdentity"]
    assert json.loads(row.request_parameters) == b[1]["requestParameters"]


def test_digest_and_insight_files_are_skipped_by_name_and_by_shape(workspace, tmp_path):
    logs = tmp_path / "AWSLogs" / "111122223333"
    digest = {
        "awsAccountId": "111122223333",
        "digestStartTime": "2026-03-02T10:00:00Z",
        "digestEndTime": "2026-03-02T11:00:00Z",
        "logFiles": [],
    }
    by_name = (
        logs
        / "CloudTrail-Digest"
        / "us-east-1"
        / "2026"
        / "03"
        / "02"
        / ("111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20260302T110000Z.json.gz")
    )
    by_name.parent.mkdir(parents=True)
    by_name.write_bytes(gzip.compress(json.dumps(digest).encode()))
    insight = logs / "CloudTrail-Insight" / "us-east-1" / "2026" / "03" / "02" / "x.json.gz"
    insight.parent.mkdir(parents=True)
    insight.write_bytes(gzip.compress(b'{"Records": []}'))
    # a digest hiding under a log-file name: recognised by its shape
    disguised = trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30))
    disguised.write_bytes(gzip.compress(json.dumps(digest).encode()))
    good = write_trail_file(
        trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 35)), [make_record()]
    )
    report = workspace.load(tmp_path, progress=False)
    reasons = dict(report.skipped)
    assert "digest" in reasons[str(disguised)]
    assert any("CloudTrail-Digest" in f and "digest" in r for f, r in report.skipped)
    assert any("CloudTrail-Insight" in f and "Insights" in r for f, r in report.skipped)
    assert report.loaded == 1 and report.rejected_count == 0
    assert _events(workspace).source[0] == str(good)
    skipped = workspace.sql("SELECT * FROM files_skipped")
    assert str(disguised) in set(skipped.source)


def test_insights_records_are_not_loaded_as_api_events(workspace, tmp_path):
    rec = make_record(eventType="AwsCloudTrailInsight", eventCategory="Insight")
    path = write_trail_file(tmp_path / "insights.json", [rec, make_record()])
    report = workspace.load(path, progress=False)
    assert (report.seen, report.loaded, report.filtered) == (2, 1, 1)


def test_lookup_events_output_and_console_downloads(workspace, tmp_path):
    recs = [make_record() for _ in range(4)]
    lookup = {
        "Events": [
            {"EventId": r["eventID"], "EventName": r["eventName"], "CloudTrailEvent": json.dumps(r)}
            for r in recs[:2]
        ],
        "NextToken": "abc",
    }
    (tmp_path / "lookup.json").write_text(json.dumps(lookup))
    (tmp_path / "console-records.json").write_text(json.dumps({"Records": [recs[2]]}))
    (tmp_path / "console-list.json").write_text(json.dumps([recs[3]]))
    report = workspace.load(tmp_path, progress=False)
    assert (report.loaded, report.rejected_count) == (4, 0)
    ev = _events(workspace).set_index("event_id")
    assert ev.loc[recs[0]["eventID"], "source_position"] == "Events[0]"
    assert ev.loc[recs[3]["eventID"], "source_position"] == "[0]"
    assert json.loads(ev.loc[recs[1]["eventID"], "raw"]) == recs[1]
    assert workspace.raw(recs[1]["eventID"]) == recs[1]


def test_lookup_events_with_a_broken_string_rejects_that_event_only(workspace, tmp_path):
    ok = make_record()
    doc = {
        "Events": [
            {"CloudTrailEvent": json.dumps(ok)},
            {"CloudTrailEvent": '{"eventID": "x", '},
            {"EventId": "no-payload"},
        ]
    }
    (tmp_path / "lookup.json").write_text(json.dumps(doc))
    report = workspace.load(tmp_path / "lookup.json", progress=False)
    rej = _rejected(workspace)
    assert report.loaded == 1 and report.rejected_count == 2 and report.reconciles
    assert list(rej.source_position) == ["Events[1]", "Events[2]"]
    assert rej.reason[0].startswith("CloudTrailEvent is malformed JSON")
    assert rej.reason[1] == "record has no eventTime"


def test_lake_get_query_results_with_eventjson_and_with_columns(workspace, tmp_path):
    a, b = (
        make_record(errorCode="AccessDenied", errorMessage="User: x is not authorized"),
        make_record(),
    )
    with_json = {
        "QueryStatus": "FINISHED",
        "QueryResultRows": [[{"eventid": a["eventID"]}, {"eventjson": json.dumps(a)}]],
    }
    columns = {
        "QueryStatus": "FINISHED",
        "QueryResultRows": [
            [
                {"eventid": b["eventID"]},
                {"eventtime": "2026-03-02 10:00:00.000"},
                {"eventsource": "s3.amazonaws.com"},
                {"eventname": "GetObject"},
                {"awsregion": "us-east-1"},
                {"errorcode": "AccessDenied"},
                {
                    "useridentity": "{type=AssumedRole, principalid=AROAEXAMPLE:alice, "
                    "arn=arn:aws:sts::111122223333:assumed-role/dev/alice, accountid=111122223333, "
                    "sessioncontext={sessionissuer={arn=arn:aws:iam::111122223333:role/dev}}}"
                },
                {"requestparameters": "{bucketName=reports, key=q.csv}"},
                {"readonly": "true"},
                {"recipientaccountid": "111122223333"},
            ]
        ],
    }
    (tmp_path / "q1.json").write_text(json.dumps(with_json))
    (tmp_path / "q2.json").write_text(json.dumps(columns))
    report = workspace.load(tmp_path, progress=False)
    assert (report.loaded, report.rejected_count) == (2, 0)
    ev = _events(workspace).set_index("event_id")
    assert json.loads(ev.loc[a["eventID"], "raw"]) == a
    row = ev.loc[b["eventID"]]
    assert str(row.event_time) == "2026-03-02 10:00:00+00:00"
    assert row.principal_arn == "arn:aws:sts::111122223333:assumed-role/dev/alice"
    assert row.principal_type == "AssumedRole"
    assert row.session_issuer_arn == "arn:aws:iam::111122223333:role/dev"
    assert bool(row.read_only) is True and row.error_code == "AccessDenied"
    assert json.loads(row.request_parameters) == {"bucketName": "reports", "key": "q.csv"}
    assert row.source_position == "QueryResultRows[0]"


def _lake_csv(records: list[dict]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["eventid", "eventtime", "eventname", "errorcode", "eventjson"])
    for r in records:
        w.writerow(
            [
                r["eventID"],
                r["eventTime"].replace("T", " ").replace("Z", ".000"),
                r["eventName"],
                r.get("errorCode", ""),
                json.dumps(r),
            ]
        )
    return out.getvalue().encode()


def test_lake_csv_results_plain_and_gzip(workspace, tmp_path):
    a, b = make_record(), make_record(errorCode="AccessDenied")
    (tmp_path / "result_1.csv").write_bytes(_lake_csv([a]))
    (tmp_path / "result_2.csv.gz").write_bytes(gzip.compress(_lake_csv([b])))
    (tmp_path / "result_3.csv").write_bytes(b"eventid,eventtime\nonly-an-id,not-a-time\n")
    report = workspace.load(tmp_path, progress=False)
    ev = _events(workspace).set_index("event_id")
    assert set(ev.index) == {a["eventID"], b["eventID"]}
    assert ev.loc[b["eventID"], "error_code"] == "AccessDenied"
    assert ev.loc[a["eventID"], "source_position"] == "row 2"
    rej = _rejected(workspace)
    assert list(rej.reason) == ["eventTime is not an ISO-8601 time: not-a-time"]
    assert report.reconciles


def test_ndjson_and_json_arrays_with_a_malformed_line(workspace, tmp_path):
    recs = [make_record() for _ in range(3)]
    lines = [json.dumps(recs[0]), "{not json", "", json.dumps(recs[1])]
    (tmp_path / "events.ndjson").write_text("\n".join(lines) + "\n")
    (tmp_path / "array.json").write_text(json.dumps([recs[2], 42]))
    report = workspace.load(tmp_path, progress=False)
    assert report.loaded == 3 and report.rejected_count == 2 and report.reconciles
    rej = _rejected(workspace)
    reasons = dict(zip(rej.source_position, rej.reason, strict=True))
    assert reasons["line 2 column 2"].startswith("malformed JSON")
    assert reasons["[1]"] == "record is not a JSON object"


def test_bad_files_are_rejected_with_reasons_and_never_stop_the_others(workspace, tmp_path):
    good = write_trail_file(
        trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)),
        [make_record(), make_record()],
    )
    full = gzip.compress(json.dumps({"Records": [make_record()]}).encode())
    truncated = trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 35))
    truncated.write_bytes(full[: len(full) // 2])
    not_ct = trail_path(
        tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 40), suffix=".json"
    )
    not_ct.write_text('{"hello": "world"}')
    no_time = make_record()
    del no_time["eventTime"]
    bad_time = make_record(eventTime="yesterday")
    no_id = make_record(eventID="")
    mixed = write_trail_file(
        trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 45)),
        [no_time, bad_time, no_id, make_record()],
    )
    report = workspace.load(tmp_path, progress=False)
    # the record without an eventID is loaded under a derived id
    assert report.loaded == 4 and report.rejected_count == 4 and report.reconciles
    rej = _rejected(workspace).set_index(["source", "source_position"]).reason
    assert rej[(str(truncated), rej.loc[str(truncated)].index[0])].startswith("truncated gzip")
    assert "not CloudTrail" in rej[(str(not_ct), "file")]
    assert rej[(str(mixed), "Records[0]")] == "record has no eventTime"
    assert rej[(str(mixed), "Records[1]")] == "eventTime is not an ISO-8601 time: yesterday"
    assert set(_events(workspace).source) == {str(good), str(mixed)}


def test_oversized_object_is_rejected(workspace, tmp_path):
    big = write_trail_file(
        trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30)),
        [make_record(userAgent="x" * 5000)],
    )
    small = write_trail_file(tmp_path / "small.json", [make_record()])
    report = workspace.load(tmp_path, progress=False, max_object_bytes=4000)
    rej = _rejected(workspace)
    assert list(rej.source) == [str(big)]
    assert rej.reason[0].startswith("oversized object")
    assert report.loaded == 1 and _events(workspace).source[0] == str(small)
