"""Random and truncated bytes never make load raise, and the counts always reconcile."""

from __future__ import annotations

import gzip
import itertools
import json

from conftest import make_record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NAMES = [
    "111122223333_CloudTrail_us-east-1_20260302T1030Z_abcdEFGH12345678.json.gz",
    "111122223333_CloudTrail_us-east-1_20260302T1030Z_abcdEFGH12345678.json",
    "export.json",
    "events.ndjson",
    "result_1.csv",
    "result_1.csv.gz",
    "lookup.json",
]
_dirs = itertools.count()

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _valid_payloads():
    recs = [make_record() for _ in range(3)]
    return [
        json.dumps({"Records": recs}).encode(),
        "\n".join(json.dumps(r) for r in recs).encode(),
        json.dumps({"Events": [{"CloudTrailEvent": json.dumps(r)} for r in recs]}).encode(),
        json.dumps({"QueryResultRows": [[{"eventjson": json.dumps(r)}] for r in recs]}).encode(),
        b"eventid,eventtime,eventjson\n"
        + b"\n".join(
            (
                f'{r["eventID"]},{r["eventTime"]},"{json.dumps(r).replace(chr(34), chr(34) * 2)}"'
            ).encode()
            for r in recs
        ),
    ]


def _check(workspace, tmp_path, name: str, data: bytes) -> None:
    folder = tmp_path / f"case{next(_dirs)}"
    folder.mkdir()
    (folder / name).write_bytes(data)
    before_events = workspace.sql("SELECT count(*) AS n FROM events").n[0]
    before_rejected = workspace.sql("SELECT count(*) AS n FROM rejected").n[0]
    report = workspace.load(folder, progress=False)  # must not raise
    assert report.reconciles
    s = report.sources[0]
    assert s.seen == s.loaded + s.duplicates + s.rejected + s.filtered
    assert workspace.sql("SELECT count(*) AS n FROM events").n[0] - before_events == report.loaded
    assert (
        workspace.sql("SELECT count(*) AS n FROM rejected").n[0] - before_rejected
        == report.rejected_count
    )
    assert s.files == 1 and report.files_read == [str(folder / name)]


@SETTINGS
@given(name=st.sampled_from(NAMES), data=st.binary(max_size=2000))
def test_random_bytes_never_raise_and_reconcile(workspace, tmp_path, name, data):
    _check(workspace, tmp_path, name, data)


@SETTINGS
@given(
    name=st.sampled_from(NAMES),
    which=st.integers(0, 4),
    cut=st.floats(0, 1),
    compress=st.booleans(),
    flip=st.integers(-1, 10_000),
)
def test_truncated_or_corrupted_evidence_never_raises_and_reconciles(
    workspace, tmp_path, name, which, cut, compress, flip
):
    data = _valid_payloads()[which]
    if compress:
        data = gzip.compress(data)
    data = bytearray(data[: int(len(data) * cut)])
    if 0 <= flip < len(data):
        data[flip] ^= 0x5A
    _check(workspace, tmp_path, name, bytes(data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)
FIELDS = ["eventID", "eventTime", "userIdentity", "requestParameters", "readOnly", "eventName"]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(NAMES[:2] + ["export.json", "events.ndjson"]),
    key=st.sampled_from(FIELDS),
    value=json_values,
)
def test_any_json_value_in_any_field_loads_or_is_rejected_and_reconciles(
    workspace, tmp_path, name, key, value
):
    recs = [make_record(), make_record(**{key: value})]
    if name.endswith(".ndjson"):
        data = "\n".join(json.dumps(r) for r in recs).encode()
    else:
        data = json.dumps({"Records": recs}).encode()
    _check(workspace, tmp_path, name, gzip.compress(data) if name.endswith(".gz") else data)
