"""The scenario recorder, and the shapes most scenarios write: a call refused with
AWS's denial message, an S3 object call refused, a cross-account call logged on
both sides.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from iamlab.sample.scenarios.messages import denial_message
from iamlab.sample.traffic.api_infrastructure import s3_object
from iamlab.sample.traffic.calls import VERSIONS
from iamlab.sample.traffic.records import aws_account, record
from iamlab.sample.world.accounts import DAYS


def at(day: int, hms: str) -> datetime:
    """The time "HH:MM:SS" on the sample's day `day` (0-3)."""
    h, m, s = (int(x) for x in hms.split(":"))
    return DAYS[day] + timedelta(hours=h, minutes=m, seconds=s)


class Recorder:
    """Collects scenario records in order; remembers which scenario each belongs to.

    One RNG serves every scenario, so the order of the calls is part of the output."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"{seed}:scenarios")
        self.salt = str(seed)
        self.records: list[dict] = []
        self.by_scenario: dict[str, list[str]] = {}
        self.context: dict[str, list[str]] = {}
        self.hostile: list[str] = []

    def add(
        self, scenario: str | None, *, context: bool = False, hostile: bool = False, **kw: Any
    ) -> dict:
        """Record one event (keyword arguments of ``records.record``) under `scenario`;
        `context` files it as context of the scenario, `hostile` among the hostile events."""
        kw.setdefault("version", VERSIONS.get(kw["source"], "1.08"))
        rec = record(rng=self.rng, **kw)
        self.records.append(rec)
        if scenario:
            target = self.context if context else self.by_scenario
            target.setdefault(scenario, []).append(rec["eventID"])
        if hostile:
            self.hostile.append(rec["eventID"])
        return rec

    def call(
        self,
        scenario: str | None,
        call: dict,
        *,
        error: tuple[str, str] | None = None,
        drop_response: bool = True,
        **kw: Any,
    ) -> dict:
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


def denied(
    recorder: Recorder,
    scenario: str,
    call: dict,
    ident: dict,
    code: str,
    action: str,
    resource: str | None,
    tail: str,
    *,
    quote: bool = False,
    **kw: Any,
) -> dict:
    """Record `call` by `ident` in eu-west-1, refused with `code` and AWS's denial message."""
    return recorder.call(
        scenario,
        call,
        error=(code, denial_message(ident["arn"], action, resource, tail, quote=quote)),
        region="eu-west-1",
        identity=ident,
        **kw,
    )


def s3_denied(
    recorder: Recorder,
    scenario: str,
    ident: dict,
    bucket: str,
    key: str,
    op: str,
    account: str,
    tail: str,
    *,
    size: int = 0,
    **kw: Any,
) -> dict:
    """An S3 object call in eu-west-1 refused with AccessDenied; S3 quotes the object ARN."""
    return denied(
        recorder,
        scenario,
        s3_object(recorder.rng, "eu-west-1", bucket, key, op, account, size),
        ident,
        "AccessDenied",
        f"s3:{op}",
        f"arn:aws:s3:::{bucket}/{key}",
        tail,
        quote=True,
        recipient=account,
        **kw,
    )


def both_sides(
    recorder: Recorder, scenario: str, call: dict, ident: dict, owner: str, **kw: Any
) -> None:
    """A cross-account call as CloudTrail logs it: once in the caller's account with the full
    identity, once in the owner's account where the caller is only an AWSAccount."""
    caller = ident["accountId"]
    for recipient, who in ((caller, ident), (owner, aws_account(ident["principalId"], caller))):
        recorder.call(scenario, call, identity=who, recipient=recipient, **kw)
