"""Shared pieces of the API call builders: the call dict, hex ids, record versions."""

from __future__ import annotations

import random

from iamlab.sample.traffic.records import token

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_HEX = "0123456789abcdef"

# eventVersion by event source (aws-facts 2.1: 1.05 .. 1.11 all occur in real trails)
VERSIONS = {
    "s3.amazonaws.com": "1.10",
    "ec2.amazonaws.com": "1.10",
    "iam.amazonaws.com": "1.11",
    "sts.amazonaws.com": "1.08",
    "kms.amazonaws.com": "1.11",
    "lambda.amazonaws.com": "1.09",
    "dynamodb.amazonaws.com": "1.09",
    "sqs.amazonaws.com": "1.09",
    "sns.amazonaws.com": "1.10",
    "secretsmanager.amazonaws.com": "1.11",
    "monitoring.amazonaws.com": "1.09",
    "logs.amazonaws.com": "1.08",
    "ssm.amazonaws.com": "1.08",
    "ecr.amazonaws.com": "1.08",
    "cloudformation.amazonaws.com": "1.09",
    "signin.amazonaws.com": "1.05",
    "organizations.amazonaws.com": "1.11",
    "athena.amazonaws.com": "1.09",
    "glue.amazonaws.com": "1.07",
    "cloudtrail.amazonaws.com": "1.09",
    "guardduty.amazonaws.com": "1.11",
    "sso.amazonaws.com": "1.10",
    "ce.amazonaws.com": "1.06",
}


def hexs(rng: random.Random, n: int) -> str:
    """n random lowercase hex digits."""
    return token(rng, n, _HEX)


def instance_id(rng: random.Random) -> str:
    """A random EC2 instance id."""
    return "i-0" + hexs(rng, 16)


def api_call(
    source: str,
    name: str,
    read_only: bool | None,
    params: dict | None = None,
    response: dict | None = None,
    **kw: object,
) -> dict:
    """The call dict every API builder returns: keyword arguments of ``records.record``
    without who, when and from where (the caller adds those)."""
    return {
        "source": source,
        "name": name,
        "read_only": read_only,
        "params": params,
        "response": response,
        **kw,
    }
