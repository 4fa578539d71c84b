"""Every labelled denial of the bundled sample: the label's cause, layer, statement, a confirmed
verdict, and the labelled fix found and verified by re-evaluation."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE_DATA

from iamlab.diagnose import diagnose_all
from iamlab.workspace import Workspace

LABELS = json.loads((SAMPLE_DATA / "labels.json").read_text())
DENIAL_SCENARIOS = [s for s in LABELS["scenarios"] if s["cause"] != "not-denial"]
GUARDRAILS = ("identity", "resource", "scp", "rcp", "trust", "session", "vpc_endpoint")


@pytest.fixture(scope="session")
def sample_workspace(tmp_path_factory):
    """The sample's evidence in all three formats, loaded once per test session."""
    with Workspace(tmp_path_factory.mktemp("diagnose-sample")) as ws:
        ws.load(
            str(SAMPLE_DATA / "cloudtrail"),
            str(SAMPLE_DATA / "lookup-events"),
            str(SAMPLE_DATA / "lake"),
            progress=False,
        )
        yield ws


@pytest.fixture(scope="session")
def diagnoses(sample_workspace):
    with sample_workspace.connect() as con:
        return {d.event_id: d for d in diagnose_all(con, SAMPLE_DATA / "snapshot")}


def same_policy(ours: str | None, label: dict) -> bool:
    """Our naming (design) against the label's (policy ARN or id, plus the policy name)."""
    policy = label["policy"]
    return (
        ours
        in (
            policy,
            f"{policy}:inline/{label.get('policy_name')}",
            f"{policy}:trust",
        )
        or (label["layer"] == "session" and ours == "session")
        or (ours is not None and (policy.endswith("/" + ours) or ours.endswith("/" + policy)))
    )


def each_event(scenario, diagnoses):
    for event_id in scenario["event_ids"]:
        assert event_id in diagnoses, f"{scenario['id']}: {event_id} was not diagnosed"
        yield diagnoses[event_id]


@pytest.mark.parametrize("scenario", DENIAL_SCENARIOS, ids=lambda s: s["id"])
def test_labelled_denial_gets_the_labelled_cause(scenario, diagnoses):
    expected = scenario.get("diagnosed_cause") or scenario["cause"]
    for d in each_event(scenario, diagnoses):
        assert d.cause == expected, f"{scenario['id']}: {d.event_id} {d.reasons}"
        if scenario["cause"] == "undetailed":
            assert d.reported_cause == "undetailed", scenario["id"]


@pytest.mark.parametrize("scenario", DENIAL_SCENARIOS, ids=lambda s: s["id"])
def test_labelled_denial_is_confirmed(scenario, diagnoses):
    for d in each_event(scenario, diagnoses):
        assert d.verdict == "confirmed", f"{scenario['id']}: {d.event_id} {d.reasons}"


@pytest.mark.parametrize("scenario", DENIAL_SCENARIOS, ids=lambda s: s["id"])
def test_labelled_denial_names_the_labelled_layer_and_statement(scenario, diagnoses):
    label = scenario["decisive"]
    for d in each_event(scenario, diagnoses):
        assert d.layer == label["layer"], scenario["id"]
        assert same_policy(d.deciding["policy"], label), (scenario["id"], d.deciding)
        assert d.deciding["sid"] == label["sid"], scenario["id"]
        if label.get("near_miss_sid"):
            assert d.near_miss and d.near_miss["sid"] == label["near_miss_sid"], scenario["id"]


@pytest.mark.parametrize("scenario", DENIAL_SCENARIOS, ids=lambda s: s["id"])
def test_labelled_fix_is_found_and_verified(scenario, diagnoses):
    label = scenario["fix"]
    for d in each_event(scenario, diagnoses):
        fix = d.fix
        assert fix is not None, scenario["id"]
        if d.principal is None:
            # A caller outside the snapshot (the partner): the fix makes the snapshot's side
            # allow, but the caller's own account is unknown, so it cannot be proven.
            assert (fix["verified"], fix["decision_after"]) == (False, "unknown"), scenario["id"]
            assert "not verified" in fix["summary"] and "418295736104" in fix["summary"]
        else:
            assert fix["verified"] is True, (scenario["id"], fix["summary"])
            assert fix["decision_after"] == "allow", scenario["id"]
        assert fix["layer"] == label["layer"], (scenario["id"], fix["summary"])
        assert same_policy(
            fix["policy"], {**label, "policy_name": scenario["decisive"].get("policy_name")}
        ), (scenario["id"], fix["policy"])
        assert isinstance(fix["new_access"], list), scenario["id"]
        if d.cause in ("explicit-deny", "org-policy", "session-or-trust", "vpc-endpoint"):
            expected = (
                "by design: the session policy"
                if fix["layer"] == "session"
                else f"by design: ask the owner of {fix['policy']}"
            )
            assert fix["summary"].startswith(expected), scenario["id"]
            assert fix["by_design"] is True, scenario["id"]


@pytest.mark.parametrize(
    "scenario",
    [s for s in DENIAL_SCENARIOS if (s["fix"].get("statement") or {}).get("Resource")],
    ids=lambda s: s["id"],
)
def test_labelled_fix_allows_what_the_label_statement_allows(scenario, diagnoses):
    """The fix's changed statement covers the denied resource, as the label's statement does."""
    for d in each_event(scenario, diagnoses):
        statement = d.fix["statement"]
        resources = statement["Resource"]
        resources = [resources] if isinstance(resources, str) else resources
        action = statement["Action"]
        actions = [action] if isinstance(action, str) else action
        assert scenario["action"] in actions or d.action in actions, scenario["id"]
        assert any(r == "*" or d.resource.startswith(r.rstrip("*")) for r in resources), scenario[
            "id"
        ]


def test_no_unlabelled_denial_differs_without_a_reason(diagnoses):
    for d in diagnoses.values():
        if d.verdict == "differs":
            assert d.reasons, d.event_id


def test_diagnosis_never_confirms_without_a_deciding_policy(diagnoses):
    for d in diagnoses.values():
        if d.verdict == "confirmed":
            assert d.deciding["policy"], d.event_id


def test_fix_to_a_shared_policy_lists_the_new_access_of_everyone_sharing_it(diagnoses):
    """DeveloperAccess is Tom's and Dana's: the added action opens Dana's call too."""
    fix = diagnoses["608cb797-0468-4271-8842-658efc5a3342"].fix
    assert fix["policy"] == "arn:aws:iam::264830159726:policy/DeveloperAccess"
    assert {
        "principal": "arn:aws:iam::264830159726:user/people/dana.kim",
        "action": "lambda:UpdateFunctionConfiguration",
        "resource": "arn:aws:lambda:eu-west-1:264830159726:function:invoice-render",
    } in fix["new_access"]


def test_key_policy_grant_to_a_role_lists_its_other_sessions(diagnoses):
    """Granting the DataEngineer role in the key policy opens Priya's decrypts as well."""
    fix = diagnoses["050c10bb-850d-453b-9dc3-45b5ebdcb69a"].fix
    principals = {item["principal"] for item in fix["new_access"]}
    assert any(p.endswith("/priya.nair@larkspur.io") for p in principals)
    assert not any(p.endswith("/luis.ortega@larkspur.io") for p in principals)  # the denial


def test_fix_that_opens_nothing_else_lists_no_new_access(diagnoses):
    fix = diagnoses["ffbdad96-e19e-4140-8207-0332e2eb8b36"].fix
    assert fix["verified"] and fix["new_access"] == []


def test_a_fix_to_an_identity_center_role_points_at_its_permission_set(diagnoses):
    sso = [
        d
        for d in diagnoses.values()
        if d.fix and "/aws-reserved/sso.amazonaws.com/" in str(d.fix.get("policy"))
    ]
    assert sso
    for d in sso:
        assert "managed by IAM Identity Center" in d.fix["summary"], d.event_id
        set_name = d.fix["policy"].split("AWSReservedSSO_", 1)[1].rsplit("_", 1)[0]
        assert f"permission set {set_name}'s inline policy" in d.fix["summary"]


def test_a_second_diagnosis_keeps_the_cause_aws_reported(tmp_path):
    """The cause AWS reported comes from the message, not from the workspace's last diagnosis
    (the `diagnosed_denials` view): diagnosing twice gives the same reported causes."""
    with Workspace(tmp_path / "ws") as ws:
        ws.load(str(SAMPLE_DATA / "cloudtrail"), progress=False)
        parsed = dict(zip(ws.denials()["event_id"], ws.denials()["cause"], strict=True))
        first = ws.diagnose(SAMPLE_DATA / "snapshot")
        second = ws.diagnose(SAMPLE_DATA / "snapshot")
    reported = dict(zip(first["event_id"], first["reported_cause"], strict=True))
    assert reported == dict(zip(second["event_id"], second["reported_cause"], strict=True))
    assert reported == parsed
    # the sample has denials whose message names no layer while the replay finds one
    assert any(reported[e] != c for e, c in zip(second["event_id"], second["cause"], strict=True))
