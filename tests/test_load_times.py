"""eventTime must be a real ISO-8601 instant in 2013-01-01..2100-01-01, in every format."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import make_record, trail_path, utc

NOT_ISO = "eventTime is not an ISO-8601 time: "
OUTSIDE = "eventTime is outside 2013-01-01..2100-01-01: "
BAD = [  # (value, why)
    ("infinity", NOT_ISO),
    ("-infinity", NOT_ISO),
    ("epoch", NOT_ISO),
    ("99999-01-01T00:00:00Z", NOT_ISO),
    ("2026-02-30T10:00:00Z", NOT_ISO),
    ("2026-03-02", NOT_ISO),
    ("2026-03-02T10:00:00Z\x1b]0;pwned\x07", NOT_ISO),
    ("2012-12-31T23:59:59Z", OUTSIDE),
    ("2100-01-01T00:00:00Z", OUTSIDE),
    ("1970-01-01T00:00:00Z", OUTSIDE),
]
GOOD = ["2013-01-01T00:00:00Z", "2099-12-31T23:59:59Z", "2026-03-02T10:00:00.123+02:00"]


def _write(tmp_path, fmt: str, records: list[dict]):
    if fmt == "s3-log":
        path = trail_path(tmp_path, "111122223333", "us-east-1", utc(2026, 3, 2, 10, 30))
        path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    else:
        path = tmp_path / "events.ndjson"
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


@pytest.mark.parametrize("fmt", ["s3-log", "ndjson"])
def test_times_outside_the_range_or_not_iso_are_rejected_with_the_value(workspace, tmp_path, fmt):
    records = [make_record(when) for when in [b[0] for b in BAD] + GOOD]
    path = _write(tmp_path, fmt, records)
    report = workspace.load(path, progress=False)
    assert (report.loaded, report.rejected_count) == (len(GOOD), len(BAD)) and report.reconciles
    reasons = sorted(workspace.sql("SELECT reason FROM rejected").reason)
    assert reasons == sorted(why + when for when, why in BAD)
    years = set(workspace.sql("SELECT year(event_time) AS y FROM events").y)
    assert years == {2013, 2099, 2026}


def test_a_bad_time_never_matches_a_window(workspace, tmp_path):
    path = _write(
        tmp_path, "ndjson", [make_record("infinity"), make_record("2026-03-02T10:00:00Z")]
    )
    report = workspace.load(path, since="2026-03-01", until="2026-03-03", progress=False)
    assert (report.loaded, report.rejected_count, report.filtered) == (1, 1, 0)
