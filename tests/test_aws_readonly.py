"""Every client iamlab makes refuses writes before anything is sent."""

from __future__ import annotations

import logging

import boto3
import pytest
from moto.server import ThreadedMotoServer

import iamlab.aws.readonly as readonly
from iamlab.aws.readonly import ALLOWED_OPERATIONS, client, is_allowed, session
from iamlab.errors import ReadOnlyViolation

CREDS = {"aws_access_key_id": "AKIAREADONLYTEST0001", "aws_secret_access_key": "not-a-secret"}


@pytest.fixture
def sent(monkeypatch):
    """Record every request botocore would send (and answer none of them)."""
    requests = []
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port; never reached
    return requests


def _recording(c, requests):
    c.meta.events.register("before-send", lambda request, **_: requests.append(request))
    return c


@pytest.mark.parametrize("service,method,params", [
    ("iam", "create_user", {"UserName": "mallory"}),
    ("iam", "attach_user_policy", {"UserName": "a",
                                   "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ("s3", "put_object", {"Bucket": "b", "Key": "k", "Body": b"x"}),
    ("s3", "put_bucket_policy", {"Bucket": "b", "Policy": "{}"}),
    ("secretsmanager", "get_secret_value", {"SecretId": "db"}),  # a Get that reads a secret
    ("kms", "decrypt", {"CiphertextBlob": b"x"}),
    ("cloudtrail", "stop_logging", {"Name": "trail"}),
])
def test_writes_and_secret_reads_are_refused_before_sending(sent, service, method, params):
    c = _recording(client(service, region="us-east-1"), sent)
    with pytest.raises(ReadOnlyViolation) as info:
        getattr(c, method)(**params)
    op = c.meta.method_to_api_mapping[method]
    assert f"refused {service}:{op}" in str(info.value)
    assert sent == []


def test_clients_made_from_the_session_by_other_code_are_guarded(sent):
    sess = session(region="us-east-1")
    c = _recording(sess.client("iam"), sent)  # plain boto3 call, not iamlab.aws.client
    with pytest.raises(ReadOnlyViolation, match="iam:DeleteRole"):
        c.delete_role(RoleName="x")
    assert sent == []


def test_before_call_is_a_second_guard(sent):
    c = _recording(client("iam", region="us-east-1"), sent)
    c.meta.events.unregister("provide-client-params", unique_id="iamlab-readonly-guard")
    # even without the first check, the before-call check stops the write
    with pytest.raises(ReadOnlyViolation):
        c.create_user(UserName="x")
    assert sent == []


def test_nothing_reaches_a_real_endpoint():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        guarded = client("iam", region="us-east-1", endpoint_url=url, **CREDS)
        with pytest.raises(ReadOnlyViolation):
            guarded.create_user(UserName="mallory")
        assert guarded.list_account_aliases()["AccountAliases"] == []  # reads still work
        plain = boto3.client("iam", region_name="us-east-1", endpoint_url=url, **CREDS)
        assert plain.list_users()["Users"] == []  # the user was never created
    finally:
        server.stop()


def test_allow_list_is_exact_and_names_real_operations():
    for service, ops in ALLOWED_OPERATIONS.items():
        if service not in boto3.session.Session().get_available_services():
            assert service == "iam-toolbox"  # newer than the installed botocore
            continue
        known = set(boto3.session.Session().client(
            service, region_name="us-east-1", **CREDS).meta.service_model.operation_names)
        assert ops <= known, f"{service}: {sorted(ops - known)} are not operations"
        writes = {op for op in ops if op.startswith(("Create", "Put", "Delete", "Update",
                                                       "Attach", "Set", "Tag"))}
        # sso-oidc CreateToken only refreshes the caller's own SSO token for botocore's chain
        assert writes <= {"CreateToken"} and (not writes or service == "sso-oidc")
    assert not is_allowed("iam", "GetLoginProfile")  # Get* is not allowed wholesale
    assert not is_allowed("s3", "GetObject")
    assert is_allowed("iam", "GetAccountAuthorizationDetails")


def test_redact_key_keeps_prefix_and_last_four():
    assert readonly.redact_key("AKIAIOSFODNN7EXAMPLE") == "AKIA...MPLE"
    assert readonly.redact_key("short") == "****"
    assert readonly.redact_key(None) is None


def test_public_names_of_iamlab_aws_resolve():
    import iamlab.aws as aws

    for name in aws.__all__:
        assert getattr(aws, name) is not None, name
    assert callable(aws.whoami) and callable(aws.collect) and callable(aws.lookup_events)


def test_clients_retry_throttling_with_adaptive_backoff():
    c = client("organizations", region="us-east-1", **CREDS)
    assert c.meta.config.retries["mode"] == "adaptive"
    assert c.meta.config.retries["total_max_attempts"] == 11  # botocore: 1 + max_attempts
