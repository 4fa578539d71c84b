"""Replaying each labelled denial against the sample's snapshot gives the labelled layer.

This ties the hand-written labels to the evaluation engine: the decisive
statement must not only exist, it must decide. Context comes from the event
(source IP, region) plus what the scenario states (TLS, not via a service).
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

import pytest

from iamlab.snapshot.simulate import simulate
from iamlab.snapshot.snapshot import load

ROOT = Path(__file__).resolve().parents[1] / "sample_data"


@lru_cache(maxsize=1)
def _data():
    labels = json.loads((ROOT / "labels.json").read_text())
    records = {}
    for path in (ROOT / "cloudtrail").rglob("*_CloudTrail_*.json.gz"):
        for rec in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            records[rec["eventID"]] = rec
    return load(ROOT / "snapshot"), labels, records


def _replayable():
    _, labels, _ = _data()
    return [
        s
        for s in labels["scenarios"]
        if s["cause"] != "not-denial"
        and s["decisive"]["layer"] != "session"
        and not s["principal"].startswith("arn:aws:iam::418295736104:")
    ]  # partner: outside the snapshot


def _context(rec: dict) -> dict:
    ctx = {
        "aws:SecureTransport": "true",
        "aws:RequestedRegion": rec["awsRegion"],
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "false",
    }
    ip = rec.get("sourceIPAddress", "")
    if ip[:1].isdigit() and not ip.startswith("10."):
        ctx["aws:SourceIp"] = ip
    return ctx


@pytest.mark.parametrize("label", _replayable(), ids=lambda s: s["id"])
def test_replay_denies_at_the_labelled_layer(label):
    snap, _, records = _data()
    rec = records[label["event_ids"][0]]
    endpoint = None
    if rec.get("vpcEndpointId"):
        endpoint = (
            f"arn:aws:ec2:{rec['awsRegion']}:{rec['vpcEndpointAccountId']}"
            f":vpc-endpoint/{rec['vpcEndpointId']}"
        )
    sim = simulate(
        snap,
        label["principal"],
        label["action"],
        label["resource"],
        _context(rec),
        vpc_endpoint=endpoint,
    )
    result = sim.decision.to_dict()
    decisive = label["decisive"]
    expected = "explicit_deny" if decisive["sid"] else "implicit_deny"
    assert result["decision"] == expected
    assert decisive["layer"] in result["denied_by"]


def test_session_scenario_is_allowed_without_its_session_policy():
    """IncidentResponder itself may terminate: only the session policy denies."""
    snap, labels, records = _data()
    label = next(s for s in labels["scenarios"] if s["id"] == "session-policy-terminate")
    rec = records[label["event_ids"][0]]
    sim = simulate(snap, label["principal"], label["action"], label["resource"], _context(rec))
    assert sim.decision.to_dict()["decision"] == "allow"
