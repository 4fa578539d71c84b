"""botocore's exceptions as one-line ``AwsError`` messages that say what to do.

Every public function of ``iamlab.aws`` is wrapped in ``plain_errors``, so no
botocore exception leaves the package: no credentials, no Region, expired or
rejected credentials, access denied, an unreachable endpoint, throttling
after retries, an unparsable reply and parameters AWS would refuse each
become one line naming what happened and the next step. Text that came from
the endpoint is shown through ``printable`` (escaped, one line) with access
key ids shortened. Errors a function already turned into ``AwsError`` with a
more specific hint pass through unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectionError,
    CredentialRetrievalError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)
from botocore.parsers import ResponseParserError  # not a BotoCoreError

from iamlab.aws._calls import _XML_MESSAGE, error_code
from iamlab.aws.readonly import ATTEMPTS, CONNECT_TIMEOUT, READ_TIMEOUT
from iamlab.aws.redact import redact_key_ids
from iamlab.errors import AwsError
from iamlab.escape import printable

EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
REJECTED_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "InvalidAccessKeyId",
        "InvalidToken",
    }
)
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "Client.UnauthorizedOperation",
        "AuthorizationError",
        "UnauthorizedAccess",
        "Forbidden",
        "403",
    }
)
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "SlowDown",
        "RequestThrottled",
        "RequestThrottledException",
    }
)

_NO_CREDENTIALS = (
    "looked at the environment variables, the shared credentials and config "
    "files, SSO, container and instance metadata; run `aws configure` or "
    "`aws sso login`, or pass --profile"
)
_UNREACHABLE = (
    "iamlab tries each call at most {attempts} times and waits {connect} s to "
    "connect; check the network or proxy (HTTPS_PROXY), and AWS_ENDPOINT_URL if "
    "it is set"
)

F = TypeVar("F", bound=Callable[..., Any])


def describe(exc: BaseException) -> str:
    """Return ``exc``'s text on one line, escaped, with access key ids shortened."""
    text = " ".join(str(exc).split("\n"))
    return printable(redact_key_ids(text))


def _operation(exc: ClientError) -> str:
    return str(getattr(exc, "operation_name", "") or "the call")


def _message(exc: ClientError) -> str:
    """Return AWS's own message of ``exc`` (escaped, one line), without botocore's preamble."""
    text = str(exc.response.get("Error", {}).get("Message") or "") or str(exc)
    found = _XML_MESSAGE.search(text)  # an XML error body read by a JSON-protocol client
    return describe(found.group(1) if found else text)


def as_aws_error(exc: BaseException, doing: str = "calling AWS") -> AwsError:
    """Return the ``AwsError`` that tells a person what ``exc`` means and what to do.

    ``doing`` says what iamlab was doing, e.g. ``"listing s3://trail/AWSLogs/"``.
    Example: ``raise as_aws_error(exc, "reading the caller identity") from exc``.
    """
    if isinstance(exc, AwsError):
        return exc
    if isinstance(exc, ClientError):
        return _client_error(exc, doing)
    if isinstance(exc, NoRegionError):
        return AwsError(
            f"no AWS Region for {doing}: pass --region, or set AWS_DEFAULT_REGION "
            "or a region in the profile"
        )
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return AwsError(
            f"no usable AWS credentials for {doing} ({describe(exc)}): " + _NO_CREDENTIALS
        )
    if isinstance(exc, (SSOError, TokenRetrievalError)):
        return AwsError(
            f"the SSO session has expired or is invalid ({describe(exc)}); run "
            "`aws sso login` (with --profile if you use one) and run again"
        )
    if isinstance(exc, CredentialRetrievalError):
        return AwsError(
            f"could not get credentials for {doing} ({describe(exc)}); check the "
            "credential_process, role or SSO settings of the profile"
        )
    if isinstance(exc, ReadTimeoutError):
        return AwsError(
            f"AWS did not answer while {doing} ({describe(exc)}): no reply within "
            f"{READ_TIMEOUT} s, tried at most {ATTEMPTS} times; retry later, or "
            "narrow the request"
        )
    if isinstance(exc, (ConnectionError, ConnectionClosedError)):
        return AwsError(
            f"cannot reach AWS while {doing} ({describe(exc)}); "
            + _UNREACHABLE.format(attempts=ATTEMPTS, connect=CONNECT_TIMEOUT)
        )
    if isinstance(exc, ResponseParserError):
        return AwsError(
            f"the endpoint's reply could not be read while {doing} "
            f"({describe(exc)[:300]}); it may not be AWS: check AWS_ENDPOINT_URL "
            "and any proxy, then retry"
        )
    if isinstance(exc, ParamValidationError):
        return AwsError(
            f"AWS would refuse the parameters for {doing}: {describe(exc)}; check "
            "the values given (ARNs, ids and names are copied whole)"
        )
    return AwsError(f"{doing} failed: {type(exc).__name__}: {describe(exc)}")


def _client_error(exc: ClientError, doing: str) -> AwsError:
    code = error_code(exc)
    op = _operation(exc)
    if code in EXPIRED_CODES:
        return AwsError(
            f"the AWS credentials have expired ({code}) while {doing}; get fresh "
            "ones (aws sso login, re-assume the role, or unset a stale "
            "AWS_SESSION_TOKEN) and run again"
        )
    if code in REJECTED_CODES:
        return AwsError(
            f"AWS rejected the credentials ({code}) while {doing}: "
            f"{_message(exc)}; the key is unknown, deleted or paired with the "
            "wrong secret (`iamlab whoami` shows which source was used)"
        )
    if code in DENIED_CODES:
        return AwsError(
            f"access denied to {op} while {doing}: {_message(exc)}; ask for the "
            "permission AWS names, or use --profile with a role that has it"
        )
    if code in THROTTLING_CODES:
        return AwsError(
            f"AWS kept throttling {op} ({code}) while {doing}, after at most "
            f"{ATTEMPTS} tries with backoff; wait a minute and run again, or "
            "narrow the request"
        )
    return AwsError(f"{op} failed with {printable(code)} while {doing}: {_message(exc)}")


def plain_errors(doing: str) -> Callable[[F], F]:
    """Decorate a public function so botocore's exceptions leave it as ``AwsError``.

    Example::

        @plain_errors("reading the caller identity")
        def whoami(...): ...
    """

    def wrap(func: F) -> F:
        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except (BotoCoreError, ClientError, ResponseParserError) as exc:
                raise as_aws_error(exc, doing) from exc

        return call  # type: ignore[return-value]

    return wrap
