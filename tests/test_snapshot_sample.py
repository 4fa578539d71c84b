"""The bundled sample's snapshot loads, and holds each labelled denial's decisive statement.

For every labelled denial in ``sample_data/labels.json`` the loader must return,
for the label's principal, action and resource, the layer the label names
holding the policy (and Sid) the label names.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from iamlab.snapshot import load

SAMPLE = Path(__file__).parents[1] / "sample_data"
LABELS = json.loads((SAMPLE / "labels.json").read_text())["scenarios"]
DENIALS = [s for s in LABELS if s.get("cause") != "not-denial"]


@pytest.fixture(scope="module")
def snap():
    return load(SAMPLE / "snapshot")


@pytest.fixture(scope="module")
def endpoints() -> dict[str, str]:
    """eventID -> vpcEndpointId for the sample's trail records that went through one."""
    found = {}
    for path in (SAMPLE / "cloudtrail").rglob("*.json.gz"):
        if "CloudTrail-Digest" not in path.parts:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for record in json.load(fh).get("Records", []):
                    if record.get("vpcEndpointId"):
                        found[record["eventID"]] = record["vpcEndpointId"]
    return found


def layer_policies(policies, layer: str) -> list:
    """Return the policies of one layer of a PolicySet (SCP/RCP levels flattened)."""
    if layer in ("resource", "trust"):
        return [policies.resource] if policies.resource is not None else []
    if layer == "session":
        return [policies.session] if policies.session is not None else []
    if layer in ("scp", "rcp"):
        return [p for level in getattr(policies, layer) or () for p in level]
    return list(getattr(policies, layer))


def sids(policy) -> list:
    statements = policy.document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements or []
    return [s.get("Sid") for s in statements]


def test_sample_snapshot_loads_every_policy(snap):
    layers: dict[str, int] = {}
    for layer, policy in snap.all_policies():
        layers[layer] = layers.get(layer, 0) + 1
        assert isinstance(policy.document, dict) and policy.id
    assert {
        "identity",
        "permissions_boundary",
        "trust",
        "scp",
        "rcp",
        "resource",
        "vpc_endpoint",
    } <= set(layers)
    assert snap.organization is not None and snap.organization.management_account
    for account in snap.iam_accounts():  # every user and role resolves with all its layers
        for arn in snap.iam(account).names():
            assert snap.policies_for(arn).identity is not None


def test_labels_have_denials():
    assert len(DENIALS) >= 10


@pytest.mark.parametrize("scenario", DENIALS, ids=[s["id"] for s in DENIALS])
def test_loader_returns_the_decisive_layer_and_statement(snap, endpoints, scenario):
    decisive = scenario["decisive"]
    layer = decisive["layer"]
    vpce = next((endpoints[e] for e in scenario["event_ids"] if e in endpoints), None)
    policies = snap.policies_for(
        scenario["principal"],
        scenario["action"],
        scenario.get("resource") or "*",
        vpc_endpoint=vpce,
    )
    if layer == "session":
        # passed at AssumeRole time, never part of a snapshot: the loader has no session layer
        assert policies.session is None
        assert any("session policies" in c for c in snap.caveats(scenario["principal"]))
        return
    held = layer_policies(policies, layer)
    if layer in ("scp", "rcp"):
        assert getattr(policies, layer) is not None, f"no {layer} levels returned"
    layer_of, wanted = snap.policy(decisive["policy"], decisive.get("policy_name"), layer)
    assert wanted.id in [p.id for p in held], f"{layer} holds {[p.id for p in held]}"
    matching = next(p for p in held if p.id == wanted.id)
    for sid in (decisive.get("sid"), decisive.get("near_miss_sid")):
        if sid:
            assert sid in sids(matching)
            ref = snap.find_statement(decisive["policy"], sid, decisive.get("policy_name"), layer)
            assert ref.policy.id == wanted.id and ref.layer == layer_of
    assert snap.layer_of(wanted.id, scenario["principal"]) == layer
