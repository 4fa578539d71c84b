"""authorization_details against botocore's real iam-toolbox model.

Responses are stubbed with botocore's Stubber, which checks parameters and
responses against the installed model (botocore >= 1.44.8 ships iam-toolbox),
or sent as raw HTTP answers through botocore's parser and retry handler. The
"botocore does not know the service" case hides the model's folder from
botocore's loader, which is what an older botocore looks like.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import botocore
import botocore.loaders
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber

from iamlab.aws.authz import authorization_details, authorization_policy, summarize
from iamlab.aws.readonly import client, session
from iamlab.errors import AwsError, InputError, ReadOnlyViolation

REGION = "eu-west-1"
DENY_POLICY = "arn:aws:iam::111122223333:policy/DenyIamReads"
ROLE = "arn:aws:iam::111122223333:role/Dev"
INLINE = "iam-inline://111122223333/role/Dev/policy/dev-inline"  # opaque URI, shape invented
EVAL_DENY = {
    "action": "iam:GetUser",
    "resource": "arn:aws:iam::111122223333:user/ana",
    "evaluatedEffect": "EXPLICIT_DENY",
    "matchedPolicies": [
        {"uri": DENY_POLICY, "matchedStatements": [{"sid": "DenyIam", "evaluatedEffect": "DENY"}]}
    ],
    "checks": [
        {
            "checkType": "PRINCIPAL",
            "evaluatedEffect": "EXPLICIT_DENY",
            "targetArn": ROLE,
            "relevantPolicyTypes": ["IDENTITY_BASED_POLICY"],
            "matchedPolicies": [
                {
                    "uri": DENY_POLICY,
                    "matchedStatements": [{"sid": "DenyIam", "evaluatedEffect": "DENY"}],
                }
            ],
        },
        {"checkType": "SERVICE_CONTROL_POLICY", "evaluatedEffect": "NO_IMPACT"},
    ],
}
EVAL_IMPLICIT = {
    "action": "iam:ListRoles",
    "resource": "*",
    "evaluatedEffect": "IMPLICIT_DENY",
    "matchedPolicies": [],
}
POLICIES = [
    {
        "type": "IDENTITY_BASED_POLICY",
        "inline": False,
        "uri": DENY_POLICY,
        "attachedTo": [{"arn": ROLE}],
    }
]
CONTEXT = {"aws:PrincipalArn": ROLE, "aws:RequestedRegion": "us-east-1"}


@pytest.fixture
def creds(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE0006")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


@pytest.fixture
def toolbox(creds):
    sess = session(region=REGION)
    assert "iam-toolbox" in sess.get_available_services(), (
        f"botocore {botocore.__version__} lacks iam-toolbox; these tests need >= 1.44.8"
    )
    return client("iam-toolbox", session=sess, region=REGION)


def hide_service(monkeypatch, tmp_path: Path, service: str) -> None:
    """Make every new botocore session load its models from a copy without ``service``."""
    real = Path(botocore.loaders.Loader.BUILTIN_DATA_PATH)
    data = tmp_path / "botocore-data"
    data.mkdir()
    for entry in real.iterdir():
        if entry.name != service:
            (data / entry.name).symlink_to(entry)
    monkeypatch.setattr(botocore.loaders.Loader, "BUILTIN_DATA_PATH", str(data))
    monkeypatch.setattr(botocore.loaders.Loader, "CUSTOMER_DATA_PATH", str(tmp_path / "none"))


def test_unknown_service_says_so_and_gives_the_cli_command(creds, monkeypatch, tmp_path):
    hide_service(monkeypatch, tmp_path, "iam-toolbox")
    assert "iam-toolbox" not in session(region="us-east-1").get_available_services()
    assert "iam" in session(region="us-east-1").get_available_services()
    with pytest.raises(AwsError) as info:
        authorization_details("EXAMPLE1a2b3c4d5e6f7g8h9i0j", "us-east-1")
    text = str(info.value)
    assert f"botocore {botocore.__version__} does not know the iam-toolbox service" in text
    assert (
        "aws iam-toolbox get-request-authorization-details --authorization-id "
        "EXAMPLE1a2b3c4d5e6f7g8h9i0j --region us-east-1"
    ) in text
    with pytest.raises(InputError):
        authorization_details("  ", "us-east-1")


def test_evaluations_and_policies_across_pages_are_merged_and_saved(toolbox, tmp_path):
    stub = Stubber(toolbox)
    stub.add_response(
        "get_request_authorization_details",
        {
            "requestContext": CONTEXT,
            "evaluations": [EVAL_DENY],
            "policies": POLICIES,
            "nextToken": "tok-2",
        },
        {"authorizationId": "AUTH123"},
    )
    stub.add_response(
        "get_request_authorization_details",
        {"requestContext": {}, "evaluations": [EVAL_IMPLICIT], "policies": POLICIES},
        {"authorizationId": "AUTH123", "nextToken": "tok-2"},
    )
    with stub:
        details = authorization_details(
            " AUTH123 ",
            REGION,
            evidence_dir=tmp_path,
            client=toolbox,
            caller={"Account": "1", "Arn": "a"},
        )
    stub.assert_no_pending_responses()
    assert details == {
        "requestContext": CONTEXT,
        "evaluations": [EVAL_DENY, EVAL_IMPLICIT],
        "policies": POLICIES,
    }
    saved = tmp_path / "authorization-details" / "AUTH123.json"
    assert json.loads(saved.read_text()) == details
    meta = json.loads((saved.parent / "AUTH123.json.meta.json").read_text())
    assert (meta["region"], meta["pages"]) == (REGION, 2)


def test_summary_names_policies_statements_and_effects():
    text = summarize(
        {
            "requestContext": CONTEXT,
            "evaluations": [EVAL_DENY, EVAL_IMPLICIT],
            "policies": POLICIES
            + [{"type": "IDENTITY_BASED_POLICY", "inline": True, "uri": INLINE}],
        }
    )
    assert text.splitlines() == [
        "iam:GetUser on arn:aws:iam::111122223333:user/ana: EXPLICIT_DENY",
        f"  matched {DENY_POLICY} (IDENTITY_BASED_POLICY): DenyIam DENY",
        f"  check PRINCIPAL {ROLE}: EXPLICIT_DENY",
        f"    matched {DENY_POLICY} (IDENTITY_BASED_POLICY): DenyIam DENY",
        "  check SERVICE_CONTROL_POLICY: NO_IMPACT",
        "iam:ListRoles on *: IMPLICIT_DENY",
        "policies:",
        f"  {DENY_POLICY} (IDENTITY_BASED_POLICY) attached to {ROLE}",
        f"  {INLINE} (IDENTITY_BASED_POLICY inline)",
    ]
    assert summarize({"evaluations": []}) == "no evaluations recorded"


def test_stubber_holds_the_real_model(toolbox):
    """The guessed names of the old hand-written model are rejected by botocore's model."""
    stub = Stubber(toolbox)
    with pytest.raises(ParamValidationError):
        stub.add_response(
            "get_request_authorization_details", {"evaluations": []}, {"authorizationId": "A"}
        )  # requestContext, policies required
    op = toolbox.meta.service_model.operation_model("GetRequestAuthorizationDetails")
    assert op.http["requestUri"] == "/authorization-details/{authorizationId}"
    assert toolbox.meta.service_model.signing_name == "iam"


def test_not_found_says_details_arrive_asynchronously(toolbox):
    stub = Stubber(toolbox)
    stub.add_client_error(
        "get_request_authorization_details",
        "ResourceNotFoundException",
        "Authorization details not found",
        404,
    )
    with stub, pytest.raises(AwsError) as info:
        authorization_details("AUTH404", REGION, client=toolbox)
    text = str(info.value)
    assert "no details for authorization id AUTH404 in eu-west-1 yet" in text
    assert "written asynchronously, so retry in a minute" in text


def test_access_denied_names_the_permission(toolbox):
    stub = Stubber(toolbox)
    stub.add_client_error(
        "get_request_authorization_details", "AccessDeniedException", "not authorized", 403
    )
    with stub, pytest.raises(AwsError, match="needs iam:GetRequestAuthorizationDetails"):
        authorization_details("AUTH403", REGION, client=toolbox)


def test_policy_document_is_fetched_by_uri(toolbox):
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "DenyIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"}],
    }
    stub = Stubber(toolbox)
    stub.add_response(
        "get_request_authorization_policy",
        {"policyDocument": document},
        {"authorizationId": "AUTH123", "policyUri": DENY_POLICY},
    )
    with stub:
        assert authorization_policy("AUTH123", DENY_POLICY, REGION, client=toolbox) == document


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_):
        yield self.body


def _answers(sess, answers: list[tuple[int, dict, bytes]]) -> list:
    """Answer each HTTP request botocore would send with the next canned response."""
    sent = []

    def reply(request, **_):
        sent.append(request)
        status, headers, body = answers[len(sent) - 1]
        return AWSResponse(request.url, status, headers, _Raw(body))

    sess._session.register("before-send.iam-toolbox", reply)  # copied into each client
    return sent


def test_throttling_is_retried_by_the_read_only_client(creds):
    sess = session(region=REGION)
    body = {"requestContext": CONTEXT, "evaluations": [EVAL_IMPLICIT], "policies": []}
    sent = _answers(
        sess,
        [
            (429, {"x-amzn-errortype": "ThrottlingException"}, b'{"message":"Rate exceeded"}'),
            (200, {}, json.dumps(body).encode()),
        ],
    )
    details = authorization_details("AUTH/1", REGION, session=sess)
    assert details == body
    assert len(sent) == 2
    assert sent[0].method == "GET"
    assert sent[0].url == (
        "https://iam-toolbox.eu-west-1.amazonaws.com/authorization-details/AUTH%2F1"
    )


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        (b'{"requestContext": {}, "policies": []}', "evaluations missing"),
        (b"<html>gateway error</html>", "requestContext, evaluations, policies missing"),
    ],
)
def test_malformed_response_is_reported(creds, body, missing):
    sess = session(region=REGION)
    _answers(sess, [(200, {}, body)])
    with pytest.raises(AwsError, match=f"malformed page 1 for AUTH1: {missing}"):
        authorization_details("AUTH1", REGION, session=sess)


def test_other_toolbox_operations_stay_refused(toolbox, monkeypatch):
    from iamlab.aws import readonly

    monkeypatch.setitem(
        readonly.ALLOWED_OPERATIONS, "iam-toolbox", frozenset({"GetRequestAuthorizationDetails"})
    )
    with pytest.raises(ReadOnlyViolation, match="iam-toolbox:GetRequestAuthorizationPolicy"):
        toolbox.get_request_authorization_policy(authorizationId="A", policyUri="u")
