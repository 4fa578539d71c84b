"""Scenario plumbing: the record collector and the exact denial message grammar.

Messages follow aws-facts.md section 1 word for word: S3 quotes the resource
ARN, EC2 prefixes "You are not authorized to perform this operation." and
appends the encoded message, policy ARNs follow the policy type after ": ".
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from iamlab.sample.traffic.api_infrastructure import s3_object
from iamlab.sample.traffic.calls import VERSIONS
from iamlab.sample.traffic.records import aws_account, encoded_message, record
from iamlab.sample.world.accounts import (
    DAYS,
)

EC2_PREFIX = "You are not authorized to perform this operation."
HOSTILE_AGENTS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)> aws-cli/2.24.18',
    "Mozilla/5.0 (X11) </td><td onmouseover=alert('ua')>\n\"quoted\" 'single'",
)


def _t(day: int, hms: str) -> datetime:
    h, m, s = (int(x) for x in hms.split(":"))
    return DAYS[day] + timedelta(hours=h, minutes=m, seconds=s)


def _denied(who: str, action: str, resource: str | None, tail: str, quote: bool = False) -> str:
    on = (
        f' on resource: "{resource}"'
        if quote and resource
        else (f" on resource: {resource}" if resource else "")
    )
    return f"User: {who} is not authorized to perform: {action}{on} {tail}"


def _ec2_denied(rng: random.Random, who: str, action: str, resource: str, tail: str) -> str:
    """EC2's wording: a fixed prefix, the denial, then an encoded authorization message."""
    return (
        f"{EC2_PREFIX} "
        + _denied(who, action, resource, tail)
        + f" Encoded authorization failure message: {encoded_message(rng)}"
    )


def _implicit(kind: str, action: str) -> str:
    return f"because no {kind} allows the {action} action"


class Builder:
    """Collects scenario records; remembers which scenario each belongs to."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"{seed}:scenarios")
        self.salt = str(seed)
        self.records: list[dict] = []
        self.by_scenario: dict[str, list[str]] = {}
        self.context: dict[str, list[str]] = {}
        self.hostile: list[str] = []

    def add(
        self, scenario: str | None, *, context: bool = False, hostile: bool = False, **kw
    ) -> dict:
        kw.setdefault("version", VERSIONS.get(kw["source"], "1.08"))
        rec = record(rng=self.rng, **kw)
        self.records.append(rec)
        if scenario:
            target = self.context if context else self.by_scenario
            target.setdefault(scenario, []).append(rec["eventID"])
        if hostile:
            self.hostile.append(rec["eventID"])
        return rec

    def call(self, scenario, call: dict, *, error=None, drop_response=True, **kw) -> dict:
        """Record an API call dict (see traffic.calls.api_call); an error replaces the response."""
        c = dict(call)
        params, response = c.pop("params"), c.pop("response")
        source, name, read_only = c.pop("source"), c.pop("name"), c.pop("read_only")
        if error is not None and drop_response:
            response = None
        merged = {**c, **kw}
        return self.add(
            scenario,
            source=source,
            name=name,
            read_only=read_only,
            params=params,
            response=response,
            error=error,
            **merged,
        )


def _who(identity: dict) -> str:
    return identity["arn"]


def denied(
    b: Builder,
    scenario: str,
    call: dict,
    ident: dict,
    code: str,
    action: str,
    resource: str | None,
    tail: str,
    *,
    quote: bool = False,
    **kw,
) -> dict:
    """Record `call` by `ident` in eu-west-1, refused with `code` and AWS's denial message."""
    return b.call(
        scenario,
        call,
        error=(code, _denied(_who(ident), action, resource, tail, quote=quote)),
        region="eu-west-1",
        identity=ident,
        **kw,
    )


def s3_denied(
    b: Builder,
    scenario: str,
    ident: dict,
    bucket: str,
    key: str,
    op: str,
    account: str,
    tail: str,
    *,
    size: int = 0,
    **kw,
) -> dict:
    """An S3 object call in eu-west-1 refused with AccessDenied; S3 quotes the object ARN."""
    return denied(
        b,
        scenario,
        s3_object(b.rng, "eu-west-1", bucket, key, op, account, size),
        ident,
        "AccessDenied",
        f"s3:{op}",
        f"arn:aws:s3:::{bucket}/{key}",
        tail,
        quote=True,
        recipient=account,
        **kw,
    )


def both_sides(b: Builder, scenario: str, call: dict, ident: dict, owner: str, **kw) -> None:
    """A cross-account call as CloudTrail logs it: once in the caller's account with the full
    identity, once in the owner's account where the caller is only an AWSAccount."""
    caller = ident["accountId"]
    for recipient, who in ((caller, ident), (owner, aws_account(ident["principalId"], caller))):
        b.call(scenario, call, identity=who, recipient=recipient, **kw)
