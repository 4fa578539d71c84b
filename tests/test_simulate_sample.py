"""`iamlab simulate` on the bundled sample reproduces each labelled denial, and its fix allows.

The request context comes from the labelled CloudTrail event (source IP,
Region, time, TLS, VPC endpoint, MFA) and a session policy from the AssumeRole
event that created the session; the label's fix is applied to the layers the
snapshot returns and the request is evaluated again.
"""

from __future__ import annotations

import copy
import gzip
import ipaddress
import json
from pathlib import Path

import pytest

from iamlab.cli import main
from iamlab.policy import evaluate
from iamlab.policy.cases import run_case
from iamlab.policy.request import Policy, PolicySet
from iamlab.snapshot import load, simulate
from iamlab.snapshot.simulate import build_request

SAMPLE = Path(__file__).parents[1] / "sample_data"
LABELS = json.loads((SAMPLE / "labels.json").read_text())["scenarios"]
DENIALS = [s for s in LABELS if s.get("cause") != "not-denial"]


@pytest.fixture(scope="module")
def events() -> dict[str, dict]:
    """Every CloudTrail record of the sample's trail files, by eventID."""
    found = {}
    for path in (SAMPLE / "cloudtrail").rglob("*.json.gz"):
        if "CloudTrail-Digest" in path.parts:
            continue
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for record in json.load(fh).get("Records", []):
                if "eventID" in record:
                    found[record["eventID"]] = record
    return found


@pytest.fixture(scope="module")
def session_policies(events) -> dict[str, dict]:
    """Session ARN -> the session policy its AssumeRole event passed."""
    found = {}
    for record in events.values():
        params = record.get("requestParameters") or {}
        user = (record.get("responseElements") or {}).get("assumedRoleUser") or {}
        if record.get("eventName") == "AssumeRole" and params.get("policy") and user.get("arn"):
            found[user["arn"]] = json.loads(params["policy"])
    return found


@pytest.fixture(scope="module")
def snap():
    return load(SAMPLE / "snapshot")


def context_of(record: dict) -> dict[str, str]:
    """The global condition keys a CloudTrail record tells (not the snapshot's)."""
    ctx = {
        "aws:RequestedRegion": record["awsRegion"],
        "aws:CurrentTime": record["eventTime"],
        "aws:SecureTransport": "true" if record.get("tlsDetails") else "false",
    }
    try:
        ipaddress.ip_address(record.get("sourceIPAddress", ""))
        ctx["aws:SourceIp"] = record["sourceIPAddress"]
    except ValueError:
        pass  # a service name such as athena.amazonaws.com
    if record.get("vpcEndpointId"):
        ctx["aws:SourceVpce"] = record["vpcEndpointId"]
    attributes = (record.get("userIdentity", {}).get("sessionContext") or {}).get("attributes")
    if attributes and "mfaAuthenticated" in attributes:
        ctx["aws:MultiFactorAuthPresent"] = attributes["mfaAuthenticated"]
    return ctx


def cli_args(scenario: dict, context: dict[str, str], session: dict | None) -> list[str]:
    args = [
        "simulate",
        "--snapshot",
        str(SAMPLE / "snapshot"),
        "--principal",
        scenario["principal"],
        "--action",
        scenario["action"],
        "--resource",
        scenario.get("resource") or "*",
        "--json",
    ]
    for key, value in context.items():
        args += ["--context", f"{key}={value}"]
    if session is not None:
        args += ["--session-policy", json.dumps(session)]
    return args


def with_fix(policies: PolicySet, snap, fix: dict, name: str | None) -> PolicySet:
    """Return the layers with the label's fix applied (add/replace a statement, or remove one)."""
    layer = fix["layer"]
    target_id = snap.policy(fix["policy"], name, layer)[1].id

    def patched(policy: Policy | None) -> Policy:
        doc = copy.deepcopy(dict(policy.document)) if policy else {"Version": "2012-10-17"}
        statements = doc.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else list(statements)
        if fix.get("remove_sid"):
            statements = [s for s in statements if s.get("Sid") != fix["remove_sid"]]
        if fix.get("statement"):
            new = fix["statement"]
            statements = [s for s in statements if not new.get("Sid") or s.get("Sid") != new["Sid"]]
            statements.append(new)
        doc["Statement"] = statements
        return Policy(document=doc, id=target_id, name=policy.name if policy else None)

    if layer in ("resource", "trust"):
        return PolicySet(**{**policies.__dict__, "resource": patched(policies.resource)})
    if layer in ("scp", "rcp"):
        levels = [list(level) for level in getattr(policies, layer) or ()]
        for level in levels:
            for i, p in enumerate(level):
                if p.id == target_id:
                    level[i] = patched(p)
        return PolicySet(**{**policies.__dict__, layer: tuple(tuple(lv) for lv in levels)})
    current = list(getattr(policies, layer))
    index = next(i for i, p in enumerate(current) if p.id == target_id)
    current[index] = patched(current[index])
    return PolicySet(**{**policies.__dict__, layer: tuple(current)})


@pytest.mark.parametrize("scenario", DENIALS, ids=[s["id"] for s in DENIALS])
def test_simulate_reproduces_the_labelled_denial_and_the_fix_allows(
    snap, events, session_policies, scenario, capsys
):
    record = events[scenario["event_ids"][0]]
    context = context_of(record)
    session = session_policies.get(scenario["principal"])
    status = main(cli_args(scenario, context, session))
    out, err = capsys.readouterr()
    decision = json.loads(out)
    decisive = scenario["decisive"]
    layer = decisive["layer"]
    if "identity" in decision["unknown"]:
        # a caller from outside the snapshot: denied whatever its own account holds, but its
        # unknown SCPs could be the layer AWS names, so the answer is unknown (exit 3)
        assert status == 3 and decision["decision"] == "unknown", _summary(decision)
        assert "allow" not in decision["possible"] and layer in decision["lacking_allow"]
        return
    assert status == 1, f"expected a denial, got status {status}: {err or out[:3000]}"
    explicit = bool(decisive.get("sid")) and _effect(snap, decisive, session) == "Deny"
    expected = "explicit_deny" if explicit else "implicit_deny"
    assert decision["decision"] == expected, _summary(decision)
    assert layer in decision["denied_by"], _summary(decision)
    if explicit:
        policy_id = (
            scenario["principal"]
            if layer == "session"
            else snap.policy(decisive["policy"], decisive.get("policy_name"), layer)[1].id
        )
        refs = {(s["policy_id"], s["sid"]) for s in decision["deciding"]}
        assert (policy_id, decisive["sid"]) in refs, _summary(decision)

    fix = scenario["fix"]
    if not (fix.get("statement") or fix.get("remove_sid")):
        assert fix.get("intended") is True  # the deny is wanted: nothing to flip
        return
    request = build_request(
        snap, scenario["principal"], scenario["action"], scenario.get("resource") or "*", context
    )
    policies = snap.policies_for(
        scenario["principal"],
        scenario["action"],
        request.resource,
        request.resource_account,
        vpc_endpoint=record.get("vpcEndpointId"),
    )
    name = decisive.get("policy_name") if fix["policy"] == decisive["policy"] else None
    fixed = evaluate(request, with_fix(policies, snap, fix, name))
    assert fixed.decision == "allow", str(fixed)


def _effect(snap, decisive: dict, session: dict | None) -> str | None:
    if decisive["layer"] == "session":
        statements = (session or {}).get("Statement", [])
        return next((s["Effect"] for s in statements if s.get("Sid") == decisive["sid"]), None)
    ref = snap.find_statement(
        decisive["policy"], decisive["sid"], decisive.get("policy_name"), decisive["layer"]
    )
    return ref.statement.get("Effect")


def _summary(decision: dict) -> str:
    keys = ("decision", "denied_by", "deciding", "notes", "missing_context", "caveats")
    return json.dumps({k: decision.get(k) for k in keys}, indent=1)[:4000]


@pytest.mark.parametrize("scenario", DENIALS, ids=[s["id"] for s in DENIALS])
def test_each_replay_saved_as_a_case_runs_with_the_same_decision(
    snap, events, session_policies, scenario
):
    record = events[scenario["event_ids"][0]]
    result = simulate(
        snap,
        scenario["principal"],
        scenario["action"],
        scenario.get("resource") or "*",
        context_of(record),
        session_policy=session_policies.get(scenario["principal"]),
    )
    case = result.to_case(scenario["id"])
    json.dumps(case)  # the case is plain JSON
    outcome = run_case(case)
    assert outcome.passed, outcome.problems
    assert case["expect"]["decision"] in ("implicit_deny", "explicit_deny") or (
        case["expect"]["decision"] == "unknown" and result.decision.denied
    )


# Error codes AWS only returns after authorization succeeded: a dry run that would have
# worked, and "not found" answers (S3 answers 404 rather than 403 only to callers allowed to list).
AUTHORIZED_CODES = {"Client.DryRunOperation", "NoSuchKey", "ResourceNotFoundException"}
AUTHORIZED = [s for s in LABELS if s.get("error_code") in AUTHORIZED_CODES and s.get("resource")]


def test_sample_has_authorized_non_denials():
    assert len(AUTHORIZED) >= 2


@pytest.mark.parametrize("scenario", AUTHORIZED, ids=[s["id"] for s in AUTHORIZED])
def test_requests_aws_authorized_are_allowed(snap, events, scenario, capsys):
    record = events[scenario["event_ids"][0]]
    status = main(cli_args(scenario, context_of(record), None))
    out, err = capsys.readouterr()
    assert status == 0, err or _summary(json.loads(out))
    assert json.loads(out)["decision"] == "allow"
