"""as_aws_error: each kind of botocore failure becomes one line that says what to do next."""

from __future__ import annotations

import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    ReadTimeoutError,
    UnauthorizedSSOTokenError,
)
from botocore.parsers import ResponseParserError

from iamlab.aws.failures import as_aws_error, plain_errors
from iamlab.errors import AwsError, ReadOnlyViolation

URL = "https://sts.us-east-1.amazonaws.com/"


def _client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "GetCallerIdentity")


@pytest.mark.parametrize(
    "exc,expected",
    [
        (NoCredentialsError(), "no usable AWS credentials for testing"),
        (NoRegionError(), "no AWS Region for testing: pass --region"),
        (EndpointConnectionError(endpoint_url=URL), "cannot reach AWS while testing"),
        (ConnectTimeoutError(endpoint_url=URL), "waits 2 s to connect"),
        (ReadTimeoutError(endpoint_url=URL), "no reply within 20 s, tried at most 3 times"),
        (
            ParamValidationError(report="Invalid length for parameter RoleArn"),
            "AWS would refuse the parameters for testing: "
            "Parameter validation failed: Invalid length",
        ),
        (
            ResponseParserError("Unable to parse response (not well-formed)"),
            "reply could not be read while testing",
        ),
        (UnauthorizedSSOTokenError(), "run `aws sso login`"),
        (_client_error("ExpiredTokenException", "expired"), "credentials have expired"),
        (
            _client_error("AccessDeniedException", "not authorized to perform: sts:X"),
            "access denied to GetCallerIdentity while testing: not authorized to perform: sts:X",
        ),
        (_client_error("TooManyRequestsException", "slow down"), "AWS kept throttling"),
        (
            _client_error("InternalFailure", "oops\n\x1b[31mred"),
            "GetCallerIdentity failed with InternalFailure while testing: oops \\x1b[31mred",
        ),
    ],
)
def test_each_failure_reads_as_one_escaped_line(exc, expected):
    message = str(as_aws_error(exc, "testing"))
    assert expected in message
    assert "\n" not in message and "\x1b" not in message


def test_errors_already_explained_pass_through_unchanged():
    refused = ReadOnlyViolation("refused iam:CreateUser")
    assert as_aws_error(refused) is refused


def test_plain_errors_lets_only_iamlab_errors_out():
    @plain_errors("reading something")
    def broken():
        raise EndpointConnectionError(endpoint_url=URL)

    with pytest.raises(AwsError, match="cannot reach AWS while reading something") as info:
        broken()
    assert isinstance(info.value.__cause__, EndpointConnectionError)
