"""whoami: the identity, the credential source that won, and the classic traps.

Each credential source is set up in a temporary HOME and environment; STS is
moto's server on 127.0.0.1. Container and instance-metadata credentials come
from a small fake endpoint on 127.0.0.1, SSO role credentials from a botocore
``before-send`` hook, so no test leaves the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.awsrequest import AWSResponse
from botocore.credentials import SSOProvider
from moto.server import ThreadedMotoServer

import iamlab.aws.readonly as readonly
from iamlab.aws.identity import parse_arn, whoami
from iamlab.cli import main
from iamlab.errors import AwsError

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKENdoNotLeak"
EXPIRY = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def moto_url():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class _FakeMetadata(BaseHTTPRequestHandler):
    """Answers the container credentials endpoint and IMDSv2, nothing else."""

    creds = {
        "AccessKeyId": "ASIAFAKECONTAINER123",
        "SecretAccessKey": SECRET,
        "Token": TOKEN,
        "Expiration": EXPIRY,
    }

    def _send(self, body: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):  # IMDSv2 session token
        self._send("imds-token")

    def do_GET(self):
        if self.path == "/container-creds":
            self._send(json.dumps(self.creds))
        elif self.path == "/latest/meta-data/iam/security-credentials/":
            self._send("ec2-role")
        elif self.path == "/latest/meta-data/iam/security-credentials/ec2-role":
            self._send(json.dumps({"Code": "Success", "Type": "AWS-HMAC", **self.creds}))
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def metadata_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeMetadata)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def aws_home(tmp_path, monkeypatch, moto_url):
    """A clean AWS environment: no AWS_* variables, files under tmp, STS on moto."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    return tmp_path


def test_parse_arn_kinds():
    assert parse_arn("arn:aws:sts::111122223333:assumed-role/Dev/ana@example.com") == {
        "principal_type": "assumed-role",
        "name": "Dev",
        "role_name": "Dev",
        "session_name": "ana@example.com",
    }
    assert parse_arn("arn:aws:iam::111122223333:user/team/alice")["name"] == "alice"
    assert parse_arn("arn:aws:iam::111122223333:root")["principal_type"] == "root"
    assert parse_arn("arn:aws:sts::111122223333:federated-user/bob")["name"] == "bob"
    assert parse_arn("garbage")["principal_type"] == "unknown"


def test_environment_credentials(aws_home, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1234")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    ident = whoami()
    assert ident.credential_method == "env"
    assert ident.credential_source == "environment variables"
    assert ident.credential_origin == "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"
    assert ident.access_key == "AKIA...1234"
    assert ident.account == "123456789012"
    assert (ident.region, ident.region_source) == (
        "eu-west-1",
        "environment variable AWS_DEFAULT_REGION",
    )
    assert ident.warnings == ()


def test_shared_credentials_file_profile_and_region_from_config(aws_home, monkeypatch):
    (aws_home / "credentials").write_text(
        f"[audit]\naws_access_key_id = AKIASHAREDFILE5678\naws_secret_access_key = {SECRET}\n"
    )
    (aws_home / "config").write_text("[profile audit]\nregion = ap-southeast-2\n")
    ident = whoami(profile="audit")
    assert ident.credential_method == "shared-credentials-file"
    assert ident.credential_origin == f"{aws_home / 'credentials'} [audit]"
    assert ident.profile == "audit"
    assert ident.region == "ap-southeast-2"
    assert ident.region_source == f"config file {aws_home / 'config'} [profile audit]"


def test_config_file_credentials_and_no_region(aws_home):
    (aws_home / "config").write_text(
        f"[default]\naws_access_key_id = AKIACONFIGFILE9999\naws_secret_access_key = {SECRET}\n"
    )
    ident = whoami()
    assert ident.credential_method == "config-file"
    assert ident.credential_source == "config file"
    assert ident.credential_origin == f"{aws_home / 'config'} [profile default]"
    assert ident.region is None
    assert ident.region_source.startswith("none")


def test_assume_role_profile_reports_role_and_session(aws_home):
    (aws_home / "credentials").write_text(
        f"[base]\naws_access_key_id = AKIABASEPROFILE111\naws_secret_access_key = {SECRET}\n"
    )
    (aws_home / "config").write_text(
        "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops/Operator\n"
        "source_profile = base\nrole_session_name = night-shift\nregion = us-east-2\n"
    )
    ident = whoami(profile="ops", expect_arn="arn:aws:iam::123456789012:role/ops/Operator")
    assert ident.credential_method == "assume-role"
    assert ident.credential_origin == (
        "profile ops: role_arn arn:aws:iam::123456789012:role/ops/Operator via base"
    )
    assert ident.principal_type == "assumed-role"
    assert (ident.role_name, ident.session_name) == ("Operator", "night-shift")
    assert ident.arn == "arn:aws:sts::123456789012:assumed-role/Operator/night-shift"
    assert ident.unexpected == ()  # a role ARN (with path) matches its sessions


def test_web_identity_from_environment(aws_home, monkeypatch):
    token = aws_home / "token.jwt"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci-deployer")
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "pipeline-42")
    ident = whoami()
    assert ident.credential_method == "assume-role-with-web-identity"
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" in ident.credential_origin
    assert ident.role_name == "ci-deployer"


def test_container_credentials(aws_home, monkeypatch, metadata_url):
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{metadata_url}/container-creds")
    ident = whoami()
    assert ident.credential_method == "container-role"
    assert ident.credential_origin == "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    assert ident.access_key == "ASIA...R123"


def test_instance_metadata_credentials(aws_home, monkeypatch, metadata_url):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "false")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata_url + "/")
    ident = whoami()
    assert ident.credential_method == "iam-role"
    assert ident.credential_source == "EC2 instance metadata (instance profile role)"
    assert metadata_url in ident.credential_origin


def test_credential_process(aws_home):
    script = aws_home / "creds.py"
    script.write_text(
        "import json; print(json.dumps({'Version': 1, "
        "'AccessKeyId': 'AKIAPROCESS0000042', "
        f"'SecretAccessKey': '{SECRET}'}}))\n"
    )
    (aws_home / "config").write_text(
        f"[profile proc]\ncredential_process = {sys.executable} {script}\n"
    )
    ident = whoami(profile="proc")
    assert ident.credential_method == "custom-process"
    assert ident.credential_origin == "credential_process in profile proc"


def test_sso_profile(aws_home, monkeypatch):
    start_url = "https://example.awsapps.com/start"
    cache = aws_home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    # botocore expands ~ once, at import time, so point it at the temporary HOME
    monkeypatch.setattr(SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(cache))
    key = hashlib.sha1(start_url.encode()).hexdigest()
    (cache / f"{key}.json").write_text(
        json.dumps(
            {
                "startUrl": start_url,
                "region": "us-east-1",
                "accessToken": "sso-access-token",
                "expiresAt": EXPIRY,
            }
        )
    )
    (aws_home / "config").write_text(
        f"[profile sso-dev]\nsso_start_url = {start_url}\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = us-east-1\n"
    )
    sess = readonly.session("sso-dev")
    seen = []

    def answer_sso(request, **_):  # the SSO portal is not in moto: answer it here
        seen.append(request.url)
        body = json.dumps(
            {
                "roleCredentials": {
                    "accessKeyId": "ASIASSOROLE0000777",
                    "secretAccessKey": SECRET,
                    "sessionToken": TOKEN,
                    "expiration": 4102444800000,
                }
            }
        ).encode()
        return AWSResponse(request.url, 200, {}, _Raw(body))

    sess._session.register("before-send.sso.GetRoleCredentials", answer_sso)
    ident = whoami(session=sess)
    assert seen and ident.credential_method == "sso"
    assert ident.credential_origin == (
        f"profile sso-dev: {start_url}, account 123456789012, role ReadOnly"
    )


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_):
        yield self._body

    def read(self, *_):
        return self._body


def test_env_keys_override_aws_profile_warning(aws_home, monkeypatch):
    (aws_home / "credentials").write_text(
        f"[audit]\naws_access_key_id = AKIASHAREDFILE5678\naws_secret_access_key = {SECRET}\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "audit")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1234")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    ident = whoami()
    assert ident.credential_method == "env"  # boto3: env keys beat AWS_PROFILE
    assert len(ident.warnings) == 1
    assert "ignored AWS_PROFILE=audit" in ident.warnings[0]


def test_env_keys_with_explicit_profile_warning(aws_home, monkeypatch):
    (aws_home / "credentials").write_text(
        f"[audit]\naws_access_key_id = AKIASHAREDFILE5678\naws_secret_access_key = {SECRET}\n"
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1234")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    ident = whoami(profile="audit")
    assert ident.credential_method == "shared-credentials-file"  # --profile beats env keys
    assert ident.access_key == "AKIA...5678"
    assert any("--profile audit won here" in w for w in ident.warnings)


def test_aws_region_is_not_read_by_boto3_warning(aws_home, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1234")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    ident = whoami()
    assert ident.region is None
    assert any("AWS_REGION=eu-central-1" in w for w in ident.warnings)


def test_expected_account_and_arn_mismatch(aws_home, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1234")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    ident = whoami(expect_account="999988887777", expect_arn="arn:aws:iam::999988887777:role/Admin")
    assert ident.unexpected == (
        "account 123456789012 is not the expected account 999988887777",
        f"caller {ident.arn} is not the expected principal arn:aws:iam::999988887777:role/Admin",
    )
    assert set(ident.unexpected) <= set(ident.warnings)
    assert whoami(expect_account="123456789012", expect_arn=ident.arn).unexpected == ()


def test_expired_session_token_is_a_clear_error(aws_home, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXPIREDSESSION1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    sess = readonly.session()
    body = (
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        b"<Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token "
        b"included in the request is expired</Message></Error><RequestId>1</RequestId>"
        b"</ErrorResponse>"
    )
    sess._session.register(
        "before-send.sts.GetCallerIdentity",
        lambda request, **_: AWSResponse(request.url, 403, {}, _Raw(body)),
    )
    with pytest.raises(AwsError, match="has expired \\(ExpiredToken\\)") as info:
        whoami(session=sess)
    assert "environment variables" in str(info.value)
    assert TOKEN not in str(info.value) and SECRET not in str(info.value)


def test_no_credentials_is_a_clear_error(aws_home):
    with pytest.raises(AwsError, match="no AWS credentials found"):
        whoami()


def test_unknown_profile_is_a_clear_error(aws_home):
    with pytest.raises(AwsError, match="'nope' is not in the config"):
        whoami(profile="nope")


def test_cli_json_and_exit_status_never_print_secrets(aws_home, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAENVIRONMENT1234")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    assert main(["whoami", "--json", "--region", "us-west-2"]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert data["credential_source"] == "environment variables"
    assert data["region_source"] == "--region argument"
    # moto answers with an access key id as the UserId, as some endpoints do: shortened
    assert data["user_id"] == "AKIA...MPLE" and "AKIAIOSFODNN7EXAMPLE" not in out.out
    assert main(["whoami", "--expect-account", "000000000000"]) == 1
    out2 = capsys.readouterr()
    assert "warning: account 123456789012 is not the expected account" in out2.err
    for text in (out.out, out.err, out2.out, out2.err):
        assert SECRET not in text and TOKEN not in text and "ASIAENVIRONMENT1234" not in text
