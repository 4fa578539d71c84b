"""The AWS commands end to end, in-process, against a fake AWS endpoint on 127.0.0.1.

moto does not serve LookupEvents, DecodeAuthorizationMessage or the policy
simulator, so a small HTTP server answers them in each service's wire format
(JSON for CloudTrail, XML for STS and IAM); botocore parses the answers as it
would AWS's.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import pytest

from iamlab.cli import main

SECRET = "cliSecretKeyThatMustNotAppearAnywhere0000"
ACCESS_KEY = "AKIACLITESTKEY000001"
DECODED = {
    "allowed": False,
    "explicitDeny": False,
    "matchedStatements": {"items": []},
    "failures": {"items": []},
    "context": {
        "principal": {
            "id": "AROAEXAMPLE:ana",
            "arn": "arn:aws:sts::111122223333:assumed-role/Dev/ana",
        },
        "action": "iam:PassRole",
        "resource": "arn:aws:iam::111122223333:role/ec2-app",
        "conditions": {"items": []},
    },
}
DENIED = {
    "eventVersion": "1.09",
    "eventID": "ev-denied",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "RunInstances",
    "eventTime": "2024-05-01T10:00:00Z",
    "errorCode": "Client.UnauthorizedOperation",
    "errorMessage": "You are not authorized to perform this operation.",
}
AUTHZ = {  # iam-toolbox GetRequestAuthorizationDetails, members as in botocore's model
    "requestContext": {},
    "evaluations": [
        {
            "action": "iam:CreateInstanceProfile",
            "resource": "arn:aws:iam::111122223333:instance-profile/web",
            "evaluatedEffect": "EXPLICIT_DENY",
            "matchedPolicies": [
                {
                    "uri": "arn:aws:iam::111122223333:policy/ExampleDenyPolicy",
                    "matchedStatements": [{"sid": "NoProfiles", "evaluatedEffect": "DENY"}],
                }
            ],
        }
    ],
    "policies": [
        {
            "type": "IDENTITY",
            "uri": "arn:aws:iam::111122223333:policy/ExampleDenyPolicy",
            "attachedTo": [{"arn": "arn:aws:iam::111122223333:user/janedoe"}],
        }
    ],
}
FINE = {**DENIED, "eventID": "ev-fine", "errorCode": None, "errorMessage": None}


class FakeAws(BaseHTTPRequestHandler):
    requests: list[dict] = []
    caller_arn = "arn:aws:iam::111122223333:user/analyst"
    simulated_resource = "arn:aws:s3:::b/k"

    def _reply(self, body: str, content_type: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        target = self.headers.get("X-Amz-Target", "")
        FakeAws.requests.append(
            {"target": target, "body": raw, "auth": self.headers.get("Authorization", "")}
        )
        if target.endswith("LookupEvents"):
            events = [
                {
                    "EventId": r["eventID"],
                    "EventName": r["eventName"],
                    "EventSource": r["eventSource"],
                    "EventTime": 1714557600,
                    "Username": "ana",
                    "CloudTrailEvent": json.dumps(r),
                }
                for r in (DENIED, FINE)
            ]
            return self._reply(json.dumps({"Events": events}), "application/x-amz-json-1.1")
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        action = form.get("Action")
        if action == "GetCallerIdentity":
            return self._reply(
                "<GetCallerIdentityResponse><GetCallerIdentityResult>"
                f"<Arn>{escape(FakeAws.caller_arn)}</Arn><UserId>AIDAEXAMPLE</UserId>"
                "<Account>111122223333</Account></GetCallerIdentityResult>"
                "</GetCallerIdentityResponse>",
                "text/xml",
            )
        if action == "DecodeAuthorizationMessage":
            return self._reply(
                "<DecodeAuthorizationMessageResponse><DecodeAuthorizationMessageResult>"
                f"<DecodedMessage>{escape(json.dumps(DECODED))}</DecodedMessage>"
                "</DecodeAuthorizationMessageResult></DecodeAuthorizationMessageResponse>",
                "text/xml",
            )
        if action == "SimulatePrincipalPolicy":
            return self._reply(
                "<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult>"
                "<IsTruncated>false</IsTruncated><EvaluationResults><member>"
                "<EvalActionName>s3:GetObject</EvalActionName>"
                f"<EvalResourceName>{escape(FakeAws.simulated_resource)}</EvalResourceName>"
                "<EvalDecision>implicitDeny</EvalDecision>"
                "</member></EvaluationResults></SimulatePrincipalPolicyResult>"
                "</SimulatePrincipalPolicyResponse>",
                "text/xml",
            )
        self.send_response(400)
        self.end_headers()

    def do_GET(self):
        FakeAws.requests.append(
            {
                "target": "GET " + self.path,
                "body": "",
                "auth": self.headers.get("Authorization", ""),
            }
        )
        if self.path.startswith("/authorization-details/"):
            return self._reply(json.dumps(AUTHZ), "application/json")
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_aws(monkeypatch, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAws)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    FakeAws.requests = []
    monkeypatch.setattr(FakeAws, "caller_arn", FakeAws.caller_arn)
    monkeypatch.setattr(FakeAws, "simulated_resource", FakeAws.simulated_resource)
    yield FakeAws.requests
    server.shutdown()


def test_lookup_events_command_saves_denials(fake_aws, tmp_path, capsys):
    ws = tmp_path / "ws"
    status = main(
        [
            "lookup-events",
            "--since",
            "2024-05-01T00:00Z",
            "--until",
            "2024-05-01T12:00Z",
            "--region",
            "us-east-1",
            "--attribute",
            "EventName=RunInstances",
            "--workspace",
            str(ws),
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "2 events in 1 page(s), 1 denials"
    (saved,) = (ws / "evidence" / "lookup-events").glob("*Z.json")
    assert [e["EventId"] for e in json.loads(saved.read_text())["Events"]] == ["ev-denied"]
    meta = json.loads(saved.with_name(saved.name + ".meta.json").read_text())
    assert meta["caller"] == {
        "Account": "111122223333",
        "Arn": "arn:aws:iam::111122223333:user/analyst",
    }
    body = json.loads(next(r for r in fake_aws if r["target"].endswith("LookupEvents"))["body"])
    assert body["LookupAttributes"] == [
        {"AttributeKey": "EventName", "AttributeValue": "RunInstances"}
    ]
    assert body["MaxResults"] == 50
    written = list(ws.rglob("*.json"))
    assert written, "lookup-events saved nothing to check"
    for path in written:
        assert SECRET not in path.read_text() and ACCESS_KEY not in path.read_text()
    from iamlab.workspace import Workspace

    with Workspace(ws) as loaded:  # the command loaded the saved denials into the workspace
        rows = loaded.sql("SELECT event_id, error_code, source FROM events")
    assert rows["event_id"].tolist() == ["ev-denied"]
    assert rows["error_code"].tolist() == ["Client.UnauthorizedOperation"]
    assert rows["source"].tolist()[0].endswith(saved.name)


def test_decode_command_prints_summary(fake_aws, capsys):
    assert main(["decode", "Encoded authorization failure message: abcDEF123"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "decision: implicit deny (no statement allows it)"
    assert "action: iam:PassRole" in out
    sent = parse_qs(fake_aws[-1]["body"])
    assert sent["EncodedMessage"] == ["abcDEF123"]


def test_aws_simulate_command(fake_aws, capsys):
    assert (
        main(
            [
                "aws-simulate",
                "--principal",
                "arn:aws:iam::111122223333:role/reader",
                "--action",
                "s3:GetObject",
                "--resource",
                "arn:aws:s3:::b/k",
                "--context",
                "aws:SourceIp=203.0.113.9",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip() == "implicitDeny  s3:GetObject  arn:aws:s3:::b/k"
    sent = parse_qs(fake_aws[-1]["body"])
    assert sent["ContextEntries.member.1.ContextKeyName"] == ["aws:SourceIp"]


def test_authz_details_command_explains_missing_service(fake_aws, capsys, monkeypatch, tmp_path):
    # An older botocore: its loader finds every model but iam-toolbox's.
    from pathlib import Path

    import botocore.loaders

    data = tmp_path / "botocore-data"
    data.mkdir()
    for entry in Path(botocore.loaders.Loader.BUILTIN_DATA_PATH).iterdir():
        if entry.name != "iam-toolbox":
            (data / entry.name).symlink_to(entry)
    monkeypatch.setattr(botocore.loaders.Loader, "BUILTIN_DATA_PATH", str(data))
    monkeypatch.setattr(botocore.loaders.Loader, "CUSTOMER_DATA_PATH", str(tmp_path / "none"))
    assert main(["authz-details", "EXAMPLE1a2b", "--region", "us-east-1"]) == 2
    err = capsys.readouterr().err
    assert "does not know the iam-toolbox service" in err
    assert (
        "aws iam-toolbox get-request-authorization-details --authorization-id "
        "EXAMPLE1a2b --region us-east-1"
    ) in err
    assert fake_aws == []  # nothing was sent


def test_write_attempts_never_leave_the_machine_and_logs_hold_no_secret(fake_aws, caplog):
    import logging

    from iamlab.aws.readonly import client
    from iamlab.errors import ReadOnlyViolation

    caplog.set_level(logging.DEBUG)
    iam = client("iam", region="us-east-1")
    with pytest.raises(ReadOnlyViolation):
        iam.create_access_key(UserName="x")
    assert fake_aws == []
    assert main(["whoami", "--json"]) == 0
    assert SECRET not in caplog.text


def test_authz_details_command_prints_the_deciding_statement(fake_aws, capsys):
    assert main(["authz-details", "EXAMPLE1a2b", "--region", "us-east-1"]) == 0
    out = capsys.readouterr().out
    assert "EXPLICIT_DENY" in out and "NoProfiles" in out and "ExampleDenyPolicy" in out
    assert any(r["target"] == "GET /authorization-details/EXAMPLE1a2b" for r in fake_aws)
    assert main(["authz-details", "EXAMPLE1a2b", "--region", "us-east-1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["evaluations"][0]["evaluatedEffect"] == (
        "EXPLICIT_DENY"
    )


HOSTILE = "\x1b]0;owned\x07\x1b[2J\u202e"  # OSC title, clear screen, bidi override
IN_XML = "\x9b2J\u202e"  # what XML can carry: an 8-bit CSI and a bidi override
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def test_what_aws_answers_is_printed_escaped_by_every_command(fake_aws, monkeypatch, capsys):
    monkeypatch.setattr(FakeAws, "caller_arn", f"arn:aws:iam::111122223333:user/an{IN_XML}a")
    monkeypatch.setattr(FakeAws, "simulated_resource", f"arn:aws:s3:::b/{IN_XML}")
    monkeypatch.setitem(globals(), "DENIED", {**DENIED, "eventName": f"Run{HOSTILE}"})
    monkeypatch.setitem(
        globals(),
        "DECODED",
        {
            **DECODED,
            "matchedStatements": {"items": [{"statementId": f"Sid{HOSTILE}", "effect": "DENY"}]},
        },
    )
    evaluation = AUTHZ["evaluations"][0]
    statement = {"sid": f"NoProfiles{HOSTILE}", "evaluatedEffect": "DENY"}
    monkeypatch.setitem(
        globals(),
        "AUTHZ",
        {
            **AUTHZ,
            "evaluations": [
                {
                    **evaluation,
                    "matchedPolicies": [
                        {**evaluation["matchedPolicies"][0], "matchedStatements": [statement]}
                    ],
                }
            ],
        },
    )
    runs = [
        ["whoami"],
        [
            "lookup-events",
            "--since",
            "2024-05-01T00:00Z",
            "--until",
            "2024-05-01T12:00Z",
            "--region",
            "us-east-1",
        ],
        ["decode", "abcDEF123"],
        ["authz-details", "EXAMPLE1a2b", "--region", "us-east-1"],
        [
            "aws-simulate",
            "--principal",
            "arn:aws:iam::111122223333:role/reader",
            "--action",
            "s3:GetObject",
        ],
    ]
    for argv in runs:
        assert main(argv) == 0, argv
        out = capsys.readouterr()
        assert not any(c in out.out + out.err for c in RAW), (argv, out)
        assert "\\u202e" in out.out, argv  # shown, as a visible escape
