"""Secrets stay out of logs, even with botocore's DEBUG logging on."""

from __future__ import annotations

import logging
import os

import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from moto.server import ThreadedMotoServer

from iamlab.aws.readonly import client
from iamlab.aws.redact import redact

SECRET = "redactSecretKeyValue00000000000000000000"
TOKEN = "redactSessionTokenValueFwoGZXIvYXdz"


@pytest.mark.parametrize(
    "text,leak",
    [
        ("headers={'X-Amz-Security-Token': b'TOKEN123', 'Content-Type': b'x'}", "TOKEN123"),
        ("x-amz-date:2026\nx-amz-security-token:TOKEN123\n\nhost", "TOKEN123"),
        (
            "<Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>abc/def+g"
            "</SecretAccessKey><SessionToken>FQo==</SessionToken></Credentials>",
            "abc/def+g",
        ),
        ('{"roleCredentials": {"accessKeyId": "ASIA", "secretAccessKey": "s3cr3t"}}', "s3cr3t"),
        ('b\'{"AccessKeyId": "ASIA", "SecretAccessKey": "x", "Token": "tok"}\'', "tok"),
        ("X-Amz-Security-Token=abc&Action=x", "abc"),
    ],
)
def test_redact_blanks_secret_values(text, leak):
    cleaned = redact(text)
    assert leak not in cleaned and "****" in cleaned


def test_redact_keeps_ordinary_text():
    text = (
        "Response body: b'<GetCallerIdentityResult><Account>1</Account></GetCallerIdentityResult>'"
    )
    assert redact(text) == text


def test_debug_logs_of_real_calls_hold_no_secret(monkeypatch, caplog):
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAREDACTTEST000001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    try:
        sts = client("sts", region="us-east-1")
        creds = sts.assume_role(
            RoleArn="arn:aws:iam::123456789012:role/audit", RoleSessionName="redact-test"
        )["Credentials"]
        sts.get_caller_identity()
    finally:
        server.stop()
    assert "Response body" in caplog.text  # botocore did log the bodies
    for value in (SECRET, TOKEN, creds["SecretAccessKey"], creds["SessionToken"]):
        assert value not in caplog.text
