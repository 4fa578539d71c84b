"""A missing or malformed snapshot file is a SnapshotError that names it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from iamlab.errors import SnapshotError
from iamlab.snapshot import load

DATA = Path(__file__).parent / "data" / "snapshots"
PROD = "222222222222"
ALICE = f"arn:aws:iam::{PROD}:user/engineering/alice"


@pytest.fixture()
def org_copy(tmp_path: Path) -> Path:
    target = tmp_path / "snap"
    shutil.copytree(DATA / "org", target)
    return target


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(SnapshotError, match=f"snapshot folder not found: {tmp_path / 'nope'}"):
        load(tmp_path / "nope")


def test_folder_without_snapshot_files_says_what_is_expected(tmp_path):
    with pytest.raises(SnapshotError, match="not a snapshot folder.*authorization-details.json"):
        load(tmp_path)


def test_missing_authorization_details_is_named(org_copy):
    (org_copy / "accounts" / PROD / "authorization-details.json").unlink()
    with pytest.raises(SnapshotError) as err:
        load(org_copy)
    assert str(org_copy / "accounts" / PROD / "authorization-details.json") in str(err.value)
    assert "get-account-authorization-details" in str(err.value)


def test_missing_tree_is_named(org_copy):
    (org_copy / "organization" / "tree.json").unlink()
    with pytest.raises(
        SnapshotError, match=f"snapshot file missing: {org_copy / 'organization' / 'tree.json'}"
    ):
        load(org_copy)


def test_malformed_json_names_file_and_position(org_copy):
    path = org_copy / "accounts" / PROD / "authorization-details.json"
    path.write_text('{\n  "UserDetailList": [\n    {"UserName": "alice",}\n  ]\n}\n')
    snap = load(org_copy)  # account files are read on first use
    with pytest.raises(SnapshotError) as err:
        snap.principal(ALICE)
    message = str(err.value)
    assert f"malformed JSON in {path} at line 3 column" in message


def test_malformed_policy_file_names_it(org_copy):
    path = org_copy / "organization" / "policies" / "p-denyregion1.json"
    path.write_text('{"Policy": {"PolicySummary": {"Id": "p-denyregion1"')
    with pytest.raises(SnapshotError, match=f"malformed JSON in {path} at line 1"):
        load(org_copy)


def test_policy_document_that_is_not_json_names_file_and_field(org_copy):
    path = org_copy / "organization" / "policies" / "p-noiamuser1.json"
    data = json.loads(path.read_text())
    data["Policy"]["Content"] = "{not json"
    path.write_text(json.dumps(data))
    with pytest.raises(SnapshotError, match=rf"{path} \(Policy.Content\) is not JSON"):
        load(org_copy)


def test_wrong_shape_is_explained(org_copy):
    path = org_copy / "accounts" / PROD / "authorization-details.json"
    path.write_text(json.dumps({"Users": []}))
    with pytest.raises(
        SnapshotError, match="is not `aws iam get-account-authorization-details` output"
    ):
        load(org_copy).principal(ALICE)


def test_resource_policy_file_without_arn_is_named(org_copy):
    bucket = org_copy / "accounts" / PROD / "resource-policies" / "sqs" / "jobs.json"
    bucket.write_text(json.dumps({"Policy": "{}"}))
    with pytest.raises(SnapshotError, match=f'{bucket} has no "Arn"'):
        load(org_copy).policies_for(
            ALICE, "sqs:SendMessage", "arn:aws:sqs:us-east-1:222222222222:jobs"
        )


def test_attached_policy_missing_from_snapshot_is_named(org_copy):
    path = org_copy / "accounts" / PROD / "authorization-details.json"
    data = json.loads(path.read_text())
    data["Policies"] = [p for p in data["Policies"] if p["PolicyName"] != "S3ReportsRead"]
    path.write_text(json.dumps(data))
    with pytest.raises(
        SnapshotError, match="managed policy arn:aws:iam::222222222222:policy/S3ReportsRead"
    ):
        load(org_copy).policies_for(ALICE)


def test_scps_enabled_without_policy_files_is_an_error(org_copy):
    for path in (org_copy / "organization" / "policies").glob("*.json"):
        path.unlink()
    with pytest.raises(SnapshotError, match="SERVICE_CONTROL_POLICY enabled but"):
        load(org_copy)


def test_account_folder_with_bad_name(org_copy):
    (org_copy / "accounts" / "prod").mkdir()
    with pytest.raises(SnapshotError, match="12-digit account id"):
        load(org_copy)


def test_account_the_collector_could_not_read_loads_but_names_the_gap(org_copy):
    (org_copy / "accounts" / PROD / "authorization-details.json").unlink()
    manifest = json.loads((org_copy / "manifest.json").read_text())
    manifest["accounts"] = [
        {"account_id": PROD, "status": "partial", "authorization_details": False}
    ]
    manifest["failed_calls"] = [
        {
            "service": "iam",
            "operation": "GetAccountAuthorizationDetails",
            "account": PROD,
            "region": "us-east-1",
            "error_code": "AccessDenied",
            "permission": "iam:GetAccountAuthorizationDetails",
            "message": "no",
        }
    ]
    (org_copy / "manifest.json").write_text(json.dumps(manifest))
    snap = load(org_copy)
    with pytest.raises(
        SnapshotError, match=f"authorization details of account {PROD} were not collected"
    ):
        snap.principal(ALICE)
    # its resource policies still count for callers from other accounts
    reader = "arn:aws:iam::333333333333:role/DataReader"
    topic = f"arn:aws:sns:us-east-1:{PROD}:alerts"
    assert snap.policies_for(reader, "sns:Publish", topic).resource.id == topic
    assert snap.iam_accounts() == ["111111111111", "333333333333"]
    assert len(list(snap.all_policies())) > 10  # the other accounts' policies still list
    assert snap.principal("AROADATAREADER0000007").entity_arn == reader
    assert snap.caveats(reader, "sns:Publish", topic) == [
        f"collecting account {PROD} failed for iam:GetAccountAuthorizationDetails (manifest.json): "
        "policies read by those calls may be missing"
    ]


def test_pages_appended_to_one_file_are_merged(org_copy):
    path = org_copy / "accounts" / "333333333333" / "authorization-details.json"
    pages = json.loads(path.read_text())
    path.write_text("\n".join(json.dumps(page, indent=1) for page in pages))
    snap = load(org_copy)
    ps = snap.policies_for("arn:aws:iam::333333333333:role/DataReader")
    assert [p.name for p in ps.identity] == ["kms-use", "LakeRead"]
    path.write_text(json.dumps(pages[0]) + '\n{"UserDetailList": [}')
    with pytest.raises(SnapshotError, match=f"malformed JSON in {path} at line 2 column"):
        load(org_copy).principal("arn:aws:iam::333333333333:role/DataReader")


def test_org_policy_without_targets_is_named(org_copy):
    path = org_copy / "organization" / "policies" / "p-noiamuser1.json"
    data = json.loads(path.read_text())
    del data["Targets"]
    path.write_text(json.dumps(data))
    expected = rf"{path} has no \"Targets\".*--policy-id p-noiamuser1"
    with pytest.raises(SnapshotError, match=expected):
        load(org_copy)


def test_scp_level_with_nothing_attached_is_a_caveat(org_copy):
    path = org_copy / "organization" / "policies" / "p-FullAWSAccess.json"
    data = json.loads(path.read_text())
    data["Targets"] = [t for t in data["Targets"] if t["TargetId"] != "ou-ab12-apps0001"]
    path.write_text(json.dumps(data))
    snap = load(org_copy)
    assert [[p.id for p in level] for level in snap.policies_for(ALICE).scp][2] == []
    assert any("no SCP is attached at ou-ab12-apps0001" in c for c in snap.caveats(ALICE))
    reader = "arn:aws:iam::333333333333:role/DataReader"  # its path is complete
    assert not any("no SCP" in c for c in snap.caveats(reader))
