"""IAM authorization details for an authorization id (iam-toolbox GetRequestAuthorizationDetails).

Newer access-denied messages end with an authorization id that this regional,
paginated API resolves into the evaluated policies and matched statements
(aws-facts 1.3). Older botocore releases do not know the ``iam-toolbox``
service; then iamlab says so and gives the AWS CLI command to use instead.
"""

from __future__ import annotations

from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from iamlab.aws._calls import error_code, jsonable
from iamlab.aws.evidence import caller_identity, now_utc, save
from iamlab.aws.readonly import client as ro_client
from iamlab.aws.readonly import session as ro_session
from iamlab.errors import AwsError, InputError

SERVICE = "iam-toolbox"
OPERATION = "GetRequestAuthorizationDetails"


def _member(shape: Any, *suffixes: str) -> str | None:
    """Return the member of ``shape`` whose name ends with one of ``suffixes`` (any case)."""
    for name in getattr(shape, "members", {}) or {}:
        if name.lower().endswith(tuple(s.lower() for s in suffixes)):
            return name
    return None


def _merge(pages: list[dict[str, Any]], token_name: str | None) -> dict[str, Any]:
    """Merge pages: lists are concatenated, other values kept from the first page."""
    merged: dict[str, Any] = {}
    for page in pages:
        for key, value in page.items():
            if key in ("ResponseMetadata", token_name):
                continue
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged.setdefault(key, value)
    return merged


def authorization_details(authorization_id: str, region: str, workspace: Any = None, *,
                          profile: str | None = None, session: Any = None, client: Any = None,
                          caller: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the details AWS recorded for ``authorization_id`` (all pages merged).

    Use the Region of the denial: the API is regional and keeps details for at
    least 24 hours, written asynchronously (an early call may find nothing).
    Raises ``AwsError`` when the installed botocore does not know iam-toolbox,
    or when the call fails.
    """
    if not authorization_id or not authorization_id.strip():
        raise InputError("no authorization id given (it ends the access-denied message)")
    sess = session if session is not None else (None if client else ro_session(profile, region))
    if client is None and SERVICE not in sess.get_available_services():
        import botocore

        raise AwsError(
            f"the installed botocore {botocore.__version__} does not know the {SERVICE} "
            f"service, so iamlab cannot call {OPERATION}; upgrade boto3/botocore, or run "
            f"`aws {SERVICE} get-request-authorization-details --authorization-id "
            f"{authorization_id} --region {region}` with a newer AWS CLI v2")
    tb = client or ro_client(SERVICE, session=sess, region=region)
    op_model = tb.meta.service_model.operation_model(OPERATION)
    id_name = _member(op_model.input_shape, "authorizationid")
    token_in = _member(op_model.input_shape, "nexttoken")
    token_out = _member(op_model.output_shape, "nexttoken")
    if id_name is None:
        raise AwsError(f"{SERVICE} {OPERATION} in this botocore takes no authorization id "
                       "parameter; upgrade botocore")
    method = getattr(tb, xform_name(OPERATION))
    started = now_utc()
    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {id_name: authorization_id.strip()}
    while True:
        try:
            page = method(**params)
        except ClientError as exc:
            code = error_code(exc)
            hint = (" (details are written asynchronously and kept for at least 24 hours, in "
                    "the Region of the denial: retry shortly, or check --region)"
                    if "NotFound" in code else "")
            raise AwsError(f"{SERVICE} {OPERATION} failed with {code}{hint}: {exc}") from exc
        pages.append(page)
        token = page.get(token_out) if token_out else None
        if not token or not token_in:
            break
        params[token_in] = token
    details = jsonable(_merge(pages, token_out))
    if workspace is not None:
        who = caller if caller is not None else caller_identity(sess)
        save(workspace, "authorization-details", authorization_id.strip(), details,
             api=f"{SERVICE}:{OPERATION}", request={id_name: authorization_id.strip()},
             region=region, caller=who, started=started, extra={"pages": len(pages)},
             load=False)
    return details
