"""The bundled sample loads whole (S3 tree, lookup-events, Lake), reconciled, duplicates caught."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pytest
from conftest import SAMPLE_DATA


def _s3_ids() -> list[str]:
    ids = []
    paths = sorted((SAMPLE_DATA / "cloudtrail").rglob("*_CloudTrail_*.json.gz"))
    assert len(paths) > 100, "the sample's S3 export is missing"
    for path in paths:
        if "CloudTrail-Digest" in str(path) or "CloudTrail-Insight" in str(path):
            continue
        ids += [r["eventID"] for r in json.loads(gzip.decompress(path.read_bytes()))["Records"]]
    return ids


def _other_ids() -> list[str]:
    ids = []
    paths = sorted((SAMPLE_DATA / "lookup-events").glob("*.json"))
    assert paths, "the sample's lookup-events output is missing"
    for path in paths:
        ids += [
            json.loads(e["CloudTrailEvent"])["eventID"]
            for e in json.loads(path.read_text())["Events"]
        ]
    rows = json.loads((SAMPLE_DATA / "lake" / "get-query-results.json").read_text())[
        "QueryResultRows"
    ]
    ids += [next(c["eventid"] for c in row if "eventid" in c) for row in rows]
    csvs = sorted((SAMPLE_DATA / "lake").glob("result_*.csv.gz"))
    assert csvs, "the sample's Lake CSV results are missing"
    for path in csvs:
        ids += [
            r["eventid"]
            for r in csv.DictReader(io.StringIO(gzip.decompress(path.read_bytes()).decode()))
        ]
    return ids


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    if not (SAMPLE_DATA / "cloudtrail").is_dir():
        pytest.skip("sample_data/ is not in this checkout")
    from iamlab.workspace import Workspace

    ws = Workspace(tmp_path_factory.mktemp("sample") / "ws")
    report = ws.load(
        SAMPLE_DATA / "cloudtrail",
        SAMPLE_DATA / "lookup-events",
        SAMPLE_DATA / "lake",
        progress=False,
    )
    yield ws, report
    ws.close()


def test_whole_sample_reconciles_per_source(loaded):
    ws, report = loaded
    assert report.reconciles and report.rejected_count == 0
    s3_ids, other_ids = _s3_ids(), _other_ids()
    cloudtrail, lookup, lake = report.sources
    assert cloudtrail.seen == len(s3_ids) and cloudtrail.loaded == len(set(s3_ids))
    assert lookup.seen + lake.seen == len(other_ids)
    # every lookup-events and Lake record is also in the S3 export: all duplicates
    assert set(other_ids) <= set(s3_ids)
    assert lookup.loaded == lake.loaded == 0
    assert lookup.duplicates + lake.duplicates == len(other_ids)
    assert ws.sql("SELECT count(*) AS n FROM events").n[0] == len(set(s3_ids))


def test_sample_digest_and_insight_files_are_skipped(loaded):
    _, report = loaded
    reasons = " ".join(r for _, r in report.skipped)
    assert "digest" in reasons and "Insights" in reasons


def test_every_labelled_event_is_loaded(loaded):
    ws, _ = loaded
    labels = json.loads((SAMPLE_DATA / "labels.json").read_text())
    wanted = {i for s in labels["scenarios"] for i in s["event_ids"]}
    found = set(
        ws.sql(
            "SELECT event_id FROM events WHERE list_contains($ids, event_id)",
            {"ids": sorted(wanted)},
        ).event_id
    )
    assert found == wanted
