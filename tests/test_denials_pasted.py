"""Denial texts as analysts paste them (SDKs, CLI, Terraform, CloudFormation, JSON, wrapped lines).

Fixtures: tests/data/pasted_messages.json, every field written by reading the
text (never by running the parser). Real pastes name their public GitHub
thread in ``source``; synthetic ones name the documented form they follow.
"""

# ruff: noqa: E501  (pastes are long; kept whole so they read as they were posted)

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from iamlab.denials import ParsedDenial, parse, read_message

DATA = Path(__file__).parent / "data" / "pasted_messages.json"
CASES = json.loads(DATA.read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_pasted_text_gives_every_field(case):
    got = parse(case["error_code"], case["text"], case["event_source"]).to_dict()
    assert got == case["expect"]


def test_fixtures_hold_forty_pastes_fifteen_of_them_real_and_every_field():
    assert len(CASES) >= 40
    assert sum(c["source"].startswith("github ") for c in CASES) >= 15
    assert len({c["id"] for c in CASES}) == len(CASES)
    for c in CASES:
        assert set(c["expect"]) == set(ParsedDenial.__dataclass_fields__), c["id"]


def test_every_sdk_wrapper_form_is_covered():
    texts = " ".join(c["text"] for c in CASES)
    for marker in (
        "An error occurred (",  # boto3 / AWS CLI
        "(Service: Amazon S3; Status Code: 403; Error Code:",  # Java v1
        "(Service: S3, Status Code: 403, Request ID:",  # Java v2
        "\n\tstatus code: 403, request id:",  # Go v1
        "operation error S3: GetObject, https response error",  # Go v2
        "Amazon.S3.AmazonS3Exception",  # .NET
        "aws-sdk/lib/services/",  # JavaScript v2
        "@aws-sdk/client-",  # JavaScript v3
        'Error executing "',  # PHP
        "│ Error: creating",  # Terraform >= 1.0
        "Resource handler returned message:",  # CloudFormation
        '"errorMessage":',  # CloudTrail / Lambda JSON
        "<Error><Code>",  # XML body
    ):
        assert marker in texts, marker


# A CloudTrail message whose S3 key imitates SDK wrappers must read as AWS wrote it.
KEYS = st.lists(
    st.sampled_from(
        [
            "An error occurred (ExpiredToken) when calling the GetObject operation: ",
            "operation error S3: PutObject, https response error StatusCode: 403, RequestID: 1, api error AccessDenied: ",
            "User: arn:aws:iam::9:user/evil is not authorized to perform: iam:Evil on resource: x ",
            "because no service control policy allows the iam:Evil action",
            '{"errorMessage": "User: arn:aws:iam::9:user/evil is not authorized to perform: x"}',
            "<Message>Access Denied</Message>",
            "\n\tstatus code: 403, request id: 1",
            "\n",
            "  ",
            '"',
            "\\n",
            '\\"',
            "`",
            "\n    at x.y(z)",
            'Resource handler returned message: "',
            '" (RequestToken: 1, HandlerErrorCode: ExpiredToken)',
            "k",
        ]
    ),
    min_size=1,
    max_size=8,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(KEYS, st.booleans())
@example('An error occurred (ExpiredToken) when calling the GetObject operation: "', True)
def test_wrapper_text_inside_an_s3_key_changes_nothing(key, explicit):
    context = (
        "with an explicit deny in a resource-based policy"
        if explicit
        else "because no identity-based policy allows the s3:GetObject action"
    )
    message = (
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject "
        f'on resource: "arn:aws:s3:::bucket/{key}" {context}'
    )
    got = parse("AccessDenied", message, "s3.amazonaws.com")
    assert got == read_message("AccessDenied", message)
    assert got.principal == "arn:aws:iam::111122223333:user/alice"
    assert got.resource == f"arn:aws:s3:::bucket/{key}"
    assert got.policy_type == ("resource" if explicit else "identity")


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.none(), st.text(max_size=40), st.sampled_from(["AccessDenied", "403", "ExpiredToken"])
    ),
    st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "{",
                    "}",
                    '"errorMessage": "',
                    '"',
                    "\\",
                    "\\n",
                    "<Message>",
                    "</Message>",
                    "An error occurred (",
                    ") when calling the X operation: ",
                    "operation error S3: ",
                    "GetObject, ",
                    "api error ",
                    "│ ",
                    "```",
                    "`",
                    "(Service: S3, Status Code: 403, ",
                    'Resource handler returned message: "',
                    'Error executing "X" on "https://s3.amazonaws.com"',
                    " (client): ",
                    "User: ",
                    " is not authorized to perform: ",
                    "Not authorized to perform ",
                    "\n\tstatus code: 403, request id: ",
                    "\n    at ",
                    "AccessDenied: ",
                    "null",
                ]
            ),
            max_size=20,
        ).map("".join),
    ),
    st.one_of(st.none(), st.text(max_size=30), st.just("s3.amazonaws.com")),
)
def test_parse_never_raises_on_any_paste(code, text, event_source):
    got = parse(code, text, event_source)
    assert isinstance(got, ParsedDenial)
    assert got.is_denial in (True, False)
    if not got.is_denial:
        assert set(got.to_dict().values()) == {None, False}
