"""Every AWS command fails in a few seconds with one line that says what to do, never a traceback.

No test reads credentials or configuration from this machine (``aws_env``),
HOME is a temporary folder, and AWS_ENDPOINT_URL points at 127.0.0.1 (a
closed port, or a small fake endpoint), so nothing leaves it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)

from iamlab.cli import main

ROOT = Path(__file__).resolve().parents[1]
KEY_ID = "AKIAERRORTESTKEY0001"
SECRET = "errorTestSecretThatMustNotAppear00000000"
ROLE = "arn:aws:iam::111122223333:role/reader"


def commands(tmp: Path) -> dict[str, list[str]]:
    """One ordinary invocation of each AWS command (``load`` with an s3:// source)."""
    return {
        "whoami": ["whoami"],
        "collect": ["collect", "--out", str(tmp / "snap")],
        "lookup-events": [
            "lookup-events",
            "--since",
            "2024-05-01T00:00Z",
            "--until",
            "2024-05-02T00:00Z",
            "--region",
            "us-east-1",
        ],
        "lake-query": ["lake-query", "SELECT eventid FROM eds-0123"],
        "decode": ["decode", "Encoded authorization failure message: abcDEF123"],
        "authz-details": ["authz-details", "a1b2c3d4", "--region", "us-east-1"],
        "aws-simulate": ["aws-simulate", "--principal", ROLE, "--action", "s3:GetObject"],
        "load": ["load", "s3://trail-bucket/AWSLogs/", "--workspace", str(tmp / "ws")],
    }


COMMANDS = list(commands(Path(".")))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bare(monkeypatch, tmp_path):
    """Nothing AWS but a closed endpoint; returns a setter for the parts a test wants."""
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.aws/sso cache either
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")

    def setup(credentials: bool, region: bool) -> None:
        if credentials:
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
        if region:
            monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    return setup


def run(argv: list[str], capsys) -> tuple[int, str, float]:
    started = time.monotonic()
    status = main(argv)
    seconds = time.monotonic() - started
    out = capsys.readouterr()
    return status, out.err, seconds


def assert_one_clean_line(err: str, command: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"iamlab {command}: error: ")
    assert "Traceback" not in err and SECRET not in err and KEY_ID not in err
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_without_credentials_every_command_says_how_to_get_some(bare, command, tmp_path, capsys):
    bare(credentials=False, region=True)
    status, err, seconds = run(commands(tmp_path)[command], capsys)
    line = assert_one_clean_line(err, command)
    assert status == 2 and seconds < 10
    assert "credentials" in line and "aws configure" in line and "--profile" in line


# lake-query is the one command with no Region to fall back on; the others either
# require --region or use a global endpoint's, so they go on to the (closed) endpoint.
@pytest.mark.parametrize("command", COMMANDS)
def test_without_a_region_a_command_that_needs_one_asks_for_it(bare, command, tmp_path, capsys):
    bare(credentials=True, region=False)
    status, err, seconds = run(commands(tmp_path)[command], capsys)
    line = assert_one_clean_line(err, command)
    assert status == 2 and seconds < 10
    if command == "lake-query":
        assert "no AWS Region" in line and "--region" in line and "AWS_DEFAULT_REGION" in line
    else:
        assert "cannot reach AWS" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_endpoint_fails_fast_and_says_how_often_iamlab_tried(
    bare, command, tmp_path, capsys
):
    bare(credentials=True, region=True)
    status, err, seconds = run(commands(tmp_path)[command], capsys)
    line = assert_one_clean_line(err, command)
    assert status == 2 and seconds < 10  # a bound with a wide margin, not a benchmark
    assert "cannot reach AWS" in line and "Could not connect to the endpoint URL" in line
    assert "at most 3 times" in line and "2 s to connect" in line


def test_a_real_process_prints_one_line_and_exits_2(bare, tmp_path):
    bare(credentials=True, region=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "iamlab", "whoami"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 10
    assert (done.returncode, done.stdout) == (2, "")
    assert_one_clean_line(done.stderr, "whoami")


# --- what AWS (or something pretending to be it) answers --------------------------------------


class Answer(BaseHTTPRequestHandler):
    """Answers every request with the same status and body; counts the requests."""

    status = 200
    body = ""
    content_type = "text/xml"
    count = 0

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Answer.count += 1
        data = self.body.encode()
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint(bare, monkeypatch):
    bare(credentials=True, region=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    Answer.count = 0

    def answer(status: int, body: str, content_type: str = "text/xml") -> None:
        Answer.status, Answer.body, Answer.content_type = status, body, content_type

    yield answer
    server.shutdown()


def _xml_error(code: str, message: str) -> str:
    return (
        f'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>r-1</RequestId></ErrorResponse>"
    )


def test_throttling_is_retried_a_bounded_number_of_times_then_explained(endpoint, capsys):
    endpoint(400, _xml_error("Throttling", "Rate exceeded"))
    status, err, seconds = run(["whoami"], capsys)
    line = assert_one_clean_line(err, "whoami")
    assert status == 2 and Answer.count == 3 and seconds < 10
    assert "AWS kept throttling GetCallerIdentity (Throttling)" in line
    assert "at most 3 tries" in line


def test_a_reply_that_is_not_aws_is_called_unreadable(endpoint, capsys):
    endpoint(200, "<html>\x1b]0;captive portal\x07 log in first</html", "text/html")
    status, err, _ = run(["decode", "abcDEF123"], capsys)
    line = assert_one_clean_line(err, "decode")
    assert status == 2 and "reply could not be read" in line and "AWS_ENDPOINT_URL" in line
    assert "\x1b" not in err and "\x07" not in err


def test_access_denied_names_the_operation_and_aws_s_words(endpoint, capsys):
    endpoint(
        403,
        _xml_error(
            "AccessDenied",
            "User: arn:aws:iam::111122223333:user/ana is not "
            "authorized to perform: iam:SimulatePrincipalPolicy",
        ),
    )
    status, err, _ = run(commands(Path("."))["aws-simulate"], capsys)
    line = assert_one_clean_line(err, "aws-simulate")
    assert status == 2 and "access denied to SimulatePrincipalPolicy" in line
    assert "not authorized to perform: iam:SimulatePrincipalPolicy" in line


def test_expired_credentials_say_to_get_fresh_ones(endpoint, capsys):
    endpoint(
        403, _xml_error("ExpiredToken", "The security token included in the request is expired")
    )
    status, err, _ = run(["decode", "abcDEF123"], capsys)
    line = assert_one_clean_line(err, "decode")
    assert status == 2 and "credentials have expired (ExpiredToken)" in line
    assert "aws sso login" in line


def test_a_key_id_quoted_by_the_endpoint_is_shortened(endpoint, capsys):
    endpoint(403, _xml_error("InvalidClientTokenId", f"The key {KEY_ID} is not valid"))
    status, err, _ = run(["aws-simulate", "--principal", ROLE, "--action", "s3:GetObject"], capsys)
    line = assert_one_clean_line(err, "aws-simulate")
    assert status == 2 and "rejected the credentials (InvalidClientTokenId)" in line
    assert "The key AKIA...0001 is not valid" in line


def test_parameters_aws_would_refuse_are_explained_before_anything_is_sent(endpoint, capsys):
    status, err, _ = run(
        ["aws-simulate", "--principal", "reader", "--action", "s3:GetObject"], capsys
    )
    line = assert_one_clean_line(err, "aws-simulate")
    assert status == 2 and Answer.count == 0
    assert "AWS would refuse the parameters" in line and "PolicySourceArn" in line
