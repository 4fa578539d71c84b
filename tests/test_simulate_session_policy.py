"""`iamlab simulate --session-policy` reads the document as the snapshot reads policies."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from iamlab.cli import main

SNAP = str(Path(__file__).parent / "data" / "snapshots" / "org")
SESSION = "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice"
ONLY_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "OnlyS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def simulate(capsys, session_policy: str) -> tuple[int, str, str]:
    status = main([
        "simulate", "--snapshot", SNAP, "--principal", SESSION, "--action", "ec2:DescribeInstances",
        "--context", "aws:SecureTransport=true", "--context", "aws:RequestedRegion=us-east-1",
        "--json", "--session-policy", session_policy,
    ])  # fmt: skip
    out, err = capsys.readouterr()
    return status, out, err


def test_a_file_of_url_encoded_json_as_iam_returns_it_limits_the_session(capsys, tmp_path):
    (tmp_path / "session.txt").write_text(quote(json.dumps(ONLY_S3)))
    status, out, _ = simulate(capsys, str(tmp_path / "session.txt"))
    assert status == 1 and json.loads(out)["denied_by"] == ["session"]


def test_a_document_that_is_not_an_object_is_refused_naming_the_option(capsys, tmp_path):
    (tmp_path / "session.json").write_text("[1, 2]")
    status, out, err = simulate(capsys, str(tmp_path / "session.json"))
    assert status == 2 and out == ""
    assert "--session-policy" in err and "expected a JSON object" in err
