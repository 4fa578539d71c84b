"""On the bundled sample: every labelled denial is found with its labelled cause
(where the message can tell it), no "not-denial" label is counted, and the SQL
view agrees with the Python parser on every error event."""

# ruff: noqa: E501  (AWS messages are long; kept whole so they read as AWS prints them)

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from iamlab.denials import FIELDS, parse, read_message
from iamlab.workspace import Workspace

NONE = {f: None for f in FIELDS} | {"is_denial": False}

SAMPLE = Path(__file__).parents[1] / "sample_data"
LABELS = json.loads((SAMPLE / "labels.json").read_text("utf-8"))
SCENARIOS = LABELS["scenarios"]
DENIAL_SCENARIOS = [s for s in SCENARIOS if s["cause"] != "not-denial"]


def _value(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    with Workspace(tmp_path_factory.mktemp("sample-ws")) as workspace:
        workspace.load(str(SAMPLE / "cloudtrail"), progress=False)
        yield workspace


@pytest.fixture(scope="module")
def denials(ws):
    return ws.denials().set_index("event_id")


def reported_cause(label_cause: str) -> str:
    """The cause a message can report for a label: resource-arn reads as missing-action."""
    return "missing-action" if label_cause == "resource-arn" else label_cause


def test_denials_are_exactly_the_labelled_ones(denials):
    labelled = {e for s in DENIAL_SCENARIOS for e in s["event_ids"]}
    assert set(denials.index) == labelled
    assert len(labelled) > 50


@pytest.mark.parametrize("scenario", DENIAL_SCENARIOS, ids=[s["id"] for s in DENIAL_SCENARIOS])
def test_labelled_denial_has_its_cause_and_layer(scenario, denials):
    for event_id in scenario["event_ids"]:
        row = denials.loc[event_id]
        assert row.cause == reported_cause(scenario["cause"])
        layer = _value(row.policy_type)
        if layer is not None:  # the message named a layer: the label's decisive one
            assert layer == scenario["decisive"]["layer"]
        arn = _value(row.policy_arn)
        if arn is not None:
            policy = scenario["decisive"]["policy"]
            assert arn == policy or arn.endswith("/" + policy)
        if _value(row.action) is not None:
            assert row.action == scenario["action"]


@pytest.mark.parametrize(
    "scenario",
    [s for s in SCENARIOS if s["cause"] == "not-denial"],
    ids=[s["id"] for s in SCENARIOS if s["cause"] == "not-denial"],
)
def test_not_denial_labels_are_not_counted(scenario, ws, denials):
    for event_id in scenario["event_ids"]:
        assert event_id not in denials.index
        rows = ws.sql("SELECT is_denial FROM error_events WHERE event_id = ?", [event_id])
        assert rows.empty or not rows.is_denial[0]


def test_hostile_resource_names_stay_in_the_resource(ws, denials):
    hostile = [e for e in LABELS["hostile_event_ids"] if e in denials.index]
    assert hostile
    for event_id in hostile:
        row = denials.loc[event_id]
        assert row.principal.startswith("arn:aws:sts::") and "<" not in row.principal
        assert "<" in row.resource or '"' in row.resource
        assert row.policy_type == "identity" and _value(row.policy_arn) is None


def test_sql_agrees_with_python_on_every_sample_error(ws):
    cols = ", ".join(f"d.{f}" for f in FIELDS if f != "is_denial")
    with ws.connect() as con:
        rows = con.execute(
            f"SELECT e.error_code, e.error_message, e.is_denial, {cols} FROM error_events e "
            "LEFT JOIN denials d USING (event_id)"
        ).fetchall()
    assert len(rows) > 100
    for code, message, is_denial, *fields in rows:
        sql = dict(zip(FIELDS, [is_denial, *fields], strict=True)) if is_denial else NONE
        read = read_message(code, message).to_dict()
        assert sql == {f: read[f] for f in FIELDS}, (code, message)
        pasted = parse(code, message).to_dict()  # evidence reads the same through parse()
        assert sql == {f: pasted[f] for f in FIELDS}, (code, message)


def test_lake_export_gives_the_same_denials(tmp_path, denials):
    with Workspace(tmp_path / "lake-ws") as lake:
        lake.load(str(SAMPLE / "lake"), progress=False)
        got = lake.denials().set_index("event_id")
    assert not got.empty
    for event_id, row in got.iterrows():
        assert row.cause == denials.loc[event_id].cause
        assert _value(row.resource) == _value(denials.loc[event_id].resource)
