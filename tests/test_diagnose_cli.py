"""``Workspace.diagnose`` stores the ``diagnoses`` table; ``iamlab diagnose`` and ``iamlab explain``
print what it returns (JSON fields, six steps, hostile event text escaped)."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import SAMPLE_DATA, sample_trail_workspace, trail_path, utc, write_trail_file

from iamlab.cli import main
from iamlab.workspace import Workspace

SNAPSHOT = str(SAMPLE_DATA / "snapshot")
PAYROLL = "1a228a1b-3ecb-4133-8268-b19c05eb354d"
HOSTILE = "afdf4d48-bd78-469b-81ab-1ee01e325146"


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory):
    return sample_trail_workspace(tmp_path_factory.mktemp("diagnose-cli"))


def test_workspace_diagnose_stores_rows_with_the_snapshot_identity(ws_path):
    with Workspace(ws_path) as ws:
        frame = ws.diagnose(SNAPSHOT, cause="resource-arn")
        stored = ws.sql("SELECT * FROM diagnoses WHERE cause = 'resource-arn'")
    assert set(frame["cause"]) == {"resource-arn"}
    assert len(stored) == len(frame) == 9
    assert set(stored["snapshot"]) == {SNAPSHOT}
    assert stored["snapshot_time"].notna().all() and stored["diagnosed_at"].notna().all()
    assert stored["snapshot_caller"].str.contains("SecurityAudit").all()
    near = json.loads(stored.set_index("event_id").loc[PAYROLL, "deciding"])
    assert near["sid"] is None and near["policy"].endswith(":inline/AwsSSOInlinePolicy")


def test_diagnosing_twice_replaces_the_rows_of_the_same_snapshot(ws_path):
    with Workspace(ws_path) as ws:
        ws.diagnose(SNAPSHOT, principal="arn:aws:iam::264830159726:user/people/dana.kim")
        ws.diagnose(SNAPSHOT, principal="arn:aws:iam::264830159726:user/people/dana.kim")
        counts = ws.sql("SELECT event_id, count(*) AS n FROM diagnoses GROUP BY 1")
    assert (counts["n"] == 1).all()


def test_diagnose_json_has_the_documented_fields(ws_path, capsys):
    assert main(["diagnose", "--workspace", str(ws_path), "--snapshot", SNAPSHOT, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 61
    for row in rows:
        assert {
            "event_id",
            "reported_cause",
            "cause",
            "verdict",
            "layer",
            "deciding",
            "missing_keys",
            "fix",
        } <= set(row)
        assert set(row["deciding"]) == {"policy", "sid"}
        assert {"summary", "before", "after", "verified", "new_access"} <= set(row["fix"])


def test_diagnose_prints_denials_by_cause_and_verdict(ws_path, capsys):
    assert (
        main(
            [
                "diagnose",
                "--workspace",
                str(ws_path),
                "--snapshot",
                SNAPSHOT,
                "--cause",
                "resource-arn",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "resource-arn confirmed 9" in " ".join(out.split())
    assert "9 denials" in out


def test_explain_walks_one_denial_through_six_steps(ws_path, capsys):
    assert main(["explain", PAYROLL, "--workspace", str(ws_path), "--snapshot", SNAPSHOT]) == 0
    out = capsys.readouterr().out
    for step in (
        "1. Who",
        "2. What and when",
        "3. Which layer",
        "4. The statement",
        "5. The fix",
        "6. The proof and the new access",
    ):
        assert step in out
    assert '"Sid": "ReadCuratedAndRaw"' in out
    assert "verified: the changed policies allow the request" in out


def test_explain_escapes_hostile_event_text(ws_path, capsys):
    assert main(["explain", HOSTILE, "--workspace", str(ws_path), "--snapshot", SNAPSHOT]) == 0
    out = capsys.readouterr().out
    assert "line1\\n<script>" in out
    assert "line1\n<script>" not in out


def test_explain_unknown_event_is_a_clear_error(ws_path, capsys):
    assert main(["explain", "nope", "--workspace", str(ws_path), "--snapshot", SNAPSHOT]) == 2
    assert "No denial with event id 'nope'" in capsys.readouterr().err


def test_diagnose_json_is_strict_json_with_null_for_what_is_not_known(ws_path, capsys):
    assert main(["diagnose", "--workspace", str(ws_path), "--snapshot", SNAPSHOT, "--json"]) == 0
    text = capsys.readouterr().out
    rows = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))
    assert rows and all(r["cause"] is None or isinstance(r["cause"], str) for r in rows)


def test_denials_by_cause_use_the_stored_diagnoses_once_there_are_some(tmp_path, capsys):
    folder = tmp_path / "ws"
    with Workspace(folder) as ws:
        ws.load(str(SAMPLE_DATA / "cloudtrail"), progress=False)
        assert ws.denials(cause="resource-arn").empty  # no message says resource-arn
        reported = ws.denials()
        ws.diagnose(SNAPSHOT)
        found = ws.denials(cause="resource-arn")
        stored = ws.sql("SELECT event_id FROM diagnoses WHERE cause = 'resource-arn'")
        by_cause = ws.denial_summary(by="cause").set_index("cause")
    assert set(found.event_id) == set(stored.event_id) and len(found) == 9
    assert set(found.reported_cause) <= {"missing-action", "undetailed"}
    assert (found.verdict == "confirmed").all()
    assert by_cause.loc["resource-arn", "denials"] == 9
    assert by_cause["denials"].sum() == len(reported)  # every denial counted once
    assert main(["denials", "--workspace", str(folder), "--cause", "resource-arn"]) == 0
    assert capsys.readouterr().out.count("resource-arn") >= 1


def test_the_sample_diagnoses_lack_no_issuing_event(ws_path):
    with Workspace(ws_path) as ws:
        frame = ws.diagnose(SNAPSHOT)
    assert not frame["reasons"].map(lambda rs: any("is not in the evidence" in r for r in rs)).any()


def test_a_diagnosis_names_the_evidence_it_lacks(tmp_path):
    """The sample's trail files without the Identity Center sign-ins (AssumeRoleWithSAML)."""
    records = [
        r
        for f in sorted((SAMPLE_DATA / "cloudtrail").rglob("*_CloudTrail_*.json.gz"))
        for r in json.loads(gzip.decompress(f.read_bytes()))["Records"]
        if r["eventName"] != "AssumeRoleWithSAML"
    ]
    write_trail_file(
        trail_path(tmp_path / "logs", "731926485017", "eu-west-1", utc(2026, 3, 13)), records
    )
    with Workspace(tmp_path / "ws") as ws:
        ws.load(str(tmp_path / "logs"), progress=False)
        frame = ws.diagnose(SNAPSHOT)
    said = frame[frame["reasons"].map(lambda rs: any("is not in the evidence" in r for r in rs))]
    sso = ":assumed-role/AWSReservedSSO_"
    assert sorted({p.split(sso)[1] for p in said["principal"]}) == [
        "AdministratorAccess_6d1c4b8e2f7a9035/sam.okafor@larkspur.io",
        "DataEngineer_4f2a9c1e7b3d8a60/luis.ortega@larkspur.io",
        "DataEngineer_4f2a9c1e7b3d8a60/priya.nair@larkspur.io",
    ]
    assert len(said) == 16  # Priya 8, Luis 5, Sam 3 (the canary's AssumeRole is still there)
