"""``iamlab denials`` and ``Workspace.denials`` over a workspace loaded by the real loader."""

# ruff: noqa: E501  (AWS messages are long; kept whole so they read as AWS prints them)

from __future__ import annotations

import json

import pytest

from iamlab.cli import main
from iamlab.workspace import Workspace

SCP_MSG = (
    "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:GetObject on "
    'resource: "arn:aws:s3:::b/k" with an explicit deny in a service control policy'
)


def record(i: int, hour: int, code: str | None, message: str | None, arn: str) -> dict:
    rec = {
        "eventVersion": "1.08",
        "eventID": f"00000000-0000-0000-0000-{i:012d}",
        "eventTime": f"2024-05-01T{hour:02d}:10:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": arn, "accountId": "111122223333"},
    }
    if code:
        rec["errorCode"] = code
    if message:
        rec["errorMessage"] = message
    return rec


@pytest.fixture()
def workspace(tmp_path):
    alice, bob = "arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bob"
    records = [
        record(1, 1, "AccessDenied", "Access Denied", alice),
        record(2, 3, "AccessDenied", "Access Denied", alice),
        record(3, 3, "AccessDenied", SCP_MSG, bob),
        record(4, 3, "NoSuchKey", "The specified key does not exist.", bob),
        record(5, 4, None, None, bob),
    ]
    src = tmp_path / "events.ndjson"
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    path = tmp_path / "ws"
    with Workspace(path) as ws:
        ws.load(str(src), progress=False)
    return path


def test_workspace_denials_frame(workspace):
    with Workspace(workspace) as ws:
        df = ws.denials()
        assert list(df.cause) == ["undetailed", "undetailed", "org-policy"]
        assert list(ws.denials(cause="org-policy").principal) == [
            "arn:aws:iam::111122223333:user/bob"
        ]
        assert len(ws.denials(since="2024-05-01T02:00:00Z")) == 2


def test_denials_by_cause(workspace, capsys):
    assert main(["denials", "--workspace", str(workspace)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["cause", "denials", "principals"]
    assert lines[1].split()[:2] == ["undetailed", "2"]
    assert lines[2].split()[:2] == ["org-policy", "1"]


def test_denials_by_hour_json(workspace, capsys):
    assert main(["denials", "--workspace", str(workspace), "--by", "hour", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["hour"][:13], r["cause"], r["denials"]) for r in rows] == [
        ("2024-05-01T01", "undetailed", 1),
        ("2024-05-01T03", "org-policy", 1),
        ("2024-05-01T03", "undetailed", 1),
    ]


def test_denials_filters_and_errors(workspace, capsys):
    assert (
        main(
            [
                "denials",
                "--workspace",
                str(workspace),
                "--by",
                "principal",
                "--principal",
                "arn:aws:iam::111122223333:user/alice",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "arn:aws:iam::111122223333:user/alice" in out and "user/bob" not in out
    assert main(["denials", "--workspace", str(workspace), "--since", "not-a-time"]) == 2
    assert "since" in capsys.readouterr().err
    assert (
        main(
            [
                "denials",
                "--workspace",
                str(workspace),
                "--cause",
                "org-policy",
                "--until",
                "2024-05-01T00:00:00Z",
            ]
        )
        == 0
    )
    assert "No denials match." in capsys.readouterr().out
