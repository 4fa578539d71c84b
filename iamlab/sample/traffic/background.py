"""Background traffic: how many events each (account, region, day) gets, and
the records themselves.

Each chunk is generated from its own RNG (seeded by the seed and the chunk
key), so chunks can be produced in any order or process and still give the
same bytes.
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import datetime, timedelta
from functools import lru_cache

from iamlab.sample.traffic.actors import Actor
from iamlab.sample.traffic.calls import VERSIONS
from iamlab.sample.traffic.cast_dev import dev_actors
from iamlab.sample.traffic.cast_org import org_actors
from iamlab.sample.traffic.cast_prod import prod_actors
from iamlab.sample.traffic.records import aws_account, record
from iamlab.sample.world.accounts import DAYS, REGIONS

DEFAULT_EVENTS = 15_000

# relative activity of 24-hour workloads by UTC hour (European business day peak)
DIURNAL = (3, 2, 2, 2, 2, 3, 4, 6, 8, 9, 10, 10, 9, 10, 10, 9, 8, 7, 6, 5, 4, 4, 3, 3)

# Non-denial errors that ordinary traffic produces now and then.
_ERRORS = {
    ("s3.amazonaws.com", "GetObject"): ("NoSuchKey", "The specified key does not exist."),
    ("dynamodb.amazonaws.com", "PutItem"): (
        "ConditionalCheckFailedException",
        "The conditional request failed",
    ),
    ("ssm.amazonaws.com", "GetParameter"): ("ParameterNotFound", None),
    ("athena.amazonaws.com", "GetQueryResults"): (
        "InvalidRequestException",
        "Query has not yet finished. Current state: RUNNING",
    ),
    ("cloudformation.amazonaws.com", "DescribeStacks"): (
        "ValidationError",
        "Stack with id {stack} does not exist",
    ),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"): (
        "ResourceConflictException",
        "The operation cannot be performed at this time. "
        "An update is in progress for resource: {fn}",
    ),
}
ERROR_RATE = 0.008


HOME = (
    "eu-west-1"  # every named resource of the sample (bucket, table, function, key...) lives here
)
_NEUTRAL_SOURCES = {
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "organizations.amazonaws.com",
    "ce.amazonaws.com",
    "sso.amazonaws.com",
    "guardduty.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "monitoring.amazonaws.com",
}
_NEUTRAL_NAMES = {
    "ListBuckets",
    "ListFunctions20150331",
    "DescribeLogGroups",
    "GetAuthorizationToken",
    "ListTables",
    "ListQueues",
    "ListTopics",
    "ListSecrets",
    "ListStacks",
}


def _region_neutral(call: dict) -> bool:
    """True when a call names no regional resource, so it can happen in any region."""
    if call["source"] in _NEUTRAL_SOURCES or call["name"] in _NEUTRAL_NAMES:
        return True
    return call["source"] == "ec2.amazonaws.com" and call["name"].startswith("Describe")


@lru_cache(maxsize=1)
def cast() -> tuple[Actor, ...]:
    """Every background actor, in the order chunks draw from (production, development,
    then management, security and Config): reordering changes every background event."""
    return (*prod_actors(), *dev_actors(), *org_actors())


def _eligible(actor: Actor, region: str) -> list[tuple[float, str | None, object]]:
    """Calls the actor makes in this region: global ones only in us-east-1, pinned ones
    only in theirs."""
    return [
        c
        for c in actor.calls
        if c[1] is None or c[1] == region or (c[1] == "global" and region == "us-east-1")
    ]


def chunk_weights() -> dict[tuple[str, str, int], float]:
    """Relative volume of each (account, region, day index)."""
    weights: dict[tuple[str, str, int], float] = {}
    for actor in cast():
        for region, share in actor.regions.items():
            if not _eligible(actor, region):
                continue
            for day in range(len(DAYS)):
                key = (actor.account, region, day)
                weights[key] = weights.get(key, 0.0) + actor.weight * share
    return dict(sorted(weights.items()))


def plan(total: int) -> dict[tuple[str, str, int], int]:
    """Split total events over chunks (largest remainder, so the sum is exact)."""
    weights = chunk_weights()
    norm = sum(weights.values())
    exact = {k: total * w / norm for k, w in weights.items()}
    counts = {k: math.floor(v) for k, v in exact.items()}
    rest = total - sum(counts.values())
    for k in sorted(exact, key=lambda k: (counts[k] - exact[k], k))[:rest]:
        counts[k] += 1
    return counts


_HOURS = tuple(range(24))
_DIURNAL_CUM = tuple(itertools.accumulate(DIURNAL))


def _time(rng: random.Random, actor: Actor, day: datetime) -> datetime:
    if actor.hours:
        hour = rng.randrange(*actor.hours)
    else:
        hour = rng.choices(_HOURS, cum_weights=_DIURNAL_CUM)[0]
    return day + timedelta(hours=hour, seconds=rng.randrange(3600))


def make_records(
    rng: random.Random, salt: str, actor: Actor, call: dict, when: datetime, region: str
) -> list[dict]:
    """Records for one call by one actor (a VPC-endpoint call also yields its network event)."""
    source = call["source"]
    via_vpce = actor.vpce is not None and source == "secretsmanager.amazonaws.com"
    ip = rng.choice(actor.ip_for_vpce) if via_vpce else rng.choice(actor.ips)
    agent = rng.choice(actor.agents)
    error = _ordinary_error(rng, call)
    if error:
        call = dict(call, response=None)
    kwargs = {
        k: v
        for k, v in call.items()
        if k not in ("source", "name", "read_only", "params", "response")
    }
    tls_host = kwargs.pop("tls_host", None)
    identity = actor.identity(salt, when)
    rec = record(
        rng=rng,
        version=VERSIONS.get(source, "1.08"),
        when=when,
        source=source,
        name=call["name"],
        region=region,
        identity=identity,
        ip=ip,
        agent=agent,
        recipient=actor.account,
        read_only=call["read_only"],
        params=call["params"],
        response=call["response"],
        error=error if error and error[1] is not None else (error[0], "") if error else None,
        tls_host=None if actor.service_agent else tls_host,
        console=actor.console,
        vpce=actor.vpce if via_vpce else None,
        **kwargs,
    )
    if error and error[1] is None:
        del rec["errorMessage"]
    if not via_vpce:
        return [rec]
    return [rec, _vpce_event(rng, rec, identity, actor, call, when, region, ip, agent)]


def _vpce_event(
    rng: random.Random,
    rec: dict,
    identity: dict,
    actor: Actor,
    call: dict,
    when: datetime,
    region: str,
    ip: str,
    agent: str,
) -> dict:
    """The network-activity event the VPC endpoint owner's trail logs for a call through it."""
    principal = identity.get("principalId", "")
    return record(
        rng=rng,
        version="1.09",
        when=when,
        source=call["source"],
        name=call["name"],
        region=region,
        identity=aws_account(principal, identity.get("accountId", actor.account)),
        ip=ip,
        agent=agent,
        recipient=actor.vpce[1],
        read_only=call["read_only"],
        event_type="AwsVpceEvent",
        category="NetworkActivity",
        request_id=rec["requestID"],
        vpce=actor.vpce,
    )


def _ordinary_error(rng: random.Random, call: dict) -> tuple[str, str | None] | None:
    """Now and then, the non-denial error ordinary traffic of this API produces."""
    err = _ERRORS.get((call["source"], call["name"]))
    if not (err and rng.random() < ERROR_RATE * 3):
        return None
    code, message = err
    if message:
        params = call.get("params") or {}
        message = message.format(
            stack=params.get("stackName", ""), fn=params.get("functionName", "")
        )
    return (code, message)


MAX_CHUNK = 40_000  # records held in memory at once per worker; larger chunks are split in parts


def chunk_key(account: str, region: str, day_index: int, part: int = 0) -> str:
    """Stable name of a chunk (part 0 keeps the unsplit name, so small samples never change)."""
    return f"{account}:{region}:{day_index}" + (f":{part}" if part else "")


def split(count: int) -> list[int]:
    """Sizes of the parts a chunk of ``count`` records is generated in."""
    parts = max(1, math.ceil(count / MAX_CHUNK))
    return [count // parts + (1 if i < count % parts else 0) for i in range(parts)]


def chunk_records(
    seed: int, account: str, region: str, day_index: int, count: int, part: int = 0
) -> list[dict]:
    """The background records of one part of (account, region, day): exactly ``count`` records."""
    rng = random.Random(f"{seed}:bg:{chunk_key(account, region, day_index, part)}")
    salt = str(seed)
    day = DAYS[day_index]
    actors = [
        a for a in cast() if a.account == account and region in a.regions and _eligible(a, region)
    ]
    actor_cum = list(itertools.accumulate(a.weight * a.regions[region] for a in actors))
    calls = {a.key: _eligible(a, region) for a in actors}
    call_cum = {k: list(itertools.accumulate(c[0] for c in v)) for k, v in calls.items()}
    out: list[dict] = []
    skipped = 0
    while len(out) < count:
        actor = rng.choices(actors, cum_weights=actor_cum)[0]
        _, _, build = rng.choices(calls[actor.key], cum_weights=call_cum[actor.key])[0]
        when = _time(rng, actor, day)
        call = build(rng, region, when)
        if region != HOME and not _region_neutral(call):
            skipped += 1
            if skipped > 10_000:  # pragma: no cover - a cast without neutral calls in this region
                raise RuntimeError(f"no region-neutral calls for {account} {region}")
            continue
        out.extend(make_records(rng, salt, actor, call, when, region))
    return out[:count]


assert set(REGIONS) >= {"us-east-1", "eu-west-1"}
