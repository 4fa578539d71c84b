"""decode_message: the DecodedMessage shape of aws-facts 1.5, unwrapped and summarised."""

from __future__ import annotations

import json

import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from botocore.stub import Stubber

from iamlab.aws.decode import DecodedMessage, decode_message, encoded_part
from iamlab.aws.readonly import client
from iamlab.errors import AwsError, InputError

DECODED = {
    "allowed": False,
    "explicitDeny": True,
    "matchedStatements": {
        "items": [
            {
                "statementId": "VisualEditor0",
                "effect": "DENY",
                "principals": {"items": [{"value": "AROA123456789EXAMPLE"}]},
                "principalGroups": {"items": []},
                "actions": {"items": [{"value": "ec2:RunInstances"}]},
                "resources": {"items": [{"value": "*"}]},
                "conditions": {"items": []},
            }
        ]
    },
    "failures": {"items": []},
    "context": {
        "principal": {
            "id": "AROA123456789EXAMPLE:Ana",
            "arn": "arn:aws:sts::111122223333:assumed-role/Developer/Ana",
        },
        "action": "RunInstances",
        "resource": "arn:aws:ec2:us-east-1:111122223333:instance/*",
        "conditions": {
            "items": [
                {"key": "aws:Region", "values": {"items": [{"value": "us-east-2"}]}},
                {"key": "ec2:InstanceType", "values": {"items": [{"value": "p4d.24xlarge"}]}},
            ]
        },
    },
}
BLOB = "AbCdEf0123-_encodedBlob"
MESSAGE = (
    "You are not authorized to perform this operation. User: arn:aws:sts::111122223333:"
    "assumed-role/Developer/Ana is not authorized to perform: ec2:RunInstances on "
    "resource: arn:aws:ec2:us-east-1:111122223333:instance/* with an explicit deny in an "
    f"identity-based policy. Encoded authorization failure message: {BLOB}"
)


@pytest.fixture
def sts():
    return client(
        "sts",
        region="us-east-1",
        aws_access_key_id="AKIAFAKEFAKEFAKE0003",
        aws_secret_access_key="fake",
    )


def test_decode_whole_message_unwraps_items(sts, tmp_path):
    stub = Stubber(sts)
    stub.add_response(
        "decode_authorization_message",
        {"DecodedMessage": json.dumps(DECODED)},
        {"EncodedMessage": BLOB},
    )
    with stub:
        msg = decode_message(
            MESSAGE,
            evidence_dir=tmp_path,
            client=sts,
            caller={"Account": "111122223333", "Arn": "arn:x"},
        )
    assert (msg.allowed, msg.explicit_deny) == (False, True)
    (stmt,) = msg.matched
    assert (stmt.statement_id, stmt.effect, stmt.actions, stmt.resources, stmt.principals) == (
        "VisualEditor0",
        "DENY",
        ("ec2:RunInstances",),
        ("*",),
        ("AROA123456789EXAMPLE",),
    )
    assert msg.principal_arn == "arn:aws:sts::111122223333:assumed-role/Developer/Ana"
    assert msg.action == "RunInstances"
    assert msg.context == {"aws:Region": ["us-east-2"], "ec2:InstanceType": ["p4d.24xlarge"]}
    text = msg.summary()
    assert text.splitlines()[0] == "decision: explicit deny"
    assert "matched: DENY statement VisualEditor0 actions ec2:RunInstances resources *" in text
    assert "context: aws:Region = us-east-2" in text
    assert json.loads(msg.evidence.path.read_text()) == DECODED
    assert msg.evidence.path.parent == tmp_path / "decoded"


def test_implicit_deny_has_no_matched_statement():
    msg = DecodedMessage.from_json(
        json.dumps(
            {
                "allowed": False,
                "explicitDeny": False,
                "matchedStatements": {"items": []},
                "failures": {"items": []},
                "context": {
                    "principal": {"id": "AIDAEXAMPLE"},
                    "action": "iam:PassRole",
                    "resource": "r",
                    "conditions": {"items": []},
                },
            }
        )
    )
    assert msg.matched == ()
    assert "implicit deny" in msg.summary()
    assert "matched: none" in msg.summary()


def test_malformed_decoded_messages(sts):
    with pytest.raises(AwsError, match="not JSON"):
        DecodedMessage.from_json("<xml/>")
    with pytest.raises(AwsError, match="not a JSON object"):
        DecodedMessage.from_json("[1, 2]")
    odd = DecodedMessage.from_json(
        '{"allowed": true, "matchedStatements": "oops", '
        '"context": {"conditions": {"items": [{"nokey": 1}]}}}'
    )
    assert odd.allowed is True and odd.matched == () and odd.context == {}
    stub = Stubber(sts)
    stub.add_response("decode_authorization_message", {}, {"EncodedMessage": BLOB})
    with stub, pytest.raises(AwsError, match="no DecodedMessage"):
        decode_message(BLOB, client=sts)


def test_sts_refusal_and_bad_input(sts):
    stub = Stubber(sts)
    stub.add_client_error(
        "decode_authorization_message",
        "InvalidAuthorizationMessageException",
        "message is invalid",
        400,
    )
    with (
        stub,
        pytest.raises(
            AwsError,
            match="InvalidAuthorizationMessageException\\): decode "
            "it in the account that received it.*AWS: message "
            "is invalid",
        ),
    ):
        decode_message(BLOB, client=sts)
    with pytest.raises(InputError, match="no encoded message"):
        decode_message("   ", client=sts)
    with pytest.raises(InputError, match="at most 10240"):
        decode_message("x" * 10241, client=sts)
    assert encoded_part(MESSAGE) == BLOB and encoded_part(BLOB) == BLOB
