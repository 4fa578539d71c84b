"""authorization_details: a clear error without iam-toolbox, paging when it is known.

The installed botocore does not know ``iam-toolbox``. To exercise the calling
code, one test loads a small service model written here from the API
reference's description (aws-facts 1.3: operation GetRequestAuthorizationDetails,
paginated ``evaluations``); its member names are this test's assumption.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from iamlab.aws.authz import authorization_details
from iamlab.aws.readonly import client, session
from iamlab.errors import AwsError, InputError

MODEL = {
    "version": "2.0",
    "metadata": {"apiVersion": "2018-05-10", "endpointPrefix": "iam-toolbox",
                 "jsonVersion": "1.0", "protocol": "json", "serviceId": "IAM Toolbox",
                 "signatureVersion": "v4", "signingName": "iam", "targetPrefix": "IamToolbox",
                 "uid": "iam-toolbox-2018-05-10"},
    "operations": {name: {"name": name, "http": {"method": "POST", "requestUri": "/"},
                          "input": {"shape": f"{name}Request"},
                          "output": {"shape": f"{name}Response"}}
                   for name in ("GetRequestAuthorizationDetails", "DeleteEverything")},
    "shapes": {
        "GetRequestAuthorizationDetailsRequest": {
            "type": "structure", "required": ["authorizationId"],
            "members": {"authorizationId": {"shape": "S"}, "nextToken": {"shape": "S"}}},
        "GetRequestAuthorizationDetailsResponse": {
            "type": "structure", "members": {"requestContext": {"shape": "S"},
                                             "evaluations": {"shape": "Evals"},
                                             "nextToken": {"shape": "S"}}},
        "DeleteEverythingRequest": {"type": "structure", "members": {}},
        "DeleteEverythingResponse": {"type": "structure", "members": {}},
        "Evals": {"type": "list", "member": {"shape": "Eval"}},
        "Eval": {"type": "structure", "members": {"action": {"shape": "S"},
                                                  "evaluatedEffect": {"shape": "S"}}},
        "S": {"type": "string"}}}


def test_unknown_service_says_so_and_gives_the_cli_command(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE0005")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    assert "iam-toolbox" not in boto3.session.Session().get_available_services()
    with pytest.raises(AwsError) as info:
        authorization_details("EXAMPLE1a2b3c4d5e6f7g8h9i0j", "us-east-1")
    text = str(info.value)
    assert "does not know the iam-toolbox service" in text
    assert ("aws iam-toolbox get-request-authorization-details --authorization-id "
            "EXAMPLE1a2b3c4d5e6f7g8h9i0j --region us-east-1") in text
    with pytest.raises(InputError):
        authorization_details("  ", "us-east-1")


@pytest.fixture
def toolbox(tmp_path, monkeypatch):
    folder = tmp_path / "models" / "iam-toolbox" / "2018-05-10"
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(MODEL))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path / "models"))
    sess = session(region="eu-west-1")
    assert "iam-toolbox" in sess.get_available_services()
    return client("iam-toolbox", session=sess, region="eu-west-1",
                  endpoint_url="http://127.0.0.1:9", aws_access_key_id="AKIAFAKEFAKEFAKE0006",
                  aws_secret_access_key="fake")


def test_pages_are_merged_and_saved(toolbox, tmp_path):
    stub = Stubber(toolbox)
    stub.add_response("get_request_authorization_details", {
        "requestContext": "ctx", "nextToken": "tok-2",
        "evaluations": [{"action": "iam:GetUser", "evaluatedEffect": "EXPLICIT_DENY"}]},
        {"authorizationId": "AUTH123"})
    stub.add_response("get_request_authorization_details", {
        "evaluations": [{"action": "iam:GetUser", "evaluatedEffect": "IMPLICIT_DENY"}]},
        {"authorizationId": "AUTH123", "nextToken": "tok-2"})
    with stub:
        details = authorization_details("AUTH123", "eu-west-1", workspace=tmp_path,
                                        client=toolbox, caller={"Account": "1", "Arn": "a"})
    stub.assert_no_pending_responses()
    assert details == {"requestContext": "ctx", "evaluations": [
        {"action": "iam:GetUser", "evaluatedEffect": "EXPLICIT_DENY"},
        {"action": "iam:GetUser", "evaluatedEffect": "IMPLICIT_DENY"}]}
    saved = tmp_path / "evidence" / "authorization-details" / "AUTH123.json"
    assert json.loads(saved.read_text()) == details
    meta = json.loads((saved.parent / "AUTH123.json.meta.json").read_text())
    assert (meta["region"], meta["pages"]) == ("eu-west-1", 2)


def test_not_found_explains_the_delay(toolbox):
    stub = Stubber(toolbox)
    stub.add_client_error("get_request_authorization_details", "ResourceNotFoundException",
                          "no such authorization", 404)
    with stub, pytest.raises(AwsError, match="written asynchronously"):
        authorization_details("AUTH404", "eu-west-1", client=toolbox)


def test_other_toolbox_operations_stay_refused(toolbox):
    from iamlab.errors import ReadOnlyViolation

    with pytest.raises(ReadOnlyViolation, match="iam-toolbox:DeleteEverything"):
        toolbox.delete_everything()
