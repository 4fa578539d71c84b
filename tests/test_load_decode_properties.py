"""Hypothesis over the careful decoders: any bytes and any JSON values as records never raise,
and the splitter finds the same values as a whole-document parse, whatever the chunking."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamlab.trail.decode import Decoded, decode_file
from iamlab.trail.stream import Scanner

SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
NAMES = ["x.json", "x.json.gz", "x.ndjson", "x.csv", "x.csv.gz", "lookup.json"]
_n = itertools.count()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _decode(tmp_path: Path, name: str, data: bytes) -> Decoded:
    path = tmp_path / f"{next(_n)}-{name}"
    path.write_bytes(data)
    result = decode_file(path, 1 << 20, max_record_bytes=4096)
    for raw in result.raws:  # what reaches DuckDB is JSON text
        orjson.loads(raw)
    for position, reason, snippet in result.rejects:
        assert isinstance(position, str) and reason and isinstance(snippet, str)
    return result


@SETTINGS
@given(name=st.sampled_from(NAMES), data=st.binary(max_size=3000))
def test_any_bytes_decode_without_raising(tmp_path, name, data):
    _decode(tmp_path, name, data)


@SETTINGS
@given(value=json_values, shape=st.sampled_from(["records", "list", "events", "lake", "ndjson"]))
def test_any_json_value_as_a_record_decodes_without_raising(tmp_path, value, shape):
    text = json.dumps(value)
    docs = {
        "records": {"Records": [value, value]},
        "list": [value],
        "events": {"Events": [{"CloudTrailEvent": text}, {"CloudTrailEvent": value}, value]},
        "lake": {"QueryResultRows": [[{"eventjson": text}], [{"eventid": value}], value]},
    }
    data = (text + "\n" + text + "\n") if shape == "ndjson" else json.dumps(docs[shape])
    result = _decode(tmp_path, "x.ndjson" if shape == "ndjson" else "x.json", data.encode())
    assert len(result.raws) + len(result.rejects) >= 1


@SETTINGS
@given(values=st.lists(json_values, max_size=6), chunk=st.integers(1, 64), pretty=st.booleans())
def test_the_splitter_finds_each_element_whatever_the_chunk_size(values, chunk, pretty):
    data = json.dumps(values, indent=2 if pretty else None).encode()
    pieces = iter([data[i : i + chunk] for i in range(0, len(data), chunk)])
    sc = Scanner(lambda: next(pieces, b""), limit=1 << 20)
    assert sc.peek() == ord("[")
    sc.skip()
    found = []
    while sc.peek() != ord("]"):
        v = sc.value()
        assert v is not None and v.complete and v.data is not None
        found.append(orjson.loads(v.data))
        if sc.peek() == ord(","):
            sc.skip()
    assert found == orjson.loads(data)
