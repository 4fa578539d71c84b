"""labels.json agrees with the committed evidence and snapshot, and covers every cause."""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "sample_data"
CAUSES = {
    "missing-action",
    "resource-arn",
    "explicit-deny",
    "org-policy",
    "permissions-boundary",
    "session-or-trust",
    "resource-policy",
    "vpc-endpoint",
    "undetailed",
}
EC2_PREFIX = "You are not authorized to perform this operation."


@lru_cache(maxsize=1)
def labels() -> dict:
    return json.loads((ROOT / "labels.json").read_text())


@lru_cache(maxsize=1)
def evidence() -> dict[str, dict]:
    records = {}
    for path in (ROOT / "cloudtrail").rglob("*_CloudTrail_*.json.gz"):
        for rec in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            records[rec["eventID"]] = rec
    assert len(records) > 10_000, "the sample's S3 export is missing"
    return records


def scenario(sid: str) -> dict:
    return next(s for s in labels()["scenarios"] if s["id"] == sid)


def events(sid: str) -> list[dict]:
    return [evidence()[e] for e in scenario(sid)["event_ids"]]


def _statement_ids(doc) -> set[str]:
    doc = json.loads(doc) if isinstance(doc, str) else doc
    return {s.get("Sid") for s in doc["Statement"] if s.get("Sid")}


def _document(decisive: dict, label: dict):
    snap = ROOT / "snapshot"
    layer, policy, account = decisive["layer"], decisive["policy"], decisive["account"]
    if layer in ("scp", "rcp"):
        data = json.loads((snap / "organization/policies" / f"{policy}.json").read_text())
        kind = {"scp": "SERVICE_CONTROL_POLICY", "rcp": "RESOURCE_CONTROL_POLICY"}[layer]
        assert data["Policy"]["PolicySummary"]["Type"] == kind
        return data["Policy"]["Content"]
    if layer in ("resource", "vpc_endpoint"):
        for path in (snap / "accounts" / account / "resource-policies").glob("*/*.json"):
            data = json.loads(path.read_text())
            if data["Arn"] == policy:
                return data["Policy"]
        raise AssertionError(f"no resource policy {policy}")
    if layer == "session":
        assume = [
            evidence()[e]
            for e in label["context_event_ids"]
            if evidence()[e]["eventName"] == "AssumeRole"
        ]
        return assume[0]["requestParameters"]["policy"]
    auth = json.loads((snap / "accounts" / account / "authorization-details.json").read_text())
    for entry in auth["Policies"]:
        if entry["Arn"] == policy:
            return next(v["Document"] for v in entry["PolicyVersionList"] if v["IsDefaultVersion"])
    for role in auth["RoleDetailList"] + auth["UserDetailList"]:
        if role["Arn"] == policy:
            if layer == "trust":
                return role["AssumeRolePolicyDocument"]
            inline = role.get("RolePolicyList", role.get("UserPolicyList"))
            return next(
                p["PolicyDocument"] for p in inline if p["PolicyName"] == decisive["policy_name"]
            )
    raise AssertionError(f"{policy} not in the snapshot of {account}")


def test_every_design_cause_has_a_scenario():
    causes = {s["cause"] for s in labels()["scenarios"]}
    assert CAUSES <= causes
    assert causes - CAUSES == {"not-denial"}


@pytest.mark.parametrize("label", labels()["scenarios"], ids=lambda s: s["id"])
def test_label_events_exist_and_match(label):
    assert label["event_ids"], "each scenario lists its events"
    for event_id in label["event_ids"] + label.get("context_event_ids", []):
        assert event_id in evidence()
    for rec in (evidence()[e] for e in label["event_ids"]):
        if label["error_code"]:
            assert rec["errorCode"] == label["error_code"]
        if label["cause"] != "not-denial" and rec.get("userIdentity", {}).get("arn"):
            assert rec["userIdentity"]["arn"] == label["principal"]


@pytest.mark.parametrize(
    "label", [s for s in labels()["scenarios"] if s["cause"] != "not-denial"], ids=lambda s: s["id"]
)
def test_decisive_statement_is_in_the_snapshot(label):
    decisive = label["decisive"]
    sids = _statement_ids(_document(decisive, label))
    for key in ("sid", "near_miss_sid"):
        if decisive.get(key):
            assert decisive[key] in sids
    fix = label["fix"]
    assert fix["summary"] and fix["layer"] == decisive["layer"]


def test_causes_carry_their_documented_message_forms():
    s3 = [
        e
        for sid in ("resource-arn-s3-payroll", "explicit-deny-s3-raw-customers")
        for e in events(sid)
    ]
    assert all(' on resource: "arn:aws:s3:::' in e["errorMessage"] for e in s3)  # S3 quotes the ARN
    for sid in ("explicit-deny-ec2-igw", "org-policy-scp-region", "session-policy-terminate"):
        for e in events(sid):
            if e["eventName"] == "TerminateInstances" or sid != "session-policy-terminate":
                assert e["errorCode"] == "Client.UnauthorizedOperation"
                assert e["errorMessage"].startswith(EC2_PREFIX + " User: ")
                assert "Encoded authorization failure message: " in e["errorMessage"]
    assert all(
        e["errorMessage"].endswith(
            "policy: arn:aws:iam::731926485017:policy/LegacyReportingAccess "
            "(LegacyReportingAccess)."
        )
        for e in events("explicit-deny-s3-raw-customers")
    )
    iam = events("explicit-deny-iam-create-user")
    assert all(
        "call the GetRequestAuthorizationDetails API with the following authorization id: "
        in e["errorMessage"]
        for e in iam
    )
    assert len({e["errorMessage"].rsplit(" ", 1)[1] for e in iam}) == len(iam)  # one id per request
    assert any(
        "in a sessions policy." in e["errorMessage"] for e in events("session-policy-terminate")
    )
    assert all(
        e["errorMessage"].endswith("with an explicit deny in the role trust policy")
        for e in events("trust-policy-prod-deployer")
    )
    assert all(
        ":policy/o-7kq2m9xw4r/service_control_policy/p-3rgn8x2k." in e["errorMessage"]
        for e in events("org-policy-scp-region")
    )
    assert all(
        e["errorMessage"].endswith("resource_control_policy/p-9rcpn4tw")
        for e in events("org-policy-rcp-secrets")
    )
    assert all(
        "because no permissions boundary allows the secretsmanager:GetSecretValue action"
        in e["errorMessage"]
        for e in events("permissions-boundary-secrets")
    )
    vpce = events("vpc-endpoint-secrets")
    assert all(
        e["eventType"] == "AwsVpceEvent"
        and e["eventCategory"] == "NetworkActivity"
        and e["errorMessage"] == "The request was denied due to a VPC endpoint policy"
        for e in vpce
    )
    assert {e["errorMessage"] for e in events("undetailed-s3-partner")} == {"Access Denied"}
    old_ec2 = events("undetailed-ec2-legacy")
    assert all(
        e["errorMessage"].startswith(EC2_PREFIX + " Encoded authorization failure message: ")
        and "User:" not in e["errorMessage"]
        for e in old_ec2
    )
    errors = {
        e["errorCode"]
        for sid in ("resource-arn-dynamodb-index", "resource-policy-kms-key")
        for e in events(sid)
    }
    assert errors == {"AccessDeniedException"}


def test_non_denials_look_close_but_are_not_denials():
    codes = {
        s["id"]: {e.get("errorCode") for e in events(s["id"])}
        for s in labels()["scenarios"]
        if s["cause"] == "not-denial"
    }
    assert codes["dry-run-run-instances"] == {"Client.DryRunOperation"}
    assert {"InvalidClientTokenId", "ExpiredToken", "SignatureDoesNotMatch"} <= set().union(
        *codes.values()
    )
    assert codes["throttling-ssm"] == {"ThrottlingException"}
    assert codes["not-found-s3-report"] == {"NoSuchKey"}
    signin = events("console-signin-failure")
    assert all(
        e["eventType"] == "AwsConsoleSignIn"
        and e["responseElements"]["ConsoleLogin"] == "Failure"
        and "errorCode" not in e
        for e in signin
    )


def test_cross_account_copies_share_an_event_id():
    for sid in ("trust-policy-prod-deployer", "resource-policy-cross-account-s3"):
        recs = events(sid)
        shared = {}
        for rec in recs:
            shared.setdefault(rec["sharedEventID"], set()).add(rec["recipientAccountId"])
        assert all(len(accounts) == 2 for accounts in shared.values())
        assert any(
            r["userIdentity"]["type"] == "AWSAccount" and "arn" not in r["userIdentity"]
            for r in recs
        )


def test_session_policy_scenario_names_its_assume_role_event():
    label = scenario("session-policy-terminate")
    assume = [
        evidence()[e]
        for e in label["context_event_ids"]
        if evidence()[e]["eventName"] == "AssumeRole"
    ]
    assert assume and all(
        a["responseElements"]["assumedRoleUser"]["arn"] == label["principal"] for a in assume
    )


def test_hostile_events_carry_markup():
    hostile = labels()["hostile_event_ids"]
    assert len(hostile) >= 3
    recs = [evidence()[e] for e in hostile]
    assert any("<script>" in r["userAgent"] for r in recs)
    assert any("onerror=" in json.dumps(r["requestParameters"]) for r in recs)
    assert any("<script>" in r.get("errorMessage", "") for r in recs)
    assert any("\n" in r.get("errorMessage", "") and '"' in r.get("errorMessage", "") for r in recs)


def test_sso_session_arn_drops_the_role_path():
    rec = events("resource-arn-s3-payroll")[0]
    issuer = rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
    assert "/aws-reserved/sso.amazonaws.com/" in issuer
    assert "/aws-reserved/" not in rec["userIdentity"]["arn"]
