"""AWS's own policy validator: IAM Access Analyzer's ValidatePolicy, read-only.

ValidatePolicy checks a document's grammar and AWS's best practices and
returns findings (ERROR, SECURITY_WARNING, WARNING, SUGGESTION) with an issue
code, a location in the document and a learn-more link. It reads nothing of
the account and changes nothing; iamlab's lint puts its findings beside its
own (``diagnose.lint_validator.merge_validator``). Without credentials the first call
raises ``AwsError`` (one line, from ``failures``): callers lint without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from iamlab.aws._calls import jsonable
from iamlab.aws.failures import plain_errors
from iamlab.aws.readonly import client as ro_client

# iamlab's policy layer -> (policyType, validatePolicyResourceType or None)
POLICY_TYPES: dict[str, tuple[str, str | None]] = {
    "identity": ("IDENTITY_POLICY", None),
    "permissions_boundary": ("IDENTITY_POLICY", None),
    "session": ("IDENTITY_POLICY", None),
    "trust": ("RESOURCE_POLICY", "AWS::IAM::AssumeRolePolicyDocument"),
    "resource": ("RESOURCE_POLICY", None),
    "vpc_endpoint": ("RESOURCE_POLICY", None),
    "scp": ("SERVICE_CONTROL_POLICY", None),
    "rcp": ("RESOURCE_CONTROL_POLICY", None),
}


def _policy_type(layer: str, name: str) -> dict[str, str]:
    kind, resource_type = POLICY_TYPES.get(layer, ("IDENTITY_POLICY", None))
    if layer == "resource" and name.startswith("arn:aws:s3:::"):
        resource_type = "AWS::S3::Bucket"  # enables the bucket-policy checks
    elif layer == "resource" and name.startswith("arn:aws:dynamodb:"):
        resource_type = "AWS::DynamoDB::Table"
    out = {"policyType": kind}
    if resource_type:
        out["validatePolicyResourceType"] = resource_type
    return out


@plain_errors("validating policies with IAM Access Analyzer")
def validate_policies(
    policies: Iterable[tuple[str, str, Any]],
    *,
    region: str | None = None,
    profile: str | None = None,
    client: Any = None,
) -> list[dict[str, Any]]:
    """Return Access Analyzer's findings for each (name, layer, document), in order.

    Each finding is AWS's own (``findingType``, ``issueCode``,
    ``findingDetails``, ``learnMoreLink``, ``locations``) plus ``policy``,
    the name given. Raises AwsError (no credentials, denied, unreachable).
    """
    analyzer = client or ro_client("accessanalyzer", profile=profile, region=region)
    out: list[dict[str, Any]] = []
    for name, layer, document in policies:
        text = document if isinstance(document, str) else json.dumps(document)
        params = {"policyDocument": text, **_policy_type(layer, name)}
        for page in analyzer.get_paginator("validate_policy").paginate(**params):
            out += [{"policy": name, **jsonable(f)} for f in page.get("findings", [])]
    return out
