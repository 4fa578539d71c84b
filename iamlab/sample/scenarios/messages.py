"""AWS's denial message grammar, word for word (aws-facts.md section 1).

S3 quotes the resource ARN, EC2 prefixes "You are not authorized to perform
this operation." and appends the encoded message, policy ARNs follow the
policy type after ": ".
"""

from __future__ import annotations

import random

from iamlab.sample.traffic.records import encoded_message

EC2_PREFIX = "You are not authorized to perform this operation."


def denial_message(
    who: str, action: str, resource: str | None, tail: str, quote: bool = False
) -> str:
    """AWS's "User: ... is not authorized to perform: ..." sentence; S3 quotes the resource."""
    on = (
        f' on resource: "{resource}"'
        if quote and resource
        else (f" on resource: {resource}" if resource else "")
    )
    return f"User: {who} is not authorized to perform: {action}{on} {tail}"


def ec2_denial_message(rng: random.Random, who: str, action: str, resource: str, tail: str) -> str:
    """EC2's wording: a fixed prefix, the denial, then an encoded authorization message."""
    return (
        f"{EC2_PREFIX} "
        + denial_message(who, action, resource, tail)
        + f" Encoded authorization failure message: {encoded_message(rng)}"
    )


def no_policy_allows(kind: str, action: str) -> str:
    """The tail of an implicit denial: no policy of this kind allows the action."""
    return f"because no {kind} allows the {action} action"
