"""Every client iamlab makes refuses writes before anything is sent."""

from __future__ import annotations

import logging

import boto3
import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from moto.server import ThreadedMotoServer

from iamlab.aws.readonly import ALLOWED_OPERATIONS, client, is_allowed, session
from iamlab.aws.redact import redact_key, redact_key_ids
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


@pytest.mark.parametrize(
    "service,method,params",
    [
        ("iam", "create_user", {"UserName": "mallory"}),
        (
            "iam",
            "attach_user_policy",
            {"UserName": "a", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ),
        ("s3", "put_object", {"Bucket": "b", "Key": "k", "Body": b"x"}),
        ("s3", "put_bucket_policy", {"Bucket": "b", "Policy": "{}"}),
        ("secretsmanager", "get_secret_value", {"SecretId": "db"}),  # a Get that reads a secret
        ("kms", "decrypt", {"CiphertextBlob": b"x"}),
        ("cloudtrail", "stop_logging", {"Name": "trail"}),
    ],
)
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
        # the user was never created (moto's backends are shared by the process, so other
        # tests' users may be listed: look for this one by name)
        assert "mallory" not in {u["UserName"] for u in plain.list_users()["Users"]}
    finally:
        server.stop()


def test_allow_list_is_exact_and_names_real_operations():
    for service, ops in ALLOWED_OPERATIONS.items():
        if service not in boto3.session.Session().get_available_services():
            assert service == "iam-toolbox"  # newer than the installed botocore
            continue
        known = set(
            boto3.session.Session()
            .client(service, region_name="us-east-1", **CREDS)
            .meta.service_model.operation_names
        )
        assert ops <= known, f"{service}: {sorted(ops - known)} are not operations"
        writes = {
            op
            for op in ops
            if op.startswith(("Create", "Put", "Delete", "Update", "Attach", "Set", "Tag"))
        }
        # sso-oidc CreateToken only refreshes the caller's own SSO token for botocore's chain
        assert writes <= {"CreateToken"} and (not writes or service == "sso-oidc")
    assert not is_allowed("iam", "GetLoginProfile")  # Get* is not allowed wholesale
    assert not is_allowed("secretsmanager", "GetSecretValue")
    assert not is_allowed("s3", "GetObjectAcl") and not is_allowed("s3", "PutObject")
    assert is_allowed("s3", "GetObject") and is_allowed("s3", "ListObjectsV2")  # load s3://
    assert is_allowed("iam", "GetAccountAuthorizationDetails")


def test_redact_key_keeps_prefix_and_last_four():
    assert redact_key("AKIAIOSFODNN7EXAMPLE") == "AKIA...MPLE"
    assert redact_key("short") == "****"
    assert redact_key(None) is None


def test_access_key_ids_inside_text_are_shortened():
    text = "UserId AKIAIOSFODNN7EXAMPLE; session ASIAQWERTYUIOPASDFGH; role AROAEXAMPLE:ana"
    assert redact_key_ids(text) == "UserId AKIA...MPLE; session ASIA...DFGH; role AROAEXAMPLE:ana"


def test_public_names_of_iamlab_aws_resolve():
    import iamlab.aws as aws

    for name in aws.__all__:
        assert getattr(aws, name) is not None, name
    assert callable(aws.whoami) and callable(aws.collect) and callable(aws.lookup_events)


def test_clients_retry_a_few_times_with_adaptive_backoff_and_bounded_timeouts():
    c = client("organizations", region="us-east-1", **CREDS)
    assert c.meta.config.retries["mode"] == "adaptive"
    assert c.meta.config.retries["total_max_attempts"] == 3  # the first try included
    assert (c.meta.config.connect_timeout, c.meta.config.read_timeout) == (2, 20)


def _factory_and_session_clients(service):
    """The ways iamlab (or code handed its session) gets a client: all must be guarded."""
    return [
        client(service, region="us-east-1"),  # the factory
        session(region="us-east-1").client(service),  # other code, our session
        client(service, session=boto3.Session(region_name="us-east-1")),
    ]  # a foreign session


@pytest.mark.parametrize(
    "method,params",
    [
        ("put_object", {"Bucket": "b", "Key": "k"}),
        ("delete_object", {"Bucket": "b", "Key": "k"}),
        ("get_object", {"Bucket": "b", "Key": "k"}),  # a read, but the URL is a bearer credential
    ],
)
def test_presigned_urls_are_refused_for_every_client(sent, method, params):
    for c in _factory_and_session_clients("s3"):
        with pytest.raises(ReadOnlyViolation, match="presign|refused s3:"):
            c.generate_presigned_url(method, Params=params)
    assert sent == []


def test_presigned_posts_are_refused_for_every_client(sent):
    for c in _factory_and_session_clients("s3"):
        with pytest.raises(ReadOnlyViolation, match="presigned POST"):
            c.generate_presigned_post("b", "uploads/${filename}")


def test_the_trail_loaders_s3_client_is_the_factorys(sent):
    from iamlab.trail.s3 import make_client

    c = make_client(session=boto3.Session(region_name="us-east-1"))
    with pytest.raises(ReadOnlyViolation, match="refused s3:PutObject"):
        c.put_object(Bucket="b", Key="k", Body=b"x")
    with pytest.raises(ReadOnlyViolation):
        c.generate_presigned_post("b", "k")
    with pytest.raises(ReadOnlyViolation):
        c.generate_presigned_url("put_object", Params={"Bucket": "b", "Key": "k"})
    assert sent == []


def test_a_service_iamlab_never_calls_gets_no_client():
    with pytest.raises(ReadOnlyViolation, match="refused to make a rds client"):
        client("rds", region="us-east-1", **CREDS)


def test_lake_query_delivering_results_to_s3_is_refused_and_a_plain_one_is_sent(sent):
    from botocore.stub import Stubber

    ct = _recording(client("cloudtrail", region="us-east-1"), sent)
    with pytest.raises(ReadOnlyViolation, match="DeliveryS3Uri.*write"):
        ct.start_query(QueryStatement="SELECT 1 FROM s", DeliveryS3Uri="s3://attacker/x")
    with Stubber(ct) as stub:
        query_id = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
        stub.add_response("start_query", {"QueryId": query_id}, {"QueryStatement": "SELECT 1"})
        assert ct.start_query(QueryStatement="SELECT 1")["QueryId"] == query_id
    assert sent == []  # the stub answered; the refused call never reached the wire


@pytest.mark.parametrize(
    "extra",
    [
        {"Tags": [{"Key": "team", "Value": "admins"}]},
        {"TransitiveTagKeys": ["team"]},
        {"SourceIdentity": "someone-else"},
    ],
)
def test_assume_role_that_labels_the_session_is_refused(sent, extra):
    sts = _recording(client("sts", region="us-east-1"), sent)
    with pytest.raises(ReadOnlyViolation, match=f"AssumeRole with {next(iter(extra))}"):
        sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/r", RoleSessionName="s", **extra)
    assert sent == []


def test_plain_assume_role_is_allowed_and_its_session_is_read_only(sent):
    from botocore.stub import Stubber

    sts = client("sts", region="us-east-1")
    answer = {
        "Credentials": {
            "AccessKeyId": "ASIAASSUMEDROLE00001",
            "SecretAccessKey": "s",
            "SessionToken": "t",
            "Expiration": "2030-01-01T00:00:00Z",
        }
    }
    params = {"RoleArn": "arn:aws:iam::111122223333:role/r", "RoleSessionName": "analyst"}
    with Stubber(sts) as stub:
        stub.add_response("assume_role", answer, params)
        got = sts.assume_role(**params)
    assumed = session(region="us-east-1", credentials=got["Credentials"])
    iam = _recording(assumed.client("iam"), sent)
    with pytest.raises(ReadOnlyViolation):
        iam.create_user(UserName="x")
    assert assumed.get_credentials().access_key == "ASIAASSUMEDROLE00001"
    assert sent == []
