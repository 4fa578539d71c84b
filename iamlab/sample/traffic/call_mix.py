"""What the background cast calls: weighted calls and the S3 object keys they touch.

A weighted call is ``(weight, where, build)``: ``where`` is None (any region),
``"global"`` (us-east-1 only) or one region; ``build(rng, region, when)``
returns an API call dict.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from iamlab.sample.traffic.api_infrastructure import ec2_describe, iam_call, s3_object
from iamlab.sample.traffic.records import token

Call = Callable[[random.Random, str, datetime], dict]
WeightedCall = tuple[float, str | None, Call]
KeyMaker = Callable[[random.Random, datetime], str]


def weighted(weight: float, build: Call, where: str | bool | None = None) -> WeightedCall:
    """A weighted call; where is None (any region), True (global: us-east-1 only) or a region."""
    return (weight, "global" if where is True else where, build)


def weighted_call(
    weight: float, fn: Callable[..., dict], *args: object, where: str | None = None, **kw: object
) -> WeightedCall:
    """A weighted call fn(rng, region, *args, **kw) whose arguments are fixed."""
    return weighted(weight, lambda rng, region, when: fn(rng, region, *args, **kw), where)


def weighted_timed(weight: float, fn: Callable[..., dict], *args: object) -> WeightedCall:
    """A weighted call fn(rng, region, *args, when) for APIs whose records depend on the time."""
    return weighted(weight, lambda rng, region, when: fn(rng, region, *args, when))


def weighted_global(
    weight: float, fn: Callable[..., dict], *args: object, **kw: object
) -> WeightedCall:
    """A weighted call fn(rng, *args, **kw) of a global API, always in us-east-1."""
    return weighted(weight, lambda rng, region, when: fn(rng, *args, **kw), True)


def weighted_iam(weight: float, op: str, **params: object) -> WeightedCall:
    """A weighted IAM call (IAM is global, so always us-east-1)."""
    return weighted_global(weight, iam_call, op, **params)


def ec2_describes(*ops: str) -> list[WeightedCall]:
    """One weight-1 EC2 Describe* call per operation."""
    return [
        (1.0, None, lambda rng, region, when, op=op: ec2_describe(rng, region, op)) for op in ops
    ]


def s3_object_call(
    bucket: str, owner: str, op: str, key: KeyMaker, size: int | None = None
) -> Call:
    """An S3 object call on `bucket` whose key `key(rng, when)` draws."""
    return lambda rng, region, when: s3_object(rng, region, bucket, key(rng, when), op, owner, size)


def curated_key(rng: random.Random, when: datetime) -> str:
    return f"curated/orders/{when:%Y/%m/%d}/part-{rng.randint(0, 63):04d}.parquet"


def raw_key(rng: random.Random, when: datetime) -> str:
    return f"raw/clickstream/{when:%Y/%m/%d/%H}/events-{token(rng, 8).lower()}.json.gz"


def report_key(rng: random.Random, when: datetime) -> str:
    return (
        f"reports/daily/{when:%Y-%m-%d}/{rng.choice(['revenue', 'orders', 'refunds', 'churn'])}.csv"
    )


def partner_key(rng: random.Random, when: datetime) -> str:
    return f"partner/brightline/{when:%Y/%m/%d}/orders-{rng.randint(0, 23):02d}.csv.gz"
