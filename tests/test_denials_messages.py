"""Table-driven: every documented message form and every corpus error parses to hand-written fields.

Fixtures: tests/data/denial_messages.json (expected values written by reading
each message, never by running the parser). Corpus records are referenced by
file and record number under ../shared/corpus/cloudtrail, not copied.
"""

# ruff: noqa: E501  (AWS messages are long; kept whole so they read as AWS prints them)

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from iamlab.denials import ParsedDenial, parse

DATA = Path(__file__).parent / "data" / "denial_messages.json"
CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus" / "cloudtrail"  # = conftest's


def load_fixtures() -> dict:
    return json.loads(DATA.read_text("utf-8"))


def corpus_records(name: str) -> list[dict]:
    """Return the CloudTrail records of one corpus file, in file order."""
    text = (CORPUS / name).read_text("utf-8")
    try:
        doc = json.loads(text)
    except ValueError:  # NDJSON (also under a .json name, as in otrf/)
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if "Events" in doc:
        return [json.loads(e["CloudTrailEvent"]) for e in doc["Events"]]
    return doc["Records"]


def corpus_error_records() -> list[tuple[str, int, dict]]:
    """Every corpus record with an errorCode or errorMessage: (file, 1-based number, record)."""
    out = []
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or path.suffix not in (".json", ".ndjson"):
            continue
        name = str(path.relative_to(CORPUS))
        if "bad_cloudtrail" in name or name == "panther/panther_all_test_events.ndjson":
            continue  # malformed on purpose / a superset of the errors file
        for number, record in enumerate(corpus_records(name), 1):
            if record.get("errorCode") is not None or record.get("errorMessage") is not None:
                out.append((name, number, record))
    return out


def expected(expect: dict, message: str | None) -> dict:
    """Fill unlisted fields with None and resolve {"after": marker} values."""
    full = {field: None for field in ParsedDenial.__dataclass_fields__}
    full.update(expect)
    for field, value in full.items():
        if isinstance(value, dict):
            full[field] = message.split(value["after"], 1)[1]
    return full


CASES = load_fixtures()["cases"]
CORPUS_CASES = load_fixtures()["corpus"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_documented_form(case):
    got = parse(case["error_code"], case["error_message"], case["event_source"]).to_dict()
    assert got == expected(case["expect"], case["error_message"])


@pytest.mark.parametrize(
    "case", CORPUS_CASES, ids=[f"{c['file']}#{c['record']}" for c in CORPUS_CASES]
)
def test_corpus_record(case, corpus):
    record = corpus_records(case["file"])[case["record"] - 1]
    got = parse(record.get("errorCode"), record.get("errorMessage"), record.get("eventSource"))
    assert got.to_dict() == expected(case["expect"], record.get("errorMessage"))


def test_every_corpus_error_has_a_fixture(corpus):
    labelled = {(c["file"], c["record"]) for c in CORPUS_CASES}
    found = {(name, number) for name, number, _ in corpus_error_records()}
    assert found == labelled
    assert sum(1 for name, _ in found if name.startswith("panther/")) == 68


def test_every_denial_code_in_corpus_is_recognised(corpus):
    from iamlab.denials.grammar import DENIAL_CODES

    denial_records = [r for _, _, r in corpus_error_records() if r.get("errorCode") in DENIAL_CODES]
    assert len(denial_records) >= 30
    assert all(parse(r.get("errorCode"), r.get("errorMessage")).is_denial for r in denial_records)


def test_result_is_frozen_and_dict_has_the_design_fields():
    result = parse("AccessDenied", "Access Denied")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.cause = "x"  # type: ignore[misc]
    assert list(result.to_dict()) == [
        "is_denial",
        "principal",
        "action",
        "resource",
        "policy_type",
        "deny",
        "policy_arn",
        "authorization_id",
        "encoded_message",
        "cause",
        "operation",
        "action_hint",
    ]


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "\x00",
        "\x00\x01\x1b[31m",
        "User: ",
        " is not authorized to perform: ",
        'User:  is not authorized to perform:  on resource: "',
        12345,
        b"Access Denied",
        "A" * 200_000,
        "User: " * 20_000,
        "because no " * 20_000,
    ],
)
def test_odd_inputs_never_raise(value):
    for code in (None, "AccessDenied", value):
        result = parse(code, value)
        assert result.is_denial in (True, False)


def test_bytes_message_is_decoded():
    assert parse(None, b"Access Denied").is_denial is True
